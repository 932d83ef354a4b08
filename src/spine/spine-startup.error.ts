import { SpineError, formatProblems } from '../core/errors/spine-error';

/** Start-up found problems; `problems` lists every one across all workflows, pipelines and bindings. */
export class SpineStartupError extends SpineError {
  override readonly name = 'SpineStartupError';

  constructor(readonly problems: readonly string[]) {
    super('startup-failed', formatProblems('Spine could not start', problems));
  }
}
