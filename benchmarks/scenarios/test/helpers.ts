// Test helpers: an independent critical-path walk and per-trace row grouping over a span table.
import { buildTraceTree, ParentRefType, type SpanTable, type TraceTree, traceIdAt } from '@aiops/span-model';

/** Rows of every trace, keyed by trace id hex. */
export function rowsByTrace(table: SpanTable): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (let i = 0; i < table.numSpans; i++) {
    const id = traceIdAt(table, i);
    let list = m.get(id);
    if (!list) m.set(id, (list = []));
    list.push(i);
  }
  return m;
}

/**
 * Rows on the critical path below `row`: the latest-ending child (clipped to the parent), then the latest child
 * ending before that child's start, and so on, recursively; FOLLOWS_FROM children never count.
 */
export function criticalRows(
  table: SpanTable,
  tree: TraceTree,
  row: number,
  out: Set<number> = new Set(),
): Set<number> {
  out.add(row);
  const { startNano, endNano } = table.times;
  const kids = Array.from(
    tree.links.children.subarray(tree.links.childOffsets[row]!, tree.links.childOffsets[row + 1]!),
  ).filter((c) => table.columns.parentRefType[c] !== ParentRefType.FollowsFrom);
  let cur = endNano[row]!;
  const used = new Set<number>();
  for (;;) {
    let pick = -1;
    let best = -Infinity;
    for (const c of kids) {
      if (used.has(c) || startNano[c]! >= cur) continue;
      const e = Math.min(endNano[c]!, cur);
      if (e > best) {
        best = e;
        pick = c;
      }
    }
    if (pick < 0) break;
    used.add(pick);
    criticalRows(table, tree, pick, out);
    cur = startNano[pick]!;
  }
  return out;
}

export { buildTraceTree };
