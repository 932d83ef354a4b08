import type { QualityMetricsInit } from '../quality/quality-metrics';
import type { QualityPoint } from './records/run-record';

/** A trend point from stored metrics (rates derived when the record lacks them). */
export function qualityPoint(runId: string, at: Date, quality: QualityMetricsInit & { validRate?: number; nullRate?: number }): QualityPoint {
  const recordCount = quality.recordCount;
  const validCount = quality.validCount ?? recordCount - (quality.invalidCount ?? 0);
  const nullCount = quality.nullCount ?? 0;
  return {
    runId,
    at,
    recordCount,
    validCount,
    invalidCount: quality.invalidCount ?? recordCount - validCount,
    nullCount,
    validRate: quality.validRate ?? (recordCount === 0 ? 1 : validCount / recordCount),
    nullRate: quality.nullRate ?? (recordCount === 0 ? 0 : nullCount / recordCount),
    passed: quality.passed ?? true,
  };
}
