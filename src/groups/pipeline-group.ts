import { ExecutionPolicy } from './execution-policy';

/** A v1 step: a registered pipeline, the steps it waits for, and its own params. */
export class PipelineStep {
  readonly dependsOn: readonly string[];
  readonly params: Readonly<Record<string, unknown>>;

  constructor(
    readonly name: string,
    readonly pipeline: string,
    options: { dependsOn?: readonly string[]; params?: Readonly<Record<string, unknown>> } = {},
  ) {
    this.dependsOn = Object.freeze([...(options.dependsOn ?? [])]);
    this.params = Object.freeze({ ...(options.params ?? {}) });
    Object.freeze(this);
  }
}

/** What a v1 group is built from. */
export interface PipelineGroupInit {
  readonly name: string;
  readonly domain?: string | null;
  readonly steps: readonly PipelineStep[];
  readonly policy?: ExecutionPolicy;
  readonly defaults?: Readonly<Record<string, unknown>>;
}

/** A v1 named DAG of pipeline steps. Validated when resolved into a plan. */
export class PipelineGroup {
  readonly name: string;
  readonly domain: string | null;
  readonly steps: readonly PipelineStep[];
  readonly policy: ExecutionPolicy;
  readonly defaults: Readonly<Record<string, unknown>>;

  constructor(init: PipelineGroupInit) {
    this.name = init.name;
    this.domain = init.domain ?? null;
    this.steps = Object.freeze([...init.steps]);
    this.policy = init.policy ?? ExecutionPolicy.sequential();
    this.defaults = Object.freeze({ ...(init.defaults ?? {}) });
    Object.freeze(this);
  }
}
