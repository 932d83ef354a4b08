import 'reflect-metadata';
import { Choice, ErrorPolicy, LambdaStep, MapStep, PipelineStep, Step, StepResult, Wait, Workflow, workflowSpec, type StepRuntime, type WorkflowContext } from 'spine-orchestration';
import { declareWorkflowClass } from '../../../src/discovery/workflow-class.compiler';
import type { Constructor } from '../../../src/decorators/decorator-metadata';

const resolveNew = (type: Constructor): object => new (type as new () => object)();

describe('WorkflowClassCompiler', () => {
  describe('with a decorated class', () => {
    @Workflow({ name: 'per_tier' })
    class PerTier {
      @LambdaStep() summarize() {}
    }

    @Workflow({ name: 'demo.etl', domain: 'demo', defaults: { tier: 'NMS_TIER_1' } })
    class Etl {
      @PipelineStep('demo.fetch') fetch(ctx: WorkflowContext) {
        return { day: ctx.getParam('date') };
      }
      @LambdaStep({ retry: { maxAttempts: 3 }, quality: { minValidRate: 0.9 } }) validate() {
        return StepResult.ok({}, { quality: { recordCount: 1, validCount: 1 } });
      }
      @Choice({ then: 'load', otherwise: 'report' }) isClean() {
        return true;
      }
      @Wait({ seconds: 1 }) cooldown() {}
      @MapStep({ itemsFrom: 'params.tiers', itemParam: 'tier', iterator: PerTier, maxConcurrency: 3 }) perTier() {}
      @PipelineStep({ name: 'load', pipeline: 'demo.load', onError: ErrorPolicy.RETRY }) load() {}
      @LambdaStep({ onError: ErrorPolicy.CONTINUE }) async report() {
        return StepResult.ok({ sent: true });
      }
    }

    it('compiles to the same definition Workflow.define builds for the same steps', () => {
      const { declared, problems } = declareWorkflowClass(Etl, resolveNew);
      expect(problems).toEqual([]);
      const fromClass = Workflow.define(declared!.declaration);
      const named = (name: string, fn: () => unknown = () => undefined) => Object.defineProperty(fn, 'name', { value: name }) as () => never;
      const byHand = Workflow.define({
        name: 'demo.etl',
        domain: 'demo',
        defaults: { tier: 'NMS_TIER_1' },
        steps: [
          Step.pipeline('fetch', 'demo.fetch', { paramsFrom: named('fetch') }),
          Step.lambda('validate', named('validate'), { retry: { maxAttempts: 3 }, quality: { minValidRate: 0.9 } }),
          Step.choice('isClean', { when: named('isClean'), then: 'load', otherwise: 'report' }),
          Step.wait('cooldown', { seconds: 1 }),
          Step.map('perTier', { itemsPath: 'params.tiers', itemParam: 'tier', iterator: 'per_tier', maxConcurrency: 3 }),
          Step.pipeline('load', 'demo.load', { onError: ErrorPolicy.RETRY, paramsFrom: named('load') }),
          Step.lambda('report', named('report'), { onError: ErrorPolicy.CONTINUE }),
        ],
      });
      expect(workflowSpec(fromClass)).toEqual(workflowSpec(byHand));
      expect(declared!.iteratorTypes).toEqual([PerTier]);
    });

    it('calls the methods on one instance per run, resolved through the run scope', async () => {
      const instances: object[] = [];
      const { declared } = declareWorkflowClass(Etl, (type) => {
        const instance = new (type as new () => object)();
        instances.push(instance);
        return instance;
      });
      const definition = Workflow.define(declared!.declaration);
      const scope = new Map<object, unknown>();
      const runtime: StepRuntime = {
        signal: new AbortController().signal,
        attempt: 1,
        idempotencyKey: 'k',
        epoch: 0,
        scope: { getOrCreate: (key, create) => (scope.has(key) ? scope.get(key) : (scope.set(key, create()), scope.get(key))) as never },
      };
      const fetch = definition.steps[0]!;
      const ctx = (await import('spine-orchestration')).WorkflowContext.create({ params: { date: '2026-01-09' } });
      expect(fetch.type === 'pipeline' && (await fetch.paramsFrom!(ctx, runtime))).toEqual({ day: '2026-01-09' });
      const choice = definition.steps[2]!;
      expect(choice.type === 'choice' && (await choice.when(ctx, runtime))).toBe(true);
      expect(instances).toHaveLength(1);
    });
  });

  describe('with mistakes', () => {
    it('lists every one: two decorators on a method, a decorated property, a static step, an iterator that is no workflow', () => {
      class NotAWorkflow {}
      @Workflow({ name: 'broken' })
      class Broken {
        @LambdaStep() @Choice({ then: 'b' }) a() {}
        @Choice({ then: 'a' }) b = 1;
        @LambdaStep() static c() {}
        @MapStep({ items: [1], iterator: NotAWorkflow }) d() {}
        @MapStep({ items: [1], iterator: 42 as never }) e() {}
      }
      expect(declareWorkflowClass(Broken, resolveNew).problems).toEqual([
        'workflow "broken" (class Broken): static method "c" cannot be a step (@LambdaStep); steps run on an instance',
        'workflow "broken" (class Broken): method "a" has 2 step decorators (@Choice, @LambdaStep); keep one',
        'workflow "broken" (class Broken): @Choice on "b": "b" is not a method; put @Choice on a method',
        'workflow "broken" (class Broken): @MapStep on "d": iterator class NotAWorkflow is not a workflow; decorate it with @Workflow or name a workflow',
        'workflow "broken" (class Broken): @MapStep on "e": iterator must be a @Workflow class, a workflow name or a workflow definition (got number)',
      ]);
    });

    it('reports a class without @Workflow and one without steps', () => {
      class Plain {}
      @Workflow({ name: 'empty' })
      class Empty {}
      expect(declareWorkflowClass(Plain, resolveNew).problems).toEqual(['class Plain is not decorated with @Workflow({ name })']);
      expect(declareWorkflowClass(Empty, resolveNew).problems).toEqual([
        'workflow "empty" (class Empty): it has no step methods; decorate methods with @LambdaStep, @PipelineStep, @Choice, @Wait or @MapStep',
      ]);
    });

    it('uses the method itself as until for @Wait() and as the item source for @MapStep without one', () => {
      @Workflow({ name: 'methods' })
      class Methods {
        @Wait() open() {
          return new Date(0);
        }
        @MapStep({ iterator: 'other' }) items() {
          return [1, 2];
        }
      }
      const definition = Workflow.define(declareWorkflowClass(Methods, resolveNew).declared!.declaration);
      const [wait, map] = definition.steps;
      expect(wait!.type === 'wait' && wait!.until?.name).toBe('open');
      expect(map!.type === 'map' && map!.itemsFrom?.name).toBe('items');
    });
  });
});
