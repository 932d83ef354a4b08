import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HandlerRegistry, loadWorkflow, StepResult, WorkflowDefinitionError, WorkflowRunner, workflowFromDocument, type WorkflowDefinition } from 'spine-orchestration';
import { FakeClock } from '../../../src/testing';

const dir = mkdtempSync(join(tmpdir(), 'spine-yaml-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const problemsOf = (load: () => unknown): readonly string[] => {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowDefinitionError);
    return (error as WorkflowDefinitionError).problems;
  }
  throw new Error('loaded without a problem');
};

const handlers = new HandlerRegistry()
  .handler('demo.count', (ctx) => StepResult.ok({ rows: ctx.getParam<number>('rows') }, { quality: { recordCount: ctx.getParam<number>('rows'), nullRate: 0 } }))
  .handler('demo.report', (ctx, config) => ({ label: config.label, rows: ctx.getOutput('count', 'rows'), workflow: ctx.workflowName }));

describe('workflows defined in YAML or JSON', () => {
  it('loads a YAML workflow into a WorkflowDefinition that runs like Workflow.define: handlers by name, conditions, waits from the context, design spellings', async () => {
    const path = file(
      'demo.yaml',
      `name: demo.yaml_flow
domain: demo
version: 2
defaults: { rows: 5, pause: 2 }
timeout_ms: 60000
steps:
  - name: count
    type: lambda
    handler: demo.count
    quality: { min_record_count: 1, max_null_rate: 0.01 }
    retry: { max_attempts: 2, retryable_categories: [NETWORK] }
  - name: big
    type: choice
    condition: "outputs.count.rows >= 10 and not small_only"
    then_step: pause
    else_step: report
  - name: pause
    type: wait
    duration_path: pause
  - name: report
    type: lambda
    handler: demo.report
    config: { label: weekly }
    on_error: continue
`,
    );
    const definition: WorkflowDefinition = loadWorkflow(path, { handlers });
    expect(definition).toMatchObject({ name: 'demo.yaml_flow', domain: 'demo', version: 2, timeoutMs: 60_000, defaults: { rows: 5, pause: 2 } });
    expect(definition.steps.map((s) => [s.name, s.type, s.onError])).toEqual([
      ['count', 'lambda', 'STOP'],
      ['big', 'choice', 'STOP'],
      ['pause', 'wait', 'STOP'],
      ['report', 'lambda', 'CONTINUE'],
    ]);
    expect(definition.steps[0]!.retry?.retryableCategories).toEqual(['NETWORK']);
    const clock = new FakeClock({ start: Date.parse('2026-11-28T12:00:00Z') });
    const runner = new WorkflowRunner({ clock });
    const small = await runner.execute(definition);
    expect(small.completedSteps).toEqual(['count', 'big', 'report']);
    expect(small.context.getOutput('report')).toEqual({ label: 'weekly', rows: 5, workflow: 'demo.yaml_flow' });
    const before = clock.now();
    const big = await runner.execute(definition, { params: { rows: 12 } });
    expect(big.completedSteps).toEqual(['count', 'big', 'pause', 'report']);
    // the wait took its seconds from the param named by duration_path
    expect(clock.now() - before).toBe(2000);
  });

  it('takes on_definition_change (continue or pin), refusing any other value by name', () => {
    const doc = (value: unknown) => ({ name: 'demo.versions', version: 3, on_definition_change: value, steps: [{ name: 'count', type: 'lambda', handler: 'demo.count' }] });
    expect(workflowFromDocument(doc('continue'), { handlers })).toMatchObject({ version: 3, onDefinitionChange: 'continue' });
    expect(workflowFromDocument({ ...doc('pin'), on_definition_change: undefined }, { handlers }).onDefinitionChange).toBe('pin');
    expect(problemsOf(() => workflowFromDocument(doc('sometimes'), { handlers })).join('\n')).toMatch(/on_definition_change/);
  });

  it('reads JSON files and documents given in code the same way', async () => {
    const document = { name: 'demo.json_flow', steps: [{ name: 'count', type: 'lambda', handler: 'demo.count' }] };
    const fromFile = loadWorkflow(file('demo.json', JSON.stringify(document)), { handlers });
    const fromObject = workflowFromDocument(document, { handlers });
    expect((await new WorkflowRunner().execute(fromFile, { params: { rows: 3 } })).context.getOutput('count')).toEqual({ rows: 3 });
    expect(fromObject.steps.map((s) => s.name)).toEqual(['count']);
  });

  it('lists every problem with its file, line and column: YAML syntax, schema, unknown handler, bad expression, unknown output step, routes', () => {
    expect(problemsOf(() => loadWorkflow(file('syntax.yaml', 'name: x\nsteps:\n  - name: a\n   type: lambda\n'))).join('\n')).toMatch(/syntax\.yaml:4:\d+: /);
    const problems = problemsOf(() =>
      loadWorkflow(
        file(
          'bad.yaml',
          `name: demo.bad
steps:
  - name: count
    type: lambda
    handler: demo.count
    on_error: sometimes
  - name: route
    type: choice
    condition: "rows >= "
    then: report
    then_step: report
  - name: pause
    type: wait
  - name: fan
    type: map
    iterator: demo.item
`,
        ),
        { handlers },
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(/bad\.yaml:6:15: steps\[0\]\.on_error: must be one of "stop", "continue", "retry"/),
      expect.stringMatching(/bad\.yaml:10:5: steps\[1\]: unknown field "then" \(a choice step has: name, type, condition, then_step, else_step/),
      expect.stringMatching(/bad\.yaml:12:5: steps\[2\]: needs exactly one of "seconds", "duration_path" or "signal"/),
      expect.stringMatching(/bad\.yaml:14:5: steps\[3\]: needs exactly one of "items" or "items_path"/),
    ]);
    const design = problemsOf(() => loadWorkflow(file('design.yaml', 'name: demo.design\nsteps:\n  - name: cooldown\n    type: wait\n    duration_seconds: 300\n'), { handlers }));
    expect(design).toContainEqual(expect.stringMatching(/design\.yaml:5:5: steps\[0\]: unknown field "duration_seconds" \(the design's spelling\): write "seconds"/));
    const compiled = problemsOf(() =>
      loadWorkflow(
        file(
          'compile.yaml',
          `name: demo.compile
steps:
  - name: count
    type: lambda
    handler: demo.cuont
  - name: route
    type: choice
    condition: "rows >= "
    then_step: count
  - name: route2
    type: choice
    condition: "outputs.loda.rows > 1"
    then_step: nowhere
`,
        ),
        { handlers },
      ),
    );
    expect(compiled).toEqual(
      [
        "compile.yaml:5:14: steps[0].handler: no handler named \"demo.cuont\" is registered (registered: demo.count, demo.report); add @Handler('demo.cuont') to a method of a discovered class, or HandlerRegistry.handler('demo.cuont', fn)",
        expect.stringMatching(/compile\.yaml:8:16: steps\[1\]\.condition: the condition of step "route": Expected expression after >= at character 9 of "rows >= "/),
        expect.stringMatching(/compile\.yaml:12:16: steps\[2\]\.condition: "outputs\.loda\.rows > 1" reads outputs\.loda, but the workflow has no step "loda"/),
      ].map((p) => (typeof p === 'string' ? p.replace('compile.yaml', join(dir, 'compile.yaml')) : p)),
    );
    // what only the compiler can tell: a route to a step that does not exist
    const routes = problemsOf(() => workflowFromDocument('name: demo.routes\nsteps:\n  - { name: r, type: choice, condition: "true", then_step: nowhere }\n', { source: 'routes.yaml' }));
    expect(routes.join('\n')).toContain('nowhere');
  });
});
