import { ErrorCategory } from '../policy/error-category';
import { StepResult } from '../result/step-result';

/**
 * What a step returns when the run was asked to stop or hand off and the step can give way
 * without losing anything: a wait (its wake-up time is recorded), a map step between items (its
 * items are runs of their own). The run ends there and nothing is recorded for the step.
 */
export const YIELDED: StepResult = StepResult.fail('the run gave way (stop or hand-off) during this step', { category: ErrorCategory.INTERNAL });

/**
 * What a step returns when a worker's run parks in it (a long wait, a distributed map waiting for
 * its items): nothing is recorded for the step; the run is parked until its wake-up time and the
 * step runs again on whichever worker claims it then.
 */
export const PARKED: StepResult = StepResult.fail('the run parked in this step', { category: ErrorCategory.INTERNAL });
