// Keeps the whole traces of a table that contain a span of a service (and operation): the groups of
// `aiops compare-traces --service S --operation O`.
import { buildTraceIndex, type SpanTable, takeSpans } from '@aiops/span-model';

/** The traces of `table` with at least one span of `service` (and `operation` when given), whole, in table order. */
export function tracesWithSpan(
  table: SpanTable,
  service: string | undefined,
  operation: string | undefined,
): SpanTable {
  if (service === undefined && operation === undefined) return table;
  const svc = table.dict('service');
  const op = table.dict('operation');
  const svcCode = service === undefined ? -1 : svc.values.indexOf(service);
  const opCode = operation === undefined ? -1 : op.values.indexOf(operation);
  if ((service !== undefined && svcCode < 0) || (operation !== undefined && opCode < 0)) return takeSpans(table, []);
  const index = buildTraceIndex(table);
  const keep = new Uint8Array(index.traceCount);
  let kept = 0;
  for (let r = 0; r < table.numSpans; r++) {
    if ((svcCode < 0 || svc.codes[r] === svcCode) && (opCode < 0 || op.codes[r] === opCode)) {
      const t = index.traceOfRow[r]!;
      if (!keep[t]) {
        keep[t] = 1;
        kept++;
      }
    }
  }
  if (kept === index.traceCount) return table;
  const rows: number[] = [];
  for (let t = 0; t < index.traceCount; t++) {
    if (!keep[t]) continue;
    for (let k = index.offsets[t]!; k < index.offsets[t + 1]!; k++) rows.push(index.rows[k]!);
  }
  return takeSpans(table, rows);
}
