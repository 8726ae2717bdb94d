// Graphviz DOT export of a dependency graph: one node per service (shape by kind), one edge per caller → callee.
import type { DependencyGraph, DependencyNodeKind } from './dependency-graph.ts';
import { ERROR_HIGHLIGHT, formatCalls, formatMs, formatPercent } from './internal/format.ts';

const SHAPE: Record<DependencyNodeKind, string> = {
  service: 'shape=box, style=rounded',
  database: 'shape=cylinder',
  cache: 'shape=box3d',
  queue: 'shape=cds',
  external: 'shape=box, style=dashed',
};

const escapeDot = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
const quote = (s: string): string => `"${escapeDot(s)}"`;

/**
 * The graph in Graphviz DOT, left to right.
 *
 * **Details** Services are rounded boxes, databases cylinders, caches 3-D boxes, queues `cds`, external systems
 * dashed boxes. Node labels give calls and P99; edge labels give calls, P99 and the error rate when non-zero;
 * edges failing at ≥ 5% are red.
 *
 * **Complexity** O(V + E).
 *
 * **Gotchas** Names are quoted and escaped, so any service name is valid DOT.
 *
 * @example
 * ```ts
 * fs.writeFileSync('deps.dot', toDot(dependencyGraph(table))); // dot -Tsvg deps.dot > deps.svg
 * ```
 */
export function toDot(graph: DependencyGraph): string {
  const lines = ['digraph dependencies {', '  rankdir=LR;', '  node [fontname="Helvetica"];'];
  for (const s of graph.services) {
    const label = `"${escapeDot(s.name)}\\n${formatCalls(s.calls)}, p99 ${formatMs(s.p99Ms)}"`;
    lines.push(`  ${quote(s.name)} [${SHAPE[s.kind]}, label=${label}];`);
  }
  for (const e of graph.edges) {
    let label = `${formatCalls(e.calls)}\\np99 ${formatMs(e.p99Ms)}`;
    if (e.errors > 0) label += `\\n${formatPercent(e.errorRate)} errors`;
    const color = e.errorRate >= ERROR_HIGHLIGHT ? ', color=red, fontcolor=red' : '';
    lines.push(`  ${quote(e.from)} -> ${quote(e.to)} [label="${label}"${color}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
