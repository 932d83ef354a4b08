import { renderWorkflowGraph, Step, Workflow } from 'spine-orchestration';

const perWeek = Workflow.define({
  name: 'per_week',
  steps: [
    Step.lambda('load', () => ({})),
    Step.choice('enough', { when: () => true, then: 'rolling', otherwise: 'skip' }),
    Step.lambda('rolling', () => ({}), { next: Workflow.END }),
    Step.lambda('skip', () => ({})),
  ],
});

describe('renderWorkflowGraph', () => {
  describe('as Mermaid', () => {
    it('draws steps in run order, a choice with yes/no branches, and a jump to END', () => {
      const text = renderWorkflowGraph(perWeek);
      expect(text.split('\n')).toEqual([
        'flowchart TD',
        '  %% workflow per_week',
        '  w_start(["start"])',
        '  w_0["load"]',
        '  w_1{"enough?"}',
        '  w_2["rolling"]',
        '  w_3["skip"]',
        '  w_end(["end"])',
        '  w_start --> w_0',
        '  w_0 --> w_1',
        '  w_1 -->|yes| w_2',
        '  w_1 -->|no| w_3',
        '  w_2 --> w_end',
        '  w_3 --> w_end',
        '',
      ]);
    });

    it('nests a map iterator given by name as a subgraph, found through the lookup', () => {
      const backfill = Workflow.define({
        name: 'backfill',
        steps: [Step.map('weeks', { items: ['a', 'b'], itemParam: 'week', iterator: 'per_week', maxConcurrency: 2 }), Step.pipeline('summary', 'p.summary')],
      });
      const text = renderWorkflowGraph(backfill, 'mermaid', { get: (name) => (name === 'per_week' ? perWeek : undefined) });
      expect(text).toContain('  w_0[["weeks<br/>(map over 2 items, ≤ 2 at a time)"]]');
      expect(text).toContain('  subgraph w_0_iterator["each item: per_week"]');
      expect(text).toContain('    w_0_i_1{"enough?"}');
      expect(text).toContain('  w_0 -->|per item| w_0_i_start');
      expect(text).toContain('  w_1["summary<br/>(pipeline p.summary)"]');
    });

    it('leaves out an iterator it cannot find, and does not recurse into a workflow that maps over itself', () => {
      const selfish: ReturnType<typeof Workflow.define> = Workflow.define({ name: 'selfish', steps: [Step.map('again', { items: [], iterator: 'selfish' })] });
      const text = renderWorkflowGraph(selfish, 'mermaid', { get: () => selfish });
      expect(text).not.toContain('subgraph');
      expect(renderWorkflowGraph(selfish)).not.toContain('subgraph');
    });
  });

  describe('as DOT', () => {
    it('uses shapes per kind, labelled branch edges and a dashed cluster per iterator; quotes are escaped', () => {
      const wf = Workflow.define({
        name: 'say "hi"',
        steps: [Step.wait('pause', { seconds: 5 }), Step.map('each', { items: [1], iterator: perWeek })],
      });
      const text = renderWorkflowGraph(wf, 'dot');
      expect(text).toContain('digraph "say \\"hi\\"" {');
      expect(text).toContain('w_0 [label="pause\\n(wait 5 s)", shape=hexagon];');
      expect(text).toContain('w_1 [label="each\\n(map over 1 items, ≤ 4 at a time)", shape=box3d];');
      expect(text).toContain('subgraph cluster_w_1_iterator {');
      expect(text).toContain('w_1_i_1 -> w_1_i_2 [label="yes"];');
    });
  });
});
