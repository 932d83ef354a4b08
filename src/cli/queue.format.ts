import type { QueueStats, WorkerRecord } from '../core/store/records/queue-record';
import { formatDuration, table } from './run.format';

/** How long ago `at` was: "4.2 s", "3 min 05 s". */
const age = (at: Date, now: Date): string => formatDuration(Math.max(0, now.getTime() - at.getTime()));

/** One row per queue, then its concurrency keys with running or queued runs. */
export function formatQueues(stats: readonly QueueStats[], now: Date): string {
  const rows: string[][] = [];
  for (const q of stats) {
    rows.push([q.queue, `${q.queued}${q.due < q.queued ? ` (${q.due} due)` : ''}`, String(q.running), String(q.waiting), q.oldestQueuedAt === null ? '-' : age(q.oldestQueuedAt, now)]);
    for (const k of q.keys) rows.push([`  key ${k.key}`, String(k.queued), String(k.running), '', '']);
  }
  const unserved = stats.flatMap((q) => q.unserved.map((u) => [q.queue, u.workflow, String(u.count), age(u.oldestQueuedAt, now)]));
  const warning =
    unserved.length === 0
      ? ''
      : '\n\nQueued runs that no live worker can take (none serving the queue has their workflow registered):\n' +
        table(['queue', 'workflow', 'queued', 'oldest queued'], unserved) +
        `\nStart a worker of the application that defines them: spine worker ${[...new Set(unserved.map((u) => u[0]))].map((q) => `--queue ${q}`).join(' ')}`;
  return (
    table(['queue', 'queued', 'running', 'waiting', 'oldest queued'], rows) +
    '\n\nqueued: not started (due: may start now) · running: holding a live lease · waiting: parked in a wait or a distributed map, or left by a stopped worker' +
    warning
  );
}

/** One row per worker: where it runs, what it serves, how busy, how fresh its heartbeat. */
export function formatWorkers(workers: readonly WorkerRecord[], now: Date): string {
  return table(
    ['worker', 'host', 'pid', 'queues', 'running', 'heartbeat'],
    workers.map((w) => [w.workerId, w.hostname, String(w.pid), w.queues.join(','), `${w.running}/${w.concurrency}`, `${age(w.heartbeatAt, now)} ago`]),
  );
}
