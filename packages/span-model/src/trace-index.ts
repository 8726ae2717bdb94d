// Groups the spans of a table by trace id with a hash over the binary ids: no strings, no per-span objects.
import { normalizeTraceId, writeHexId } from './ids.ts';
import { hash4, int32Words } from './internal/id-words.ts';
import type { SpanTable } from './span-table.ts';

/**
 * Spans grouped by trace: trace `t` owns `rows[offsets[t] .. offsets[t+1])`, in table order.
 */
export interface TraceIndex {
  /** Number of distinct trace ids. */
  readonly traceCount: number;
  /** Trace ordinal of each span. */
  readonly traceOfRow: Int32Array;
  /** Start of each trace's rows in `rows`; traceCount + 1 entries. */
  readonly offsets: Int32Array;
  /** Span rows grouped by trace. */
  readonly rows: Int32Array;
}

/**
 * Groups the spans of `table` by trace id.
 *
 * **Details** Trace ordinals follow the first appearance of each trace in the table; within a trace, rows keep
 * table order.
 *
 * **Complexity** O(n) time, O(n) memory in typed arrays. Ids are compared as four int32 words; a span with the same
 * trace id as the row before it (tables sorted or grouped by trace, as the store returns them) skips the hash.
 *
 * @example
 * ```ts
 * const index = buildTraceIndex(table);
 * for (let t = 0; t < index.traceCount; t++) {
 *   const rows = index.rows.subarray(index.offsets[t], index.offsets[t + 1]);
 * }
 * ```
 */
export function buildTraceIndex(table: SpanTable): TraceIndex {
  const n = table.columns.length;
  const w = int32Words(table.columns.traceId, n * 4);
  const traceOfRow = new Int32Array(n);
  // Open addressing over trace ordinals, grown to stay at most half full; per trace its first row and row count.
  let size = 1024;
  let mask = size - 1;
  let slots = new Int32Array(size).fill(-1);
  let firstRow = new Int32Array(256);
  let hashOf = new Int32Array(256);
  let counts = new Int32Array(256);
  let traceCount = 0;
  let prev = -1;
  for (let i = 0, o = 0; i < n; i++, o += 4) {
    const a = w[o]!;
    const b = w[o + 1]!;
    const c = w[o + 2]!;
    const d = w[o + 3]!;
    if (prev >= 0 && a === w[o - 4] && b === w[o - 3] && c === w[o - 2] && d === w[o - 1]) {
      traceOfRow[i] = prev;
      counts[prev]!++;
      continue;
    }
    const h = hash4(a, b, c, d);
    let s = h & mask;
    let t = slots[s]!;
    while (t >= 0) {
      const f = firstRow[t]! * 4;
      if (w[f] === a && w[f + 1] === b && w[f + 2] === c && w[f + 3] === d) break;
      s = (s + 1) & mask;
      t = slots[s]!;
    }
    if (t < 0) {
      t = traceCount++;
      if (t === firstRow.length) {
        firstRow = grow(firstRow);
        hashOf = grow(hashOf);
        counts = grow(counts);
      }
      firstRow[t] = i;
      hashOf[t] = h;
      slots[s] = t;
      if (traceCount * 2 > size) {
        size *= 2;
        mask = size - 1;
        slots = new Int32Array(size).fill(-1);
        for (let u = 0; u < traceCount; u++) {
          let q = hashOf[u]! & mask;
          while (slots[q]! >= 0) q = (q + 1) & mask;
          slots[q] = u;
        }
      }
    }
    traceOfRow[i] = t;
    counts[t]!++;
    prev = t;
  }
  const offsets = new Int32Array(traceCount + 1);
  for (let t = 0; t < traceCount; t++) offsets[t + 1] = offsets[t]! + counts[t]!;
  const rows = new Int32Array(n);
  if (traceCount === 0 || isContiguous(traceOfRow)) {
    for (let i = 0; i < n; i++) rows[i] = i;
  } else {
    const fill = offsets.slice(0, traceCount);
    for (let i = 0; i < n; i++) rows[fill[traceOfRow[i]!]!++] = i;
  }
  return { traceCount, traceOfRow, offsets, rows };
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

// Whether trace ordinals never decrease along the rows: each trace's rows are then one contiguous run.
function isContiguous(traceOfRow: Int32Array): boolean {
  for (let i = 1; i < traceOfRow.length; i++) if (traceOfRow[i]! < traceOfRow[i - 1]!) return false;
  return true;
}

/**
 * The ordinal of the trace with id `traceId` (hex, 16 or 32 digits, any case) in `index`, or -1.
 *
 * **Complexity** O(traces) — for one-off lookups; build a map when looking up many ids.
 *
 * @example
 * ```ts
 * const t = findTrace(table, index, '4bf92f3577b34da6a3ce929d0e0e4736');
 * ```
 */
export function findTrace(table: SpanTable, index: TraceIndex, traceId: string): number {
  const hex = normalizeTraceId(traceId);
  if (!hex) return -1;
  const want = new Uint8Array(16);
  writeHexId(hex, want, 0, 16);
  const ids = table.columns.traceId;
  for (let t = 0; t < index.traceCount; t++) {
    const o = index.rows[index.offsets[t]!]! * 16;
    let same = true;
    for (let i = 0; i < 16; i++) {
      if (ids[o + i] !== want[i]) {
        same = false;
        break;
      }
    }
    if (same) return t;
  }
  return -1;
}

/**
 * The span rows of trace `t`.
 *
 * @example
 * ```ts
 * traceRows(index, 0).length; // spans in the first trace
 * ```
 */
export function traceRows(index: TraceIndex, t: number): Int32Array {
  return index.rows.subarray(index.offsets[t]!, index.offsets[t + 1]!);
}
