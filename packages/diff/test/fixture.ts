// Test helpers: small traces written as rows of a timeline diagram, and critical paths written by hand.
import {
  type CriticalPathSegment,
  type SpanInput,
  type SpanTable,
  spanIdAt,
  spanTableFromRows,
} from '@aiops/span-model';

const BASE = 1_700_000_000_000_000_000n;

/** `[spanId, parentId ('' for root), service, operation, startMs, endMs, extra fields]`. */
export type FixtureRow = readonly [string, string, string, string, number, number, Partial<SpanInput>?];

/** A trace from diagram rows; times are ms after a fixed epoch (fractions down to the ns are exact). */
export function traceFromRows(traceId: string, rows: readonly FixtureRow[]): SpanTable {
  return spanTableFromRows(
    rows.map(([id, parent, service, operation, startMs, endMs, extra]) => ({
      traceId,
      spanId: id.padStart(16, '0'),
      ...(parent ? { parentSpanId: parent.padStart(16, '0') } : {}),
      service,
      operation,
      startUnixNano: BASE + BigInt(Math.round(startMs * 1e6)),
      endUnixNano: BASE + BigInt(Math.round(endMs * 1e6)),
      ...extra,
    })),
  );
}

/** A critical path written as `[spanId, startMs, endMs]` pieces. */
export function pathFromPieces(
  table: SpanTable,
  pieces: readonly (readonly [string, number, number])[],
): CriticalPathSegment[] {
  const offset = Number(BASE - table.times.baseUnixNano);
  return pieces.map(([id, s, e]) => {
    const want = id.padStart(16, '0');
    let row = -1;
    for (let r = 0; r < table.numSpans; r++) if (spanIdAt(table, r) === want) row = r;
    if (row < 0) throw new RangeError(`diff test: no span ${id}`);
    return { row, startNano: Math.round(s * 1e6) + offset, endNano: Math.round(e * 1e6) + offset };
  });
}
