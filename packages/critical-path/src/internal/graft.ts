// Orphan grafting: when a span is lost (dropped by a collector, sampled away), its children become orphans and the
// span that called it looks like it waited on nothing. Grafting puts each orphan subtree back under the span that
// encloses it in time, so the critical path follows the time into the orphan's work instead of blaming the caller.
//
//   0 frontend  GET /cart        |=================================|
//   1 frontend  PUT /inventory     |==========================|        client span, its server child was lost
//   2 inventory SELECT (orphan)       |======================|        parent id points at the lost server span
//   without grafting: frontend owns 1's 440 ms; grafted under 1: the SELECT owns 400 ms of the path.
//
// Algorithm: orphans of a trace are grouped by their missing parent id (siblings under the lost span); each group's
// union interval is matched, within a tolerance for clock skew (and at least half of it inside), to the tightest enclosing span of the trace outside
// the group's subtrees — preferring a childless span (a call that waits on nothing visible), never a database call
// (a leaf call to a store has no instrumented callee) and never a span inside the group (no cycles).
import type { TraceTree } from '@aiops/span-model';

/** Children CSR with grafted orphans, and the graft parent of each grafted orphan. */
export interface GraftedLinks {
  readonly childOffsets: Int32Array;
  readonly children: Int32Array;
  /** Graft parent per row (-1 when the row is not a grafted orphan). Empty when nothing was grafted. */
  readonly graftParent: Int32Array;
  /** Orphans grafted. */
  readonly grafted: number;
}

// Traces larger than this are not searched (the search is O(orphans × spans) per trace).
const MAX_TRACE_SPANS = 20_000;

/**
 * Grafts orphan subtrees of traces that have a root under the span enclosing them in time.
 * `toleranceNano` absorbs clock skew between the caller's and the callee's hosts.
 */
export function graftOrphans(tree: TraceTree, toleranceNano: number, onlyTrace = -1): GraftedLinks {
  const { links, traces, table } = tree;
  const orphans = tree.issues.orphans;
  const none: GraftedLinks = {
    childOffsets: links.childOffsets,
    children: links.children,
    graftParent: new Int32Array(0),
    grafted: 0,
  };
  if (orphans.length === 0) return none;
  const n = table.numSpans;
  const { startNano, endNano, durationNano } = table.times;
  const { parent, childOffsets } = links;
  const pid = table.columns.parentSpanId;
  const db = table.dict('dbSystem');
  const isDb = db.values.map((v) => Boolean(v));
  const { traceOfRow } = traces;
  const graftParent = new Int32Array(n).fill(-1);
  let grafted = 0;
  // Orphans by trace.
  const byTrace = new Map<number, number[]>();
  for (let i = 0; i < orphans.length; i++) {
    const o = orphans[i]!;
    const t = traceOfRow[o]!;
    if (onlyTrace >= 0 && t !== onlyTrace) continue;
    let list = byTrace.get(t);
    if (!list) byTrace.set(t, (list = []));
    list.push(o);
  }
  const headOf = (r: number): number => {
    let x = r;
    for (let guard = 0; guard < n; guard++) {
      const p = parent[x]!;
      const g = p >= 0 ? p : graftParent[x]!;
      if (g < 0) return x;
      x = g;
    }
    return x;
  };
  for (const [t, list] of byTrace) {
    const a = traces.offsets[t]!;
    const b = traces.offsets[t + 1]!;
    if (b - a > MAX_TRACE_SPANS) continue;
    // A trace with no root keeps its orphans as they are: the longest one is its head.
    let hasRoot = false;
    for (let k = a; k < b; k++) {
      const r = traces.rows[k]!;
      if (parent[r] === -1 && table.columns.parentRefType[r] === 0) hasRoot = true;
    }
    if (!hasRoot) continue;
    // Group siblings by missing parent id; largest groups first so that nested orphans can graft into them.
    const groups = new Map<string, number[]>();
    for (const o of list) {
      let key = '';
      for (let j = 0; j < 8; j++) key += String.fromCharCode(pid[o * 8 + j]!);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(o);
    }
    const ordered = [...groups.values()].map((g) => {
      let s = Number.POSITIVE_INFINITY;
      let e = Number.NEGATIVE_INFINITY;
      for (const o of g) {
        if (startNano[o]! < s) s = startNano[o]!;
        if (endNano[o]! > e) e = endNano[o]!;
      }
      return { g, s, e };
    });
    ordered.sort((x, y) => y.e - y.s - (x.e - x.s));
    for (const { g, s, e } of ordered) {
      let best = -1;
      let bestLeaf = false;
      for (let k = a; k < b; k++) {
        const r = traces.rows[k]!;
        if (startNano[r]! > s + toleranceNano || endNano[r]! < e - toleranceNano) continue;
        // Skew tolerance, but most of the group must lie inside: a short neighbouring call does not qualify.
        if (Math.min(endNano[r]!, e) - Math.max(startNano[r]!, s) < 0.5 * (e - s)) continue;
        if (isDb[db.codes[r]!]) continue;
        const leaf = childOffsets[r + 1] === childOffsets[r];
        if (best >= 0) {
          if (bestLeaf && !leaf) continue;
          if (leaf === bestLeaf && durationNano[r]! >= durationNano[best]!) continue;
        }
        // Never inside one of the group's own subtrees.
        const h = headOf(r);
        if (g.includes(h)) continue;
        best = r;
        bestLeaf = leaf;
      }
      if (best < 0) continue;
      for (const o of g) {
        graftParent[o] = best;
        grafted++;
      }
    }
  }
  if (grafted === 0) return none;
  const extra = new Int32Array(n);
  for (let r = 0; r < n; r++) if (graftParent[r]! >= 0) extra[graftParent[r]!]!++;
  const offsets = new Int32Array(n + 1);
  for (let r = 0; r < n; r++) offsets[r + 1] = offsets[r]! + (childOffsets[r + 1]! - childOffsets[r]!) + extra[r]!;
  const children = new Int32Array(offsets[n]!);
  const fill = offsets.slice(0, n);
  for (let r = 0; r < n; r++) {
    for (let k = childOffsets[r]!; k < childOffsets[r + 1]!; k++) children[fill[r]!++] = links.children[k]!;
  }
  for (let r = 0; r < n; r++) {
    const p = graftParent[r]!;
    if (p >= 0) children[fill[p]!++] = r;
  }
  return { childOffsets: offsets, children, graftParent, grafted };
}
