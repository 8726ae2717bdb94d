// Two example-shop services run as child processes under `node --import @aiops/instrumentation/register`, export to
// a real `aiops serve` (in process, any free ports), and one request must come back as one trace crossing both,
// with the right parent/child links and the caller's baggage — for W3C, B3 (multi and single) and Jaeger headers.
//
//   test (upstream)  |================================|         the caller's span (we only send its id)
//   0 gateway SERVER   |============================|          parent = upstream span
//   1 gateway CLIENT     |======================|              parent = 0
//   2 inventory SERVER     |==================|                parent = 1
//   3 inventory SELECT       |=========|                       parent = 2, db.system.name=duckdb
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningShop, startShop } from '../../../examples/shop/src/run-shop.ts';
import { type RunningServer, startServer } from '../src/serve/server.ts';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  service: string;
  operation: string;
  kind: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

let server: RunningServer;
let store: string;
const shops: RunningShop[] = [];

beforeAll(async () => {
  store = mkdtempSync(join(tmpdir(), 'aiops-demo-prop-'));
  server = await startServer({ store, otlpHttpPort: 0, otlpGrpcPort: null, zipkinPort: null, queryPort: 0 });
});

afterAll(async () => {
  await Promise.all(shops.map((s) => s.stop()));
  await server?.close();
  rmSync(store, { recursive: true, force: true });
});

/** Starts inventory-service and frontend-gateway with the given propagators. */
async function twoServices(propagators: string): Promise<RunningShop> {
  const unused = 'http://127.0.0.1:9';
  const shop = await startShop({
    only: ['inventory-service', 'frontend-gateway'],
    otlpEndpoint: `http://127.0.0.1:${server.ports.otlpHttp}`,
    nodeFlags: ['--conditions=@aiops/source'],
    env: {
      OTEL_PROPAGATORS: propagators,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      AIOPS_BAGGAGE_KEYS: 'user.id,tenant',
      SHOP_AUTH_SERVICE_URL: unused,
      SHOP_CART_SERVICE_URL: unused,
      SHOP_ORDER_SERVICE_URL: unused,
    },
  });
  shops.push(shop);
  return shop;
}

/** Polls the query API until the trace has `want` spans (exporters batch, the store group-commits). */
async function traceSpans(traceId: string, want: number): Promise<Span[]> {
  const deadline = Date.now() + 20_000;
  let spans: Span[] = [];
  while (Date.now() < deadline) {
    const res = await fetch(`http://127.0.0.1:${server.ports.query}/api/traces/${traceId}`);
    if (res.ok) {
      spans = ((await res.json()) as { spans: Span[] }).spans;
      if (spans.length >= want) return spans;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return spans;
}

function checkTrace(spans: Span[], traceId: string, upstreamSpanId: string): void {
  const byKind = (service: string, kind: RegExp) =>
    spans.filter((s) => s.service === service && kind.test(s.kind.toLowerCase()));
  const gwServer = byKind('frontend-gateway', /server/);
  const gwClient = byKind('frontend-gateway', /client/);
  const invServer = byKind('inventory-service', /server/);
  const invDb = byKind('inventory-service', /client/);
  expect([gwServer.length, gwClient.length, invServer.length, invDb.length]).toEqual([1, 1, 1, 1]);
  expect(spans.every((s) => s.traceId === traceId)).toBe(true);
  expect(gwServer[0]?.parentSpanId).toBe(upstreamSpanId);
  expect(gwClient[0]?.parentSpanId).toBe(gwServer[0]?.spanId);
  expect(invServer[0]?.parentSpanId).toBe(gwClient[0]?.spanId);
  expect(invDb[0]?.parentSpanId).toBe(invServer[0]?.spanId);
  expect(invDb[0]?.attributes['db.system.name']).toBe('duckdb');
  expect(invDb[0]?.attributes['db.collection.name']).toBe('stock');
  expect(invServer[0]?.resource['service.name']).toBe('inventory-service');
  expect(typeof invServer[0]?.resource['host.name']).toBe('string');
  // Baggage sent by the caller reached the second service through the first.
  expect(invServer[0]?.attributes['user.id']).toBe('u-17');
  expect(invDb[0]?.attributes['user.id']).toBe('u-17');
}

const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');

describe('example services under @aiops/instrumentation', () => {
  it('continue a W3C traceparent across two services with baggage', async () => {
    const shop = await twoServices('tracecontext,baggage');
    const traceId = hex(32);
    const parent = hex(16);
    const res = await fetch(`${shop.urls['frontend-gateway']}/api/products/SKU-0017`, {
      headers: { traceparent: `00-${traceId}-${parent}-01`, baggage: 'user.id=u-17,tenant=acme' },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { sku: string }).sku).toBe('SKU-0017');
    const spans = await traceSpans(traceId, 4);
    checkTrace(spans, traceId, parent);
    expect(spans.find((s) => s.service === 'inventory-service')?.attributes.tenant).toBe('acme');
  });

  it('continue B3 multi-header context and keep W3C baggage alongside', async () => {
    const shop = await twoServices('b3multi,baggage');
    const traceId = hex(32);
    const parent = hex(16);
    const res = await fetch(`${shop.urls['frontend-gateway']}/api/products/SKU-0001`, {
      headers: { 'x-b3-traceid': traceId, 'x-b3-spanid': parent, 'x-b3-sampled': '1', baggage: 'user.id=u-17' },
    });
    expect(res.status).toBe(200);
    checkTrace(await traceSpans(traceId, 4), traceId, parent);
  });

  it('continue a single b3 header', async () => {
    const shop = await twoServices('b3,baggage');
    const traceId = hex(32);
    const parent = hex(16);
    const res = await fetch(`${shop.urls['frontend-gateway']}/api/products/SKU-0002`, {
      headers: { b3: `${traceId}-${parent}-1`, baggage: 'user.id=u-17' },
    });
    expect(res.status).toBe(200);
    checkTrace(await traceSpans(traceId, 4), traceId, parent);
  });

  it('continue Jaeger uber-trace-id with uberctx baggage', async () => {
    const shop = await twoServices('jaeger');
    const traceId = hex(32);
    const parent = hex(16);
    const res = await fetch(`${shop.urls['frontend-gateway']}/api/products/SKU-0003`, {
      headers: { 'uber-trace-id': `${traceId}:${parent}:0:1`, 'uberctx-user.id': 'u-17' },
    });
    expect(res.status).toBe(200);
    checkTrace(await traceSpans(traceId, 4), traceId, parent);
  });
});
