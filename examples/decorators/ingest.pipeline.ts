import { inject } from 'inversify';
import { Pipeline, type PipelineHandler, type PipelineParams, type WorkflowContext } from 'spine-orchestration';
import { OtcWeekSource } from './services';

/** Loads one week of one tier; its source is injected by the container. */
@Pipeline('finra.otc_transparency.ingest_week')
export class IngestWeekPipeline implements PipelineHandler {
  constructor(@inject(OtcWeekSource) private readonly source: OtcWeekSource) {}

  async run(params: PipelineParams, _ctx: WorkflowContext) {
    const rows = await this.source.load(String(params.week_ending), String(params.tier));
    return { output: { rows, rowCount: rows.length } };
  }
}
