// A small web shop drawn as diagrams, written into a temp store, for the tests of the analysis commands.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type SpanInput, spanTableFromRows } from '@aiops/span-model';
import { openStore } from '@aiops/store';
/** 2026-01-01T00:00:00Z in ns. */
export const T0 = 1_767_225_600_000_000_000n;
const MS = 1_000_000n;

/** Trace id of shop trace `i` (32 hex digits). */
export const traceId = (i: number): string => `${(i + 1).toString(16).padStart(8, '0')}${'ab'.repeat(12)}`;

export type Kind = 'normal' | 'slow' | 'refused';

/**
 * One checkout trace, starting at T0 + 10 s × i (times in ms from the trace start):
 *
 *   normal                                   slow (database 40× slower)          refused (payment down)
 *   0 frontend GET /checkout  |====| 0..100   |==========================| 0..1000  |===| 0..50   500, error
 *   1 checkout POST /order     |==| 5..95      |========================|  5..995   |==| 5..45    500, error
 *   2 checkout SELECT orders    || 10..30       |======================|  10..910  (not called)
 *     (client, db.system=postgresql, peer.service=orders-db)
 *   3 checkout charge              |60..80                        |940..960  |10..40 error ECONNREFUSED
 *     (client, peer.service=payment; no server span: payment is an external API)
 */
export function shopTrace(i: number, kind: Kind): SpanInput[] {
  const t = traceId(i);
  const start = T0 + BigInt(i) * 10_000n * MS;
  const at = (ms: number) => start + BigInt(ms) * MS;
  const id = (k: number) => `${(i + 1).toString(16).padStart(8, '0')}0000000${k}`;
  const end = kind === 'slow' ? 1000 : kind === 'refused' ? 50 : 100;
  const failed = kind === 'refused';
  const spans: SpanInput[] = [
    {
      traceId: t,
      spanId: id(1),
      service: 'frontend',
      operation: 'GET /checkout',
      kind: 'server',
      startUnixNano: at(0),
      endUnixNano: at(end),
      statusCode: failed ? 'error' : 'unset',
      attributes: { 'http.request.method': 'GET', 'http.response.status_code': failed ? 500 : 200 },
    },
    {
      traceId: t,
      spanId: id(2),
      parentSpanId: id(1),
      service: 'checkout',
      operation: 'POST /order',
      kind: 'server',
      startUnixNano: at(5),
      endUnixNano: at(end - 5),
      statusCode: failed ? 'error' : 'unset',
      attributes: { 'http.request.method': 'POST', 'http.response.status_code': failed ? 500 : 200 },
    },
  ];
  if (!failed) {
    spans.push({
      traceId: t,
      spanId: id(3),
      parentSpanId: id(2),
      service: 'checkout',
      operation: 'SELECT orders',
      kind: 'client',
      startUnixNano: at(10),
      endUnixNano: at(kind === 'slow' ? 910 : 30),
      attributes: {
        'db.system': 'postgresql',
        'db.statement': 'SELECT * FROM orders WHERE user_id = $1',
        'peer.service': 'orders-db',
      },
    });
  }
  spans.push({
    traceId: t,
    spanId: id(4),
    parentSpanId: id(2),
    service: 'checkout',
    operation: 'charge',
    kind: 'client',
    startUnixNano: at(failed ? 10 : kind === 'slow' ? 940 : 60),
    endUnixNano: at(failed ? 40 : kind === 'slow' ? 960 : 80),
    statusCode: failed ? 'error' : 'unset',
    ...(failed ? { statusMessage: 'connect ECONNREFUSED 10.0.0.7:443' } : {}),
    attributes: { 'peer.service': 'payment', 'http.request.method': 'POST', 'server.address': 'payment' },
  });
  return spans;
}

/** Trace kinds of the shop store: 23 traces, one every 10 s; 4 slow (19..22), 3 refused (3, 9, 15). */
export const SHOP_KINDS: readonly Kind[] = Array.from({ length: 23 }, (_, i) =>
  i >= 19 ? 'slow' : i % 6 === 3 ? 'refused' : 'normal',
);

/** Writes the shop into a new store; returns its directory (and a cleanup). */
export async function shopStore(): Promise<{ dir: string; cleanup: () => void }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-analysis-'));
  const dir = path.join(root, 'store');
  const store = await openStore({ dir });
  await store.append(spanTableFromRows(SHOP_KINDS.flatMap((k, i) => shopTrace(i, k))));
  await store.close();
  return { dir, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}
