import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AggregateWeekPipeline } from '../finra-otc/aggregate-week.pipeline';
import { FINRA_ENTITIES } from '../finra-otc/finra.entities';
import { IngestWeekPipeline } from '../finra-otc/ingest-week.pipeline';
import { NormalizeWeekPipeline } from '../finra-otc/normalize-week.pipeline';
import { defaultDataDir, OtcFileSource } from '../finra-otc/otc-file.source';
import { OtcRepository } from '../finra-otc/otc.repository';
import { NestWeeklyRefreshWorkflow } from './weekly-refresh.workflow';
import { WeeklyReportService } from './weekly-report.service';

/**
 * The FINRA feature module: the example's pipelines and repository service are ordinary Nest
 * providers here (Nest injects them by their constructor types), beside a Nest-native workflow.
 */
@Module({
  imports: [TypeOrmModule.forFeature(FINRA_ENTITIES)],
  providers: [
    { provide: OtcFileSource, useFactory: () => new OtcFileSource(defaultDataDir()) },
    OtcRepository,
    IngestWeekPipeline,
    NormalizeWeekPipeline,
    AggregateWeekPipeline,
    WeeklyReportService,
    NestWeeklyRefreshWorkflow,
  ],
  exports: [WeeklyReportService],
})
export class FinraNestModule {}
