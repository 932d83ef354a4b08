import 'reflect-metadata';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaStep, Spine, StepResult, Workflow, type WorkflowContext } from 'spine-orchestration';
import { mysqlOptions } from '../../src/persistence';
import { createTestDatabase, serverDrivers, storedJson } from '../support/databases';

const world = { locked: true, loads: 0 };

@Workflow({ name: 'durable.weekly', defaults: { tier: 'OTC' } })
class DurableWeekly {
  @LambdaStep() fetch(ctx: WorkflowContext) {
    return { rows: 3, tier: ctx.getParam('tier') };
  }
  @LambdaStep() load(ctx: WorkflowContext) {
    world.loads++;
    return world.locked ? StepResult.fail('table locked') : { loaded: ctx.getOutput('fetch', 'rows') };
  }
}

describe('Spine on a database', () => {
  it('uses the embedded SQLite file .spine/spine.db under cwd by default, and a restarted Spine resumes the run', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'spine-app-'));
    try {
      world.locked = true;
      world.loads = 0;
      const first = await Spine.create({ cwd, workflows: [DurableWeekly], recoverOnStart: false });
      expect(existsSync(join(cwd, '.spine', 'spine.db'))).toBe(true);
      const definitions = (await first.dataSource!.query('SELECT name, version, spec, spec_hash FROM core_workflows')) as { name: string; spec: string; spec_hash: string }[];
      expect(definitions.map((d) => d.name)).toEqual(['durable.weekly']);
      expect(storedJson(definitions[0]!.spec)).toMatchObject({ name: 'durable.weekly', steps: [{ name: 'fetch' }, { name: 'load' }] });
      const failed = await first.run('durable.weekly');
      expect(failed.status).toBe('failed');
      await first.close();

      world.locked = false;
      const second = await Spine.create({ cwd, workflows: [DurableWeekly] });
      const [listed] = await second.listRuns({ workflow: 'durable.weekly' });
      expect(listed).toMatchObject({ runId: failed.runId, status: 'failed', errorStep: 'load', error: 'table locked' });
      const resumed = await second.resume(failed.runId);
      expect(resumed.status).toBe('completed');
      expect(resumed.context.getOutput('load')).toEqual({ loaded: 3 });
      expect(world.loads).toBe(2);
      await second.close();
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('recovers at start-up a run whose process died (its lease expired) and cancels runs by id', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'spine-app-'));
    try {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let hang = true;
      @Workflow({ name: 'durable.hangs' })
      class Hangs {
        @LambdaStep() first() {
          return { first: true };
        }
        @LambdaStep() async second() {
          if (hang) await gate;
          return { second: true };
        }
      }
      const dying = await Spine.create({ cwd, workflows: [Hangs], lease: { durationMs: 150, heartbeatMs: 60_000 }, recoverOnStart: false });
      const orphan = dying.run('durable.hangs');
      await new Promise((r) => setTimeout(r, 250));
      hang = false;

      const infos: string[] = [];
      const survivor = await Spine.create({ cwd, workflows: [Hangs, DurableWeekly], logger: { warn: (_f, m) => infos.push(m), info: (_f, m) => infos.push(m) } });
      for (let i = 0; i < 100 && infos.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(infos).toEqual([expect.stringMatching(/recovered run .* of durable.hangs: completed/)]);
      const [run] = await survivor.listRuns({ workflow: 'durable.hangs' });
      expect(run).toMatchObject({ status: 'completed', completedSteps: 2 });

      release();
      await expect(orphan).rejects.toThrow(/was claimed by another execution at epoch 2 \(the run is completed by now\) while this one \(epoch 1, owner .*\) had not renewed its lease/);
      await dying.close();

      world.locked = true;
      const failed = await survivor.run('durable.weekly');
      expect((await survivor.cancel(failed.runId)).status).toBe('cancelled');
      await survivor.close();
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe.each(serverDrivers())('Spine on a database server (%s)', (driver) => {
  it('runs given DataSourceOptions or a URL, migrating at start-up', async () => {
    const db = await createTestDatabase(driver);
    try {
      const url = (db.dataSource.options as { url: string }).url;
      await db.dataSource.destroy();
      // PostgreSQL by its URL (postgresql:// as well as postgres://), MariaDB by its options
      const database = driver === 'postgres' ? url.replace(/^postgres:/, 'postgresql:') : mysqlOptions(url);
      const spine = await Spine.create({ database, workflows: [DurableWeekly] });
      world.locked = false;
      const result = await spine.run('durable.weekly', { params: { tier: 'NMS Tier 1' } });
      expect((await spine.getRun(result.runId))?.status).toBe('completed');
      expect((await spine.getRunSteps(result.runId)).map((s) => s.stepName)).toEqual(['fetch', 'load']);
      await spine.close();
    } finally {
      await db.drop();
    }
  });

  it('says to create a database the server does not have (spine makes its tables, not the database), without the password', async () => {
    const server = driver === 'postgres' ? process.env.SPINE_TEST_POSTGRES_URL! : process.env.SPINE_TEST_MYSQL_URL!;
    const url = `${server.replace(/\/[^/]*$/, '')}/spine_no_such_database`;
    await expect(Spine.create({ database: url, workflows: [DurableWeekly] })).rejects.toThrow(
      /could not be opened or migrated: .*spine_no_such_database.* — create it first \(.*CREATE DATABASE <name>.*\); spine creates its tables in it, not the database itself\./,
    );
    await expect(Spine.create({ database: url, workflows: [DurableWeekly] })).rejects.not.toThrow(/spine:spine@/);
  });
});
