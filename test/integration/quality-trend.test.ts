import { ErrorCategory, InMemoryRunStore, Spine, Step, StepResult, Workflow, WorkflowContext, WorkflowRunner, type QualityDegradation, type RunEvent } from 'spine-orchestration';
import { TypeOrmRunStore } from '../../src/persistence';
import { testDrivers, useTestDatabase, type TestDatabase } from '../support/databases';

/**
 * Quality in the context (the design's `with_quality`: later steps see the quality of the steps
 * before them, also after a resume) and the alert on quality degradation (a step's valid rate
 * below its recent trend), on every store.
 */
describe.each(['memory', ...testDrivers()] as const)('quality in the context and its degradation (%s)', (driver) => {
  const database: (() => TestDatabase) | null = driver === 'memory' ? null : useTestDatabase(driver);
  let n = 0;
  const store = () => (database === null ? new InMemoryRunStore() : new TypeOrmRunStore(database().dataSource));
  /** A workflow whose validate step reports `valid` of 1,000 records valid. */
  const validating = (name: string, extra: Partial<Parameters<typeof Workflow.define>[0]> = {}) => {
    let valid = 1_000;
    const wf = Workflow.define({
      name,
      ...extra,
      steps: [
        Step.lambda('validate', () => StepResult.ok({ checked: true }, { quality: { recordCount: 1_000, validCount: valid } })),
        Step.lambda('load', (ctx) => ({ upstreamValidRate: ctx.getQuality('validate')?.validRate ?? null, steps: Object.keys(ctx.quality) })),
      ],
    });
    return { wf, setValid: (v: number) => void (valid = v) };
  };

  it('hands later steps the quality of the steps before them (ctx.quality, ctx.getQuality), rebuilt from the records on resume', async () => {
    let broken = true;
    const wf = Workflow.define({
      name: `quality.ctx.${driver}.${++n}`,
      steps: [
        Step.lambda('validate', () => StepResult.ok({}, { quality: { recordCount: 200, validCount: 190, nullCount: 4 } })),
        Step.lambda('plain', () => ({ ok: true })),
        Step.lambda('load', (ctx) => {
          if (broken) throw new Error('warehouse down');
          return { rate: ctx.getQuality('validate')?.validRate, nulls: ctx.quality.validate?.nullCount, plain: ctx.getQuality('plain') ?? null };
        }),
      ],
    });
    const runner = new WorkflowRunner({ store: store(), workflows: { get: () => wf, names: () => [wf.name] } });
    const failed = await runner.execute(wf);
    expect(failed).toMatchObject({ status: 'failed', errorStep: 'load' });
    expect(failed.context.getQuality('validate')).toMatchObject({ recordCount: 200, validCount: 190, validRate: 0.95 });
    broken = false;
    const resumed = await runner.resume(failed.runId, { workflow: wf });
    expect(resumed.status).toBe('completed');
    expect(resumed.context.getOutput('load')).toEqual({ rate: 0.95, nulls: 4, plain: null });
    // the JSON form keeps it; a context saved before quality was kept reads as none
    const json = resumed.context.toJSON();
    expect(WorkflowContext.fromJSON(JSON.parse(JSON.stringify(json))).getQuality('validate')?.validRate).toBe(0.95);
    const { stepQuality: _kept, ...older } = json;
    expect(WorkflowContext.fromJSON(older).quality).toEqual({});
    expect(() => WorkflowContext.fromJSON({ ...json, stepQuality: { validate: { recordCount: -1 } } })).toThrow(
      /stepQuality of step "validate": Invalid quality metrics: recordCount must be a whole number/,
    );
  });

  it('calls onQualityDegraded and records quality_degraded when a valid rate falls below its recent trend by more than the margin; never before the trend exists, never within the margin', async () => {
    const alerts: QualityDegradation[] = [];
    const events: RunEvent[] = [];
    const { wf, setValid } = validating(`quality.trend.${driver}.${++n}`);
    const s = store();
    const runner = new WorkflowRunner({ store: s, workflows: { get: () => wf, names: () => [wf.name] }, onQualityDegraded: (d) => void alerts.push(d), onEvent: (e) => events.push(e) });
    // four runs at 99 %, then a drop: fewer earlier runs than minRuns (5) — no trend yet
    for (let i = 0; i < 4; i++) await runner.execute(wf);
    setValid(900);
    await runner.execute(wf);
    expect(alerts).toEqual([]);
    // the trend: 4 × 100 % and 1 × 90 % = 98 %; 94 % is 4 points under it, within the 5-point margin
    setValid(940);
    await runner.execute(wf);
    expect(alerts).toEqual([]);
    // 80 % is far under the trend of the last runs
    setValid(800);
    const dropped = await runner.execute(wf);
    expect(dropped.status).toBe('completed');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ workflow: wf.name, step: 'validate', runId: dropped.runId, validRate: 0.8, margin: 0.05, runs: 6 });
    expect(alerts[0]!.trendRate).toBeCloseTo((4 * 1 + 0.9 + 0.94) / 6, 10);
    expect(alerts[0]!.quality.validCount).toBe(800);
    expect(events.filter((e) => e.type === 'quality_degraded').map((e) => [e.runId, e.step])).toEqual([[dropped.runId, 'validate']]);
    // the store keeps the event with the run's other events
    const stored = await s.listRunEvents(dropped.runId, 100);
    expect(stored.filter((e) => e.type === 'quality_degraded').map((e) => e.payload)).toEqual([expect.objectContaining({ validRate: 0.8, margin: 0.05, runs: 6 })]);
  });

  it("takes the workflow's own hook and trend; a hook that throws is logged and the run goes on; bad options are refused naming the field", async () => {
    const own: QualityDegradation[] = [];
    const warnings: string[] = [];
    const { wf, setValid } = validating(`quality.own.${driver}.${++n}`, {
      onQualityDegraded: (d) => void own.push(d),
      qualityTrend: { margin: 0.2, window: 3, minRuns: 2 },
    });
    const runner = new WorkflowRunner({
      store: store(),
      workflows: { get: () => wf, names: () => [wf.name] },
      onQualityDegraded: () => {
        throw new Error('pager down');
      },
      logger: { warn: (_fields, message) => void warnings.push(message), error: () => undefined },
    });
    for (let i = 0; i < 2; i++) await runner.execute(wf);
    setValid(850); // 15 points under: within this workflow's 20-point margin
    await runner.execute(wf);
    setValid(500);
    const dropped = await runner.execute(wf);
    expect(dropped.status).toBe('completed');
    expect(own.map((d) => [d.validRate, d.runs])).toEqual([[0.5, 3]]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`onQualityDegraded threw for step "validate" of run ${dropped.runId}: pager down`))]);

    expect(() => Workflow.define({ name: 'bad.trend', qualityTrend: { margin: 0, window: 0 }, steps: [Step.lambda('a', () => ({}))] })).toThrow(
      /qualityTrend: margin must be a rate above 0 and at most 1 \(got 0\); window must be a whole number from 1 to 10,000 \(got 0\)/,
    );
    expect(() => new WorkflowRunner({ qualityTrend: { minRuns: 30 } })).toThrow(/WorkflowRunner\.qualityTrend: minRuns \(30\) must not exceed window \(20\)/);
    expect(() => new WorkflowRunner({ onQualityDegraded: 'alert' as never })).toThrow('onQualityDegraded must be a function (got string).');
  });

  it('Spine takes onQualityDegraded and qualityTrend too', async () => {
    const alerts: QualityDegradation[] = [];
    const { wf, setValid } = validating(`quality.spine.${driver}.${++n}`);
    const spine = await Spine.create({
      database: database === null ? 'memory' : database().dataSource,
      workflows: [wf],
      recoverOnStart: false,
      qualityTrend: { window: 2, minRuns: 1 },
      onQualityDegraded: (d) => void alerts.push(d),
    });
    try {
      await spine.run(wf.name);
      setValid(700);
      await spine.run(wf.name);
      expect(alerts.map((a) => [a.validRate, a.trendRate, a.runs])).toEqual([[0.7, 1, 1]]);
      expect(ErrorCategory.DATA_QUALITY).toBe('DATA_QUALITY');
    } finally {
      await spine.close();
    }
  });
});
