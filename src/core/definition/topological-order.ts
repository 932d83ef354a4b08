/** A node of a dependency graph. */
export interface DependencyNode {
  readonly name: string;
  readonly dependsOn: readonly string[];
}

/** The outcome of ordering a graph: an order when there is one, and everything wrong with it. */
export interface TopologicalOrder {
  /** Names, each after all of its dependencies; declaration order breaks ties. Empty when there are cycles. */
  readonly order: readonly string[];
  readonly missing: readonly { readonly node: string; readonly dependency: string }[];
  /** Each cycle as a path that returns to its start: ['a', 'b', 'a']. */
  readonly cycles: readonly (readonly string[])[];
}

/** Orders nodes so that every node comes after its dependencies (Kahn's algorithm, stable). */
export function topologicalOrder(nodes: readonly DependencyNode[]): TopologicalOrder {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const missing = nodes.flatMap((node) => node.dependsOn.filter((d) => !byName.has(d)).map((dependency) => ({ node: node.name, dependency })));
  const cycles = findCycles(nodes, byName);
  if (cycles.length > 0) return { order: [], missing, cycles };

  const remaining = new Map(nodes.map((node) => [node.name, node.dependsOn.filter((d) => byName.has(d)).length]));
  const dependents = new Map<string, string[]>();
  for (const node of nodes) {
    for (const dependency of node.dependsOn) {
      if (byName.has(dependency)) dependents.set(dependency, [...(dependents.get(dependency) ?? []), node.name]);
    }
  }
  const position = new Map(nodes.map((node, index) => [node.name, index]));
  const ready = nodes.filter((node) => remaining.get(node.name) === 0).map((node) => node.name);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => position.get(a)! - position.get(b)!);
    const name = ready.shift()!;
    order.push(name);
    for (const dependent of dependents.get(name) ?? []) {
      const left = remaining.get(dependent)! - 1;
      remaining.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  return { order, missing, cycles };
}

function findCycles(nodes: readonly DependencyNode[], byName: ReadonlyMap<string, DependencyNode>): string[][] {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    path.push(name);
    for (const dependency of byName.get(name)?.dependsOn ?? []) {
      if (!byName.has(dependency)) continue;
      const seen = state.get(dependency);
      if (seen === 'visiting') cycles.push([...path.slice(path.indexOf(dependency)), dependency]);
      else if (seen === undefined) visit(dependency);
    }
    path.pop();
    state.set(name, 'done');
  };
  for (const node of nodes) if (!state.has(node.name)) visit(node.name);
  return cycles;
}
