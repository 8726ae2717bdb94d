// Splits a generated scenario's span table at a time into baseline and target (whole traces, by earliest span).
import { buildTraceIndex, type SpanTable, takeSpans } from '@aiops/span-model';

/** Rows of the traces whose earliest span starts in [fromSeconds, toSeconds) after the table's first span. */
export function traceWindow(table: SpanTable, fromSeconds: number, toSeconds: number): SpanTable {
  const idx = buildTraceIndex(table);
  const start = table.times.startNano;
  const rows: number[] = [];
  for (let t = 0; t < idx.traceCount; t++) {
    let min = Number.POSITIVE_INFINITY;
    for (let k = idx.offsets[t]!; k < idx.offsets[t + 1]!; k++) min = Math.min(min, start[idx.rows[k]!]!);
    const s = min / 1e9;
    if (s >= fromSeconds && s < toSeconds)
      for (let k = idx.offsets[t]!; k < idx.offsets[t + 1]!; k++) rows.push(idx.rows[k]!);
  }
  rows.sort((a, b) => a - b);
  return takeSpans(table, rows);
}
