import type { Container } from 'inversify';
import type { PipelineLookup } from '../core/pipeline/pipeline.types';
import type { Constructor } from '../decorators/decorator-metadata';
import type { ClassProvider, ClassRole } from '../spine/class-provider';
import { ContainerPipelineLookup } from './container-pipeline.lookup';
import { bindClass, missingDependencies } from './container.binder';

/** Decorated classes from an inversify container: workflows bound transient (one per run), pipelines as singletons. */
export class InversifyClassProvider implements ClassProvider {
  constructor(readonly container: Container) {}

  register(type: Constructor, role: ClassRole): void {
    bindClass(this.container, type, role === 'workflow' ? 'transient' : 'singleton');
  }

  problemsOf(type: Constructor, role: ClassRole): readonly string[] {
    return missingDependencies(this.container, type, role === 'workflow' ? 'Workflow class' : 'Pipeline class');
  }

  workflowInstance(type: Constructor): object {
    return this.container.get(type as never) as object;
  }

  pipelines(types: ReadonlyMap<string, Constructor>): PipelineLookup {
    return new ContainerPipelineLookup(this.container, types);
  }
}
