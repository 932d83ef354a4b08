import type { StepDefinition } from './step-definition';
import { END, isWorkflowLike, type WorkflowDefinition, type WorkflowLookup } from './workflow-definition';

/** The formats `renderWorkflowGraph` draws. */
export type GraphFormat = 'mermaid' | 'dot';

/** One drawn step: its id, label and shape, and the step it draws (null for start and end). */
export interface GraphNode {
  readonly id: string;
  readonly label: string;
  readonly shape: 'box' | 'diamond' | 'hexagon' | 'subroutine' | 'terminal';
  readonly step: string | null;
}

/** A route between two drawn steps; a choice's are labelled yes / no. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string | null;
}

/** A workflow's routes (and its map iterators' routes, nested) as nodes and edges: what the console lays out. */
export interface WorkflowGraph {
  readonly title: string;
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
  readonly clusters: { readonly id: string; readonly title: string; readonly graph: WorkflowGraph }[];
}

type Graph = WorkflowGraph;

/**
 * Draws a workflow as Mermaid (`flowchart TD`) or Graphviz DOT: every step with a shape by kind,
 * the order they run in, `next` jumps, a choice's then/otherwise branches and `END`, and each
 * map step's iterator as a nested cluster. Iterators given by name are looked up in `workflows`.
 */
export function renderWorkflowGraph(definition: WorkflowDefinition, format: GraphFormat = 'mermaid', workflows?: Pick<WorkflowLookup, 'get'>): string {
  const graph = workflowGraph(definition, workflows);
  return format === 'dot' ? toDot(graph) : toMermaid(graph);
}

/** A workflow's graph as data (nodes, edges, iterator clusters), as `renderWorkflowGraph` draws it. */
export function workflowGraph(definition: WorkflowDefinition, workflows?: Pick<WorkflowLookup, 'get'>): WorkflowGraph {
  return buildGraph(definition, 'w', workflows, new Set([definition.name]));
}

function stepLabel(step: StepDefinition): Omit<GraphNode, 'id'> {
  switch (step.type) {
    case 'lambda':
      return { label: step.name, shape: 'box', step: step.name };
    case 'pipeline':
      return { label: `${step.name}\n(pipeline ${step.pipeline})`, shape: 'box', step: step.name };
    case 'choice':
      return { label: `${step.name}?`, shape: 'diamond', step: step.name };
    case 'wait':
      return { label: `${step.name}\n(wait${step.seconds !== null ? ` ${step.seconds} s` : ' until'})`, shape: 'hexagon', step: step.name };
    case 'map': {
      const over = step.itemsPath ?? (step.items !== null ? `${step.items.length} items` : 'items');
      return { label: `${step.name}\n(map over ${over}, ≤ ${step.maxConcurrency} at a time)`, shape: 'subroutine', step: step.name };
    }
  }
}

function buildGraph(definition: WorkflowDefinition, prefix: string, workflows: Pick<WorkflowLookup, 'get'> | undefined, path: ReadonlySet<string>): Graph {
  const steps = definition.steps;
  const idOf = new Map(steps.map((step, index) => [step.name, `${prefix}_${index}`]));
  const start = `${prefix}_start`;
  const end = `${prefix}_end`;
  const graph: Graph = { title: definition.name, nodes: [{ id: start, label: 'start', shape: 'terminal', step: null }], edges: [], clusters: [] };
  const target = (name: string | null, index: number): string => (name === END ? end : name !== null ? (idOf.get(name) ?? end) : (idOf.get(steps[index + 1]?.name ?? '') ?? end));

  graph.edges.push({ from: start, to: steps.length > 0 ? idOf.get(steps[0]!.name)! : end, label: null });
  steps.forEach((step, index) => {
    const id = idOf.get(step.name)!;
    graph.nodes.push({ id, ...stepLabel(step) });
    if (step.type === 'choice') {
      graph.edges.push({ from: id, to: target(step.then, index), label: 'yes' });
      graph.edges.push({ from: id, to: target(step.otherwise ?? step.next, index), label: 'no' });
    } else {
      graph.edges.push({ from: id, to: target(step.next, index), label: null });
    }
    if (step.type === 'map') {
      const iterator = iteratorOf(step.iterator, workflows);
      if (iterator === null || path.has(iterator.name)) return;
      const cluster = buildGraph(iterator, `${id}_i`, workflows, new Set([...path, iterator.name]));
      graph.clusters.push({ id: `${id}_iterator`, title: `each item: ${iterator.name}`, graph: cluster });
      graph.edges.push({ from: id, to: `${id}_i_start`, label: 'per item' });
    }
  });
  graph.nodes.push({ id: end, label: 'end', shape: 'terminal', step: null });
  return graph;
}

