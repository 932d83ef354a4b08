import 'reflect-metadata';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module, Scope, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Choice, Handler, LambdaStep, MapStep, Pipeline, PipelineStep, Spine, SpineStartupError, Workflow, type WorkflowContext } from 'spine-orchestration';
import { SpineModule, SpineService } from 'spine-orchestration/nest';
import { sqliteOptions } from 'spine-orchestration/typeorm';
import { AppModule } from '../../examples/nest-app/app.module';
import { WeeklyReportService } from '../../examples/nest-app/weekly-report.service';
import { postgresDatabase } from '../support/databases';

// every test here spawns processes: seconds each on a loaded 2-core machine
jest.setTimeout(60_000);

const root = join(__dirname, '..', '..');

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(['sqlite', ...(process.env.SPINE_TEST_POSTGRES_URL ? ['postgres'] : [])])('the Nest example application (examples/nest-app) over real HTTP on %s', (driver) => {
  let dir: string;
  let dropDatabase: (() => Promise<void>) | null = null;
  let app: INestApplication;
  let base: string;
  const http = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spine-nest-'));
    let database = join(dir, 'app.db');
    if (driver === 'postgres') {
      const made = await postgresDatabase();
      database = made.url;
      dropDatabase = made.cleanup;
    }
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ database })] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await dropDatabase?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('discovers the workflow provider and the pipeline providers through Nest', () => {
    const spine = app.get(SpineService);
    expect(spine.workflows().map((w) => w.name)).toEqual(['finra.weekly_refresh']);
    expect(spine.spine.runner.dispatcher.names?.() ?? []).toEqual(
      expect.arrayContaining(['finra.otc_transparency.aggregate_week', 'finra.otc_transparency.ingest_week', 'finra.otc_transparency.normalize_week']),
    );
  });

  it('starts a run with POST /runs/:workflow (202) and reads it back with GET /runs/:id; the injected repository and service did their parts', async () => {
    const started = await http('POST', '/runs/finra.weekly_refresh', { week_ending: '2026-10-23', tier: 'NMS Tier 2' });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ workflow: 'finra.weekly_refresh', status: 'running', runId: expect.any(String) });
    const runId = started.body.runId as string;
    const run = await poll(
      () => http('GET', `/runs/${runId}`),
      (r) => r.body.status !== 'running',
      'the run to finish',
    );
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ runId, status: 'completed', params: { week_ending: '2026-10-23', tier: 'NMS Tier 2' } });
    const steps = run.body.steps as { step: string; status: string; output: Record<string, unknown> }[];
    expect(steps.map((s) => s.step)).toEqual(['ingest', 'validate', 'normalize', 'aggregate', 'topSymbols', 'report']);
    const top = steps.find((s) => s.step === 'topSymbols')!.output.top as { symbol: string }[];
    expect(top).toHaveLength(5);
    const message = steps.find((s) => s.step === 'report')!.output.message as string;
    expect(message).toMatch(new RegExp(`^NMS Tier 2 week 2026-10-23: top ${top[0]!.symbol} `));
    expect(app.get(WeeklyReportService).sent).toContain(message);
    // the run's progress to HTTP clients as Server-Sent Events: its steps, then its end
    const stream = await fetch(`${base}/runs/${runId}/events`);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const events = (await stream.text())
      .split('\n\n')
      .map((block) => /^event: (.+)$/m.exec(block)?.[1])
      .filter((type): type is string => type !== undefined);
    expect(events.filter((t) => t === 'step_completed')).toHaveLength(6);
    expect(events[0]).toBe('run_started');
    expect(events[events.length - 1]).toBe('run_completed');
  });

  it('answers 400 naming each bad field, 404 naming the known workflows, 404 for an unknown run (SpineExceptionFilter)', async () => {
    const bad = await http('POST', '/runs/finra.weekly_refresh', { week_ending: '2026-10-22', tier: 'Pink' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ statusCode: 400, error: 'Bad Request', kind: 'validation-failed' });
    expect((bad.body.violations as { field: string }[]).map((v) => v.field)).toEqual(['week_ending', 'tier']);
    const unknown = await http('POST', '/runs/finra.nope', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe('Workflow "finra.nope" is not registered. Known workflows: finra.weekly_refresh.');
    expect((await http('GET', '/runs/no-such-run')).status).toBe(404);
  });
});

