import 'reflect-metadata';
import { IsInt, Min } from 'class-validator';
import { Container, inject } from 'inversify';
import { join } from 'node:path';
import {
  Choice,
  InMemoryRunStore,
  LambdaStep,
  MapStep,
  Pipeline,
  PipelineRegistry,
  PipelineStep,
  Spine,
  SpineError,
  SpineStartupError,
  Step,
  StepResult,
  Workflow,
  spineStore,
  type WorkflowContext,
} from 'spine-orchestration';

class Notifier {
  send() {
    return 'sent';
  }
}

@Pipeline('unit.fetch')
class FetchPipeline {
  run() {
    return { output: { rows: 3 } };
  }
}

@Workflow({ name: 'unit.ok' })
class OkWorkflow {
  @PipelineStep('unit.fetch') fetch() {}
  @LambdaStep() count(ctx: import('spine-orchestration').WorkflowContext) {
    return { rows: ctx.getOutput('fetch', 'rows') };
  }
}

async function startupProblems(options: Parameters<typeof Spine.create>[0]): Promise<readonly string[]> {
  try {
    await Spine.create({ database: 'memory', ...options });
  } catch (error) {
    if (error instanceof SpineStartupError) return error.problems;
    throw error;
  }
  throw new Error('expected Spine.create to fail');
}

