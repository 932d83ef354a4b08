import 'reflect-metadata';
import { Choice, DecoratorMetadata, ErrorPolicy, LambdaStep, MapStep, Pipeline, PipelineStep, Wait, Workflow } from 'spine-orchestration';

describe('decorators', () => {
  @Workflow({ name: 'iter', domain: 'demo' })
  class PerTier {
    @LambdaStep() one() {}
  }

  @Workflow({ name: 'demo.etl', domain: 'demo', description: 'an etl', defaults: { tier: 'OTC' }, version: 2 })
  class Etl {
    @PipelineStep('demo.fetch') fetch() {}
    @LambdaStep({ retry: { maxAttempts: 3 }, quality: { minValidRate: 0.9 }, config: { strict: true } }) validate() {}
    @Choice({ then: 'load', otherwise: 'report' }) isClean() {
      return true;
    }
    @Wait({ seconds: 1 }) cooldown() {}
    @Wait() untilOpen() {
      return new Date();
    }
    @MapStep({ itemsFrom: 'params.tiers', itemParam: 'tier', iterator: PerTier, maxConcurrency: 3 }) perTier() {}
    @PipelineStep({ name: 'load', pipeline: 'demo.load', onError: ErrorPolicy.RETRY }) loadIt() {}
    @LambdaStep({ onError: ErrorPolicy.CONTINUE }) report() {}
  }

  @Pipeline('demo.fetch', { description: 'fetches' })
  class Fetch {
    run() {
      return { output: {} };
    }
  }

  it('@Workflow records its options on the class and nothing else', () => {
    expect(DecoratorMetadata.workflow(Etl)).toEqual({ name: 'demo.etl', domain: 'demo', description: 'an etl', defaults: { tier: 'OTC' }, version: 2 });
    expect(DecoratorMetadata.isWorkflowClass(Etl)).toBe(true);
    expect(DecoratorMetadata.isWorkflowClass(Fetch)).toBe(false);
  });

  it('step decorators record kind, method and options in declaration order', () => {
    expect(DecoratorMetadata.steps(Etl).map((s) => [s.kind, s.method, s.isMethod])).toEqual([
      ['pipeline', 'fetch', true],
      ['lambda', 'validate', true],
      ['choice', 'isClean', true],
      ['wait', 'cooldown', true],
      ['wait', 'untilOpen', true],
      ['map', 'perTier', true],
      ['pipeline', 'loadIt', true],
      ['lambda', 'report', true],
    ]);
    expect(DecoratorMetadata.steps(Etl)[0]!.options).toEqual({ pipeline: 'demo.fetch' });
    expect(DecoratorMetadata.steps(Etl)[6]!.options).toEqual({ name: 'load', pipeline: 'demo.load', onError: 'RETRY' });
    expect(DecoratorMetadata.steps(Etl)[5]!.options).toMatchObject({ iterator: PerTier, itemsFrom: 'params.tiers' });
  });

  it('@Pipeline records the pipeline name', () => {
    expect(DecoratorMetadata.pipeline(Fetch)).toEqual({ name: 'demo.fetch', options: { description: 'fetches' } });
  });

  it('keeps a subclass from writing into its parent class metadata', () => {
    @Workflow({ name: 'child' })
    class Child extends PerTier {
      @LambdaStep() two() {}
    }
    expect(DecoratorMetadata.steps(PerTier).map((s) => s.method)).toEqual(['one']);
    expect(DecoratorMetadata.steps(Child).map((s) => s.method)).toEqual(['two']);
  });

  it('records a decorator on a property as not a method, so the compiler can report it', () => {
    class Odd {
      @Choice({ then: 'x' }) notAMethod = true;
    }
    expect(DecoratorMetadata.steps(Odd)).toEqual([{ kind: 'choice', method: 'notAMethod', isMethod: false, options: { then: 'x' } }]);
  });

  it('keeps the programmatic API on the Workflow decorator', () => {
    expect(typeof Workflow.define).toBe('function');
    expect(typeof Workflow.builder).toBe('function');
    expect(typeof Workflow.fromGroup).toBe('function');
    expect(Workflow.END).toBe('$end');
  });
});
