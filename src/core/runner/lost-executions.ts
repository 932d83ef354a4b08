import type { StepDefinition } from '../definition/step-definition';
import type { LostExecutions } from '../store/records/run-record';
import type { ResumeState } from './run-settings';

const NONE: LostExecutions = Object.freeze({ step: null, count: 0 });

/**
 * How often in a row the execution of the step a resumed run continues at was lost. A previous
 * execution that ended (failed, stopped, handed off) is no loss; a wait or a map step in flight is
 * not counted either (a wait only waits; a map's items are runs that keep their own progress).
 */
export function lostExecutions(resume: ResumeState, step: StepDefinition | undefined, iteration: number): LostExecutions {
  if (!resume.lost || step === undefined || step.type === 'wait' || step.type === 'map') return NONE;
  const marker = `${step.name}:${iteration}`;
  return { step: marker, count: resume.run.lostStep === marker ? resume.run.lostExecutions + 1 : 1 };
}

/** Why a resumed run is failed instead of running a step that keeps being lost. */
export function poisonStepMessage(runId: string, step: StepDefinition, count: number, lastError: string | null): string {
  const cause = lastError === null ? 'the process died, was stopped or lost the database each time' : `last recorded cause: ${lastError}`;
  return (
    `Step "${step.name}" of run "${runId}" was lost ${count} times in a row: each execution of it ended without finishing (${cause}). ` +
    `The run is failed instead of being recovered again; fix the cause, then resume it (spine.resume("${runId}")).`
  );
}
