/**
 * `npm run example:v1-migration`: a v1 pipeline group, run by the v1 `GroupRunner`, and the same
 * group as a workflow (`Workflow.fromGroup`) run by `Spine` with a durable record, side by side.
 * The pipelines are the same registry; only the runner changes. Once a group runs as a workflow,
 * its steps can start reading earlier outputs from the context instead of a staging table.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PipelineRegistry, Spine, Workflow, type PipelineParams } from 'spine-orchestration';
import { ExecutionPolicy, GroupRunner, PipelineGroup, PipelineStep, PlanResolver } from 'spine-orchestration/groups';
import { defaultDataDir } from '../finra-otc/otc-file.source';
import { isFriday, weeklyFileName, type Tier } from '../finra-otc/otc.format';
import { parseOtcFile } from '../finra-otc/otc.parser';

/**
 * What v1 pipelines share: v1 steps cannot read each other's outputs (each runs with its params
 * only), so v1 applications pass data through storage keyed by the params. A map stands in for
 * that staging table here.
 */
export class StagingTable {
  private readonly rows = new Map<string, unknown>();

  put(params: PipelineParams, what: string, value: unknown): void {
    this.rows.set(`${params.week_ending}|${params.tier}|${what}`, value);
  }

  get<T>(params: PipelineParams, what: string): T {
    const key = `${params.week_ending}|${params.tier}|${what}`;
    if (!this.rows.has(key)) throw new Error(`staging has no ${what} for ${params.tier} week ${params.week_ending}; run its producer first`);
    return this.rows.get(key) as T;
  }
}

/** The v1 pipelines: plain functions registered by name, as v1 applications have them. */
export function v1Pipelines(staging: StagingTable, dataDir: string = defaultDataDir()): PipelineRegistry {
  const pipelines = new PipelineRegistry();
  pipelines.register('finra.v1.ingest', (params: PipelineParams) => {
    const file = join(dataDir, weeklyFileName(String(params.week_ending), params.tier as Tier));
    const parsed = parseOtcFile(readFileSync(file, 'utf8'), params.tier as Tier, String(params.week_ending), file);
    const volumes: Record<string, number> = {};
    for (const row of parsed.rows) volumes[row.symbol] = (volumes[row.symbol] ?? 0) + row.shares;
    staging.put(params, 'volumes', volumes);
    return { output: { rows: parsed.rows.length, rejected: parsed.rejects.length } };
  });
  pipelines.register('finra.v1.rank', (params: PipelineParams) => {
    const volumes = staging.get<Record<string, number>>(params, 'volumes');
    staging.put(
      params,
      'ranked',
      Object.entries(volumes)
        .sort((a, b) => b[1] - a[1])
        .map(([symbol]) => symbol),
    );
    return { output: { symbols: Object.keys(volumes).length } };
  });
  pipelines.register('finra.v1.calendar', (params: PipelineParams) => ({ output: { weekEndsOnFriday: isFriday(String(params.week_ending)) } }));
  pipelines.register('finra.v1.report', (params: PipelineParams) => {
    const top = staging.get<string[]>(params, 'ranked').slice(0, Number(params.top));
    return { output: { report: `${params.tier} week ${params.week_ending}: top ${top.join(', ')}` } };
  });
  return pipelines;
}

/** The v1 group: ingest → rank, calendar beside them, report after both; two steps at a time. */
export const weeklyGroup = new PipelineGroup({
  name: 'finra.v1_weekly_report',
  defaults: { tier: 'NMS Tier 1', top: 5 },
  policy: ExecutionPolicy.parallel(2),
  steps: [
    new PipelineStep('ingest', 'finra.v1.ingest'),
    new PipelineStep('rank', 'finra.v1.rank', { dependsOn: ['ingest'] }),
    new PipelineStep('calendar', 'finra.v1.calendar'),
    new PipelineStep('report', 'finra.v1.report', { dependsOn: ['rank', 'calendar'] }),
  ],
});

async function main(): Promise<void> {
  const pipelines = v1Pipelines(new StagingTable());
  const params = { week_ending: '2026-10-23', tier: 'NMS Tier 2' };

  const plan = new PlanResolver({ pipelines }).resolve(weeklyGroup, params);
  const v1 = await new GroupRunner({ pipelines }).execute(plan);
  const v1Report = v1.steps.find((s) => s.name === 'report')?.output?.report;
  console.log(`v1 GroupRunner:        ${v1.status}; steps ${v1.completedSteps.join(' → ')}`);
  console.log(`                       ${v1Report}`);

  const workflow = Workflow.fromGroup(weeklyGroup);
  const spine = await Spine.create({ workflows: [workflow], pipelines: [pipelines], cwd: process.cwd() });
  try {
    const v2 = await spine.run(workflow.name, { params });
    const v2Report = v2.context.getOutput('report', 'report');
    console.log(`Workflow.fromGroup:    ${v2.status}; steps ${v2.completedSteps.join(' → ')} (run ${v2.runId}, recorded: spine show ${v2.runId})`);
    console.log(`                       ${v2Report}`);
    console.log(v1Report === v2Report ? 'Same report from both runners.' : 'The reports differ!');
    if (v1.status !== 'completed' || v2.status !== 'completed' || v1Report !== v2Report) process.exitCode = 1;
  } finally {
    await spine.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
