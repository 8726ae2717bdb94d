// Terminal drawings of a dependency graph: layers of boxes with the arrows leaving each layer (small graphs), or an
// indented call tree from the entry nodes (large graphs).
import type { Colors } from '../format.ts';
import { displayWidth, formatCount, formatMs, formatShare, truncate } from '../format.ts';

/** A node as drawn. */
export interface DrawNode {
  readonly name: string;
  readonly kind: string;
  readonly calls: number;
}

/** An edge as drawn. */
export interface DrawEdge {
  readonly from: string;
  readonly to: string;
  readonly calls: number;
  readonly p99Ms: number;
  readonly errorRate: number;
}

const KIND_TAG: Record<string, string> = { database: 'db', cache: 'cache', queue: 'queue', external: 'ext' };

function label(n: DrawNode): string {
  const tag = KIND_TAG[n.kind];
  return tag ? `${n.name} [${tag}]` : n.name;
}

function edgeFacts(e: DrawEdge): string {
  return `${formatCount(e.calls)} calls · p99 ${formatMs(e.p99Ms)}${e.errorRate > 0 ? ` · ${formatShare(e.errorRate)} err` : ''}`;
}

/** Layer of each node: longest path from a node with no caller (cycles cut by visiting order). */
export function layersOf(nodes: readonly DrawNode[], edges: readonly DrawEdge[]): Map<string, number> {
  const out = new Map<string, readonly string[]>();
  const indeg = new Map<string, number>();
  for (const n of nodes) {
    out.set(n.name, []);
    indeg.set(n.name, 0);
  }
  for (const e of edges) {
    if (e.from === e.to || !out.has(e.from) || !out.has(e.to)) continue;
    (out.get(e.from) as string[]).push(e.to);
    indeg.set(e.to, indeg.get(e.to)! + 1);
  }
  // Kahn's order; nodes left in cycles are released one at a time, fewest callers first.
  const layer = new Map<string, number>();
  const remaining = new Map(indeg);
  const ready = nodes.filter((n) => indeg.get(n.name) === 0).map((n) => n.name);
  for (const n of ready) layer.set(n, 0);
  const done = new Set<string>();
  while (done.size < nodes.length) {
    if (ready.length === 0) {
      let pick = '';
      let best = Number.POSITIVE_INFINITY;
      for (const n of nodes) {
        if (!done.has(n.name) && remaining.get(n.name)! < best) {
          best = remaining.get(n.name)!;
          pick = n.name;
        }
      }
      if (!layer.has(pick)) layer.set(pick, 0);
      ready.push(pick);
    }
    const n = ready.shift()!;
    if (done.has(n)) continue;
    done.add(n);
    for (const m of out.get(n)!) {
      if (done.has(m)) continue;
      layer.set(m, Math.max(layer.get(m) ?? 0, layer.get(n)! + 1));
      remaining.set(m, remaining.get(m)! - 1);
      if (remaining.get(m) === 0) ready.push(m);
    }
  }
  return layer;
}

/**
 * Layers of boxes, each followed by the arrows leaving it; undefined when a layer does not fit in `width`
 * (the caller then draws the tree).
 */
export function drawBoxes(
  nodes: readonly DrawNode[],
  edges: readonly DrawEdge[],
  width: number,
  c: Colors,
): string[] | undefined {
  const layer = layersOf(nodes, edges);
  const depth = Math.max(0, ...layer.values());
  const lines: string[] = [];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (let l = 0; l <= depth; l++) {
    const row = nodes.filter((n) => layer.get(n.name) === l).sort((a, b) => b.calls - a.calls);
    if (row.length === 0) continue;
    const texts = row.map((n) => truncate(label(n), 28));
    const total = texts.reduce((s, t) => s + displayWidth(t) + 4, 0) + (texts.length - 1) * 2;
    if (total + 2 > width) return undefined;
    const boxes = texts.map((t) => {
      const w = displayWidth(t);
      return [`┌${'─'.repeat(w + 2)}┐`, `│ ${t} │`, `└${'─'.repeat(w + 2)}┘`];
    });
    for (let k = 0; k < 3; k++)
      lines.push(
        `  ${boxes.map((b) => (k === 1 ? b[k]!.replace(/│ (.*) │/, (_m, s: string) => `│ ${c.bold(s)} │`) : b[k]!)).join('  ')}`,
      );
    const leaving = edges.filter((e) => layer.get(e.from) === l && byName.has(e.to)).sort((a, b) => b.calls - a.calls);
    const nameW = Math.min(24, Math.max(0, ...leaving.map((e) => displayWidth(e.from))));
    const toW = Math.min(28, Math.max(0, ...leaving.map((e) => displayWidth(label(byName.get(e.to)!)))));
    for (const e of leaving) {
      // ↑ marks a call back to an earlier layer (a cycle in the graph).
      const back = (layer.get(e.to) ?? 0) <= l ? ' ↑ ' : '  ';
      const line = `    ${truncate(e.from, 24).padEnd(nameW)} ──▶ ${truncate(label(byName.get(e.to)!), 28).padEnd(toW)}${back}${c.dim(edgeFacts(e))}`;
      lines.push(e.errorRate >= 0.05 ? c.red(line) : line);
    }
  }
  return lines;
}

/** An indented tree from the entry nodes (no callers); a node drawn before is shown once more with ↺. */
export function drawTree(nodes: readonly DrawNode[], edges: readonly DrawEdge[], c: Colors, maxLines = 200): string[] {
  const out = new Map<string, DrawEdge[]>();
  const hasCaller = new Set<string>();
  for (const n of nodes) out.set(n.name, []);
  for (const e of edges) {
    if (!out.has(e.from) || !out.has(e.to)) continue;
    out.get(e.from)!.push(e);
    if (e.from !== e.to) hasCaller.add(e.to);
  }
  for (const list of out.values()) list.sort((a, b) => b.calls - a.calls);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const lines: string[] = [];
  const seen = new Set<string>();
  let cut = false;
  const visit = (name: string, prefix: string, via: DrawEdge | undefined, last: boolean, top: boolean): void => {
    if (lines.length >= maxLines) {
      cut = true;
      return;
    }
    const n = byName.get(name)!;
    const branch = top ? '' : last ? '└─▶ ' : '├─▶ ';
    const again = seen.has(name);
    const facts = via ? c.dim(`  ${edgeFacts(via)}`) : c.dim(`  ${formatCount(n.calls)} requests`);
    lines.push(
      `  ${prefix}${branch}${c.bold(label(n))}${again && (out.get(name)?.length ?? 0) > 0 ? c.dim(' ↺ (above)') : ''}${facts}`,
    );
    if (again) return;
    seen.add(name);
    const kids = out.get(name)!.filter((e) => e.to !== name);
    const childPrefix = top ? prefix : prefix + (last ? '    ' : '│   ');
    kids.forEach((e, i) => {
      visit(e.to, childPrefix, e, i === kids.length - 1, false);
    });
  };
  const entries = nodes.filter((n) => !hasCaller.has(n.name)).sort((a, b) => b.calls - a.calls);
  for (const n of entries) visit(n.name, '', undefined, true, true);
  for (const n of [...nodes].sort((a, b) => b.calls - a.calls))
    if (!seen.has(n.name)) visit(n.name, '', undefined, true, true);
  if (cut) lines.push(c.dim(`  … graph cut at ${maxLines} lines (use --format dot or --output deps.html)`));
  return lines;
}
