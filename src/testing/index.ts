/** Helpers for testing workflows: `spine-orchestration/testing`. */
export { FakeClock } from './fake-clock';
export { createTestSpine, durationMs, type TestSpine, type TestSpineOptions } from './test-spine';
