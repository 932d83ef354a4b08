import type { Container } from 'inversify';
import type { DataSource, DataSourceOptions } from 'typeorm';
import type { WorkflowDeclaration, WorkflowDefinition } from '../core/definition/workflow-definition';
import type { PipelineLookup } from '../core/pipeline/pipeline.types';
import type { WorkflowRunnerOptions } from '../core/runner/workflow-runner';
import type { Constructor } from '../decorators/decorator-metadata';
import type { ClassProvider } from './class-provider';
import type { HandlerLookup } from '../declarative/handler-registry';
import type { QueueLimits } from '../core/store/records/queue-record';
import type { WorkerOptions } from '../worker/run-worker';
import type { ScheduleDeclaration } from '../core/schedule/schedule';
import type { TradingCalendar } from '../core/schedule/trading-calendar';

import type { SpineLogger } from '../core/logging/logger.port';

export type { SpineLogger } from '../core/logging/logger.port';

/** Runner settings `Spine.create` passes through to its `WorkflowRunner`. */
export type SpineRunnerOptions = Pick<
  WorkflowRunnerOptions,
  'store' | 'middleware' | 'onEvent' | 'defaultRetry' | 'defaultTimeoutMs' | 'clock' | 'lease' | 'maxLostExecutions' | 'signalPollMs' | 'onQualityDegraded' | 'qualityTrend'
>;

/** What `Spine.create` takes; every field is optional. */
export interface SpineOptions extends SpineRunnerOptions {
  /** The inversify container to resolve workflows, pipelines and their services from (one is made when absent). */
  readonly container?: Container;
  /**
   * Where instances of decorated classes come from instead of the inversify container (an
   * integration with another container; `SpineModule` passes Nest's).
   */
  readonly classProvider?: ClassProvider;
  /** `@Workflow` classes and `Workflow.define(...)` definitions. */
  readonly workflows?: readonly (Constructor | WorkflowDefinition | WorkflowDeclaration)[];
  /** `@Pipeline` classes and registries (a `PipelineRegistry` or any `PipelineLookup`). */
  readonly pipelines?: readonly (Constructor | PipelineLookup)[];
  /**
   * Lambda handlers of declarative (YAML/JSON) workflows: classes with `@Handler(name)` methods
   * (resolved from the container once) and `HandlerRegistry`s.
   */
  readonly handlers?: readonly (Constructor | HandlerLookup)[];
  /**
   * Globs of modules to import at start-up; their exported decorated classes (`@Workflow`,
   * `@Pipeline`, `@Handler`) are registered. YAML and JSON files matched are workflow definitions
   * (`workflows/*.yaml`), checked against the JSON Schema and compiled like `Workflow.define`.
   */
  readonly discover?: readonly string[];
  /** The directory globs are relative to (default: the process's working directory). */
  readonly cwd?: string;
  /**
   * Where runs are recorded: 'memory' (this process only), a URL ('sqlite:.spine/spine.db' —
   * relative to `cwd` —, 'sqlite::memory:', 'mysql://user:pass@host:3306/db', 'mariadb://…',
   * 'postgres://user:pass@host:5432/db'), TypeORM `DataSourceOptions` (better-sqlite3, mysql,
   * mariadb, postgres) or an existing `DataSource`.
   * Default: the URL in the environment variable `SPINE_DATABASE_URL` when set, else the embedded
   * SQLite file `.spine/spine.db` under `cwd`.
   */
  readonly database?: 'memory' | string | DataSourceOptions | DataSource;
  /**
   * Refuse a param a new run's (or a resume's override's) params class does not declare, naming
   * it and listing the workflow's params (default true). `false` keeps the behaviour before: an
   * unknown param is passed to the steps as it is. Workflows without declared params are not checked.
   */
  readonly forbidUnknownParams?: boolean;
  /** Run pending migrations at start-up (default true). */
  readonly migrationsRun?: boolean;
  /** Largest output a step may store in a database (default 16 MiB). */
  readonly maxOutputBytes?: number;
  /**
   * Resume runs whose lease expired (their process died) at start-up and then every
   * `recoveryIntervalMs` (default: the lease duration, 30 s). Default true.
   */
  readonly recoverOnStart?: boolean;
  readonly recoveryIntervalMs?: number;
  /** Recovered runs executing at once in this process (default 8); the rest wait for a later pass or another process. */
  readonly recoveryConcurrency?: number;
  // store (a store of your own, overriding `database`), middleware, onEvent, defaultRetry,
  // defaultTimeoutMs and clock are passed to the WorkflowRunner as they are.
  /**
   * Queues declared in code, with limits that hold across every worker on the database:
   * `{ finra: { concurrency: 2, rateLimit: { max: 10, perMs: 60_000 }, perKeyConcurrency: 1 } }`.
   * A queue not declared has no limit but its per-key one (1).
   */
  readonly queues?: Readonly<Record<string, QueueLimits>>;
  /**
   * Makes this process a worker once started: it claims and executes enqueued runs of its
   * `queues` (default ['default']), `concurrency` (default 8) at once. `true`: the defaults.
   */
  readonly worker?: WorkerOptions | boolean;
  /**
   * The application's build, recorded on every run it starts and on its workers' rows (shown by
   * `spine show`, the console and the stranded-run report). Default: `SPINE_APP_VERSION`, else
   * the version in the nearest package.json above the working directory, else none.
   */
  readonly appVersion?: string | null;
  /**
   * A run whose definition no live process holds is reported stranded (`spine.strandedRuns()`,
   * `spine runs --stranded`, a warning, the `spine.runs.stranded` metric) once this long has passed
   * without a holder (default 60 000 ms; 0: at once).
   */
  readonly strandedAfterMs?: number;
  /**
   * Schedules declared in code (besides `@Schedule` on workflow classes): `[{ workflow, cron,
   * timezone, params: (fireTime) => ({ … }), catchUp, calendar }]`. Registered on the database at
   * start-up; fired by workers (`worker.scheduler`, on by default), each fire time once.
   */
  readonly schedules?: readonly ScheduleDeclaration[];
  /** Trading calendars schedules may name (`calendar: 'XNYS'`), by name. */
  readonly calendars?: Readonly<Record<string, TradingCalendar>>;
  /**
   * Where spine logs (default: one line per record on the console): pino, or any object with
   * `info/warn/error(fields, message)`. Records about a run carry `runId`, `workflow`, `step` and
   * `traceId`.
   */
  readonly logger?: SpineLogger;
  /**
   * OpenTelemetry traces and metrics through `@opentelemetry/api` (on by default): a
   * `workflow.run` span per execution of a run, a `step <name>` span per attempt, map items as
   * child spans, and `spine.*` metrics — recorded only when the application registers a tracer or
   * meter provider (the OTel SDK); otherwise nothing is done. `false` turns it off.
   */
  readonly telemetry?: boolean;
}
