import { LeaseLostError } from '../core/errors/spine-error';
import type { ScheduleState } from '../core/schedule/schedule';
import type { ScheduleRegistration } from '../core/schedule/schedule';
import type { Fence } from '../core/store/records/run-record';
import type { FireOutcome, FireRecord, NewRun, ScheduleFireWrite } from '../core/store/records/store-writes';
import type { SignalRecord } from '../core/store/records/signal-record';
import { toSqlDatetime } from './json-codec';
import type { RunWriter, Statement } from './run.writer';
import { FIRES_BETWEEN, firePlan, fireFromRow, LATEST_FIRE, pausePlan, scheduleFromRow, signalFromRow, signalPlan } from './schedule.sql';
import type { DriverFamily } from './schema/column-types';
import { dialectOf, insertIgnoreTail } from './dialect';
import { TABLES } from './schema/entities';
import type { SqlClient } from './sql-client';
import type { StoredValues } from './stored-values';

/** Schedules, their fires and signals on TypeORM (both drivers): the store delegates to it. */
export class ScheduleRecords {
  constructor(
    private readonly sql: SqlClient,
    private readonly writer: RunWriter,
    private readonly family: DriverFamily,
    private readonly values: StoredValues,
    private readonly insertRun: (run: NewRun) => Statement,
    /** The store's clock (epoch ms). */
    private readonly now: () => number,
  ) {}

  async saveSchedules(schedules: readonly ScheduleRegistration[], now: Date): Promise<ScheduleState[]> {
    if (schedules.length === 0) return [];
    const at = toSqlDatetime(now);
    const dialect = dialectOf(this.family);
    const [verb, tail] = [dialect.insertIgnore[0], insertIgnoreTail(dialect, 'name')];
    for (const { name, workflow, paused, declaration } of schedules) {
      await this.sql.run(`${verb} INTO ${TABLES.schedules} (name, workflow, paused, fire_cursor, updated_at) VALUES (?, ?, ?, ?, ?)${tail}`, [
        name,
        workflow,
        this.family === 'sqlite' ? Number(paused) : paused,
        at,
        at,
      ]);
      // the declaration as this process has it (the one that started last is the one recorded)
      const { cron, timezone, calendar, catchUp, description } = declaration;
      await this.sql.run(`UPDATE ${TABLES.schedules} SET cron = ?, timezone = ?, calendar = ?, catch_up = ?, description = ? WHERE name = ?`, [cron, timezone, calendar, catchUp, description, name]);
    }
    const names = schedules.map((s) => s.name);
    const rows = await this.sql.all(`SELECT * FROM ${TABLES.schedules} WHERE name IN (${names.map(() => '?').join(', ')})`, names);
    const byName = new Map(rows.map((row) => [String(row.name), scheduleFromRow(row)]));
    return names.flatMap((name) => byName.get(name) ?? []);
  }

  async listScheduleStates(): Promise<ScheduleState[]> {
    return (await this.sql.all(`SELECT * FROM ${TABLES.schedules} ORDER BY name`)).map(scheduleFromRow);
  }

  setSchedulePaused(name: string, paused: boolean, now: Date): Promise<ScheduleState | null> {
    return this.writer.plan(() => pausePlan(name, paused, now, this.family));
  }

  async fireSchedule(fire: ScheduleFireWrite): Promise<FireOutcome> {
    await this.values.ready;
    const insert = fire.run === null ? null : this.insertRun(fire.run);
    return this.writer.plan(() => firePlan(fire, insert, this.family, this.now()));
  }

  async moveScheduleCursor(name: string, to: Date): Promise<void> {
    const at = toSqlDatetime(to);
    await this.sql.run(`UPDATE ${TABLES.schedules} SET fire_cursor = ?, updated_at = ? WHERE name = ? AND (fire_cursor IS NULL OR fire_cursor < ?)`, [at, toSqlDatetime(this.now()), name, at]);
  }

  async listFires(schedule: string, from: Date, to: Date): Promise<FireRecord[]> {
    return (await this.sql.all(FIRES_BETWEEN, [schedule, toSqlDatetime(from), toSqlDatetime(to)])).map(fireFromRow);
  }

  async latestFires(schedules: readonly string[]): Promise<FireRecord[]> {
    const fires: FireRecord[] = [];
    for (const name of schedules) fires.push(...(await this.sql.all(LATEST_FIRE, [name])).map(fireFromRow));
    return fires;
  }

  async sendSignal(runId: string, name: string, payload: unknown, now: Date, dedupeId: string | null): Promise<SignalRecord> {
    await this.values.ready;
    const text = this.values.json(payload ?? null, `the payload of signal "${name}"`);
    return this.writer.plan(() => signalPlan(runId, name, text, now, this.family, dedupeId));
  }

  async listSignals(runId: string): Promise<SignalRecord[]> {
    return (await this.sql.all(`SELECT * FROM ${TABLES.signals} WHERE run_id = ? ORDER BY id`, [runId])).map(signalFromRow);
  }

  async consumeSignal(runId: string, name: string, consumer: string, fence: Fence | null, now: Date): Promise<SignalRecord | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const rows = await this.sql.all(`SELECT * FROM ${TABLES.signals} WHERE run_id = ? AND name = ? AND (consumed_by IS NULL OR consumed_by = ?) ORDER BY id`, [runId, name, consumer]);
      const signals = rows.map(signalFromRow);
      const own = signals.find((s) => s.consumedBy === consumer);
      if (own !== undefined) return own;
      const next = signals[0];
      if (next === undefined) return null;
      const take: Statement = [`UPDATE ${TABLES.signals} SET consumed_by = ?, consumed_at = ? WHERE id = ? AND consumed_by IS NULL`, [consumer, toSqlDatetime(now), next.signalId]];
      let changed: number;
      if (fence === null) changed = await this.sql.run(...take);
      else {
        const outcome = await this.writer.fenced(fence, [take], false);
        if (!outcome.held) throw new LeaseLostError(runId, fence, outcome.holder);
        changed = outcome.changes[0] ?? 0;
      }
      if (changed === 1) return { ...next, consumedBy: consumer, consumedAt: now };
    }
    return null;
  }

  async wakeRun(runId: string, now: Date): Promise<void> {
    await this.sql.run(`UPDATE ${TABLES.runs} SET lease_expires_at = ? WHERE run_id = ? AND status = 'waiting' AND lease_owner IS NULL AND lease_expires_at > ?`, [
      toSqlDatetime(now),
      runId,
      toSqlDatetime(now),
    ]);
  }
}