function iteratorOf(iterator: WorkflowDefinition | StepDefinition | string, workflows: Pick<WorkflowLookup, 'get'> | undefined): WorkflowDefinition | null {
  if (typeof iterator === 'string') return workflows?.get(iterator) ?? null;
  if (isWorkflowLike(iterator)) return iterator;
  const step = iterator as StepDefinition;
  return {
    name: step.name,
    domain: null,
    version: 1,
    description: null,
    defaults: {},
    params: null,
    steps: [step],
    maxSteps: 1,
    tags: [],
    queue: null,
    checkpointEvery: null,
    timeoutMs: null,
    onDefinitionChange: 'pin',
  };
}

const mermaidText = (text: string): string => `"${text.replace(/"/g, '#quot;').replace(/\n/g, '<br/>')}"`;

function mermaidNode(node: GraphNode): string {
  const text = mermaidText(node.label);
  switch (node.shape) {
    case 'diamond':
      return `${node.id}{${text}}`;
    case 'hexagon':
      return `${node.id}{{${text}}}`;
    case 'subroutine':
      return `${node.id}[[${text}]]`;
    case 'terminal':
      return `${node.id}([${text}])`;
    default:
      return `${node.id}[${text}]`;
  }
}

function toMermaid(graph: Graph): string {
  const lines = [`flowchart TD`, `  %% workflow ${graph.title}`];
  const emit = (g: Graph, indent: string): void => {
    for (const node of g.nodes) lines.push(`${indent}${mermaidNode(node)}`);
    for (const cluster of g.clusters) {
      lines.push(`${indent}subgraph ${cluster.id}[${mermaidText(cluster.title)}]`);
      emit(cluster.graph, `${indent}  `);
      lines.push(`${indent}end`);
    }
    for (const edge of g.edges) lines.push(`${indent}${edge.from} -->${edge.label === null ? '' : `|${edge.label}|`} ${edge.to}`);
  };
  emit(graph, '  ');
  return `${lines.join('\n')}\n`;
}

const dotText = (text: string): string => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
const DOT_SHAPES: Record<GraphNode['shape'], string> = { box: 'box', diamond: 'diamond', hexagon: 'hexagon', subroutine: 'box3d', terminal: 'oval' };

function toDot(graph: Graph): string {
  const lines = [`digraph ${dotText(graph.title)} {`, '  rankdir=TB;', '  node [fontname="Helvetica"];'];
  const emit = (g: Graph, indent: string): void => {
    for (const node of g.nodes) lines.push(`${indent}${node.id} [label=${dotText(node.label)}, shape=${DOT_SHAPES[node.shape]}];`);
    for (const cluster of g.clusters) {
      lines.push(`${indent}subgraph cluster_${cluster.id} {`, `${indent}  label=${dotText(cluster.title)};`, `${indent}  style=dashed;`);
      emit(cluster.graph, `${indent}  `);
      lines.push(`${indent}}`);
    }
    for (const edge of g.edges) lines.push(`${indent}${edge.from} -> ${edge.to}${edge.label === null ? '' : ` [label=${dotText(edge.label)}]`};`);
  };
  emit(graph, '  ');
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
