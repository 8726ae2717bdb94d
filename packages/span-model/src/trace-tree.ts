// The tree view of traces: parent/child links, depth, exclusive (self) time, and what is wrong with the data.
//
// Self time of a span is its duration minus the union of its children's intervals clipped to the span:
//
//   0 parent |==============================|   0..100
//   1 child     |=========|                      10..40
//   2 child           |=========|                30..60   (overlaps 1: union 10..60)
//   3 child                             |======= 90..120  (outlives parent: clipped to 90..100)
//   self(parent) = 100 - (60-10) - (100-90) = 40
//
// Reference: jaeger-ui TraceStatistics self time (children clipped to the parent, overlaps merged).
import type { SpanTable } from './span-table.ts';
import { buildTraceIndex, type TraceIndex } from './trace-index.ts';

/** Parent/child links of every span of a table. */
export interface ChildrenIndex {
  /** Parent row of each span, or -1 (root, orphan or broken cycle). */
  readonly parent: Int32Array;
  /** Start of each span's children in `children`; n + 1 entries. */
  readonly childOffsets: Int32Array;
  /** Child rows, each span's children ordered by start time. */
  readonly children: Int32Array;
  /** Spans without a parent reference. */
  readonly roots: Int32Array;
  /** Spans whose parent is not in the table (within the same trace). */
  readonly orphans: Int32Array;
  /** Spans whose span id repeats an earlier span of the same trace (linked to nothing as a parent). */
  readonly duplicates: Int32Array;
}

/** Options of {@link buildChildrenIndex} and {@link buildTraceTree}. */
export interface TreeOptions {
  /** A prebuilt trace index of the same table. */
  readonly traceIndex?: TraceIndex;
}

function hashSpan(ids: Uint8Array, o: number, trace: number): number {
  let h = Math.imul(trace ^ 0x9e3779b1, 0x85ebca6b);
  for (let i = 0; i < 8; i++) h = Math.imul(h ^ ids[o + i]!, 0x01000193);
  return h ^ (h >>> 13);
}

function same8(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < 8; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/**
 * Links every span to its parent within its trace and lists the children of each span by start time.
 *
 * **Details** Parents are matched on (trace id, span id). A span whose parent id is not in the same trace is an
 * orphan; a repeated span id within a trace is reported in `duplicates` and the first span keeps the id.
 *
 * **Complexity** O(n) expected (hash on binary ids) plus sorting each span's children.
 *
 * @example
 * ```ts
 * const idx = buildChildrenIndex(table);
 * const kids = idx.children.subarray(idx.childOffsets[row], idx.childOffsets[row + 1]);
 * ```
 */
export function buildChildrenIndex(table: SpanTable, options: TreeOptions = {}): ChildrenIndex {
  const traces = options.traceIndex ?? buildTraceIndex(table);
  const { spanId, parentSpanId, parentRefType, length: n } = table.columns;
  const start = table.times.startNano;
  let size = 16;
  while (size < n * 2) size *= 2;
  const mask = size - 1;
  const slots = new Int32Array(size).fill(-1);
  const duplicates: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = traces.traceOfRow[i]!;
    let s = hashSpan(spanId, i * 8, t) & mask;
    for (;;) {
      const r = slots[s]!;
      if (r < 0) {
        slots[s] = i;
        break;
      }
      if (traces.traceOfRow[r] === t && same8(spanId, r * 8, spanId, i * 8)) {
        duplicates.push(i);
        break;
      }
      s = (s + 1) & mask;
    }
  }
  const parent = new Int32Array(n).fill(-1);
  const roots: number[] = [];
  const orphans: number[] = [];
  const childCount = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    if (parentRefType[i] === 0) {
      roots.push(i);
      continue;
    }
    const t = traces.traceOfRow[i]!;
    let s = hashSpan(parentSpanId, i * 8, t) & mask;
    let found = -1;
    for (;;) {
      const r = slots[s]!;
      if (r < 0) break;
      if (traces.traceOfRow[r] === t && same8(spanId, r * 8, parentSpanId, i * 8)) {
        found = r;
        break;
      }
      s = (s + 1) & mask;
    }
    if (found < 0 || found === i) orphans.push(i);
    else {
      parent[i] = found;
      childCount[found]!++;
    }
  }
  const childOffsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) childOffsets[i + 1] = childOffsets[i]! + childCount[i]!;
  const fill = childOffsets.slice(0, n);
  const children = new Int32Array(childOffsets[n]!);
  for (let i = 0; i < n; i++) {
    const p = parent[i]!;
    if (p >= 0) children[fill[p]!++] = i;
  }
  const byStart = (a: number, b: number): number => start[a]! - start[b]! || a - b;
  for (let p = 0; p < n; p++) {
    const a = childOffsets[p]!;
    const b = childOffsets[p + 1]!;
    if (b - a < 2) continue;
    let sorted = true;
    for (let k = a + 1; k < b; k++) {
      if (byStart(children[k - 1]!, children[k]!) > 0) {
        sorted = false;
        break;
      }
    }
    if (!sorted) children.subarray(a, b).sort(byStart);
  }
  return {
    parent,
    childOffsets,
    children,
    roots: Int32Array.from(roots),
    orphans: Int32Array.from(orphans),
    duplicates: Int32Array.from(duplicates),
  };
}

/** A child span that lies outside its parent's interval. */
export interface ClockSkew {
  /** The child span row. */
  readonly row: number;
  /** Its parent row. */
  readonly parentRow: number;
  /** How long before the parent's start the child starts (ns, 0 if not). */
  readonly startsBeforeParentNano: number;
  /** How long after the parent's end the child ends (ns, 0 if not). */
  readonly endsAfterParentNano: number;
  /** Whether the child is linked by FOLLOWS_FROM (async work may legitimately outlive its parent). */
  readonly followsFrom: boolean;
}

