import { randomBytes } from 'node:crypto';
import type { Wakeup } from '../core/store/ports/wakeups.port';
import { WakeBus } from '../core/store/wake-bus';
import type { PgPool } from './postgres.client';

/** The channel every spine process on a database listens on. */
export const WAKEUP_CHANNEL = 'spine_wakeup';
/** A NOTIFY payload stays under PostgreSQL's 8,000 bytes. */
const PAYLOAD_BYTES = 7_500;
/** How often an idle listener checks that its connection still answers (a dead server is found within this). */
const PING_MS = 30_000;
/** Reconnection waits, growing to the last. */
const RECONNECT_MS = [100, 500, 2_000, 5_000];

/** A pg `Client` as the listener uses it. */
interface PgListenClient {
  connect(): Promise<void>;
  query(sql: string, values?: unknown[]): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): void;
  on(event: 'error' | 'end', listener: (error?: Error) => void): void;
  removeAllListeners(): void;
  readonly connection?: { readonly stream?: { unref?(): void } };
}
type PgClientClass = new (config: object) => PgListenClient;

/** A wake-up on the wire: short keys, so a batch fits a payload. */
type Wire = readonly [kind: 'q' | 's' | 'f' | 'c' | 'S', key: string | null];

function toWire(wakeup: Wakeup): Wire {
  switch (wakeup.kind) {
    case 'queue':
      return ['q', wakeup.queue];
    case 'signal':
      return ['s', wakeup.runId];
    case 'finished':
      return ['f', wakeup.runId];
    case 'cancel':
      return ['c', wakeup.runId];
    case 'schedules':
      return ['S', null];
  }
}

function fromWire([kind, key]: Wire): Wakeup | null {
  if (kind === 'q') return { kind: 'queue', queue: key };
  if (kind === 'S') return { kind: 'schedules' };
  if (typeof key !== 'string') return null;
  if (kind === 's') return { kind: 'signal', runId: key };
  if (kind === 'f') return { kind: 'finished', runId: key };
  if (kind === 'c') return { kind: 'cancel', runId: key };
  return null;
}

/**
 * Wake-ups across processes on PostgreSQL. Every wake-up a write of this process gives is
 * emitted here at once and sent to the other processes with `NOTIFY` (batched per tick, after
 * the write committed); while anyone in this process listens, a dedicated connection (not one of
 * the pool's) does `LISTEN` and hands other processes' wake-ups to the listeners. That connection
 * is re-established when it drops (with a warning, and one more when it is back); meanwhile the
 * waiters poll as they always do. It never keeps the process alive.
 */
export class PostgresWakeups extends WakeBus {
  override readonly crossProcess = true;
  /** This process's mark on its payloads: its own notifications, echoed back, are not emitted twice. */
  private readonly origin = randomBytes(6).toString('base64url');
  private outbox: Wire[] = [];
  private flushing = false;
  private client: PgListenClient | null = null;
  private connecting: Promise<void> | null = null;
  private ping: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly pool: PgPool,
    private readonly Client: PgClientClass,
    private readonly warn: (message: string) => void,
  ) {
    super();
  }

  override emit(wakeup: Wakeup): void {
    super.emit(wakeup);
    if (this.closed) return;
    this.outbox.push(toWire(wakeup));
    if (!this.flushing) {
      this.flushing = true;
      process.nextTick(() => void this.flush());
    }
  }

  /** Sends what the writes of this tick gave, in as few NOTIFYs as fit. A failed send is dropped: the others poll. */
  private async flush(): Promise<void> {
    const wires = this.outbox;
    this.outbox = [];
    this.flushing = false;
    const unique = [...new Map(wires.map((w) => [`${w[0]}\u0000${w[1] ?? ''}`, w])).values()];
    const payloads: string[] = [];
    let batch: Wire[] = [];
    for (const wire of unique) {
      batch.push(wire);
      if (JSON.stringify({ o: this.origin, w: batch }).length > PAYLOAD_BYTES && batch.length > 1) {
        batch.pop();
        payloads.push(JSON.stringify({ o: this.origin, w: batch }));
        batch = [wire];
      }
    }
    if (batch.length > 0) payloads.push(JSON.stringify({ o: this.origin, w: batch }));
    for (const payload of payloads) {
      if (payload.length > PAYLOAD_BYTES) continue; // one wake-up longer than a payload (a huge run id): polling finds it
      await this.pool.query({ text: 'SELECT pg_notify($1, $2)', values: [WAKEUP_CHANNEL, payload] }).catch(() => undefined);
    }
  }

  protected override firstListener(): void {
    if (this.retry !== null) return;
    void this.connect();
  }

  protected override lastListenerGone(): void {
    this.disconnect();
  }

  private connect(): Promise<void> {
    if (this.closed || this.client !== null) return Promise.resolve();
    if (this.connecting !== null) return this.connecting;
    const client = new this.Client({ ...this.pool.options, keepAlive: true });
    this.connecting = (async () => {
      client.on('notification', (message) => this.receive(message.payload));
      client.on('error', (error) => this.lost(client, error));
      client.on('end', () => this.lost(client));
      await client.connect();
      client.connection?.stream?.unref?.();
      await client.query(`LISTEN ${WAKEUP_CHANNEL}`);
      if (this.closed || !this.listening) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      if (this.failures > 0) this.warn(`PostgreSQL wake-ups: listening again on "${WAKEUP_CHANNEL}" (after ${this.failures} failed attempt${this.failures === 1 ? '' : 's'}).`);
      this.failures = 0;
      this.ping = setInterval(() => void client.query('SELECT 1').catch((error: Error) => this.lost(client, error)), PING_MS);
      this.ping.unref();
    })()
      .catch((error: unknown) => this.lost(client, error as Error))
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  /** The listening connection failed or ended: said once per outage, then tried again, waiting longer each time. */
  private lost(client: PgListenClient, error?: Error): void {
    if (this.client !== null && this.client !== client) return;
    this.client = null;
    if (this.ping !== null) clearInterval(this.ping);
    this.ping = null;
    client.removeAllListeners();
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.closed || !this.listening) return;
    if (this.failures === 0) {
      this.warn(
        `PostgreSQL wake-ups: the listening connection was lost${error === undefined ? '' : ` (${error.message})`}; ` +
          'runs, signals and results are found by polling until it is back. Reconnecting.',
      );
    }
    const wait = RECONNECT_MS[Math.min(this.failures, RECONNECT_MS.length - 1)]!;
    this.failures++;
    if (this.retry !== null) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, wait);
    this.retry.unref();
  }

  private receive(payload: string | undefined): void {
    if (payload === undefined) return;
    let message: { o?: unknown; w?: unknown };
    try {
      message = JSON.parse(payload) as { o?: unknown; w?: unknown };
    } catch {
      return; // not ours
    }
    if (message.o === this.origin || !Array.isArray(message.w)) return;
    for (const wire of message.w as Wire[]) {
      const wakeup = Array.isArray(wire) ? fromWire(wire) : null;
      if (wakeup !== null) super.emit(wakeup);
    }
  }

  private disconnect(): void {
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    if (this.ping !== null) clearInterval(this.ping);
    this.ping = null;
    const client = this.client;
    this.client = null;
    if (client !== null) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
    }
  }

  /** True while the listening connection is up (for tests and `spine doctor`). */
  get connected(): boolean {
    return this.client !== null;
  }

  /** Stops listening and sending (the store's DataSource is closing). */
  override async close(): Promise<void> {
    this.closed = true;
    this.disconnect();
    await this.connecting?.catch(() => undefined);
  }
}
