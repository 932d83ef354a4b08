import { SpineError } from '../core/errors/spine-error';

/** Start-up found problems; `problems` lists every one across all workflows, pipelines and bindings. */
export class SpineStartupError extends SpineError {
  override readonly name = 'SpineStartupError';

  constructor(readonly problems: readonly string[]) {
    super('startup-failed', problems.length === 1 ? `Spine could not start: ${problems[0]}` : `Spine could not start; ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
