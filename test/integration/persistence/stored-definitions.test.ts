import { HandlerRegistry, Spine, Step, StepResult, Workflow, type SpineLogger } from 'spine-orchestration';
import { TABLES } from '../../../src/persistence';
import { storedJson, testDrivers, useTestDatabase, type TestDatabase } from '../../support/databases';

const YAML_V1 = `name: stored.weekly
domain: demo
description: Stored in the database
version: 1
tags: [demo]
steps:
  - name: count
    type: lambda
    handler: demo.count
  - name: enough
    type: choice
    condition: "outputs.count.rows >= 3"
    then_step: report
    else_step: $end
  - name: report
    type: lambda
    handler: demo.report
`;
const YAML_V2 = YAML_V1.replace('version: 1', 'version: 2').replace('>= 3', '>= 1');

const handlers = () =>
  new HandlerRegistry().handler('demo.count', (ctx) => ({ rows: ctx.getParam<number>('rows', 0) })).handler('demo.report', (ctx) => StepResult.ok({ reported: ctx.getOutput('count', 'rows') }));

/** Definitions stored in the database (design 07's "alternative to code definitions"), loaded by the processes that can run them. */
describe.each(testDrivers())('stored workflow definitions on %s', (driver) => {
  const database = useTestDatabase(driver);
  let db: TestDatabase;
  beforeAll(() => {
    db = database();
  });
  const spines: Spine[] = [];
  afterAll(async () => {
    for (const spine of spines) await spine.close();
  });
  const codeWorkflow = Workflow.define({ name: 'code.wf', steps: [Step.lambda('x', () => ({}))] });
  const open = async (options: { handlers?: HandlerRegistry[]; logger?: SpineLogger } = {}): Promise<Spine> => {
    const spine = await Spine.create({
      database: db.dataSource,
      workflows: [codeWorkflow],
      recoverOnStart: false,
      logger: options.logger ?? { warn: () => undefined },
      ...(options.handlers && { handlers: options.handlers }),
    });
    spines.push(spine);
    return spine;
  };

  it('stores a definition versioned with one active version; a process started later with the handlers runs it; one without them passes it over, saying why', async () => {
    const admin = await open({ handlers: [handlers()] });
    expect(await admin.saveDefinition(YAML_V1, { createdBy: 'ops' })).toMatchObject({ name: 'stored.weekly', version: 1, created: true });
    expect(await admin.saveDefinition(YAML_V1)).toMatchObject({ created: false });
    const second = await admin.saveDefinition(YAML_V2, { createdBy: 'ops' });
    expect(second).toMatchObject({ version: 2, created: true });
    const rows = (await db.dataSource.query(`SELECT version, is_active, kind, created_by, description, tags FROM ${TABLES.workflows} WHERE name = ? AND kind = 'declarative' ORDER BY version`, [
      'stored.weekly',
    ])) as Record<string, unknown>[];
    expect(rows.map((r) => [Number(r.version), Number(r.is_active), r.kind, r.created_by, r.description, storedJson(r.tags)])).toEqual([
      [1, 0, 'declarative', 'ops', 'Stored in the database', ['demo']],
      [2, 1, 'declarative', 'ops', 'Stored in the database', ['demo']],
    ]);
    expect((await admin.listStoredDefinitions()).map((d) => [d.name, d.version, d.hash])).toEqual([['stored.weekly', 2, second.hash]]);

    const worker = await open({ handlers: [handlers()] });
    const result = await worker.run('stored.weekly', { params: { rows: 2 } });
    expect(result.status).toBe('completed');
    expect(result.context.getOutput('report')).toEqual({ reported: 2 });

    const warnings: string[] = [];
    const other = await open({ logger: { warn: (_f, m) => warnings.push(m) } });
    expect(other.workflows().map((w) => w.name)).not.toContain('stored.weekly');
    expect(warnings.join('\n')).toContain('stored definition "stored.weekly" (version 2, core_workflows) is not run by this process');
    expect(warnings.join('\n')).toContain('no handler named "demo.count" is registered');
  });

  it('refuses a definition it could not run, or whose name a code workflow owns; nothing is stored', async () => {
    const admin = await open({ handlers: [handlers()] });
    await expect(admin.saveDefinition(YAML_V1.replace('demo.report', 'demo.missing').replace('name: stored.weekly', 'name: stored.broken'))).rejects.toThrow(
      'no handler named "demo.missing" is registered',
    );
    await expect(admin.saveDefinition({ name: 'stored.bad', steps: [{ name: 'x', type: 'pipeline', pipeline: 'no.such.pipeline' }] })).rejects.toThrow('no.such.pipeline');
    await expect(admin.saveDefinition({ name: 'code.wf', steps: [{ name: 'count', type: 'lambda', handler: 'demo.count' }] })).rejects.toThrow(
      'workflow "code.wf" is defined by a workflow definition; a stored definition of that name would never run',
    );
    const rows = (await db.dataSource.query(`SELECT name FROM ${TABLES.workflows} WHERE kind = 'declarative' AND name IN ('stored.broken', 'stored.bad', 'code.wf')`)) as unknown[];
    expect(rows).toEqual([]);
  });

  it('keeps one active definition per name in core_workflows: a code version 2 registered after a stored version 2 becomes the active one; within a process the newest version', async () => {
    const admin = await open({ handlers: [handlers()] });
    await admin.saveDefinition(YAML_V2.replace('name: stored.weekly', 'name: stored.mixed'));
    const code = (version: number) => Workflow.define({ name: 'stored.mixed', version, steps: [Step.lambda('x', () => ({}))] });
    spines.push(await Spine.create({ database: db.dataSource, workflows: [code(2), code(1)], recoverOnStart: false, logger: { warn: () => undefined } }));
    const rows = (await db.dataSource.query(`SELECT version, kind, is_active FROM ${TABLES.workflows} WHERE name = ? ORDER BY id`, ['stored.mixed'])) as Record<string, unknown>[];
    expect(rows.map((r) => [Number(r.version), r.kind, Number(r.is_active)])).toEqual([
      [2, 'declarative', 0],
      [1, 'code', 0],
      [2, 'code', 1],
    ]);
  });
});