/** What is wrong with the trace data: reported, never fixed or dropped. */
export interface TraceIssues {
  /** Spans whose parent is missing from their trace. They head their own subtree. */
  readonly orphans: Int32Array;
  /** Children outside their parent's interval. */
  readonly clockSkew: readonly ClockSkew[];
  /** Spans repeating an earlier span id of their trace. */
  readonly duplicateSpanIds: Int32Array;
  /** Spans in a parent cycle (each cycle is broken at one span, which heads its own subtree). */
  readonly cycles: Int32Array;
}

/** The tree view of every trace in a table. */
export interface TraceTree {
  /** The spans. */
  readonly table: SpanTable;
  /** Spans grouped by trace. */
  readonly traces: TraceIndex;
  /** Parent/child links. */
  readonly links: ChildrenIndex;
  /** Depth of each span below its subtree head (0 for roots and orphans). */
  readonly depth: Int32Array;
  /** Exclusive (self) time of each span in ns: duration minus the union of its children clipped to it. */
  readonly selfNano: Float64Array;
  /** Depth-first pre-order of all spans, grouped by trace; subtree heads and children by start time. */
  readonly order: Int32Array;
  /** Start of each trace's spans in `order`; traceCount + 1 entries. */
  readonly orderOffsets: Int32Array;
  /** Data problems found. */
  readonly issues: TraceIssues;
}

/**
 * Builds the tree view of every trace in `table`: links, depth, self time, pre-order and data issues.
 *
 * **Details**
 * - Self time merges overlapping children and clips children to the parent (jaeger-ui's definition).
 * - Orphans, clock skew (children outside their parent), duplicate span ids and parent cycles are reported in
 *   `issues`; no span is dropped and no timestamp is changed.
 *
 * **Complexity** O(n log k) where k is the largest number of children of a span.
 *
 * @example
 * ```ts
 * const tree = buildTraceTree(table);
 * tree.selfNano[0];        // exclusive ns of span 0
 * tree.issues.orphans;     // rows whose parent is missing
 * ```
 */
export function buildTraceTree(table: SpanTable, options: TreeOptions = {}): TraceTree {
  const traces = options.traceIndex ?? buildTraceIndex(table);
  const links = buildChildrenIndex(table, { traceIndex: traces });
  const n = table.numSpans;
  const { startNano, endNano, durationNano } = table.times;
  const { parentRefType } = table.columns;
  const { parent, childOffsets, children } = links;

  const selfNano = new Float64Array(n);
  const clockSkew: ClockSkew[] = [];
  for (let p = 0; p < n; p++) {
    const ps = startNano[p]!;
    const pe = endNano[p]!;
    let covered = 0;
    let curS = 0;
    let curE = -1;
    let open = false;
    for (let k = childOffsets[p]!; k < childOffsets[p + 1]!; k++) {
      const c = children[k]!;
      const cs = startNano[c]!;
      const ce = endNano[c]!;
      if (cs < ps || ce > pe) {
        clockSkew.push({
          row: c,
          parentRow: p,
          startsBeforeParentNano: cs < ps ? ps - cs : 0,
          endsAfterParentNano: ce > pe ? ce - pe : 0,
          followsFrom: parentRefType[c] === 2,
        });
      }
      const s = cs < ps ? ps : cs;
      const e = ce > pe ? pe : ce;
      if (e <= s) continue;
      if (open && s <= curE) {
        if (e > curE) curE = e;
      } else {
        if (open) covered += curE - curS;
        curS = s;
        curE = e;
        open = true;
      }
    }
    if (open) covered += curE - curS;
    selfNano[p] = durationNano[p]! - covered;
  }

  // Pre-order per trace, subtree heads (roots, orphans) by start time.
  const depth = new Int32Array(n);
  const visited = new Uint8Array(n);
  const order = new Int32Array(n);
  const orderOffsets = new Int32Array(traces.traceCount + 1);
  const cycles: number[] = [];
  const stack = new Int32Array(n + 1);
  let w = 0;
  const visit = (head: number): void => {
    let sp = 0;
    stack[sp++] = head;
    depth[head] = 0;
    while (sp > 0) {
      const v = stack[--sp]!;
      if (visited[v]) continue;
      visited[v] = 1;
      order[w++] = v;
      for (let k = childOffsets[v + 1]! - 1; k >= childOffsets[v]!; k--) {
        const c = children[k]!;
        if (!visited[c]) {
          depth[c] = depth[v]! + 1;
          stack[sp++] = c;
        }
      }
    }
  };
  for (let t = 0; t < traces.traceCount; t++) {
    orderOffsets[t] = w;
    const rows = traces.rows.subarray(traces.offsets[t]!, traces.offsets[t + 1]!);
    const heads: number[] = [];
    for (const r of rows) if (parent[r] === -1) heads.push(r);
    heads.sort((a, b) => startNano[a]! - startNano[b]! || a - b);
    for (const h of heads) visit(h);
    for (const r of rows) {
      if (!visited[r]) {
        cycles.push(r);
        visit(r);
      }
    }
  }
  orderOffsets[traces.traceCount] = w;
  return {
    table,
    traces,
    links,
    depth,
    selfNano,
    order,
    orderOffsets,
    issues: {
      orphans: links.orphans,
      clockSkew,
      duplicateSpanIds: links.duplicates,
      cycles: Int32Array.from(cycles),
    },
  };
}