/** How many instances each scope built, and which instance each step saw. */
const built: Record<string, number> = { singleton: 0, request: 0, transient: 0, pipeline: 0 };
const seen: string[] = [];

@Injectable()
class Counter {
  next = 0;
}

@Injectable()
@Pipeline('scoped.double')
class DoublePipeline {
  private readonly id = ++built.pipeline!;
  constructor(private readonly counter: Counter) {}
  run(params: Record<string, unknown>) {
    this.counter.next++;
    return { output: { doubled: Number(params.n ?? 1) * 2, pipelineInstance: this.id } };
  }
}

function scopedWorkflow(name: string, scope: Scope, key: 'singleton' | 'request' | 'transient') {
  @Injectable({ scope })
  @Workflow({ name, defaults: { n: 2 } })
  class ScopedWorkflow {
    private readonly id = ++built[key]!;
    constructor(readonly counter: Counter) {}
    @LambdaStep() first() {
      seen.push(`${name}#${this.id}`);
      return { instance: this.id };
    }
    @PipelineStep('scoped.double') double() {}
    @LambdaStep() last(ctx: WorkflowContext) {
      seen.push(`${name}#${this.id}`);
      return { same: ctx.getOutput('first', 'instance') === this.id, counter: this.counter instanceof Counter };
    }
  }
  return ScopedWorkflow;
}

