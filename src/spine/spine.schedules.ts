import { SpineError } from '../core/errors/spine-error';
import type { WorkflowDefinition } from '../core/definition/workflow-definition';
import type { WorkflowRunner } from '../core/runner/workflow-runner';
import { compileSchedule, fireParams, firesBetween, nextFires, recordedSchedule, type ScheduleDeclaration, type ScheduleDefinition, type ScheduleState } from '../core/schedule/schedule';
import { localDate, weekdayOf, type TradingCalendar } from '../core/schedule/trading-calendar';
import type { TriggerSource } from '../core/schedule/trigger';
import type { RunStatus } from '../core/store/records/run-record';
import type { FireOutcome, FireRecord, NewRun } from '../core/store/records/store-writes';
import { capabilityOf, type SpineStore } from '../core/store/ports/spine-store';
import type { ScheduleStore } from '../core/store/ports/schedule-store.port';
import { DecoratorMetadata } from '../decorators/decorator-metadata';
import type { WorkflowRegistry } from '../discovery/workflow.registry';
import { compileCron } from '../schedule/cron-times';
import type { SpineLogger } from './spine.options';

/** A schedule as `spine.listSchedules()` reports it. */
export interface ScheduleInfo {
  readonly name: string;
  readonly workflow: string;
  readonly cron: string;
  readonly timezone: string;
  readonly calendar: string | null;
  readonly catchUp: ScheduleDefinition['catchUp'];
  readonly paused: boolean;
  /** The next fire times (on open days of its calendar), soonest first. */
  readonly nextFireTimes: readonly Date[];
  /** Its newest fire and that run's status now (null: never fired). */
  readonly lastFire: FireRecord | null;
  readonly description: string | null;
  /**
   * False for a schedule another process declares (listed from the declaration the database
   * records; its next fire times are its cron's, before its calendar's closed days are left out):
   * it can be paused and resumed from here, fired and backfilled only where it is declared.
   */
  readonly declaredHere: boolean;
}

/** One fire time of a backfill and what it does for it. */
export interface BackfillEntry {
  readonly fireTime: Date;
  /** The fire's date in the schedule's time zone. */
  readonly localDate: string;
  /** 'enqueue': never fired (a new run); 'resume': its run failed, was cancelled or stopped (re-queued where it stopped); 'skip': nothing to do. */
  readonly action: 'enqueue' | 'resume' | 'skip';
  /** Why: 'missing', or the status of its run ('completed', 'running', …), or what prevents it. */
  readonly reason: string;
  /** The run it made, resumes or found (null for a dry run's new fire, or a fire without a run). */
  readonly runId: string | null;
}

/** What a backfill did (or, dry, would do). */
export interface BackfillResult {
  readonly schedule: string;
  readonly dryRun: boolean;
  readonly entries: readonly BackfillEntry[];
}

const FINISHED_UNSUCCESSFULLY: readonly RunStatus[] = ['failed', 'cancelled', 'stopped'];

/**
 * The schedules of a Spine: compiled from `Spine.create({ schedules })` and `@Schedule` classes,
 * registered on the store, fired by the scheduler of a worker (and by hand, by backfills).
 */
export class SpineSchedules {
  private constructor(
    readonly definitions: readonly ScheduleDefinition[],
    private readonly store: SpineStore,
    private readonly runner: WorkflowRunner,
    private readonly prepare: (workflow: string, params: Readonly<Record<string, unknown>>) => Promise<{ definition: WorkflowDefinition; params: Readonly<Record<string, unknown>> }>,
    private readonly logger: SpineLogger,
    private readonly enqueued: () => void,
  ) {}

  /** Compiles every declared schedule; problems (bad cron, unknown workflow or calendar, a name used twice) go to `problems`. */
  static compile(declared: readonly ScheduleDeclaration[], registry: WorkflowRegistry, calendars: Readonly<Record<string, TradingCalendar>>, problems: string[]): ScheduleDefinition[] {
    const all: ScheduleDeclaration[] = [...declared];
    // the newest version's schedules: an older version kept registered to drain its runs fires nothing
    for (const entry of registry.latest()) {
      if (entry.type === null) continue;
      for (const { cron, options } of DecoratorMetadata.schedules(entry.type)) all.push({ ...options, cron, workflow: entry.definition.name });
    }
    const compiled: ScheduleDefinition[] = [];
    const names = new Set<string>();
    for (const declaration of all) {
      try {
        const schedule = compileSchedule(declaration, compileCron, calendars);
        if (registry.get(schedule.workflow) === undefined) {
          problems.push(`schedule "${schedule.name}": workflow "${schedule.workflow}" is not registered`);
          continue;
        }
        if (names.has(schedule.name)) {
          problems.push(`schedule name "${schedule.name}" is used twice; give each schedule of a workflow its own name ({ name })`);
          continue;
        }
        names.add(schedule.name);
        compiled.push(schedule);
      } catch (error) {
        problems.push((error as Error).message.replace(/\.$/, ''));
      }
    }
    return compiled;
  }

