// A lean parent/child index for the series pass: parent rows by hashing 64-bit span ids read as two int32 words,
// children in CSR order by start, and self (exclusive) time. No pre-order, no per-span objects, no trace index.
// Candidate for span-model (a faster buildChildrenIndex); kept here so this package depends on nothing new.
//
// Self time of a span: its duration minus the union of its children's intervals clipped to it (jaeger-ui).
//   0 parent |==============================|   0..100
//   1 child     |=========|                      10..40
//   2 child           |=========|                30..60   union 10..60
//   self(parent) = 100 - 50 = 50
import type { SpanTable } from '@aiops/span-model';

/** Parent links, children and self time of every span. */
export interface LeanTree {
  /** Parent row, -1 for roots and orphans. */
  readonly parent: Int32Array;
  /** CSR offsets of each span's children (n + 1 entries). */
  readonly childOffsets: Int32Array;
  /** Children rows, by start time within a parent. */
  readonly children: Int32Array;
  /** Self time, ns. */
  readonly selfNano: Float64Array;
  /** Spans with a parent reference whose parent is not in the table. */
  readonly orphans: number;
}

function int32View(bytes: Uint8Array, words: number): Int32Array {
  if (bytes.byteOffset % 4 === 0) return new Int32Array(bytes.buffer, bytes.byteOffset, words);
  return new Int32Array(bytes.slice(0, words * 4).buffer);
}

/** Builds the lean tree of `table`. O(n) expected plus sorting unsorted sibling lists. */
export function leanTree(table: SpanTable): LeanTree {
  const n = table.numSpans;
  const cols = table.columns;
  const sid = int32View(cols.spanId, n * 2);
  const pid = int32View(cols.parentSpanId, n * 2);
  const tid = int32View(cols.traceId, n * 4);
  const ref = cols.parentRefType;
  const parent = new Int32Array(n).fill(-1);
  const childCount = new Int32Array(n);
  // Stores and exporters write a trace's spans together. When every trace is one contiguous run of rows, parents
  // are found inside the run (a short scan that stays in cache) instead of a table-wide hash (a cache miss per
  // lookup at 10^7 spans); a parent missing from its run is then missing from the table.
  const runs = traceRuns(tid, n);
  const orphans = runs ? resolveInRuns(runs, sid, pid, ref, parent) : resolveByHash(n, sid, pid, tid, ref, parent);
  for (let i = 0; i < n; i++) if (parent[i]! >= 0) childCount[parent[i]!]!++;
  const childOffsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) childOffsets[i + 1] = childOffsets[i]! + childCount[i]!;
  const fill = childOffsets.slice(0, n);
  const children = new Int32Array(childOffsets[n]!);
  for (let i = 0; i < n; i++) {
    const p = parent[i]!;
    if (p >= 0) children[fill[p]!++] = i;
  }
  const { startNano: start, endNano: end, durationNano: dur } = table.times;
  const byStart = (a: number, b: number): number => start[a]! - start[b]! || a - b;
  const selfNano = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const a = childOffsets[p]!;
    const b = childOffsets[p + 1]!;
    if (a === b) {
      selfNano[p] = dur[p]!;
      continue;
    }
    for (let k = a + 1; k < b; k++) {
      if (start[children[k - 1]!]! > start[children[k]!]!) {
        children.subarray(a, b).sort(byStart);
        break;
      }
    }
    const ps = start[p]!;
    const pe = end[p]!;
    let covered = 0;
    let curS = 0;
    let curE = -1;
    let open = false;
    for (let k = a; k < b; k++) {
      const c = children[k]!;
      const cs = start[c]! < ps ? ps : start[c]!;
      const ce = end[c]! > pe ? pe : end[c]!;
      if (ce <= cs) continue;
      if (open && cs <= curE) {
        if (ce > curE) curE = ce;
      } else {
        if (open) covered += curE - curS;
        curS = cs;
        curE = ce;
        open = true;
      }
    }
    if (open) covered += curE - curS;
    selfNano[p] = dur[p]! - covered;
  }
  return { parent, childOffsets, children, selfNano, orphans };
}

const LOCAL_SCAN_MAX = 96;