describe('Spine', () => {
  it('runs a decorated workflow with a decorated pipeline, binding both classes itself', async () => {
    const spine = await Spine.create({ database: 'memory', workflows: [OkWorkflow], pipelines: [FetchPipeline] });
    const result = await spine.run('unit.ok');
    expect(result.status).toBe('completed');
    expect(result.context.getOutput('count', 'rows')).toBe(3);
    expect(spine.container.isBound(OkWorkflow)).toBe(true);
    expect(spine.container.isBound(FetchPipeline)).toBe(true);
  });

  it('mixes decorated classes with Workflow.define definitions and a PipelineRegistry', async () => {
    const registry = new PipelineRegistry().register('unit.plain', () => ({ output: { plain: true } }));
    const defined = Workflow.define({ name: 'unit.defined', steps: [Step.pipeline('plain', 'unit.plain'), Step.pipeline('fetch', 'unit.fetch')] });
    const spine = await Spine.create({ database: 'memory', workflows: [OkWorkflow, defined], pipelines: [FetchPipeline, registry] });
    expect(spine.workflows().map((w) => w.name)).toEqual(['unit.defined', 'unit.ok']);
    const result = await spine.run('unit.defined');
    expect(result.context.getOutput('plain')).toEqual({ plain: true });
    expect(result.context.getOutput('fetch')).toEqual({ rows: 3 });
  });

  it('fails start-up with one error listing every problem across all classes', async () => {
    @Workflow({ name: 'unit.dup' })
    class DuplicateA {
      @LambdaStep() a() {}
    }
    @Workflow({ name: 'unit.dup' })
    class DuplicateB {
      @LambdaStep() b() {}
    }
    @Pipeline('unit.fetch')
    class FetchAgain {
      run() {
        return {};
      }
    }
    class NotAWorkflow {}
    @Workflow({ name: 'unit.broken' })
    class Broken {
      @LambdaStep({ name: 'same' }) one() {}
      @LambdaStep({ name: 'same' }) two() {}
      @Choice({ then: 'nowhere' }) route() {
        return true;
      }
      @PipelineStep('unit.nobody') missing() {}
      @LambdaStep() @Choice({ then: 'same' }) twice() {}
      @Choice({ then: 'same' }) notAFunction = 3;
      @MapStep({ items: [1], iterator: NotAWorkflow }) fan() {}
    }
    @Workflow({ name: 'unit.di' })
    class NeedsService {
      constructor(@inject(Notifier) readonly notifier: Notifier) {}
      @LambdaStep() a() {}
    }
    const problems = await startupProblems({ workflows: [DuplicateA, DuplicateB, Broken, NeedsService], pipelines: [FetchPipeline, FetchAgain] });
    expect(problems).toEqual(
      expect.arrayContaining([
        'pipeline name "unit.fetch" is claimed by both class FetchPipeline and class FetchAgain; give each pipeline its own name',
        'workflow "unit.dup" version 1 is claimed by both class DuplicateA and class DuplicateB; give each workflow its own name, or each version of one workflow its own version number',
        'workflow "unit.broken" (class Broken): method "twice" has 2 step decorators (@Choice, @LambdaStep); keep one',
        'workflow "unit.broken" (class Broken): @Choice on "notAFunction": "notAFunction" is not a method; put @Choice on a method',
        'workflow "unit.broken" (class Broken): @MapStep on "fan": iterator class NotAWorkflow is not a workflow; decorate it with @Workflow or name a workflow',
        'workflow "unit.broken" (class Broken): step "same" is declared more than once; give each step a unique name',
        'workflow "unit.broken" (class Broken): step "route": then target "nowhere" is not a step of this workflow (steps: same, route, missing, twice)',
        'workflow "unit.broken" (class Broken): step "missing": Pipeline "unit.nobody" is not registered. Registered pipelines: unit.fetch.',
        'Workflow class NeedsService: constructor argument #1 (Notifier) is not bound in the container; bind it (container.bind(Notifier)…) or pass a container that has it',
      ]),
    );
    expect(problems).toHaveLength(9);
  });

  it('reports compile problems (duplicate steps, missing choice target) and unknown pipelines of otherwise sound classes', async () => {
    @Workflow({ name: 'unit.names' })
    class Names {
      @LambdaStep({ name: 'same' }) one() {}
      @LambdaStep({ name: 'same' }) two() {}
      @Choice({ then: 'nowhere' }) route() {
        return true;
      }
    }
    @Workflow({ name: 'unit.pipes' })
    class Pipes {
      @PipelineStep('unit.nobody') missing() {}
    }
    const problems = await startupProblems({ workflows: [Names, Pipes], pipelines: [FetchPipeline] });
    expect(problems).toEqual([
      'workflow "unit.names" (class Names): step "same" is declared more than once; give each step a unique name',
      'workflow "unit.names" (class Names): step "route": then target "nowhere" is not a step of this workflow (steps: same, route)',
      'workflow "unit.pipes": step "missing": Pipeline "unit.nobody" is not registered. Registered pipelines: unit.fetch.',
    ]);
  });

  it('passes start-up when the container provides the dependency', async () => {
    @Workflow({ name: 'unit.di_ok' })
    class UsesNotifier {
      constructor(@inject(Notifier) private readonly notifier: Notifier) {}
      @LambdaStep() a() {
        return { said: this.notifier.send() };
      }
    }
    const container = new Container();
    container.bind(Notifier).toSelf();
    const spine = await Spine.create({ database: 'memory', container, workflows: [UsesNotifier] });
    expect((await spine.run('unit.di_ok')).context.getOutput('a', 'said')).toBe('sent');
  });

  it('resumes a failed run of a decorated workflow on a new instance, skipping what completed', async () => {
    let locked = true;
    const made: number[] = [];
    @Workflow({ name: 'unit.resumable' })
    class Resumable {
      readonly id = made.push(made.length + 1);
      @PipelineStep('unit.fetch') fetch() {}
      @LambdaStep() load() {
        return locked ? StepResult.fail('table locked') : { loadedBy: this.id };
      }
    }
    const spine = await Spine.create({ database: 'memory', workflows: [Resumable], pipelines: [FetchPipeline] });
    const failed = await spine.run('unit.resumable');
    expect(failed.status).toBe('failed');
    locked = false;
    const resumed = await spine.resume(failed.runId);
    expect(resumed.status).toBe('completed');
    expect(resumed.context.getOutput('load')).toEqual({ loadedBy: 2 });
    expect(resumed.context.getOutput('fetch')).toEqual({ rows: 3 });
    expect((await spine.getRunSteps(failed.runId)).map((r) => `${r.stepName}:${r.status}`)).toEqual(['fetch:completed', 'load:failed', 'load:completed']);
  });

  it('names the known workflows when asked for an unknown one', async () => {
    const spine = await Spine.create({ database: 'memory', workflows: [OkWorkflow], pipelines: [FetchPipeline] });
    await expect(spine.run('unit.nope')).rejects.toThrow('Workflow "unit.nope" is not registered. Known workflows: unit.ok.');
  });

  it('refuses registration after start-up, saying where start-up happened', async () => {
    const spine = await Spine.create({ database: 'memory', workflows: [OkWorkflow], pipelines: [FetchPipeline] });
    expect(() => spine.register(OkWorkflow)).toThrow(/spine.register\(class OkWorkflow\): registration closed when Spine.create returned \(Spine.create at .*spine\.test\.ts/);
  });

  it('refuses runs once closed', async () => {
    const spine = await Spine.create({ database: 'memory', workflows: [OkWorkflow], pipelines: [FetchPipeline] });
    await spine.close();
    await expect(spine.run('unit.ok')).rejects.toThrow(SpineError);
  });

  it('reports a discovered module that fails to import as a start-up problem', async () => {
    const problems = await startupProblems({ cwd: join(__dirname, '..', '..', 'fixtures', 'broken-app'), discover: ['*.workflow.ts'], logger: { warn: () => undefined } });
    expect(problems).toEqual([expect.stringMatching(/^discover: importing .*explode\.workflow\.ts failed: configuration file missing at import time$/)]);
  });

  it('rejects a database option it does not understand, naming what it accepts', async () => {
    await expect(Spine.create({ database: 'sqlite' })).rejects.toThrow(
      `database URL "sqlite" is not one spine opens: use 'sqlite:.spine/spine.db', 'sqlite::memory:', 'mysql://user:password@host:3306/db', 'mariadb://…' or 'postgres://user:password@host:5432/db'`,
    );
    await expect(Spine.create({ database: 42 as never })).rejects.toThrow(
      `Spine.create: database must be 'memory', a database URL ('sqlite:…', 'mysql://…', 'mariadb://…', 'postgres://…'), TypeORM DataSourceOptions or a DataSource (got 42).`,
    );
  });
});

describe('Spine map items', () => {
  class ItemParams {
    @IsInt({ message: 'n must be a whole number' })
    @Min(1, { message: 'n must be at least 1' })
    n!: number;
  }

  @Workflow({ name: 'items.square', params: ItemParams })
  class Square {
    @LambdaStep() square(ctx: WorkflowContext) {
      const n = ctx.getParam<number>('n');
      return { type: typeof n, square: n * n };
    }
  }

  @Workflow({ name: 'items.fan' })
  class Fan {
    @MapStep({ itemsFrom: 'params.ns', itemParam: 'n', iterator: Square, toleratedFailureCount: 2 }) each() {}
  }

  it("checks each item's params with the iterator's params class: converted when they can be, the item failing (VALIDATION) when not", async () => {
    const spine = await Spine.create({ workflows: [Fan], database: 'memory', recoverOnStart: false });
    try {
      const result = await spine.run('items.fan', { params: { ns: ['3', 'x', 0] } });
      expect(result.status).toBe('partial');
      const map = result.context.getOutput<{ results: unknown[]; errors: { index: number; error: string; errorCategory: string; step: string | null }[] }>('each');
      expect(map.results[0]).toEqual({ type: 'number', square: 9 });
      expect(map.errors.map((e) => [e.index, e.errorCategory, e.step])).toEqual([
        [1, 'VALIDATION', null],
        [2, 'VALIDATION', null],
      ]);
      expect(map.errors[0]!.error).toContain('Invalid params for workflow "items.square" (1 field); no run was started:\n  - n: must be a number; got "x"');
      expect(map.errors[1]!.error).toContain('  - n: n must be at least 1');
    } finally {
      await spine.close();
    }
  });
});

describe('Spine.create on a store without a queue, schedules or signals', () => {
  it('refuses, before anything runs, every workflow, schedule and worker that needs what the store lacks, naming workflow, step and store', async () => {
    const full = spineStore(new InMemoryRunStore(), { name: 'memory', durable: false });
    const partial = { ...full, name: 'journal-only', queue: null, schedules: null, signals: null };
    const item = Workflow.define({ name: 'needs.item', steps: [Step.lambda('work', () => ({}))] });
    const fanOut = Workflow.define({ name: 'needs.fan_out', steps: [Step.map('fan', { items: [1, 2], iterator: item, distribute: true })] });
    const approval = Workflow.define({ name: 'needs.approval', steps: [Step.waitForSignal('sign_off', { signal: 'approved' })] });
    const plain = Workflow.define({ name: 'needs.nothing', steps: [Step.lambda('a', () => ({}))] });
    const refused = await Spine.create({
      store: partial,
      workflows: [item, fanOut, approval, plain],
      schedules: [{ workflow: 'needs.nothing', cron: '0 9 * * *', name: 'daily' }],
      worker: true,
      recoverOnStart: false,
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SpineStartupError);
    const problems = (refused as SpineStartupError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'workflow "needs.fan_out", step "fan": a distributed map enqueues its items, which the journal-only store does not offer (its queue is null); use a store that does',
        'workflow "needs.approval", step "sign_off": it waits for the signal "approved", which the journal-only store does not offer (its signals is null); use a store that does',
        'schedule "daily" of workflow "needs.nothing" needs schedules, which the journal-only store does not offer (its schedules is null)',
        'the worker option needs a run queue, which the journal-only store does not offer (its queue is null)',
      ]),
    );
    expect(problems.some((p) => p.includes('needs.nothing"') && p.startsWith('workflow'))).toBe(false);
    const fine = await Spine.create({ store: partial, workflows: [plain], recoverOnStart: false });
    expect((await fine.run('needs.nothing')).status).toBe('completed');
    await fine.close();
  });
});
