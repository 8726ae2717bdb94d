// Small span tables for the tests, drawn as timelines in the tests that use them. Times are in microseconds.
import { type SpanInput, type SpanTable, spanTableFromRows } from '@aiops/span-model';

export const BASE = 1_700_000_000_000_000_000n;

/** One span of trace `trace` (a small integer), times in µs from BASE. */
export function span(
  trace: number,
  id: string,
  parent: string | undefined,
  service: string,
  operation: string,
  startUs: number,
  endUs: number,
  extra: Partial<SpanInput> = {},
): SpanInput {
  return {
    traceId: trace.toString(16).padStart(32, '0'),
    spanId: id.padStart(16, '0'),
    ...(parent ? { parentSpanId: parent.padStart(16, '0') } : {}),
    service,
    operation,
    startUnixNano: BASE + BigInt(Math.round(startUs * 1000)),
    endUnixNano: BASE + BigInt(Math.round(endUs * 1000)),
    ...extra,
  };
}

//   a frontend GET /checkout   server |==================================|  0..100
//   b frontend POST /charge    client    |======================|            10..70
//   c payment  POST /charge    server       |==================|             15..65
//   d payment  INSERT payments client          |============|                25..62  db.system=postgresql
//   e frontend GET rates       client                              |====|   80..95  server.address=api.fx.example
//   d and e have no server span: postgresql and api.fx.example are uninstrumented.
export const checkoutRows: SpanInput[] = [
  span(1, 'a', undefined, 'frontend', 'GET /checkout', 0, 100, { kind: 'server' }),
  span(1, 'b', 'a', 'frontend', 'POST /charge', 10, 70, { kind: 'client' }),
  span(1, 'c', 'b', 'payment', 'POST /charge', 15, 65, { kind: 'server' }),
  span(1, 'd', 'c', 'payment', 'INSERT payments', 25, 62, {
    kind: 'client',
    attributes: { 'db.system': 'postgresql' },
  }),
  span(1, 'e', 'a', 'frontend', 'GET rates', 80, 95, {
    kind: 'client',
    attributes: { 'server.address': 'api.fx.example' },
  }),
];

export const checkoutTable = (): SpanTable => spanTableFromRows(checkoutRows);