  /** Registers the schedules on the store (new ones start from `now`) and returns the manager. */
  static async open(
    definitions: readonly ScheduleDefinition[],
    store: SpineStore,
    runner: WorkflowRunner,
    prepare: SpineSchedules['prepare'],
    logger: SpineLogger,
    enqueued: () => void,
    now: Date,
  ): Promise<SpineSchedules> {
    if (definitions.length > 0 && store.schedules !== null) {
      await store.schedules.saveSchedules(
        definitions.map((s) => ({ name: s.name, workflow: s.workflow, paused: s.paused, declaration: recordedSchedule(s) })),
        now,
      );
    }
    return new SpineSchedules(definitions, store, runner, prepare, logger, enqueued);
  }

  /** The schedule declared here under `name`; one only the database records (another process declares it) is refused, saying where to act on it. */
  private async declaredHere(name: string, what: 'fire' | 'backfill'): Promise<ScheduleDefinition> {
    if (!this.definitions.some((s) => s.name === name) && ((await this.store.schedules?.listScheduleStates()) ?? []).some((s) => s.name === name)) {
      throw new SpineError(
        'unknown-schedule',
        `Schedule "${name}" is declared by another process (the database records it), not in this one: its runs' params come from its code, so ${what} it where it is declared — with the application's config, or spine worker --nest's module — or from that application's console. Pausing and resuming it work from here.`,
      );
    }
    return this.get(name);
  }

  /** The schedule declared under `name`; throws listing the known ones. */
  get(name: string): ScheduleDefinition {
    const schedule = this.definitions.find((s) => s.name === name);
    if (schedule === undefined) {
      const known = this.definitions.map((s) => s.name);
      throw new SpineError('unknown-schedule', `Schedule "${name}" is not declared in this application. ${known.length > 0 ? `Known schedules: ${known.join(', ')}.` : 'No schedules are declared.'}`);
    }
    return schedule;
  }

