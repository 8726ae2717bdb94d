import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

// `aiops stats traces` reads only the request spans from the embedded store (TraceStore.requestSpans) and whole
// traces from any other source. Both must give the same document: the same OTLP file is imported into a store and
// read directly with --source file:, and every stats query is run against both.
//
// 48 traces, one every 12.5 s from 2026-02-01T00:00:00Z (10 minutes); trace i is of kind i % 4:
//
//   otel   frontend GET /checkout  server  |==========|  200, or 503 for i % 12 = 0 (a value the root repeats
//          frontend HTTP POST      client   |=======|    from the client span before it in the file: stored once)
//          cart     POST /cart     server    |=====|     (listed first: it arrives before its callers)
//   except frontend GET /search    server  |======|      no status code; an exception event on the root
//          search   query          (no kind) |==|        ← pod of search: search-7d9f8b5c4-x2k4p (messy data)
//   messy  cart-5b7c9-qx2lp  GET /cart (no kind, no status) |====|   error=true on every 3rd; its child
//          cart-5b7c9-qx2lp  redis GET                         |=|    (same service: not a request of it)
//   orphan cart     POST /cart  parent never exported (an orphan: a request of cart, no root in the trace)
const T0 = 1_769_904_000_000_000_000n;
const MS = 1_000_000n;

type Attr = { key: string; value: { stringValue: string } | { intValue: string } };
const str = (key: string, v: string): Attr => ({ key, value: { stringValue: v } });
const int = (key: string, v: number): Attr => ({ key, value: { intValue: String(v) } });

interface OtlpSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startMs: number;
  endMs: number;
  attributes?: Attr[];
  events?: { timeUnixNano: string; name: string; attributes: Attr[] }[];
}

function traceSpans(i: number): OtlpSpan[] {
  const traceId = (i + 1).toString(16).padStart(32, '0');
  const id = (k: number) => `${(i + 1).toString(16).padStart(8, '0')}0000000${k}`;
  const start = i * 12_500;
  const jitter = (i * 37) % 90;
  const at = (service: string, k: number, parent: number | undefined, name: string, a: number, b: number) => ({
    service,
    traceId,
    spanId: id(k),
    ...(parent !== undefined ? { parentSpanId: id(parent) } : {}),
    name,
    startMs: start + a,
    endMs: start + b,
  });
  switch (i % 4) {
    case 0: {
      const status = i % 12 === 0 ? 503 : 200;
      return [
        {
          ...at('cart', 3, 2, 'POST /cart', 20, 60 + jitter),
          kind: 2,
          attributes: [int('http.response.status_code', 200)],
        },
        {
          ...at('frontend', 2, 1, 'HTTP POST', 10, 70 + jitter),
          kind: 3,
          attributes: [str('http.request.method', 'POST'), int('http.response.status_code', status)],
        },
        {
          ...at('frontend', 1, undefined, 'GET /checkout', 0, 100 + jitter),
          kind: 2,
          attributes: [str('http.request.method', 'POST'), int('http.response.status_code', status)],
        },
      ];
    }
    case 1:
      return [
        {
          ...at('frontend', 1, undefined, 'GET /search', 0, 80 + jitter * 2),
          kind: 2,
          ...(i % 8 === 1
            ? {
                events: [
                  {
                    timeUnixNano: String(T0 + BigInt(start + 50) * MS),
                    name: 'exception',
                    attributes: [str('exception.type', 'TimeoutError')],
                  },
                ],
              }
            : {}),
        },
        at('search-7d9f8b5c4-x2k4p', 2, 1, 'query', 10, 40 + jitter),
      ];
    case 2:
      return [
        {
          ...at('cart-5b7c9-qx2lp', 1, undefined, 'GET /cart', 0, 30 + jitter),
          attributes: i % 3 === 0 ? [str('error', 'true')] : [],
        },
        at('cart-5b7c9-qx2lp', 2, 1, 'redis GET', 5, 10),
      ];
    default:
      return [{ ...at('cart', 1, 9, 'POST /cart', 0, 25 + jitter), kind: 2 }];
  }
}

