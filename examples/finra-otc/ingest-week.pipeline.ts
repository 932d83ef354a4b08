import { inject } from 'inversify';
import { Pipeline, type PipelineHandler, type PipelineParams } from 'spine-orchestration';
import { OtcCapture, OtcRawRow, OtcReject } from './finra.entities';
import { OtcFileSource } from './otc-file.source';
import { captureIdOf, type Tier } from './otc.format';
import { parseOtcFile } from './otc.parser';
import { OtcRepository } from './otc.repository';

/**
 * Reads one week of one tier, refuses bad rows with their reasons and stores the rest under the
 * week's capture id. Idempotent: the same file again changes nothing; a changed file replaces
 * the capture in one transaction.
 */
@Pipeline('finra.otc_transparency.ingest_week', { description: 'Parse a FINRA OTC weekly file into raw rows and rejects' })
export class IngestWeekPipeline implements PipelineHandler {
  constructor(
    @inject(OtcFileSource) private readonly source: OtcFileSource,
    @inject(OtcRepository) private readonly repository: OtcRepository,
  ) {}

  async run(params: PipelineParams) {
    const week = String(params.week_ending);
    const tier = params.tier as Tier;
    const file = this.source.read(week, tier, params.fail_week === undefined ? undefined : String(params.fail_week));
    const captureId = captureIdOf(week, tier);
    const existing = await this.repository.findCapture(captureId);
    if (existing !== null && existing.checksum === file.checksum) {
      const rejects = await this.repository.rejects(captureId);
      return {
        output: {
          captureId,
          sourceFile: file.path,
          unchanged: true,
          rowCount: existing.rowCount,
          validCount: existing.validCount,
          rejectedCount: existing.rejectedCount,
          rejectReasons: countReasons(rejects),
        },
      };
    }
    const parsed = parseOtcFile(file.text, tier, week, file.path);
    const capture = Object.assign(new OtcCapture(), {
      captureId,
      weekEnding: week,
      tier,
      sourceFile: file.path,
      checksum: file.checksum,
      rowCount: parsed.rowCount,
      validCount: parsed.rows.length,
      rejectedCount: parsed.rejects.length,
      capturedAt: new Date(),
    });
    await this.repository.replaceCapture(
      capture,
      parsed.rows.map((row) => Object.assign(new OtcRawRow(), { captureId, ...row })),
      parsed.rejects.map((reject) => Object.assign(new OtcReject(), { captureId, ...reject, reason: reject.reason.slice(0, 200) })),
    );
    return {
      output: {
        captureId,
        sourceFile: file.path,
        unchanged: false,
        rowCount: parsed.rowCount,
        validCount: parsed.rows.length,
        rejectedCount: parsed.rejects.length,
        rejectReasons: countReasons(parsed.rejects),
      },
    };
  }
}

/** { "blank issueSymbolIdentifier": 2, … } (reasons that name a value are grouped by their start). */
function countReasons(rejects: readonly { reason: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { reason } of rejects) {
    const kind = reason.replace(/ \S*\d\S* is not the file's week .*/, " is not the file's week");
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}
