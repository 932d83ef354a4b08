import 'reflect-metadata';
import { Container } from 'inversify';
import { join } from 'node:path';
import { Spine, SpineValidationError } from 'spine-orchestration';
import { Notifier, WeeklyRowSource } from '../fixtures/app/services';

const root = join(__dirname, '..', '..');

async function startFixtureApp(warnings: string[] = []) {
  const container = new Container();
  container.bind(WeeklyRowSource).toSelf().inSingletonScope();
  container.bind(Notifier).toSelf().inSingletonScope();
  const spine = await Spine.create({
    database: 'memory',
    container,
    cwd: root,
    discover: ['test/fixtures/app/**/*.workflow.ts', 'test/fixtures/app/**/*.pipeline.ts', 'test/fixtures/app/**/*.missing.ts'],
    logger: { warn: (_fields, message) => warnings.push(message) },
  });
  return { spine, container };
}

describe('Spine with a discovered application', () => {
  it('discovers workflows and pipelines from globs and warns about what found nothing', async () => {
    const warnings: string[] = [];
    const { spine } = await startFixtureApp(warnings);
    expect(spine.workflows().map((w) => w.name)).toEqual(['fixture.all_tiers', 'fixture.weekly']);
    expect(warnings).toEqual([
      expect.stringMatching(/not-decorated\.workflow\.ts exports no @Workflow, @Pipeline or @Handler class/),
      expect.stringMatching(/discover pattern "test\/fixtures\/app\/\*\*\/\*\.missing\.ts" matched no files/),
    ]);
    await spine.close();
  });

  it('injects services into the workflow and the pipeline, converts params with the DTO and runs', async () => {
    const { spine, container } = await startFixtureApp();
    const result = await spine.run('fixture.weekly', { params: { week_ending: '2026-01-09', top: '2' } });
    expect(result.status).toBe('completed');
    expect(container.get(WeeklyRowSource).loads).toEqual(['2026-01-09/OTC']);
    expect(container.get(Notifier).sent).toEqual(['2026-01-09 OTC: AAPL,MSFT']);
    expect(result.context.getOutput('notify')).toEqual({ sent: true, topType: 'number' });
    expect((await spine.listRuns({})).map((r) => r.runId)).toEqual([result.runId]);
  });

  it('gives every run a new workflow instance', async () => {
    const { spine } = await startFixtureApp();
    const first = await spine.run('fixture.weekly', { params: { week_ending: '2026-01-09' } });
    const second = await spine.run('fixture.weekly', { params: { week_ending: '2026-01-16' } });
    expect(first.context.getOutput('validate', 'validatedOnThisInstance')).toBe(1);
    expect(second.context.getOutput('validate', 'validatedOnThisInstance')).toBe(1);
  });

  it('runs a map over a @Workflow class iterator, one instance per item', async () => {
    const { spine, container } = await startFixtureApp();
    const result = await spine.run('fixture.all_tiers', { params: { week_ending: '2026-01-09' } });
    expect(result.status).toBe('completed');
    expect(container.get(WeeklyRowSource).loads.sort()).toEqual(['2026-01-09/NMS Tier 1', '2026-01-09/OTC']);
    expect(result.context.getOutput('perTier', 'results')).toEqual([
      { sent: true, topType: 'number' },
      { sent: true, topType: 'number' },
    ]);
  });

  it('rejects invalid params with every field and constraint, recording nothing', async () => {
    const { spine } = await startFixtureApp();
    const rejected = spine.run('fixture.weekly', { params: { week_ending: 'last friday', tier: 'OTCQX', top: 0 } });
    await expect(rejected).rejects.toThrow(SpineValidationError);
    const error = (await rejected.catch((e: unknown) => e)) as SpineValidationError;
    expect(error.violations.map((v) => v.field)).toEqual(['week_ending', 'tier', 'top']);
    expect(error.message).toContain('Invalid params for workflow "fixture.weekly" (3 fields); no run was started:');
    expect(error.message).toContain('tier: tier must be one of the following values: NMS Tier 1, NMS Tier 2, OTC');
    expect(error.message).toContain('top: top must not be less than 1');
    expect(await spine.listRuns({})).toEqual([]);
  });
});
