import type { PipelineLookup } from '../core/pipeline/pipeline.types';
import type { Constructor } from '../decorators/decorator-metadata';

/** What a decorated class is to the application: a `@Workflow` or a `@Pipeline`. */
export type ClassRole = 'workflow' | 'pipeline';

/**
 * Where `Spine` gets instances of decorated classes: an inversify container by default
 * (`InversifyClassProvider`), Nest's module graph under `SpineModule`. Start-up registers every
 * class, then asks for the problems of each (so classes may depend on one another), then builds
 * the pipeline lookup; runs ask for workflow instances.
 */
export interface ClassProvider {
  /** Makes the class available (binding it when the container does not know it yet). */
  register(type: Constructor, role: ClassRole): void;
  /** Why the class cannot be built (constructor arguments nobody provides, …), as sentences naming it. */
  problemsOf(type: Constructor, role: ClassRole): readonly string[];
  /** The instance one run's steps are called on; asynchronous for providers resolved per run. */
  workflowInstance(type: Constructor): object | Promise<object>;
  /** Finds the registered `@Pipeline` classes by name. */
  pipelines(types: ReadonlyMap<string, Constructor>): PipelineLookup;
}
