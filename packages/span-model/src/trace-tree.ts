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
import { hash2, int32Words, tableSize } from './internal/id-words.ts';
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

/**
 * Links every span to its parent within its trace and lists the children of each span by start time.
 *
 * **Details** Parents are matched on (trace id, span id). A span whose parent id is not in the same trace is an
 * orphan; a repeated span id within a trace is reported in `duplicates` and the first span keeps the id.
 *
 * **Complexity** O(n) expected plus sorting each span's children (insertion sort for short lists). Span ids are
 * hashed as two int32 words into one small open-addressing table per trace, reused across traces, so the probes stay
 * in cache.
 *
 * @example
 * ```ts
 * const idx = buildChildrenIndex(table);
 * const kids = idx.children.subarray(idx.childOffsets[row], idx.childOffsets[row + 1]);
 * ```
 */
export function buildChildrenIndex(table: SpanTable, options: TreeOptions = {}): ChildrenIndex {
  return linkSpans(table, options.traceIndex ?? buildTraceIndex(table), undefined);
}

// Exclusive time and clock skew, filled while each span's children are ordered (one pass over the children).
interface SelfTime {
  readonly selfNano: Float64Array;
  readonly clockSkew: ClockSkew[];
}

function linkSpans(table: SpanTable, traces: TraceIndex, self: SelfTime | undefined): ChildrenIndex {
  const { parentRefType, length: n } = table.columns;
  const sid = int32Words(table.columns.spanId, n * 2);
  const pid = int32Words(table.columns.parentSpanId, n * 2);
  const { offsets, rows, traceCount } = traces;
  let largest = 0;
  for (let t = 0; t < traceCount; t++) largest = Math.max(largest, offsets[t + 1]! - offsets[t]!);
  // Slot s holds a row of trace t when stamp[s] === t + 1: no clearing between traces.
  const slots = new Int32Array(tableSize(largest, 8));
  const stamp = new Int32Array(slots.length);
  const parent = new Int32Array(n).fill(-1);
  const duplicate = new Uint8Array(n);
  let duplicateCount = 0;
  for (let t = 0; t < traceCount; t++) {
    const a = offsets[t]!;
    const b = offsets[t + 1]!;
    const mask = tableSize(b - a, 8) - 1;
    const live = t + 1;
    // Rows of a trace are in table order, so the first span with an id keeps it.
    for (let k = a; k < b; k++) {
      const r = rows[k]!;
      const lo = sid[2 * r]!;
      const hi = sid[2 * r + 1]!;
      let s = hash2(lo, hi) & mask;
      let q = stamp[s] === live ? slots[s]! : -1;
      while (q >= 0 && (sid[2 * q] !== lo || sid[2 * q + 1] !== hi)) {
        s = (s + 1) & mask;
        q = stamp[s] === live ? slots[s]! : -1;
      }
      if (q < 0) {
        slots[s] = r;
        stamp[s] = live;
      } else {
        duplicate[r] = 1;
        duplicateCount++;
      }
    }
    for (let k = a; k < b; k++) {
      const r = rows[k]!;
      if (parentRefType[r] === 0) continue;
      const lo = pid[2 * r]!;
      const hi = pid[2 * r + 1]!;
      let s = hash2(lo, hi) & mask;
      let q = stamp[s] === live ? slots[s]! : -1;
      while (q >= 0 && (sid[2 * q] !== lo || sid[2 * q + 1] !== hi)) {
        s = (s + 1) & mask;
        q = stamp[s] === live ? slots[s]! : -1;
      }
      if (q >= 0 && q !== r) parent[r] = q;
    }
  }
  // Roots, orphans and duplicates in row order; children counted per parent.
  let rootCount = 0;
  let orphanCount = 0;
  const childOffsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const p = parent[i]!;
    if (p >= 0) childOffsets[p + 1]!++;
    else if (parentRefType[i] === 0) rootCount++;
    else orphanCount++;
  }
  const roots = new Int32Array(rootCount);
  const orphans = new Int32Array(orphanCount);
  const duplicates = new Int32Array(duplicateCount);
  rootCount = 0;
  orphanCount = 0;
  duplicateCount = 0;
  for (let i = 0; i < n; i++) {
    if (parent[i]! < 0) {
      if (parentRefType[i] === 0) roots[rootCount++] = i;
      else orphans[orphanCount++] = i;
    }
    if (duplicate[i]) duplicates[duplicateCount++] = i;
  }
  for (let i = 0; i < n; i++) childOffsets[i + 1]! += childOffsets[i]!;
  // Scatter with childOffsets[p] as p's write position (it ends at p's end = p+1's start), then shift back.
  const children = new Int32Array(childOffsets[n]!);
  for (let i = 0; i < n; i++) {
    const p = parent[i]!;
    if (p >= 0) children[childOffsets[p]!++] = i;
  }
  for (let i = n; i > 0; i--) childOffsets[i] = childOffsets[i - 1]!;
  childOffsets[0] = 0;
  orderChildren(table, children, childOffsets, self);
  return { parent, childOffsets, children, roots, orphans, duplicates };
}

