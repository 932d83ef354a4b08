import { ErrorCategory, QualityThresholds, Step, StepResult, Workflow } from 'spine-orchestration';
import { testRunner, valueStep } from '../../../fixtures/workflows';

const validateWith = (recordCount: number, validCount: number) => () => StepResult.ok({ validCount }, { quality: { recordCount, validCount, nullCount: recordCount - validCount } });

describe('WorkflowRunner quality gates', () => {
  it('fails a step that breaches a hard gate with DATA_QUALITY and every violation', async () => {
    const wf = Workflow.define({
      name: 'hard',
      steps: [Step.lambda('validate', validateWith(100, 90), { quality: new QualityThresholds({ minValidRate: 0.95, minRecordCount: 200 }) }), valueStep('load')],
    });
    const result = await testRunner().runner.execute(wf);
    expect(result).toMatchObject({ status: 'failed', errorStep: 'validate', errorCategory: ErrorCategory.DATA_QUALITY });
    expect(result.error).toBe('Quality gate of step "validate" failed: validRate 0.9 is below minValidRate 0.95; recordCount 100 is below minRecordCount 200');
    expect(result.steps[0]!.quality).toMatchObject({ passed: false, recordCount: 100, validCount: 90 });
    expect(result.completedSteps).toEqual([]);
  });

  it('records a soft gate breach as a warning and goes on', async () => {
    const wf = Workflow.define({
      name: 'soft',
      steps: [Step.lambda('validate', validateWith(100, 90), { quality: { minValidRate: 0.95 }, qualityMode: 'warn' }), valueStep('load')],
    });
    const { runner, events } = testRunner();
    const result = await runner.execute(wf);
    expect(result.status).toBe('completed');
    expect(result.steps[0]!.quality).toMatchObject({ passed: false, failureReasons: ['validRate 0.9 is below minValidRate 0.95'] });
    expect(events.find((e) => e.type === 'quality_warning')).toMatchObject({ step: 'validate', violations: ['validRate 0.9 is below minValidRate 0.95'] });
    const [record] = await runner.store.journal.getRunSteps(result.runId);
    expect(record!.quality).toMatchObject({ passed: false, validRate: 0.9 });
  });

  it('passes a step that meets its gate and keeps its metrics', async () => {
    const wf = Workflow.define({ name: 'pass', steps: [Step.lambda('validate', validateWith(100, 99), { quality: { minValidRate: 0.95 } })] });
    const result = await testRunner().runner.execute(wf);
    expect(result.status).toBe('completed');
    expect(result.steps[0]!.quality).toMatchObject({ passed: true, validRate: 0.99 });
  });

  it('fails a gated step that reports no metrics, saying how to report them', async () => {
    const wf = Workflow.define({ name: 'none', steps: [Step.lambda('validate', () => ({ ok: true }), { quality: { minValidRate: 0.5 } })] });
    const result = await testRunner().runner.execute(wf);
    expect(result.errorCategory).toBe(ErrorCategory.DATA_QUALITY);
    expect(result.error).toMatch(/reported no quality metrics \(return them with StepResult.ok\(output, \{ quality \}\)\)/);
  });
});