/** Run starts (plus n at the end) when each trace's rows are contiguous; undefined otherwise. */
function traceRuns(tid: Int32Array, n: number): Int32Array | undefined {
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = 4 * i;
    if (
      i === 0 ||
      tid[k] !== tid[k - 4] ||
      tid[k + 1] !== tid[k - 3] ||
      tid[k + 2] !== tid[k - 2] ||
      tid[k + 3] !== tid[k - 1]
    )
      starts.push(i);
  }
  // A trace id that starts two runs means interleaved traces.
  let size = 16;
  while (size < starts.length * 2) size *= 2;
  const mask = size - 1;
  const slots = new Int32Array(size).fill(-1);
  for (const r of starts) {
    const k = 4 * r;
    let h = (Math.imul(tid[k]! ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(tid[k + 1]!, 0xc2b2ae35)) >>> 0;
    h = (h ^ (h >>> 15)) & mask;
    for (;;) {
      const x = slots[h]!;
      if (x < 0) {
        slots[h] = r;
        break;
      }
      const j = 4 * x;
      if (tid[j] === tid[k] && tid[j + 1] === tid[k + 1] && tid[j + 2] === tid[k + 2] && tid[j + 3] === tid[k + 3])
        return undefined;
      h = (h + 1) & mask;
    }
  }
  starts.push(n);
  return Int32Array.from(starts);
}

/** Parents within each run (a scan, or a map for long runs); returns the number of orphans. */
function resolveInRuns(
  runs: Int32Array,
  sid: Int32Array,
  pid: Int32Array,
  ref: Uint8Array,
  parent: Int32Array,
): number {
  let orphans = 0;
  for (let r = 0; r + 1 < runs.length; r++) {
    const a = runs[r]!;
    const b = runs[r + 1]!;
    if (b - a > LOCAL_SCAN_MAX) {
      orphans += resolveLongRun(a, b, sid, pid, ref, parent);
      continue;
    }
    for (let i = a; i < b; i++) {
      if (ref[i] === 0) continue;
      const lo = pid[2 * i]!;
      const hi = pid[2 * i + 1]!;
      let found = -1;
      for (let j = a; j < b; j++) {
        if (j !== i && sid[2 * j] === lo && sid[2 * j + 1] === hi) {
          found = j;
          break;
        }
      }
      if (found < 0) orphans++;
      else parent[i] = found;
    }
  }
  return orphans;
}

/** Parents within one long run, through a map of the run's span ids (low word → rows). */
function resolveLongRun(
  a: number,
  b: number,
  sid: Int32Array,
  pid: Int32Array,
  ref: Uint8Array,
  parent: Int32Array,
): number {
  const byLow = new Map<number, number[]>();
  for (let j = a; j < b; j++) {
    const l = byLow.get(sid[2 * j]!);
    if (l) l.push(j);
    else byLow.set(sid[2 * j]!, [j]);
  }
  let orphans = 0;
  for (let i = a; i < b; i++) {
    if (ref[i] === 0) continue;
    const hi = pid[2 * i + 1]!;
    let found = -1;
    for (const j of byLow.get(pid[2 * i]!) ?? []) {
      if (j !== i && sid[2 * j + 1] === hi) {
        found = j;
        break;
      }
    }
    if (found < 0) orphans++;
    else parent[i] = found;
  }
  return orphans;
}

/** Parents by hashing every span id (any row order); returns the number of orphans. */
function resolveByHash(
  n: number,
  sid: Int32Array,
  pid: Int32Array,
  tid: Int32Array,
  ref: Uint8Array,
  parent: Int32Array,
): number {
  let size = 16;
  while (size < n * 2) size *= 2;
  const mask = size - 1;
  const slots = new Int32Array(size).fill(-1);
  const hash = (lo: number, hi: number): number => {
    let h = Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(hi, 0xc2b2ae35);
    h ^= h >>> 15;
    return Math.imul(h, 0x27d4eb2f) & mask;
  };
  for (let i = 0; i < n; i++) {
    let s = hash(sid[2 * i]!, sid[2 * i + 1]!);
    while (slots[s]! >= 0) s = (s + 1) & mask;
    slots[s] = i;
  }
  let orphans = 0;
  for (let i = 0; i < n; i++) {
    if (ref[i] === 0) continue;
    const lo = pid[2 * i]!;
    const hi = pid[2 * i + 1]!;
    let s = hash(lo, hi);
    let found = -1;
    for (;;) {
      const r = slots[s]!;
      if (r < 0) break;
      if (
        r !== i &&
        sid[2 * r] === lo &&
        sid[2 * r + 1] === hi &&
        tid[4 * r] === tid[4 * i] &&
        tid[4 * r + 1] === tid[4 * i + 1] &&
        tid[4 * r + 2] === tid[4 * i + 2] &&
        tid[4 * r + 3] === tid[4 * i + 3]
      ) {
        found = r;
        break;
      }
      s = (s + 1) & mask;
    }
    if (found < 0) orphans++;
    else parent[i] = found;
  }
  return orphans;
}
