/** Helpers for testing workflows: `spine-orchestration/testing`. */
export { FakeClock } from './fake-clock';
