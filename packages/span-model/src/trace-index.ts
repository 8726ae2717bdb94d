// Groups the spans of a table by trace id with a hash over the binary ids: no strings, no per-span objects.
import { normalizeTraceId, writeHexId } from './ids.ts';
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

function hash16(ids: Uint8Array, o: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ ids[o + i]!, 0x01000193);
  return h ^ (h >>> 15);
}

function same16(ids: Uint8Array, a: number, b: number): boolean {
  for (let i = 0; i < 16; i++) if (ids[a + i] !== ids[b + i]) return false;
  return true;
}

/**
 * Groups the spans of `table` by trace id.
 *
 * **Details** Trace ordinals follow the first appearance of each trace in the table.
 *
 * **Complexity** O(n) time, O(n) memory in typed arrays.
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
  const { traceId, length: n } = table.columns;
  let size = 16;
  while (size < n * 2) size *= 2;
  const slots = new Int32Array(size).fill(-1);
  const mask = size - 1;
  const traceOfRow = new Int32Array(n);
  const firstRow: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    let s = hash16(traceId, i * 16) & mask;
    for (;;) {
      const t = slots[s]!;
      if (t < 0) {
        const ord = firstRow.length;
        firstRow.push(i);
        counts.push(1);
        slots[s] = ord;
        traceOfRow[i] = ord;
        break;
      }
      if (same16(traceId, firstRow[t]! * 16, i * 16)) {
        traceOfRow[i] = t;
        counts[t]!++;
        break;
      }
      s = (s + 1) & mask;
    }
  }
  const traceCount = firstRow.length;
  const offsets = new Int32Array(traceCount + 1);
  for (let t = 0; t < traceCount; t++) offsets[t + 1] = offsets[t]! + counts[t]!;
  const fill = offsets.slice(0, traceCount);
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[fill[traceOfRow[i]!]!++] = i;
  return { traceCount, traceOfRow, offsets, rows };
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
