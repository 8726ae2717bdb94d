// Which span's interval a trace's critical path tiles: its root, or — when the root is missing — its longest orphan.
import type { TraceTree } from '@aiops/span-model';

/** How a trace's head was chosen. */
export const HEAD_NONE = 0;
export const HEAD_ROOT = 1;
export const HEAD_ORPHAN = 2;
export const HEAD_GIVEN = 3;

/** Head row, kind and root count of every trace. */
export interface Heads {
  readonly head: Int32Array;
  readonly kind: Uint8Array;
  readonly rootCount: Int32Array;
  readonly orphanCount: Int32Array;
}

/**
 * Picks the head of each trace: the longest root span (ties: earliest start, then lowest row); without a root, the
 * longest subtree head whose parent is missing (orphan). Traces made only of a parent cycle get no head.
 */
export function chooseHeads(tree: TraceTree): Heads {
  const { traces, links } = tree;
  const { parent } = links;
  const ref = tree.table.columns.parentRefType;
  const { startNano, durationNano } = tree.table.times;
  const head = new Int32Array(traces.traceCount).fill(-1);
  const kind = new Uint8Array(traces.traceCount);
  const rootCount = new Int32Array(traces.traceCount);
  const orphanCount = new Int32Array(traces.traceCount);
  for (let t = 0; t < traces.traceCount; t++) {
    let best = -1;
    let bestKind = HEAD_NONE;
    for (let k = traces.offsets[t]!, end = traces.offsets[t + 1]!; k < end; k++) {
      const r = traces.rows[k]!;
      if (parent[r] !== -1) continue;
      const isRoot = ref[r] === 0;
      if (isRoot) rootCount[t]!++;
      else orphanCount[t]!++;
      const k2 = isRoot ? HEAD_ROOT : HEAD_ORPHAN;
      if (best < 0 || (k2 === HEAD_ROOT && bestKind === HEAD_ORPHAN)) {
        best = r;
        bestKind = k2;
        continue;
      }
      if (k2 !== bestKind) continue;
      const d = durationNano[r]! - durationNano[best]!;
      if (d > 0 || (d === 0 && (startNano[r]! < startNano[best]! || (startNano[r] === startNano[best] && r < best)))) {
        best = r;
      }
    }
    head[t] = best;
    kind[t] = bestKind;
  }
  return { head, kind, rootCount, orphanCount };
}
