// Traces for the viz tests, drawn as timelines.
import { type CriticalPathSegment, type SpanInput, type SpanTable, spanTableFromRows } from '@aiops/span-model';

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const BASE = 1_700_000_000_000_000_000n;

function span(
  id: number,
  parent: number | undefined,
  service: string,
  operation: string,
  startMs: number,
  endMs: number,
  extra: Partial<SpanInput> = {},
): SpanInput {
  return {
    traceId: TRACE_ID,
    spanId: id.toString(16).padStart(16, '0'),
    ...(parent !== undefined ? { parentSpanId: parent.toString(16).padStart(16, '0') } : {}),
    service,
    operation,
    startUnixNano: BASE + BigInt(Math.round(startMs * 1000)) * 1000n,
    endUnixNano: BASE + BigInt(Math.round(endMs * 1000)) * 1000n,
    ...extra,
  };
}

// The checkout trace: 10 services, 15 spans (ms).
//
//  1 frontend  GET /checkout      |==================================================| 0..250
//  2 checkout  PlaceOrder           |==============================================|   5..245
//  3 cart      GetCart                |=====|                                           10..40
//  4 redis     HGETALL                  |=|                                             12..18
//  5 catalog   GetProducts                   |====|                                     42..70
//  6 postgres  SELECT products                |==|                                      45..65
//  7 currency  Convert                              |=|                                 72..80
//  8 payment   Charge                              |=====================|              82..200  (error)
//  9 bank-api  POST /authorize                       |================|                 85..190  (exception)
// 10 payment   retry                                                  |=|               190..198
// 11 shipping  Quote                                                   |====|           200..230
// 12 postgres  INSERT order                                                  |=|        231..240
// 13 checkout  publish order.placed                                           |        240..242
// 14 cart      ClearCart                                                       |        243..244
// 15 frontend  render                                                              |=|  245..250
//
// critical path: frontend 0..5, checkout 5..82, payment 82..85, bank-api 85..190, payment 190..200,
//                shipping 200..230, checkout 230..245, frontend 245..250
export function checkoutTrace(): { table: SpanTable; criticalPath: CriticalPathSegment[] } {
  const rows: SpanInput[] = [
    span(1, undefined, 'frontend', 'GET /checkout', 0, 250, {
      kind: 'server',
      attributes: { 'http.request.method': 'GET', 'http.route': '/checkout', 'http.response.status_code': 500 },
    }),
    span(2, 1, 'checkout', 'PlaceOrder', 5, 245, { kind: 'server', attributes: { 'rpc.system': 'grpc' } }),
    span(3, 2, 'cart', 'GetCart', 10, 40, { kind: 'server', attributes: { 'app.user_id': 'u-42' } }),
    span(4, 3, 'redis', 'HGETALL', 12, 18, { kind: 'client', attributes: { 'db.system': 'redis' } }),
    span(5, 2, 'catalog', 'GetProducts', 42, 70),
    span(6, 5, 'postgres', 'SELECT products', 45, 65, {
      kind: 'client',
      attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM products WHERE id = ANY($1)' },
    }),
    span(7, 2, 'currency', 'Convert', 72, 80),
    span(8, 2, 'payment', 'Charge', 82, 200, {
      statusCode: 'error',
      statusMessage: 'card declined',
      attributes: { 'payment.amount': 129.5, 'payment.currency': 'EUR' },
    }),
    span(9, 8, 'bank-api', 'POST /authorize', 85, 190, {
      kind: 'client',
      attributes: { 'http.response.status_code': 503, 'server.address': 'bank.example' },
      events: [
        {
          timeUnixNano: (BASE + 189_000_000n).toString(),
          name: 'exception',
          attributes: {
            'exception.type': 'UpstreamTimeout',
            'exception.message': 'bank did not answer within 100 ms',
            'exception.stacktrace': 'UpstreamTimeout: bank did not answer\n    at authorize (bank.ts:42)',
          },
        },
      ],
    }),
    span(10, 8, 'payment', 'retry', 190, 198),
    span(11, 2, 'shipping', 'Quote', 200, 230),
    span(12, 2, 'postgres', 'INSERT order', 231, 240, { kind: 'client' }),
    span(13, 2, 'checkout', 'publish order.placed', 240, 242, {
      kind: 'producer',
      attributes: { 'messaging.system': 'kafka' },
    }),
    span(14, 2, 'cart', 'ClearCart', 243, 244),
    span(15, 1, 'frontend', 'render', 245, 250),
  ];
  const table = spanTableFromRows(rows);
  const ms = (v: number): number => v * 1e6;
  const seg = (row: number, a: number, b: number): CriticalPathSegment => ({ row, startNano: ms(a), endNano: ms(b) });
  const criticalPath = [
    seg(14, 245, 250),
    seg(1, 230, 245),
    seg(10, 200, 230),
    seg(7, 198, 200),
    seg(9, 190, 198),
    seg(8, 85, 190),
    seg(7, 82, 85),
    seg(1, 5, 82),
    seg(0, 0, 5),
  ];
  return { table, criticalPath };
}

/** A deterministic trace of `n` spans over `services` services: a wide, deep tree (pseudo-random, seeded). */
export function largeTrace(n: number, services = 40): SpanTable {
  let seed = 12345;
  const rand = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const rows: SpanInput[] = [];
  const start: number[] = [];
  const end: number[] = [];
  const depth: number[] = [];
  rows.push(span(1, undefined, 'svc-0', 'GET /root', 0, 5000, { kind: 'server' }));
  start.push(0);
  end.push(5000);
  depth.push(0);
  for (let i = 1; i < n; i++) {
    // Parents are chosen among recent spans so the tree is both deep and wide.
    let p = Math.max(0, i - 1 - Math.floor(rand() * Math.min(i, 30)));
    if (depth[p]! > 25) p = 0;
    const len = (end[p]! - start[p]!) * (0.05 + rand() * 0.5);
    const s = start[p]! + rand() * (end[p]! - start[p]! - len);
    const svc = Math.floor(rand() * services);
    rows.push(
      span(i + 1, p + 1, `svc-${svc}`, `op-${svc}-${Math.floor(rand() * 6)}`, s, s + len, {
        ...(rand() < 0.02 ? { statusCode: 'error' as const } : {}),
        attributes: { 'http.route': `/r/${i % 50}`, 'app.i': i },
      }),
    );
    start.push(s);
    end.push(s + len);
    depth.push(depth[p]! + 1);
  }
  return spanTableFromRows(rows);
}
