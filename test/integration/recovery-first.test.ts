import { InMemoryRunStore, type RunStore } from 'spine-orchestration';
import { TypeOrmRunStore } from '../../src/persistence';
import { newRun } from '../fixtures/records';
import { testDrivers, useTestDatabase, type TestDatabase } from '../support/databases';

jest.setTimeout(60_000);

const BACKLOG = 300;
const LEASE_MS = 30_000;

describe.each(['memory', ...testDrivers()] as const)('recovery before backlog (%s)', (driver) => {
  const database: (() => TestDatabase) | null = driver === 'memory' ? null : useTestDatabase(driver);
  const storeOf = (): RunStore => (database === null ? new InMemoryRunStore() : new TypeOrmRunStore(database().dataSource));

  it(`claims a run whose execution was lost before ${BACKLOG} older queued runs of a higher priority`, async () => {
    const store = storeOf();
    const queue = `recovery-${driver}`;
    const t0 = Date.parse('2026-12-01T00:00:00Z');
    const claim = (owner: string, now: number, max = 1) =>
      store.claimQueued!({ owner, queues: [{ name: queue, limits: {} }], max, now: new Date(now), leaseExpiresAt: new Date(now + LEASE_MS), held: { hashes: [], anyOf: ['recovery.wf'] } });
    // the run that will be orphaned: enqueued first and claimed by a worker that then dies
    await store.createRun({
      ...newRun({ runId: `${queue}-victim`, workflowName: 'recovery.wf', startedAt: new Date(t0) }),
      enqueue: { queue, priority: 5, concurrencyKey: null, notBefore: new Date(t0) },
    });
    const [taken] = await claim('dead-worker', t0);
    expect(taken!.run.runId).toBe(`${queue}-victim`);
    // a backlog queued meanwhile, due long before the victim's lease ran out, and of a better priority
    const backlog = Array.from({ length: BACKLOG }, (_, i) => ({
      ...newRun({ runId: `${queue}-backlog-${String(i).padStart(4, '0')}`, workflowName: 'recovery.wf', startedAt: new Date(t0 + 1_000 + i) }),
      fence: null,
      enqueue: { queue, priority: 0, concurrencyKey: null, notBefore: new Date(t0 + 1_000 + i) },
    }));
    if (driver === 'memory') for (const run of backlog) await store.createRun(run);
    else await store.enqueueRuns!(backlog, null);
    // the first claim after the lease expired takes the orphan, first, however long the backlog
    const after = t0 + LEASE_MS + 1;
    const first = await claim('live-worker', after, 3);
    expect(first.map((c) => [c.run.runId, c.lost])).toEqual([
      [`${queue}-victim`, true],
      [`${queue}-backlog-0000`, false],
      [`${queue}-backlog-0001`, false],
    ]);
    expect(first[0]!.run.leaseEpoch).toBe(2);
  });
});
