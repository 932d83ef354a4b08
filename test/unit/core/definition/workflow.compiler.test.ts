import { ErrorPolicy, RetryPolicy, Step, Workflow, WorkflowDefinitionError, QualityThresholds } from 'spine-orchestration';
import { valueStep } from '../../../fixtures/workflows';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof WorkflowDefinitionError) return error.problems;
    throw error;
  }
  throw new Error('expected a WorkflowDefinitionError');
}

describe('WorkflowCompiler', () => {
  describe('with a valid declaration', () => {
    it('compiles to a frozen definition with defaults filled in', () => {
      const wf = Workflow.define({
        name: 'my_etl',
        domain: 'demo',
        steps: [Step.pipeline('fetch', 'my_domain.fetch_data'), Step.lambda('validate', () => undefined, { config: { strict: true }, retry: { maxAttempts: 2 }, quality: { minValidRate: 0.9 } })],
      });
      expect(Object.isFrozen(wf)).toBe(true);
      expect(wf.version).toBe(1);
      expect(wf.maxSteps).toBe(10_000);
      expect(wf.steps.map((s) => s.name)).toEqual(['fetch', 'validate']);
      const validate = wf.steps[1]!;
      expect(validate.onError).toBe(ErrorPolicy.STOP);
      expect(validate.retry).toBeInstanceOf(RetryPolicy);
      expect(validate.quality).toBeInstanceOf(QualityThresholds);
      expect(validate.type === 'lambda' && validate.config).toEqual({ strict: true });
    });

    it('returns an already compiled definition as it is', () => {
      const wf = Workflow.define({ name: 'w', steps: [valueStep('a')] });
      expect(Workflow.define(wf)).toBe(wf);
    });

    it('builds the same definition with the builder', () => {
      const fn = () => undefined;
      const built = Workflow.builder('my_etl').domain('demo').addPipeline('fetch', 'p').addLambda('validate', fn).build();
      const defined = Workflow.define({ name: 'my_etl', domain: 'demo', steps: [Step.pipeline('fetch', 'p'), Step.lambda('validate', fn)] });
      expect(built).toEqual(defined);
    });
  });

  describe('with several problems', () => {
    it('lists every one of them in one error', () => {
      const problems = problemsOf(() =>
        Workflow.define({
          name: 'broken',
          steps: [
            valueStep('a'),
            valueStep('a'),
            Step.choice('route', { when: () => true, then: 'nowhere', otherwise: 'also_nowhere' }),
            Step.map('fan', { items: [1] } as never),
            Step.lambda('next_bad', () => undefined, { next: 'ghost', dependsOn: ['phantom'] }),
            Step.wait('w', {}),
            Step.lambda('policies', () => undefined, { retry: { maxAttempts: 0 }, timeoutMs: -1, quality: { minValidRate: 2 }, onError: 'EXPLODE' as never }),
          ],
        }),
      );
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/step "a" is declared more than once/),
          expect.stringMatching(/step "route": then target "nowhere" is not a step/),
          expect.stringMatching(/step "route": otherwise target "also_nowhere"/),
          expect.stringMatching(/step "fan": needs an iterator/),
          expect.stringMatching(/step "next_bad": next target "ghost"/),
          expect.stringMatching(/step "next_bad": depends on "phantom"/),
          expect.stringMatching(/step "w": needs exactly one of "seconds", "durationPath", "until" or "signal"/),
          expect.stringMatching(/step "policies": retry: maxAttempts/),
          expect.stringMatching(/step "policies": timeoutMs/),
          expect.stringMatching(/step "policies": quality: minValidRate/),
          expect.stringMatching(/step "policies": onError/),
        ]),
      );
      expect(problems).toHaveLength(11);
    });

    it("names the design's spelling of a wait's duration with its replacement", () => {
      const problems = problemsOf(() => Workflow.define({ name: 'design.wait', steps: [Step.wait('cooldown', { durationSeconds: 300 } as never)] }));
      expect(problems).toContain('step "cooldown": "durationSeconds" is the design\'s spelling: write { seconds: 300 }');
    });

    it('puts the workflow name and each problem in the message', () => {
      expect(() => Workflow.define({ name: 'wf', steps: [valueStep('x'), valueStep('x'), Step.map('m', {} as never)] })).toThrow(
        /Workflow "wf" has 3 problems:\n {2}- step "x" is declared more than once/,
      );
    });
  });

  describe('with an empty workflow', () => {
    it('asks for a step', () => {
      expect(problemsOf(() => Workflow.define({ name: 'empty', steps: [] }))).toEqual(['it has no steps; add at least one']);
    });
  });

  describe('with a map iterator', () => {
    it('validates a nested iterator workflow and names the path to its problem', () => {
      const problems = problemsOf(() =>
        Workflow.define({
          name: 'outer',
          steps: [Step.map('per_tier', { items: ['OTC'], iterator: { name: 'inner', steps: [valueStep('x'), valueStep('x')] } })],
        }),
      );
      expect(problems).toEqual(['step "per_tier" iterator "inner": step "x" is declared more than once; give each step a unique name']);
    });

    it('rejects a map with two item sources and a bad itemsPath', () => {
      const problems = problemsOf(() => Workflow.define({ name: 'm', steps: [Step.map('fan', { items: [], itemsPath: 'outputs.', iterator: valueStep('i') })] }));
      expect(problems).toEqual([
        'step "fan": needs exactly one of "items", "itemsFrom" or "itemsPath"',
        `step "fan": itemsPath "outputs." must look like 'params.<key>', 'outputs.<step>.<key>' or a param's name (the design's items_path: sources)`,
      ]);
    });
  });

  describe('with reserved or odd names', () => {
    it('rejects names starting with $ and unknown step types', () => {
      const problems = problemsOf(() => Workflow.define({ name: 'r', steps: [valueStep('$end'), { type: 'teleport', name: 't' } as never] }));
      expect(problems).toEqual(['step "$end": names starting with "$" are reserved', 'step "t": has unknown type "teleport"; use lambda, pipeline, choice, wait or map']);
    });
  });
});