function otlpJson(spans: readonly OtlpSpan[]): string {
  const services = [...new Set(spans.map((s) => s.service))];
  return JSON.stringify({
    resourceSpans: services.map((service) => ({
      resource: { attributes: [str('service.name', service)] },
      scopeSpans: [
        {
          scope: { name: 'test' },
          spans: spans
            .filter((s) => s.service === service)
            .map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              ...(s.kind ? { kind: s.kind } : {}),
              startTimeUnixNano: String(T0 + BigInt(s.startMs) * MS),
              endTimeUnixNano: String(T0 + BigInt(s.endMs) * MS),
              attributes: s.attributes ?? [],
              ...(s.events ? { events: s.events } : {}),
            })),
        },
      ],
    })),
  });
}

let dir: string;
let file: string;
let store: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-requests-'));
  file = path.join(dir, 'traces.otlp.json');
  store = path.join(dir, 'store');
  fs.writeFileSync(file, otlpJson(Array.from({ length: 48 }, (_, i) => traceSpans(i)).flat()));
  const r = await runCli(['import', file, '--store', store]);
  expect(r.code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function both(args: string[]) {
  const withoutTiming = (stdout: string) => {
    const doc = JSON.parse(stdout);
    delete doc.timing;
    return doc;
  };
  const fromStore = await runCli(['stats', 'traces', ...args, '--store', store, '--json']);
  const fromFile = await runCli(['stats', 'traces', ...args, '--source', `file:${file}`, '--json']);
  expect(fromStore.code).toBe(fromFile.code);
  return { store: withoutTiming(fromStore.stdout), file: withoutTiming(fromFile.stdout) };
}

describe('aiops stats traces on the embedded store (request spans only) and on whole traces', () => {
  it('gives the same document for all requests', async () => {
    const r = await both(['--bucket', '1m']);
    expect(r.store).toEqual(r.file);
    // Roots: 12 × GET /checkout (4 answered 503), 12 × GET /search (6 with an exception), 12 × GET /cart (4 error
    // tags); the 12 orphan traces have no root.
    expect(r.store.requests).toBe(36);
    expect(r.store.failed).toBe(4 + 6 + 4);
    expect(r.store.operations.map((o: { operation: string; failed: number }) => [o.operation, o.failed])).toEqual([
      ['GET /cart', 4],
      ['GET /checkout', 4],
      ['GET /search', 6],
    ]);
    expect(r.store.buckets).toHaveLength(10);
  });

  it('gives the same document for the requests of a service, of an operation, and of a window', async () => {
    const cart = await both(['--service', 'cart']);
    expect(cart.store).toEqual(cart.file);
    // cart's requests: 12 POST /cart under frontend's client span, 12 orphan POST /cart.
    expect(cart.store.requests).toBe(24);
    const pod = await both(['--service', 'cart-5b7c9-qx2lp']);
    expect(pod.store).toEqual(pod.file);
    expect(pod.store.requests).toBe(12);
    const search = await both(['--service', 'search-7d9f8b5c4-x2k4p', '--operation', 'query']);
    expect(search.store).toEqual(search.file);
    expect(search.store.requests).toBe(12);
    const op = await both(['--operation', 'GET /checkout', '--bucket', '30s']);
    expect(op.store).toEqual(op.file);
    expect(op.store.failed).toBe(4);
    const win = await both(['--from', '2026-02-01T00:02:00Z', '--to', '2026-02-01T00:05:00Z', '--bucket', '1m']);
    expect(win.store).toEqual(win.file);
    // Traces 10..14, 15..19, 20..23 start in the three minutes; the orphans (i % 4 = 3) have no root.
    expect(win.store.buckets.map((b: { requests: number }) => b.requests)).toEqual([4, 3, 3]);
  });

  it('exits 1 the same way when nothing matches', async () => {
    const r = await both(['--service', 'nope']);
    expect(r.store).toEqual(r.file);
    expect(r.store.requests).toBe(0);
  });
});
