import { EntitySchema, type EntitySchemaColumnOptions } from 'typeorm';
import { columnTypes, hasPartialIndexes, type DriverFamily } from './column-types';
import { designEntityColumns } from './design-columns';

/** Table names, as the original design names them (its SQL keeps working). */
export const TABLES = {
  workflows: 'core_workflows',
  runs: 'core_workflow_runs',
  steps: 'core_workflow_run_steps',
  checkpoints: 'core_workflow_checkpoints',
  events: 'core_workflow_events',
  queues: 'core_queues',
  workers: 'core_workers',
  schedules: 'core_schedules',
  fires: 'core_schedule_fires',
  signals: 'core_workflow_signals',
  mapItems: 'core_workflow_map_items',
} as const;

type Columns = Record<string, EntitySchemaColumnOptions>;

function columns(family: DriverFamily) {
  const t = columnTypes(family);
  const str = (length: number, nullable = false): EntitySchemaColumnOptions => ({ type: 'varchar', length, nullable });
  const int = (nullable = false): EntitySchemaColumnOptions => ({ type: t.int, nullable });
  const time = (nullable = false): EntitySchemaColumnOptions => ({ type: t.datetime, nullable, ...(t.datetimePrecision !== undefined && { precision: t.datetimePrecision }) });
  const json = (nullable = false): EntitySchemaColumnOptions => ({ type: t.json, nullable });
  const text = (nullable = true): EntitySchemaColumnOptions => ({ type: t.text, nullable });
  const double = (nullable = true): EntitySchemaColumnOptions => ({ type: t.double, nullable });
  const id: EntitySchemaColumnOptions = { type: t.id, primary: true, generated: 'increment' };
  return { str, int, time, json, text, double, id, bool: (nullable = false): EntitySchemaColumnOptions => ({ type: t.boolean, nullable }) };
}

/** A secondary index of the runs table. */
export interface RunIndex {
  readonly name: string;
  readonly columns: string[];
  /** SQLite and PostgreSQL: a partial index (rows with NULL in the column are not in it, and cost nothing to write). */
  readonly where?: string;
}

/**
 * The runs table's secondary indexes. Every one is paid on each run's insert and on each status
 * change, so: none on status alone (the lease index starts with it); on SQLite and PostgreSQL, indexes on
 * columns most runs leave NULL (batch, partition, as-of date, queue columns, concurrency key,
 * parent) are partial, and top-level runs newest first (all, and by status) have partial indexes; MySQL has no
 * partial indexes, so there `(parent_run_id, started_at)` serves the top-level listing.
 */
export function runIndexes(family: DriverFamily): RunIndex[] {
  const partials = hasPartialIndexes(family);
  const partial = (column: string): string | undefined => (partials ? `${column} IS NOT NULL` : undefined);
  const at = (name: string, columns: string[], where: string | undefined): RunIndex => ({ name, columns, ...(where !== undefined && { where }) });
  return [
    at('ix_core_workflow_runs_workflow', ['workflow_name', 'started_at'], undefined),
    at('ix_core_workflow_runs_batch', ['batch_id'], partial('batch_id')),
    at('ix_core_workflow_runs_trace', ['trace_id'], undefined),
    at('ix_core_workflow_runs_partition', ['partition_key'], partial('partition_key')),
    at('ix_core_workflow_runs_as_of', ['as_of_date'], partial('as_of_date')),
    at('ix_core_workflow_runs_lease', ['status', 'lease_expires_at'], undefined),
    at('ix_core_workflow_runs_claim', ['claim_queue', 'priority', 'lease_expires_at'], partial('claim_queue')),
    at('ix_core_workflow_runs_leased', ['claim_queue', 'lease_owner'], partial('claim_queue')),
    at('ix_core_workflow_runs_key', ['concurrency_key', 'lease_expires_at'], partial('concurrency_key')),
    at('ix_core_workflow_runs_parent', ['parent_run_id', 'status'], partial('parent_run_id')),
    partials ? at('ix_core_workflow_runs_top', ['started_at', 'run_id'], 'parent_run_id IS NULL') : at('ix_core_workflow_runs_top', ['parent_run_id', 'started_at'], undefined),
    // runs of a status newest first (failed runs to resume, a console's filter) without sorting them all
    at('ix_core_workflow_runs_status_started', ['status', 'started_at'], partials ? 'parent_run_id IS NULL' : undefined),
  ];
}

/**
 * The schema as TypeORM entities (one set per driver family, so JSON columns get the right type).
 * The store writes with lean SQL on the same tables; these define and check the schema.
 */
