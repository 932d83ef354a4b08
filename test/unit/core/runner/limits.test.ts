import { RECORD_LIMITS, SpineError, Step, Workflow, WorkflowRunner, type WorkflowDefinition } from 'spine-orchestration';

const registry = (...workflows: WorkflowDefinition[]) => ({
  get: (name: string) => workflows.find((w) => w.name === name),
  names: () => workflows.map((w) => w.name),
});

describe('WorkflowRunner limits', () => {
  describe('with a map that runs its own workflow', () => {
    it('refuses it when the definition is validated, naming the loop (directly)', () => {
      const self = Workflow.define({ name: 'loops', steps: [Step.map('again', { items: [1], iterator: 'loops' })] });
      const runner = new WorkflowRunner({ workflows: registry(self) });
      expect(() => runner.validate(self)).toThrow('Workflow "loops": step "again" iterator: workflow "loops" maps over itself (loops → loops): each item would start the same map again, without end.');
    });

    it('refuses it through other workflows too, before anything is recorded', async () => {
      const a = Workflow.define({ name: 'a', steps: [Step.map('to_b', { items: [1], iterator: 'b' })] });
      const b = Workflow.define({ name: 'b', steps: [Step.map('to_a', { items: [1], iterator: 'a' })] });
      const runner = new WorkflowRunner({ workflows: registry(a, b) });
      await expect(runner.execute(a)).rejects.toThrow(/step "to_b" iterator: step "to_a" iterator: workflow "a" maps over itself \(a → b → a\)/);
      expect(await runner.store.history.listRuns({ includeChildren: true })).toEqual([]);
    });
  });

  describe('with maps nested deeper than the limit', () => {
    it('lists the chain and the limit', () => {
      const levels: WorkflowDefinition[] = [Workflow.define({ name: 'level9', steps: [Step.lambda('leaf', () => ({}))] })];
      for (let i = 8; i >= 0; i--) levels.unshift(Workflow.define({ name: `level${i}`, steps: [Step.map('down', { items: [1], iterator: `level${i + 1}` })] }));
      const runner = new WorkflowRunner({ workflows: registry(...levels) });
      expect(() => runner.validate(levels[0]!)).toThrow(`maps are nested ${RECORD_LIMITS.mapDepth + 1} levels deep (level0 → level1`);
      expect(() => runner.validate(levels[1]!)).not.toThrow();
    });
  });

  describe('identifiers longer than a store keeps', () => {
    const wf = Workflow.define({ name: 'limited', steps: [Step.lambda('a', () => ({}))] });

    it('refuses them up front, each with its limit, and records nothing', async () => {
      const runner = new WorkflowRunner();
      const error = await runner.execute(wf, { runId: 'r'.repeat(201), idempotencyKey: 'k'.repeat(256), partition: { week: 'w'.repeat(600) } }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SpineError);
      expect(error).toMatchObject({ kind: 'limit-exceeded' });
      expect((error as Error).message).toBe(
        'A run of workflow "limited" cannot be recorded: runId is 201 characters; at most 200 are allowed (the store\'s column holds 255 and map items\' ' +
          "run ids extend their run's); idempotencyKey is 256 characters; at most 255 are allowed; partition (as key=value|…) is 605 characters; " +
          'at most 512 are allowed. Nothing was recorded.',
      );
      expect(await runner.store.history.listRuns()).toEqual([]);
    });

    it('refuses workflow and step names past 255 characters when the workflow is defined', () => {
      expect(() => Workflow.define({ name: 'w'.repeat(256), steps: [Step.lambda(`s${'x'.repeat(255)}`, () => ({}))] })).toThrow(
        /its name is 256 characters; at most 255 are allowed\n {2}- step "sxxx.*…": its name is 256 characters; at most 255 are allowed/,
      );
    });
  });

  describe('an idempotency key used by another workflow', () => {
    it('is refused instead of answering with the other workflow’s run', async () => {
      const runner = new WorkflowRunner();
      const first = await runner.execute(Workflow.define({ name: 'first', steps: [Step.lambda('a', () => ({}))] }), { idempotencyKey: 'week-2026-01-09' });
      const other = Workflow.define({ name: 'second', steps: [Step.lambda('b', () => ({}))] });
      await expect(runner.execute(other, { idempotencyKey: 'week-2026-01-09' })).rejects.toThrow(
        `The idempotency key "week-2026-01-09" belongs to run "${first.runId}" of workflow "first"; it cannot start workflow "second". ` +
          "Use keys that are unique per workflow (prefix them with the workflow's name). Nothing was recorded.",
      );
      expect((await runner.store.history.listRuns()).map((r) => r.workflowName)).toEqual(['first']);
    });
  });

  describe('maxSteps', () => {
    it.each([[Number.POSITIVE_INFINITY], [Number.NaN], [0], [1.5], [-3]])('must be a finite whole number ≥ 1 (not %p)', (maxSteps) => {
      expect(() => Workflow.define({ name: 'budget', maxSteps, steps: [Step.lambda('a', () => ({}))] })).toThrow(`maxSteps must be a whole number ≥ 1 (got ${String(maxSteps)})`);
    });
  });
});