describe('SpineModule provider scopes', () => {
  const Singleton = scopedWorkflow('scope.singleton', Scope.DEFAULT, 'singleton');
  const Requested = scopedWorkflow('scope.request', Scope.REQUEST, 'request');
  const Transient = scopedWorkflow('scope.transient', Scope.TRANSIENT, 'transient');
  let app: INestApplication;

  beforeAll(async () => {
    @Module({ imports: [SpineModule.forRoot({ database: 'memory', global: true })], providers: [Counter, DoublePipeline, Singleton, Requested, Transient] })
    class ScopesModule {}
    app = (await Test.createTestingModule({ imports: [ScopesModule] }).compile()).createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each([
    ['scope.singleton', 'singleton', 'one instance, shared by every run'],
    ['scope.request', 'request', 'a new instance per run'],
    ['scope.transient', 'transient', 'a new instance per run'],
  ] as const)('%s: %s scope gives %s, the same one for every step of a run, with its Nest dependencies', async (name, key, _what: string) => {
    const spine = app.get(SpineService);
    const before = built[key]!;
    seen.length = 0;
    const runs = [await spine.run(name), await spine.run(name)];
    for (const run of runs) expect(run.context.getOutput('last')).toEqual({ same: true, counter: true });
    expect(runs[0]!.context.getOutput('double', 'doubled')).toBe(4);
    const perRun = [seen[0], seen[2]];
    if (key === 'singleton') {
      expect(built.singleton).toBe(1);
      expect(perRun[0]).toBe(perRun[1]);
    } else {
      expect(built[key]! - before).toBe(2);
      expect(perRun[0]).not.toBe(perRun[1]);
    }
    expect(seen[0]).toBe(seen[1]);
  });
});

describe('SpineModule declarative workflows', () => {
  it('finds @Handler providers through Nest and runs a YAML workflow found by discovery, its handler using a Nest dependency', async () => {
    @Injectable()
    class GreetingHandlers {
      constructor(private readonly counter: Counter) {}

      @Handler('greet.hello')
      hello(ctx: WorkflowContext, config: Readonly<Record<string, unknown>>) {
        this.counter.next++;
        return { greeting: `${String(config.word)} ${ctx.getParam<string>('who')}`, calls: this.counter.next };
      }
    }
    const dir = mkdtempSync(join(tmpdir(), 'spine-nest-yaml-'));
    writeFileSync(
      join(dir, 'greet.yaml'),
      'name: greet.yaml\nsteps:\n  - { name: hello, type: lambda, handler: greet.hello, config: { word: Hello } }\n  - { name: loud, type: choice, condition: "outputs.hello.calls >= 1", then_step: done }\n  - { name: done, type: wait, seconds: 0 }\n',
    );
    @Module({ imports: [SpineModule.forRoot({ database: 'memory', global: true, workflowFiles: ['*.yaml'], cwd: dir })], providers: [Counter, GreetingHandlers] })
    class YamlModule {}
    const app = (await Test.createTestingModule({ imports: [YamlModule] }).compile()).createNestApplication({ logger: false });
    await app.init();
    try {
      const result = await app.get(SpineService).run('greet.yaml', { params: { who: 'Nest' } });
      expect(result.status).toBe('completed');
      expect(result.context.getOutput('hello')).toEqual({ greeting: 'Hello Nest', calls: 1 });
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('spine worker --nest', () => {
  it.each(['--nest <file>#WorkerModule', "the config's nest: { module }"])(
    "boots the application's module as a Nest context (%s) and runs its enqueued runs with Nest's injection; SIGTERM stops it",
    async (how) => {
      const dir = mkdtempSync(join(tmpdir(), 'spine-nest-worker-'));
      const database = join(dir, 'app.db');
      const moduleFile = join(root, 'build', 'examples', 'nest-app', 'worker.module.js');
      const byConfig = how.startsWith('the config');
      if (byConfig) writeFileSync(join(dir, 'spine.config.js'), `module.exports = { nest: { module: require(${JSON.stringify(moduleFile)}).WorkerModule } };\n`);
      // the API side, in this process and without a worker: it records the run
      const api = (await Test.createTestingModule({ imports: [AppModule.register({ database })] }).compile()).createNestApplication({ logger: false });
      await api.init();
      const child = spawn(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'worker', ...(byConfig ? [] : ['--nest', `${moduleFile}#WorkerModule`]), '--poll-interval', '100'], {
        cwd: dir,
        env: { ...process.env, APP_DATABASE: database },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      try {
        const spine = api.get(SpineService);
        const { runId } = await spine.enqueue('finra.weekly_refresh', { params: { week_ending: '2026-10-23', tier: 'NMS Tier 2' } });
        const run = await poll(
          () => spine.getRun(runId),
          (r) => r?.status === 'completed' || r?.status === 'failed',
          `the worker to run ${runId}`,
        );
        expect(run).toMatchObject({ status: 'completed' });
        // the step that uses the Nest-injected repository and service ran in the worker
        const report = (await spine.getRunSteps(runId)).find((s) => s.stepName === 'report')!;
        expect(String(report.output?.message)).toMatch(/^NMS Tier 2 week 2026-10-23: top /);
        expect(out).toMatch(/Worker \S+ serving default \(8 at once, 1 workflow of the Nest application/);
      } finally {
        if (child.exitCode === null) process.kill(child.pid!, 'SIGTERM');
        expect(await exited).toBe(0);
        await api.close();
        rmSync(dir, { recursive: true, force: true });
      }
      expect(out).toContain('Worker stopped');
    },
    60_000,
  );
});

describe('SpineModule boot', () => {
  it('logs one line of what spine does in the application: its workflows, database, worker queues, recovery, console and schedules', async () => {
    @Workflow({ name: 'boot.flow' })
    class BootFlow {
      @LambdaStep() only() {
        return { ok: true };
      }
    }
    @Module({ imports: [SpineModule.forRoot({ database: 'memory', global: true, worker: { queues: ['reports', 'default'], pollIntervalMs: 50 }, console: { path: '/ops' } })], providers: [BootFlow] })
    class BootModule {}
    const lines: string[] = [];
    const capture = { log: (message: unknown, context?: unknown) => void (context === 'Spine' && lines.push(String(message))), error: () => undefined, warn: () => undefined };
    const app = (await Test.createTestingModule({ imports: [BootModule] }).compile()).createNestApplication({ logger: capture });
    await app.init();
    try {
      expect(lines).toEqual(['1 workflow (boot.flow); runs kept in memory (this process only); worker on reports, default; recovering expired runs; console at /ops; 0 schedules']);
    } finally {
      await app.close();
    }
  });
});

describe('SpineModule shutdown', () => {
  it('lets the running step finish, releases the lease; another Spine resumes the run at once, and a starting Nest app recovers one at bootstrap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spine-nest-shutdown-'));
    const file = join(dir, 'runs.db');
    const newGate = () => {
      let open!: () => void;
      let arrive!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      return { open, opened, arrive, arrived };
    };
    let gate = newGate();
    const executed: string[] = [];

    @Injectable()
    @Workflow({ name: 'nest.slow' })
    class Slow {
      @LambdaStep() async fetch() {
        executed.push('fetch');
        gate.arrive();
        await gate.opened;
        return { rows: 7 };
      }
      @LambdaStep() load(ctx: WorkflowContext) {
        executed.push('load');
        return { loaded: ctx.getOutput('fetch', 'rows') };
      }
    }
    @Module({ imports: [SpineModule.forRoot({ database: sqliteOptions(file), lease: { durationMs: 60_000, heartbeatMs: 20_000 }, shutdownTimeoutMs: 10_000 })], providers: [Slow] })
    class SlowModule {}

    try {
      const app = (await Test.createTestingModule({ imports: [SlowModule] }).compile()).createNestApplication({ logger: false });
      await app.init();
      const service = app.get(SpineService);
      const { runId, result } = await service.start('nest.slow');
      await gate.arrived;
      const closing = app.close();
      // the step finishes only once shutdown has begun (Nest calls beforeApplicationShutdown after onModuleDestroy)
      await poll(
        async () => service.spine.isClosed,
        (closed) => closed,
        'beforeApplicationShutdown',
      );
      gate.open();
      await closing;
      expect(await result).toMatchObject({ status: 'running', completedSteps: ['fetch'] });

      const other = await Spine.create({ database: sqliteOptions(file), workflows: [Slow], recoverOnStart: false, lease: { durationMs: 60_000, heartbeatMs: 20_000 } });
      try {
        const [recovered] = await other.recover();
        expect(recovered).toMatchObject({ runId, status: 'completed' });
        expect(executed).toEqual(['fetch', 'load']);
      } finally {
        await other.close();
      }

      // and a Nest instance that starts picks up a handed-off run by itself, at bootstrap
      executed.length = 0;
      gate = newGate();
      const second = (await Test.createTestingModule({ imports: [SlowModule] }).compile()).createNestApplication({ logger: false });
      await second.init();
      const leaving = second.get(SpineService);
      const next = await leaving.start('nest.slow');
      await gate.arrived;
      const closingSecond = second.close();
      await poll(
        async () => leaving.spine.isClosed,
        (closed) => closed,
        'beforeApplicationShutdown',
      );
      gate.open();
      expect(await next.result).toMatchObject({ status: 'running', completedSteps: ['fetch'] });
      await closingSecond;
      const third = (await Test.createTestingModule({ imports: [SlowModule] }).compile()).createNestApplication({ logger: false });
      await third.init();
      try {
        const service = third.get(SpineService);
        const run = await poll(
          () => service.getRun(next.runId),
          (r) => r?.status === 'completed',
          'recovery at bootstrap',
        );
        expect(run).toMatchObject({ status: 'completed', completedSteps: 2 });
        expect(executed).toEqual(['fetch', 'load']);
      } finally {
        await third.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('SpineModule workers', () => {
  it('a replica that is not a worker enqueues; the replicas with `worker` run the runs, none twice, and any replica reads the result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spine-nest-worker-'));
    const file = join(dir, 'runs.db');
    const ranBy: string[] = [];

    @Injectable()
    @Workflow({ name: 'nest.queued', queue: 'reports' })
    class Queued {
      @LambdaStep() render(ctx: WorkflowContext) {
        ranBy.push(`${ctx.runId}@${process.pid}`);
        return { week: ctx.getParam<string>('week') };
      }
    }
    const moduleWith = (worker: boolean) => {
      @Module({ imports: [SpineModule.forRoot({ database: sqliteOptions(file), ...(worker && { worker: { queues: ['reports'], pollIntervalMs: 20 } }) })], providers: [Queued] })
      class ReplicaModule {}
      return ReplicaModule;
    };
    const apps: INestApplication[] = [];
    try {
      for (const worker of [false, true, true]) {
        const app = (await Test.createTestingModule({ imports: [moduleWith(worker)] }).compile()).createNestApplication({ logger: false });
        await app.init();
        apps.push(app);
      }
      const front = apps[0]!.get(SpineService);
      const ids = [];
      for (let i = 0; i < 10; i++) ids.push((await front.enqueue('nest.queued', { params: { week: `2026-W${i + 10}` } })).runId);
      for (const [i, runId] of ids.entries()) {
        const result = await front.waitForResult(runId, { timeoutMs: 10_000 });
        expect(result).toMatchObject({ status: 'completed' });
        expect(result.context.getOutput('render', 'week')).toBe(`2026-W${i + 10}`);
      }
      expect(ranBy).toHaveLength(10);
      expect(new Set(ranBy.map((r) => r.split('@')[0])).size).toBe(10);
      const workers = await front.listWorkers();
      expect(workers).toHaveLength(2);
      expect(workers.every((w) => w.queues.join() === 'reports')).toBe(true);
    } finally {
      for (const app of apps) await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('SpineModule start-up checks', () => {
  it('makes app.init() fail with one error listing every problem of the workflow providers', async () => {
    @Workflow({ name: 'broken.iterator' })
    class NotAProvider {
      @LambdaStep() step() {}
    }

    @Injectable()
    @Workflow({ name: 'broken.weekly' })
    class Broken {
      @PipelineStep('finra.nowhere') ingest() {}
      @Choice({ then: 'publish' }) ready() {
        return true;
      }
      @MapStep({ items: [1, 2], iterator: NotAProvider }) fan() {}
    }
    @Module({ imports: [SpineModule.forRoot({ database: 'memory' })], providers: [Broken] })
    class BrokenModule {}

    const app = (await Test.createTestingModule({ imports: [BrokenModule] }).compile()).createNestApplication({ logger: false });
    const error = await app.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpineStartupError);
    const problems = (error as SpineStartupError).problems.join('\n');
    expect(problems).toContain('Workflow class NotAProvider is not a provider of any module; add it to a module');
    expect(problems).toContain('step "ready": then target "publish" is not a step of this workflow (steps: ingest, ready, fan)');
    expect(problems).toContain('"finra.nowhere"');
    await app.close();
  });
});

describe('npm run example:nest', () => {
  it('starts the compiled app with one command, serves the runs API, and shuts down on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'spine-nest-main-'));
    const child = spawn(process.execPath, [join(root, 'build', 'examples', 'nest-app', 'main.js')], { cwd, env: { ...process.env, PORT: '0' } });
    try {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const url = await poll(
        async () => /FINRA on Nest: (http:\/\/\S+)/.exec(out)?.[1],
        (u) => u !== undefined,
        'the app to listen',
      );
      const response = await fetch(`${url}/runs/finra.weekly_refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ week_ending: '2026-08-07', tier: 'OTC' }),
      });
      expect(response.status).toBe(202);
      const { runId } = (await response.json()) as { runId: string };
      const run = await poll(
        async () => (await (await fetch(`${url}/runs/${runId}`)).json()) as { status: string },
        (r) => r.status !== 'running',
        'the run',
      );
      expect(run.status).toBe('completed');
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      child.kill('SIGTERM');
      // Nest's shutdown hooks close the application, then re-raise the signal to end the process
      expect(await exited).toBe('SIGTERM');
    } finally {
      child.kill('SIGKILL');
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the root package without Nest', () => {
  it('loads no @nestjs module unless spine-orchestration/nest is imported', () => {
    const script = [
      "require('spine-orchestration'); require('spine-orchestration/typeorm'); require('spine-orchestration/groups'); require('spine-orchestration/cli');",
      "const before = Object.keys(require.cache).filter((k) => k.includes('@nestjs')).length;",
      "require('spine-orchestration/nest');",
      "const after = Object.keys(require.cache).filter((k) => k.includes('@nestjs')).length;",
      'console.log(before, after > 0);',
    ].join('\n');
    expect(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' }).trim()).toBe('0 true');
  });
});
