import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryRunStore, Spine, Step, Workflow, workflowHash, type RunEvent, type SpineLogger, type WorkflowDefinition } from 'spine-orchestration';
import { FakeClock } from 'spine-orchestration/testing';
import { resolveAppVersion } from '../../../src/spine/spine.deploys';
import { until } from '../../support/polling';
import { newRun } from '../../fixtures/records';
import { useSpines } from '../../support/spines';

/** Which version's code ran which step, in order. */
let ran: string[] = [];
let failB = false;
const step = (version: number, name: string) =>
  Step.lambda(name, () => {
    ran.push(`v${version}:${name}`);
    if (name === 'b' && failB) throw new Error('b is down');
    return { [name]: version };
  });
/** Version 1: a, b, c. Version 2: a, b, c, d (a step added at the end). */
const v1 = (queue = 'deploys') => Workflow.define({ name: 'deploy.wf', version: 1, queue, steps: [step(1, 'a'), step(1, 'b'), step(1, 'c')] });
const v2 = (options: { queue?: string; continue?: boolean } = {}) =>
  Workflow.define({
    name: 'deploy.wf',
    version: 2,
    queue: options.queue ?? 'deploys',
    ...(options.continue === true && { onDefinitionChange: 'continue' as const }),
    steps: [step(2, 'a'), step(2, 'b'), step(2, 'c'), step(2, 'd')],
  });

function recordingLogger(): SpineLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warn: (_fields: unknown, message?: string) => void warnings.push(String(message)), error: () => undefined } as SpineLogger & { warnings: string[] };
}

/** A run of `definition` whose process died inside step b: step a recorded, its lease expired an hour ago. */
async function orphanedRun(store: InMemoryRunStore, clock: FakeClock, definition: WorkflowDefinition): Promise<string> {
  const runId = `orphan-${Math.random().toString(36).slice(2)}`;
  const started = new Date(clock.now() - 3_600_000);
  await store.createRun(
    newRun({
      runId,
      workflowName: definition.name,
      workflowVersion: definition.version,
      workflowHash: workflowHash(definition),
      totalSteps: definition.steps.length,
      startedAt: started,
      leaseOwner: 'dead-process',
      leaseExpiresAt: new Date(started.getTime() + 30_000),
      appVersion: '1.0.0',
    }),
  );
  const fence = { runId, epoch: 1, owner: 'dead-process' };
  await store.recordStep(
    {
      runId,
      stepName: 'a',
      stepType: 'lambda',
      iteration: 1,
      attempt: 1,
      status: 'completed',
      idempotencyKey: `${runId}:a:1`,
      startedAt: started,
      finishedAt: started,
      durationMs: 1,
      output: { a: 1 },
      contextUpdates: null,
      error: null,
      errorCategory: null,
      quality: null,
      nextStep: null,
    },
    { fence, status: 'running', executedSteps: 1, completedSteps: 1, failedSteps: 0, skippedSteps: 0, lastCompletedStep: 'a', countersDue: true, snapshot: null },
  );
  return runId;
}