  /**
   * Fires `schedule` for `fireTime`: its params computed from the fire time and checked by the
   * workflow's params class, then the fire row and the queued run recorded in one transaction.
   * Params that cannot be made record the fire with its error (a scheduler's fire is not tried
   * for ever) and no run.
   */
  readonly fire = async (schedule: ScheduleDefinition, fireTime: Date, source: TriggerSource, scheduled: boolean): Promise<FireOutcome> => {
    const store = this.requireSchedules();
    let run: NewRun | null = null;
    let error: string | null = null;
    try {
      const { definition, params } = await this.prepare(schedule.workflow, fireParams(schedule, fireTime));
      run = this.runner.queuedRun(
        definition,
        {
          params,
          ...(schedule.queue !== null && { queue: schedule.queue }),
          priority: schedule.priority,
          concurrencyKey: schedule.concurrencyKey,
          asOfDate: localDate(fireTime, schedule.timezone),
        },
        { source, schedule: schedule.name, fireTime },
      );
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    const write = { schedule: schedule.name, workflow: schedule.workflow, fireTime, source, run, error, scheduled };
    let outcome: FireOutcome;
    try {
      outcome = await store.fireSchedule(write);
    } catch (caught) {
      // a run the store cannot keep (params too large to store, say): the fire is recorded with why, not tried for ever
      if (!(caught instanceof SpineError) || run === null || !['unserializable-value', 'invalid-argument', 'limit-exceeded'].includes(caught.kind)) throw caught;
      error = caught.message;
      run = null;
      outcome = await store.fireSchedule({ ...write, run: null, error });
    }
    if (outcome.fired && run !== null) this.enqueued();
    if (outcome.fired && error !== null)
      this.logger.warn(
        { schedule: schedule.name, workflow: schedule.workflow, fireTime: fireTime.toISOString() },
        `schedule "${schedule.name}": the fire at ${fireTime.toISOString()} made no run: ${error}`,
      );
    return outcome;
  };

  /**
   * Every schedule: those declared here, and those the database records that another process
   * declares (from their recorded declaration: a process with only the database lists them), each
   * with its state, next fire times and newest fire.
   */
  async list(now: Date, upcoming = 3): Promise<ScheduleInfo[]> {
    const states = new Map<string, ScheduleState>(((await this.store.schedules?.listScheduleStates()) ?? []).map((s) => [s.name, s]));
    const elsewhere = [...states.values()].filter((s) => s.declaration !== null && !this.definitions.some((d) => d.name === s.name));
    const names = [...this.definitions.map((s) => s.name), ...elsewhere.map((s) => s.name)];
    const latest = new Map<string, FireRecord>(((await this.store.schedules?.latestFires(names)) ?? []).map((f) => [f.schedule, f]));
    const recorded = elsewhere.map((state): ScheduleInfo => {
      const declared = state.declaration!;
      let next: Date[] = [];
      try {
        // its calendar is the declaring process's: the times here are the cron's, before closed days are left out
        next = nextFires({ ...recordedAsDefinition(state), times: compileCron(declared.cron, declared.timezone) }, now, upcoming);
      } catch {
        // a cron this version cannot read: listed without next fire times
      }
      return { name: state.name, workflow: state.workflow, ...declared, paused: state.paused, nextFireTimes: next, lastFire: latest.get(state.name) ?? null, declaredHere: false };
    });
    return [
      ...this.definitions.map((schedule) => {
        const state = states.get(schedule.name);
        return {
          name: schedule.name,
          workflow: schedule.workflow,
          cron: schedule.cron,
          timezone: schedule.timezone,
          calendar: schedule.calendar?.name ?? null,
          catchUp: schedule.catchUp,
          paused: state?.paused ?? schedule.paused,
          nextFireTimes: nextFires(schedule, now, upcoming),
          lastFire: latest.get(schedule.name) ?? null,
          description: schedule.description,
          declaredHere: true,
        };
      }),
      ...recorded,
    ].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Pauses or resumes a schedule on the store (any process's scheduler sees it on its next pass). */
  async setPaused(name: string, paused: boolean): Promise<ScheduleState> {
    const store = this.requireSchedules();
    // a schedule another process declares is paused on the database all the same (its schedulers read the flag)
    if (!this.definitions.some((s) => s.name === name) && !(await store.listScheduleStates()).some((s) => s.name === name)) this.get(name);
    // a resume moves the cursor to now: the database's now, so a fast clock here skips no fire
    const state = await store.setSchedulePaused(name, paused, await store.databaseTime());
    if (state === null) throw new SpineError('unknown-schedule', `Schedule "${name}" is not registered on this database.`);
    return state;
  }

  /** A manual fire through the same path (`at`: the fire time, default now to the second); refused when that time was fired. */
  async trigger(name: string, at: Date | undefined, now: Date): Promise<{ readonly runId: string; readonly fireTime: Date }> {
    const schedule = await this.declaredHere(name, 'fire');
    const fireTime = new Date(Math.floor((at ?? now).getTime() / 1000) * 1000);
    if (Number.isNaN(fireTime.getTime())) throw new SpineError('invalid-argument', `trigger "${name}": at must be a valid date.`);
    const outcome = await this.fire(schedule, fireTime, 'manual', false);
    if (!outcome.fired) {
      throw new SpineError(
        'invalid-argument',
        `Schedule "${name}" fired ${fireTime.toISOString()} before (run ${outcome.runId ?? 'none: its params failed'}); pick another time with --at, or resume that run.`,
      );
    }
    if (outcome.runId === null) throw new SpineError('invalid-argument', `Schedule "${name}": the fire at ${fireTime.toISOString()} made no run (its params failed; see the warning).`);
    return { runId: outcome.runId, fireTime };
  }

  /**
   * Fire times of the schedule whose dates (in its time zone) lie in [from, to], each with what a
   * backfill does: enqueue it (never fired), resume its run (failed, cancelled, stopped) or skip
   * it (completed, or queued/running/waiting now). Unless `dryRun`, does it.
   */
  async backfill(name: string, from: string, to: string, dryRun: boolean): Promise<BackfillResult> {
    const schedule = await this.declaredHere(name, 'backfill');
    const store = this.requireSchedules();
    for (const [flag, value] of [
      ['--from', from],
      ['--to', to],
    ] as const) {
      try {
        weekdayOf(value);
      } catch {
        throw new SpineError('invalid-argument', `backfill "${name}": ${flag} must be a date like 2026-01-02 (got ${JSON.stringify(value)}).`);
      }
    }
    if (from > to) throw new SpineError('invalid-argument', `backfill "${name}": --from ${from} is after --to ${to}.`);
    // a day either side in UTC covers every time zone; then keep the fires whose local date is in range
    const start = new Date(Date.parse(`${from}T00:00:00Z`) - 2 * 86_400_000);
    const end = new Date(Date.parse(`${to}T00:00:00Z`) + 3 * 86_400_000);
    const times = firesBetween(schedule, start, end, 100_001).filter((t) => {
      const day = localDate(t, schedule.timezone);
      return day >= from && day <= to;
    });
    if (times.length > 100_000) throw new SpineError('invalid-argument', `backfill "${name}": ${from}…${to} holds more than 100,000 fire times; backfill a shorter range at a time.`);
    const fired = new Map<number, FireRecord>();
    if (times.length > 0) for (const f of await store.listFires(schedule.name, times[0]!, times[times.length - 1]!)) fired.set(f.fireTime.getTime(), f);
    const entries: BackfillEntry[] = [];
    for (const fireTime of times) {
      const day = localDate(fireTime, schedule.timezone);
      const existing = fired.get(fireTime.getTime());
      if (existing === undefined) {
        if (dryRun) {
          entries.push({ fireTime, localDate: day, action: 'enqueue', reason: 'missing', runId: null });
          continue;
        }
        const outcome = await this.fire(schedule, fireTime, 'backfill', false);
        entries.push(
          outcome.runId === null
            ? { fireTime, localDate: day, action: 'skip', reason: 'its params failed (see the warning)', runId: null }
            : { fireTime, localDate: day, action: outcome.fired ? 'enqueue' : 'skip', reason: outcome.fired ? 'missing' : 'fired meanwhile', runId: outcome.runId },
        );
        continue;
      }
      if (existing.runId === null) {
        entries.push({
          fireTime,
          localDate: day,
          action: 'skip',
          reason: `its fire made no run (${existing.error ?? 'no params'}); fire it again with \`spine schedules trigger ${name} --at ${fireTime.toISOString()}\` once fixed`,
          runId: null,
        });
      } else if (existing.runStatus === null) {
        entries.push({ fireTime, localDate: day, action: 'skip', reason: 'its run was purged', runId: existing.runId });
      } else if (FINISHED_UNSUCCESSFULLY.includes(existing.runStatus)) {
        if (!dryRun) await this.resume(existing.runId);
        entries.push({ fireTime, localDate: day, action: 'resume', reason: existing.runStatus, runId: existing.runId });
      } else {
        entries.push({ fireTime, localDate: day, action: 'skip', reason: existing.runStatus, runId: existing.runId });
      }
    }
    if (!dryRun && entries.some((e) => e.action !== 'skip')) this.enqueued();
    return { schedule: schedule.name, dryRun, entries };
  }

  /** Puts a finished, unsuccessful run of a fire back on its queue: it resumes where it stopped. */
  private async resume(runId: string): Promise<void> {
    const run = await this.store.journal.getRun(runId);
    if (run === null || this.store.queue === null) return;
    await this.store.queue.requeueRuns([{ runId, params: run.params }], null, new Date(this.runner.clock.now()));
  }

  private requireSchedules(): ScheduleStore {
    return capabilityOf(this.store, 'schedules', 'Schedules');
  }
}

/** A schedule the database records, as a definition to compute its next fire times (no calendar, no params: they are the declaring process's). */
function recordedAsDefinition(state: ScheduleState): Omit<ScheduleDefinition, 'times'> {
  const declared = state.declaration!;
  return {
    name: state.name,
    workflow: state.workflow,
    cron: declared.cron,
    timezone: declared.timezone,
    calendar: null,
    catchUp: declared.catchUp,
    maxCatchUp: 0,
    graceMs: 0,
    params: () => ({}),
    queue: null,
    priority: 0,
    concurrencyKey: null,
    paused: state.paused,
    description: declared.description,
  };
}