// Orders each span's children by (start, row). Lists arrive in row order and are usually sorted already; short ones
// are insertion-sorted in place, long unsorted ones use the typed-array sort. With `self`, also computes each span's
// exclusive time and records children outside their parent, in row order of the parent, then child order.
function orderChildren(
  table: SpanTable,
  children: Int32Array,
  childOffsets: Int32Array,
  self: SelfTime | undefined,
): void {
  const { startNano: start, endNano: end, durationNano: dur } = table.times;
  const { parentRefType } = table.columns;
  const n = table.numSpans;
  const byStart = (x: number, y: number): number => start[x]! - start[y]! || x - y;
  for (let p = 0; p < n; p++) {
    const a = childOffsets[p]!;
    const b = childOffsets[p + 1]!;
    if (b - a >= 2) {
      let k = a + 1;
      while (k < b) {
        const x = children[k - 1]!;
        const y = children[k]!;
        if (start[x]! > start[y]! || (start[x] === start[y] && x > y)) break;
        k++;
      }
      if (k < b && b - a > 48) children.subarray(a, b).sort(byStart);
      else {
        for (; k < b; k++) {
          const c = children[k]!;
          const cs = start[c]!;
          let j = k - 1;
          while (j >= a) {
            const d = children[j]!;
            const ds = start[d]!;
            if (ds < cs || (ds === cs && d < c)) break;
            children[j + 1] = d;
            j--;
          }
          children[j + 1] = c;
        }
      }
    }
    if (!self) continue;
    if (a === b) {
      self.selfNano[p] = dur[p]!;
      continue;
    }
    // Union of the children clipped to the parent: children come by start, so merging runs in one sweep.
    const ps = start[p]!;
    const pe = end[p]!;
    let covered = 0;
    let curS = 0;
    let curE = -1;
    let open = false;
    for (let k = a; k < b; k++) {
      const c = children[k]!;
      const cs = start[c]!;
      const ce = end[c]!;
      if (cs < ps || ce > pe) {
        self.clockSkew.push({
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
    self.selfNano[p] = dur[p]! - covered;
  }
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
  const n = table.numSpans;
  const selfNano = new Float64Array(n);
  const clockSkew: ClockSkew[] = [];
  const links = linkSpans(table, traces, { selfNano, clockSkew });
  const { startNano } = table.times;
  const { parent, childOffsets, children } = links;

  // Pre-order per trace, subtree heads (roots, orphans) by start time.
  const depth = new Int32Array(n);
  const visited = new Uint8Array(n);
  const order = new Int32Array(n);
  const orderOffsets = new Int32Array(traces.traceCount + 1);
  const cycles: number[] = [];
  // A trace's walk pushes each of its spans at most once.
  let largest = 0;
  for (let t = 0; t < traces.traceCount; t++) largest = Math.max(largest, traces.offsets[t + 1]! - traces.offsets[t]!);
  const stack = new Int32Array(largest + 1);
  let heads = new Int32Array(64);
  const { offsets, rows } = traces;
  let w = 0;
  for (let t = 0; t < traces.traceCount; t++) {
    orderOffsets[t] = w;
    const a = offsets[t]!;
    const b = offsets[t + 1]!;
    let h = 0;
    for (let k = a; k < b; k++) {
      const r = rows[k]!;
      if (parent[r] !== -1) continue;
      if (h === heads.length) {
        const grown = new Int32Array(h * 2);
        grown.set(heads);
        heads = grown;
      }
      // Insertion by (start, row): a trace has few heads.
      const rs = startNano[r]!;
      let j = h - 1;
      while (j >= 0) {
        const x = heads[j]!;
        const xs = startNano[x]!;
        if (xs < rs || (xs === rs && x < r)) break;
        heads[j + 1] = x;
        j--;
      }
      heads[j + 1] = r;
      h++;
    }
    for (let k = 0; k < h; k++) w = visit(heads[k]!, w, stack, visited, order, depth, childOffsets, children);
    if (w - orderOffsets[t]! === b - a) continue;
    for (let k = a; k < b; k++) {
      const r = rows[k]!;
      if (!visited[r]) {
        cycles.push(r);
        w = visit(r, w, stack, visited, order, depth, childOffsets, children);
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

// Depth-first pre-order of the subtree headed by `head`, children by start time; returns the new write position.
function visit(
  head: number,
  w: number,
  stack: Int32Array,
  visited: Uint8Array,
  order: Int32Array,
  depth: Int32Array,
  childOffsets: Int32Array,
  children: Int32Array,
): number {
  let sp = 0;
  stack[sp++] = head;
  depth[head] = 0;
  while (sp > 0) {
    const v = stack[--sp]!;
    if (visited[v]) continue;
    visited[v] = 1;
    order[w++] = v;
    const dv = depth[v]! + 1;
    for (let k = childOffsets[v + 1]! - 1; k >= childOffsets[v]!; k--) {
      const c = children[k]!;
      if (!visited[c]) {
        depth[c] = dv;
        stack[sp++] = c;
      }
    }
  }
  return w;
}