export function spineEntities(family: DriverFamily): EntitySchema[] {
  const c = columns(family);
  const runFk = (table: string) => ({ target: TABLES.runs, joinColumn: { name: 'run_id', foreignKeyConstraintName: `fk_${table}_run` }, onDelete: 'CASCADE', onUpdate: 'NO ACTION' }) as const;
  const workflows: Columns = {
    id: c.id,
    name: c.str(255),
    domain: c.str(255, true),
    version: c.int(),
    spec: c.json(),
    spec_hash: c.str(64),
    created_at: c.time(),
    description: c.text(),
    tags: c.json(true),
    is_active: { ...c.bool(), default: true },
    updated_at: c.time(true),
    created_by: c.str(255, true),
    kind: { ...c.str(16), default: 'code' },
    held_at: c.time(true),
  };
  const runs: Columns = {
    run_id: { ...c.str(255), primary: true },
    workflow_name: c.str(255),
    workflow_version: c.int(),
    workflow_hash: c.str(64),
    domain: c.str(255, true),
    status: c.str(16),
    params: c.json(),
    original_params: c.json(true),
    run_partition: c.json(true),
    partition_key: c.str(512, true),
    batch_id: c.str(255, true),
    trace_id: c.str(255),
    as_of_date: c.str(32, true),
    capture_id: c.str(255, true),
    idempotency_key: c.str(255, true),
    parent_run_id: c.str(255, true),
    total_steps: c.int(),
    executed_steps: c.int(),
    completed_steps: c.int(),
    failed_steps: c.int(),
    skipped_steps: c.int(),
    last_completed_step: c.str(255, true),
    error_step: c.str(255, true),
    error: c.text(),
    error_category: c.str(32, true),
    started_at: c.time(),
    finished_at: c.time(true),
    duration_ms: c.double(),
    updated_at: c.time(),
    lease_owner: c.str(255, true),
    lease_expires_at: c.time(true),
    cancel_requested: { ...c.bool(), default: false },
    lease_epoch: { ...c.int(), default: 0 },
    root_run_id: c.str(255, true),
    lost_executions: { ...c.int(), default: 0 },
    lost_step: c.str(300, true),
    queue: c.str(255, true),
    claim_queue: c.str(255, true),
    priority: { ...c.int(), default: 0 },
    concurrency_key: c.str(255, true),
    trigger_source: { ...c.str(16), default: 'api' },
    trigger_schedule: c.str(255, true),
    trigger_fire_time: c.time(true),
    created_at: c.time(true),
    traceparent: c.str(64, true),
    waiting_for: c.str(255, true),
    app_version: c.str(255, true),
    ...designEntityColumns(family, TABLES.runs),
  };
  // SQLite: clustered by run (WITHOUT ROWID, primary key run id + a per-run sequence): a step
  // commit writes one B-tree, and a run's steps are one range. MySQL: an auto-increment id and an
  // index by run (InnoDB buffers that index's writes).
  // (the primary key's columns in this order: run first)
  const steps: Columns = {
    ...(family === 'sqlite' ? { run_id: { ...c.str(255), primary: true }, id: { ...c.int(), primary: true } } : { id: c.id, run_id: c.str(255) }),
    step_name: c.str(255),
    step_type: c.str(16),
    iteration: c.int(),
    attempt: c.int(),
    status: c.str(16),
    idempotency_key: c.str(1024),
    started_at: c.time(),
    finished_at: c.time(),
    duration_ms: c.double(false),
    output: c.json(true),
    context_updates: c.json(true),
    error: c.text(),
    error_category: c.str(32, true),
    next_step: c.str(255, true),
    record_count: c.int(true),
    valid_count: c.int(true),
    invalid_count: c.int(true),
    null_count: c.int(true),
    quality_passed: c.bool(true),
    quality_null_rate: c.double(),
    quality: c.json(true),
    ...designEntityColumns(family, TABLES.steps),
  };
  const checkpoints: Columns = {
    id: c.id,
    run_id: c.str(255),
    step_name: c.str(255),
    iteration: c.int(),
    executed_steps: c.int(),
    context: c.json(true),
    created_at: c.time(),
  };
  const mapItems: Columns = {
    run_id: { ...c.str(255), primary: true },
    step_name: { ...c.str(255), primary: true },
    iteration: { ...c.int(), primary: true },
    item_index: { ...c.int(), primary: true },
    status: c.str(16),
    attempts: c.int(),
    output: c.json(true),
    error: c.text(),
    error_step: c.str(255, true),
    error_category: c.str(32, true),
    epoch: c.int(),
    started_at: c.time(),
    finished_at: c.time(),
    duration_ms: c.double(false),
  };
  const events: Columns = {
    id: c.id,
    run_id: c.str(255),
    type: c.str(32),
    step: c.str(255, true),
    attempt: c.int(true),
    payload: c.json(),
    created_at: c.time(),
  };
  const queues: Columns = {
    name: { ...c.str(255), primary: true },
    recent_starts: c.json(),
    updated_at: c.time(),
  };
  const workers: Columns = {
    worker_id: { ...c.str(255), primary: true },
    hostname: c.str(255),
    pid: c.int(),
    queues: c.json(),
    workflows: c.json(true),
    definitions: c.json(true),
    app_version: c.str(255, true),
    heartbeat_ms: c.int(true),
    concurrency: c.int(),
    running: c.int(),
    started_at: c.time(),
    heartbeat_at: c.time(),
  };
  const schedules: Columns = {
    name: { ...c.str(255), primary: true },
    workflow: c.str(255),
    paused: { ...c.bool(), default: false },
    fire_cursor: c.time(true),
    updated_at: c.time(),
    cron: c.str(255, true),
    timezone: c.str(64, true),
    calendar: c.str(64, true),
    catch_up: c.str(16, true),
    description: c.text(),
  };
  const fires: Columns = {
    schedule_name: { ...c.str(255), primary: true },
    fire_time: { ...c.time(), primary: true },
    run_id: c.str(255, true),
    source: c.str(16),
    error: c.text(),
    fired_at: c.time(),
  };
  const signals: Columns = {
    id: c.id,
    run_id: c.str(255),
    name: c.str(255),
    payload: c.json(true),
    sent_at: c.time(),
    consumed_by: c.str(1024, true),
    consumed_at: c.time(true),
    dedupe_id: c.str(255, true),
  };
  return [
    new EntitySchema({ name: TABLES.schedules, tableName: TABLES.schedules, columns: schedules }),
    new EntitySchema({ name: TABLES.fires, tableName: TABLES.fires, columns: fires }),
    new EntitySchema({
      name: TABLES.signals,
      tableName: TABLES.signals,
      columns: signals,
      relations: { run: { type: 'many-to-one', ...runFk(TABLES.signals) } },
      indices: [
        { name: 'ix_core_workflow_signals_run', columns: ['run_id', 'name', 'id'] },
        { name: 'uq_core_workflow_signals_dedupe', columns: ['run_id', 'dedupe_id'], unique: true, ...(hasPartialIndexes(family) && { where: 'dedupe_id IS NOT NULL' }) },
      ],
    }),
    new EntitySchema({ name: TABLES.queues, tableName: TABLES.queues, columns: queues }),
    new EntitySchema({ name: TABLES.workers, tableName: TABLES.workers, columns: workers }),
    new EntitySchema({
      name: TABLES.workflows,
      tableName: TABLES.workflows,
      columns: workflows,
      uniques: [{ name: 'uq_core_workflows_name_hash', columns: ['name', 'spec_hash'] }],
      indices: [
        { name: 'ix_core_workflows_domain', columns: ['domain'] },
        { name: 'ix_core_workflows_kind', columns: ['kind', 'name', 'is_active'] },
      ],
    }),
    new EntitySchema({
      name: TABLES.runs,
      tableName: TABLES.runs,
      columns: runs,
      uniques: [{ name: 'uq_core_workflow_runs_idempotency', columns: ['idempotency_key'] }],
      indices: runIndexes(family).map(({ name, columns, where }) => ({ name, columns, ...(where !== undefined && { where }) })),
    }),
    new EntitySchema({
      name: TABLES.steps,
      tableName: TABLES.steps,
      columns: steps,
      relations: { run: { type: 'many-to-one', ...runFk(TABLES.steps) } },
      // Every index on this table is paid on each step's commit (an index on step_name cost a third
      // of it): on MySQL one by run; on SQLite none beside the primary key. Trends reach steps by run.
      ...(family === 'sqlite' ? { withoutRowid: true } : { indices: [{ name: 'ix_core_workflow_run_steps_run', columns: ['run_id', 'id'] }] }),
    }),
    new EntitySchema({
      name: TABLES.checkpoints,
      tableName: TABLES.checkpoints,
      columns: checkpoints,
      relations: { run: { type: 'many-to-one', ...runFk(TABLES.checkpoints) } },
      indices: [{ name: 'ix_core_workflow_checkpoints_run', columns: ['run_id', 'id'] }],
    }),
    new EntitySchema({
      name: TABLES.mapItems,
      tableName: TABLES.mapItems,
      columns: mapItems,
      // the primary key is the only index: one row per item, written once it finished
      relations: { run: { type: 'many-to-one', ...runFk(TABLES.mapItems) } },
    }),
    new EntitySchema({
      name: TABLES.events,
      tableName: TABLES.events,
      columns: events,
      relations: { run: { type: 'many-to-one', ...runFk(TABLES.events) } },
      indices: [{ name: 'ix_core_workflow_events_run', columns: ['run_id', 'id'] }],
    }),
  ];
}

/** A table's own columns, comma-separated: what its reads list instead of `*` (which would compute the design's virtual columns too). */
function storedColumns(table: string): string {
  const entity = spineEntities('sqlite').find((e) => e.options.name === table)!;
  return Object.entries(entity.options.columns)
    .filter(([, column]) => column?.generatedType === undefined)
    .map(([name]) => name)
    .join(', ');
}

/** The runs table's own columns (`SELECT ${RUN_COLUMNS} FROM core_workflow_runs`). */
export const RUN_COLUMNS = storedColumns(TABLES.runs);
/** The steps table's own columns. */
export const STEP_ROW_COLUMNS = storedColumns(TABLES.steps);
