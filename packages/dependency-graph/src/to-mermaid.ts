// Mermaid flowchart export of a dependency graph, for Markdown (GitHub, GitLab, Notion render it).
import type { DependencyGraph, DependencyNodeKind } from './dependency-graph.ts';
import { ERROR_HIGHLIGHT, formatCalls, formatMs, formatPercent } from './internal/format.ts';

const OPEN: Record<DependencyNodeKind, readonly [string, string]> = {
  service: ['(', ')'],
  database: ['[(', ')]'],
  cache: ['[[', ']]'],
  queue: ['[/', '/]'],
  external: ['{{', '}}'],
};

// Mermaid labels are quoted; a quote inside must be an entity, and < > would be read as HTML.
const escapeMermaid = (s: string): string =>
  s.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');

/**
 * The graph as a Mermaid `flowchart LR`.
 *
 * **Details** Nodes are `n0`, `n1`, … in the order of `graph.services`, labelled with name and calls; shapes by
 * kind: service rounded, database cylinder, cache subroutine, queue parallelogram, external hexagon. Edges carry
 * calls, P99 and the error rate when non-zero; edges failing at ≥ 5% get a red `linkStyle`.
 *
 * **Complexity** O(V + E).
 *
 * **Gotchas** Names are escaped with Mermaid entities (`#quot;`), so any service name is safe.
 *
 * @example
 * ```ts
 * const md = '```mermaid\n' + toMermaid(dependencyGraph(table)) + '```\n';
 * ```
 */
export function toMermaid(graph: DependencyGraph): string {
  const ids = new Map<string, string>();
  const lines = ['flowchart LR'];
  graph.services.forEach((s, i) => {
    const id = `n${i}`;
    ids.set(s.name, id);
    const [a, b] = OPEN[s.kind];
    lines.push(`  ${id}${a}"${escapeMermaid(s.name)}<br/>${formatCalls(s.calls)}"${b}`);
  });
  const red: number[] = [];
  graph.edges.forEach((e, i) => {
    let label = `${formatCalls(e.calls)}, p99 ${formatMs(e.p99Ms)}`;
    if (e.errors > 0) label += `, ${formatPercent(e.errorRate)} errors`;
    lines.push(`  ${ids.get(e.from)} -->|"${label}"| ${ids.get(e.to)}`);
    if (e.errorRate >= ERROR_HIGHLIGHT) red.push(i);
  });
  if (red.length > 0) lines.push(`  linkStyle ${red.join(',')} stroke:#d33,color:#d33`);
  return `${lines.join('\n')}\n`;
}