describe('deploys with runs in flight', () => {
  const { create } = useSpines();
  beforeEach(() => {
    ran = [];
    failB = false;
  });

  describe('several versions of one workflow side by side', () => {
    it('new runs start on the highest version, or the one named; a run continues on the version it started with', async () => {
      const store = new InMemoryRunStore();
      const spine = await create({ store, workflows: [v1(), v2()], appVersion: '2.0.0' });
      expect(spine.workflows().map((w) => [w.name, w.version])).toEqual([['deploy.wf', 2]]);
      const newest = await spine.run('deploy.wf');
      expect(ran).toEqual(['v2:a', 'v2:b', 'v2:c', 'v2:d']);
      expect(await spine.getRun(newest.runId)).toMatchObject({ workflowVersion: 2, appVersion: '2.0.0' });
      ran = [];
      failB = true;
      const old = await spine.run('deploy.wf', { version: 1 });
      expect(old.status).toBe('failed');
      failB = false;
      expect((await spine.resume(old.runId)).status).toBe('completed');
      expect(ran).toEqual(['v1:a', 'v1:b', 'v1:b', 'v1:c']);
      await expect(spine.run('deploy.wf', { version: 3 })).rejects.toThrow(/Workflow "deploy.wf" has no registered version 3; registered: 2, 1/);
    });

    it('checks a version and onDefinitionChange, naming the bad value', () => {
      const steps = [Step.lambda('x', () => ({}))];
      expect(() => Workflow.define({ name: 'v', version: 0, steps })).toThrow(/version must be a whole number from 1 to 1000000 \(got 0\)/);
      expect(() => Workflow.define({ name: 'v', version: 1.5, steps })).toThrow(/version must be a whole number/);
      expect(() => Workflow.define({ name: 'v', onDefinitionChange: 'sometimes' as never, steps })).toThrow(/onDefinitionChange must be 'pin' or 'continue' \(got "sometimes"\)/);
      expect(Workflow.define({ name: 'v', steps }).onDefinitionChange).toBe('pin');
    });

    it('refuses two different definitions of one version, naming both', async () => {
      const other = Workflow.define({ name: 'deploy.wf', version: 1, steps: [Step.lambda('x', () => ({}))] });
      await expect(Spine.create({ database: 'memory', workflows: [v1(), other], recoverOnStart: false })).rejects.toThrow(
        /workflow "deploy.wf" version 1 is claimed by both a workflow definition and a workflow definition; give each workflow its own name, or each version of one workflow its own version number/,
      );
    });
  });

  describe('no run stranded in silence (a process died inside b; the next deploy added step d)', () => {
    it('a process holding only version 2 leaves the run alone, reports it stranded with its reason and logs the fix once; one holding version 1 finishes it on version 1', async () => {
      const store = new InMemoryRunStore();
      const clock = new FakeClock({ start: new Date('2026-06-01T12:00:00Z'), autoAdvance: false });
      const runId = await orphanedRun(store, clock, v1());
      const logger = recordingLogger();
      const newer = await create({ store, clock, workflows: [v2()], logger, recoverOnStart: true });
      expect(await newer.recover()).toEqual([]);
      const [stranded, ...rest] = await newer.strandedRuns();
      expect(rest).toEqual([]);
      expect(stranded).toMatchObject({ runId, workflowName: 'deploy.wf', version: 1, hash: workflowHash(v1()), appVersion: '1.0.0', status: 'running' });
      expect(stranded!.reason).toMatch(/no live process holds version 1 \(definition [0-9a-f]{12}\) of "deploy.wf" \(build 1.0.0\).*This process holds version 2/);
      await until(async () => logger.warnings.some((w) => w.includes(runId)), 2_000);
      expect(logger.warnings.filter((w) => w.includes(runId))).toEqual([expect.stringMatching(/is stranded \(running, since .*spine migrate-runs deploy.wf --from 1 --dry-run/)]);
      expect(await newer.getRun(runId)).toMatchObject({ status: 'running', leaseOwner: 'dead-process' });
      // the old version registered beside the new one: the run finishes on version 1
      const both = await create({ store, clock, workflows: [v1(), v2()] });
      const [recovered] = await both.recover();
      expect(recovered).toMatchObject({ runId, status: 'completed', completedSteps: ['a', 'b', 'c'] });
      expect(ran).toEqual(['v1:b', 'v1:c']);
      expect(await newer.strandedRuns()).toEqual([]);
    });

    it('strandedAfterMs holds the report back while a process held the definition recently; 0 reports at once', async () => {
      const store = new InMemoryRunStore();
      const clock = new FakeClock({ start: new Date('2026-06-01T12:00:00Z'), autoAdvance: false });
      const runId = await orphanedRun(store, clock, v1());
      await store.markHeld([workflowHash(v1())], new Date(clock.now() - 10_000)); // a v1 process was alive 10 s ago
      const newer = await create({ store, clock, workflows: [v2()] });
      expect(await newer.strandedRuns()).toEqual([]);
      clock.advance(50_001);
      expect((await newer.strandedRuns()).map((s) => [s.runId, s.since.toISOString()])).toEqual([[runId, new Date(clock.now() - 60_001).toISOString()]]);
      const eager = await create({ store, clock, workflows: [v2()], strandedAfterMs: 0 });
      expect(await eager.strandedRuns({ maxAgeMs: 10_000 })).toHaveLength(1);
      // an answer at most maxAgeMs old is reused (the console's pages); without it, read afresh
      await eager.cancel(runId);
      expect(await eager.strandedRuns({ maxAgeMs: 10_000 })).toHaveLength(1);
      clock.advance(10_001);
      expect(await eager.strandedRuns({ maxAgeMs: 10_000 })).toEqual([]);
      expect(await eager.strandedRuns()).toEqual([]);
      await expect(Spine.create({ database: 'memory', workflows: [v2()], strandedAfterMs: -1 })).rejects.toThrow(/strandedAfterMs must be a number ≥ 0/);
    });

    it("onDefinitionChange 'continue': the run continues on version 2 by step name (a kept, b re-run, d new) and is moved to it", async () => {
      const store = new InMemoryRunStore();
      const clock = new FakeClock({ start: new Date('2026-06-01T12:00:00Z'), autoAdvance: false });
      const runId = await orphanedRun(store, clock, v1());
      const events: RunEvent[] = [];
      const newer = await create({ store, clock, workflows: [v2({ continue: true })], onEvent: (e) => void events.push(e) });
      const [recovered] = await newer.recover();
      expect(recovered).toMatchObject({ runId, status: 'completed', completedSteps: ['a', 'b', 'c', 'd'] });
      expect(ran).toEqual(['v2:b', 'v2:c', 'v2:d']);
      expect(await newer.getRun(runId)).toMatchObject({ workflowVersion: 2, workflowHash: workflowHash(v2({ continue: true })) });
      expect(events.find((e) => e.type === 'run_migrated')).toMatchObject({ by: 'continue', from: { version: 1, hash: workflowHash(v1()) }, to: { version: 2 } });
      expect((await newer.listRunEvents(runId)).map((e) => e.type)).toContain('run_migrated');
      expect(await newer.strandedRuns()).toEqual([]);
    });
  });

  describe('claims respect versions', () => {
    it('a worker holding only version 2 never takes a queued version-1 run; a worker holding version 1 does, and new runs go to version 2', async () => {
      const store = new InMemoryRunStore();
      const producer = await create({ store, workflows: [v1(), v2()] });
      const { runId: old } = await producer.enqueue('deploy.wf', { version: 1 });
      const newWorker = await create({ store, workflows: [v2()], worker: { queues: ['deploys'], pollIntervalMs: 5 } });
      const { runId: fresh } = await producer.enqueue('deploy.wf');
      expect(await producer.waitForResult(fresh, { timeoutMs: 5_000 })).toMatchObject({ status: 'completed', completedSteps: ['a', 'b', 'c', 'd'] });
      await until(async () => (await newWorker.listWorkers()).some((w) => w.definitions.hashes.includes(workflowHash(v2()))), 2_000);
      expect(await producer.getRun(old)).toMatchObject({ status: 'queued', leaseEpoch: 0 });
      await create({ store, workflows: [v1()], worker: { queues: ['deploys'], pollIntervalMs: 5 } });
      expect(await producer.waitForResult(old, { timeoutMs: 5_000 })).toMatchObject({ status: 'completed', completedSteps: ['a', 'b', 'c'] });
      expect(ran.filter((r) => r.startsWith('v1'))).toEqual(['v1:a', 'v1:b', 'v1:c']);
    });
  });

  describe('moving runs on, deliberately', () => {
    it('migrateRuns reports per run what is kept, re-run and skipped; a dry run changes nothing; then it moves them, renaming steps, and a second pass finds none', async () => {
      const store = new InMemoryRunStore();
      failB = true;
      const old = await create({ store, workflows: [v1()] });
      const failed = await old.run('deploy.wf');
      expect(failed.status).toBe('failed');
      failB = false;
      // version 2 renames b to load, inserts check before it and adds d at the end; c is gone
      const renamed = Workflow.define({ name: 'deploy.wf', version: 2, steps: [step(2, 'a'), step(2, 'check'), step(2, 'load'), step(2, 'd')] });
      const newer = await create({ store, workflows: [renamed] });
      await expect(newer.resume(failed.runId)).rejects.toMatchObject({ kind: 'definition-changed' });
      const plan = await newer.migrateRuns('deploy.wf', { from: 1, steps: { b: 'load', c: null }, dryRun: true });
      expect(plan).toMatchObject({ workflow: 'deploy.wf', from: 1, to: 2, dryRun: true, moved: 0, left: 1 });
      expect(plan.runs).toEqual([
        expect.objectContaining({
          runId: failed.runId,
          status: 'failed',
          kept: ['a'],
          rerun: 'load',
          runs: ['load', 'd'],
          skipped: ['check'],
          removed: [],
          renames: { b: 'load' },
          moved: false,
          problem: null,
        }),
      ]);
      expect(await newer.getRun(failed.runId)).toMatchObject({ workflowVersion: 1 });
      const done = await newer.migrateRuns('deploy.wf', { from: 1, steps: { b: 'load', c: null } });
      expect(done).toMatchObject({ moved: 1, left: 0 });
      expect(await newer.getRun(failed.runId)).toMatchObject({ workflowVersion: 2, workflowHash: workflowHash(renamed), totalSteps: 4 });
      expect((await newer.getRunSteps(failed.runId)).map((s) => `${s.stepName}:${s.status}`)).toEqual(['a:completed', 'load:failed']);
      expect(await newer.migrateRuns('deploy.wf', { from: 1 })).toMatchObject({ runs: [], moved: 0 });
      ran = [];
      expect(await newer.resume(failed.runId)).toMatchObject({ status: 'completed', completedSteps: ['a', 'load', 'd'] });
      expect(ran).toEqual(['v2:load', 'v2:d']);
    });

    it('refuses a mapping that names no step of the new version, maps two steps to one, or drops a step the new version has', async () => {
      const spine = await create({ store: new InMemoryRunStore(), workflows: [v2()] });
      await expect(spine.migrateRuns('deploy.wf', { from: 1, steps: { b: 'nope' } })).rejects.toThrow(/"b" maps to "nope", which is not a step of version 2 \(steps: a, b, c, d\)/);
      await expect(spine.migrateRuns('deploy.wf', { from: 1, steps: { x: 'a', y: 'a' } })).rejects.toThrow(/"x" and "y" both map to "a"/);
      await expect(spine.migrateRuns('deploy.wf', { from: 1, steps: { b: null } })).rejects.toThrow(/"b" is a step of version 2 too/);
      await expect(spine.migrateRuns('deploy.wf', { from: 0 })).rejects.toThrow(/from must be a version number ≥ 1/);
      await expect(spine.migrateRuns('deploy.wf', { from: 1, to: 7 })).rejects.toThrow(/version 7 of "deploy.wf" is not registered here/);
      await expect(spine.migrateRuns('nope', { from: 1 })).rejects.toMatchObject({ kind: 'unknown-workflow' });
    });

    it('leaves a run a live process holds, saying so; moves it once the lease is gone', async () => {
      const store = new InMemoryRunStore();
      const clock = new FakeClock({ start: new Date('2026-06-01T12:00:00Z'), autoAdvance: false });
      const runId = await orphanedRun(store, clock, v1());
      await store.claimRun(runId, { owner: 'busy', expiresAt: new Date(clock.now() + 60_000) }, new Date(clock.now()));
      const newer = await create({ store, clock, workflows: [v2()] });
      const first = await newer.migrateRuns('deploy.wf', { from: 1 });
      expect(first.runs).toEqual([expect.objectContaining({ runId, moved: false, problem: expect.stringMatching(/^held by busy until .*run the migration again/) })]);
      clock.advance(60_001);
      expect(await newer.migrateRuns('deploy.wf', { from: 1 })).toMatchObject({ moved: 1 });
      expect(await newer.getRun(runId)).toMatchObject({ workflowVersion: 2, leaseEpoch: 3 });
    });

    it("moves a parked parent's unfinished distributed items to the new iterator with it", async () => {
      const store = new InMemoryRunStore();
      const item = (version: number) =>
        Workflow.define({ name: 'deploy.item', version, steps: [Step.lambda('square', (ctx) => (ran.push(`item v${version}`), { sq: Number(ctx.getParam('item')) ** 2 }))] });
      const parent = (version: number) =>
        Workflow.define({ name: 'deploy.parent', version, steps: [Step.map('fan', { items: [1, 2, 3], iterator: 'deploy.item', distribute: 'deploy-items' }), step(version, 'after')] });
      const old = await create({ store, workflows: [parent(1), item(1)], worker: { queues: ['default'], pollIntervalMs: 5, parkAfterMs: 0 } });
      const { runId } = await old.enqueue('deploy.parent');
      await until(async () => (await old.getRun(runId))?.status === 'waiting', 5_000);
      await old.close();
      const newer = await create({ store, workflows: [parent(2), item(2)] });
      const moved = await newer.migrateRuns('deploy.parent', { from: 1 });
      expect(moved.runs).toEqual([expect.objectContaining({ runId, moved: true, itemsMoved: 3, kept: [], runs: ['fan', 'after'] })]);
      const worker = await create({ store, workflows: [parent(2), item(2)], worker: { queues: ['default', 'deploy-items'], pollIntervalMs: 5 } });
      expect(await worker.waitForResult(runId, { timeoutMs: 5_000 })).toMatchObject({ status: 'completed' });
      expect(ran.filter((r) => r.startsWith('item')).sort()).toEqual(['item v2', 'item v2', 'item v2']);
    });
  });

  describe('the application build (appVersion)', () => {
    it('is the option, else SPINE_APP_VERSION, else the nearest package.json version, else none', () => {
      const root = mkdtempSync(join(tmpdir(), 'spine-appversion-'));
      const nested = join(root, 'dist', 'jobs');
      mkdirSync(nested, { recursive: true });
      expect(resolveAppVersion(undefined, {}, nested)).toBeNull();
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'app', version: '3.4.5' }));
      expect(resolveAppVersion(undefined, {}, nested)).toBe('3.4.5');
      expect(resolveAppVersion(undefined, { SPINE_APP_VERSION: 'build-77' }, nested)).toBe('build-77');
      expect(resolveAppVersion('given', { SPINE_APP_VERSION: 'build-77' }, nested)).toBe('given');
      expect(resolveAppVersion(null, { SPINE_APP_VERSION: 'build-77' }, nested)).toBeNull();
    });
  });
});
