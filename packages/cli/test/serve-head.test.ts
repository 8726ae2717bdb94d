// aiops serve's head block: a span is queryable the moment its export is acknowledged, before any DuckDB flush, and
// a trace whose spans are split between the store (flushed) and the head (not yet) is answered whole.
//
//   trace A                                    ms    sent in
//   0 front  GET /a   |==========|           0..10   request 1 — flushed to DuckDB before request 2
//   1 back   query      |====|                2..6   request 2 — head only
//   2 back   cache           |==|             7..9   request 2 — head only
//   trace B
//   0 front  GET /b                  |==|   20..22   request 2 — head only
//
//   search service=back     → A only: 3 spans, root front "GET /a", 10 ms, services [back, front]
//   search minDuration=9ms  → A only (its head part alone lasts 7 ms: the summary merges both sides)
//   search service=front    → B (starts at 20 ms), then A
//
//   after a restart (A's three spans and B are in DuckDB, written by the first run):
//   3 late   retry                 |===|     12..15   request 3 — head of the second run only
//   search service=late     → A whole: 4 spans, root front "GET /a", 15 ms, services [back, front, late]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spanTableFromArrow } from '@aiops/span-model';
import { openStore } from '@aiops/store';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/serve/server.ts';
import { hex, idBytes, otlpRequest, type ProtoSpan } from './serve-fixtures/otlp-proto.ts';
import { post } from './serve-fixtures/post.ts';

const T = 1_764_000_000_000_000_000n;
const MS = 1_000_000n;
const A = idBytes(16, 501);
const B = idBytes(16, 502);
const PROTO = { 'content-type': 'application/x-protobuf' };

const span = (
  traceId: Uint8Array,
  id: number,
  parent: number | undefined,
  name: string,
  from: bigint,
  to: bigint,
): ProtoSpan => ({
  traceId,
  spanId: idBytes(8, id),
  ...(parent === undefined ? {} : { parentSpanId: idBytes(8, parent) }),
  name,
  startUnixNano: T + from * MS,
  endUnixNano: T + to * MS,
});

let dir: string;
let server: RunningServer;
let q: string;
const get = async (p: string) => (await fetch(`${q}${p}`)).json();

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-serve-head-'));
  server = await startServer({
    store: dir,
    otlpGrpcPort: null,
    zipkinPort: null,
    otlpHttpPort: 0,
    queryPort: 0,
    // The worker-thread store here; the restart below uses the default in-thread store on the same directory.
    storeThread: true,
    // No flush unless the test asks for one.
    queue: { flushIntervalMs: 3_600_000, maxBatchSpans: 1_000_000 },
  });
  q = `http://127.0.0.1:${server.ports.query}`;
});

afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('aiops serve head block', () => {
  it('answers a trace from the head as soon as the export is acknowledged, before any flush', async () => {
    const r = await post(
      server.ports.otlpHttp,
      '/v1/traces',
      otlpRequest('front', [span(A, 1, undefined, 'GET /a', 0n, 10n)]),
      PROTO,
    );
    expect(r.status).toBe(200);
    const trace = await get(`/api/traces/${hex(A)}`);
    expect(trace.spanCount).toBe(1);
    expect(trace.spans[0]).toMatchObject({ service: 'front', operation: 'GET /a', durationNano: '10000000' });
    const health = await get('/api/health');
    expect(health.ingest).toMatchObject({ headSpans: 1, batches: 0, queueSpans: 0 });
    expect(health).toMatchObject({ spanCount: 1, traceCount: 1 });
    expect((await get('/api/services')).services).toEqual(['front']);
  });

  it('answers a trace split between DuckDB and the head whole, in traces, search, operations and spans', async () => {
    await server.queue.flush();
    expect((await get('/api/health')).ingest).toMatchObject({ headSpans: 0, batches: 1 });
    const r = await post(
      server.ports.otlpHttp,
      '/v1/traces',
      otlpRequest('back', [span(A, 2, 1, 'query', 2n, 6n), span(A, 3, 1, 'cache', 7n, 9n)]),
      PROTO,
    );
    expect(r.status).toBe(200);
    const r2 = await post(
      server.ports.otlpHttp,
      '/v1/traces',
      otlpRequest('front', [span(B, 4, undefined, 'GET /b', 20n, 22n)]),
      PROTO,
    );
    expect(r2.status).toBe(200);
    expect((await get('/api/health')).ingest).toMatchObject({ headSpans: 3, batches: 1 });

    const a = await get(`/api/traces/${hex(A)}`);
    expect(a.spans.map((s: { operation: string }) => s.operation).sort()).toEqual(['GET /a', 'cache', 'query']);

    const back = (await get('/api/traces?service=back')).traces;
    expect(back).toEqual([
      {
        traceId: hex(A),
        rootService: 'front',
        rootOperation: 'GET /a',
        startUnixNano: String(T),
        durationNano: String(10n * MS),
        spanCount: 3,
        services: ['back', 'front'],
        errorCount: 0,
      },
    ]);
    expect((await get('/api/traces?minDuration=9ms')).traces.map((t: { traceId: string }) => t.traceId)).toEqual([
      hex(A),
    ]);
    expect((await get('/api/traces?service=front')).traces.map((t: { traceId: string }) => t.traceId)).toEqual([
      hex(B),
      hex(A),
    ]);
    expect((await get('/api/traces?service=front&limit=1')).traces.map((t: { traceId: string }) => t.traceId)).toEqual([
      hex(B),
    ]);
    expect((await get('/api/services')).services).toEqual(['back', 'front']);
    expect((await get('/api/operations')).operations).toEqual([
      { service: 'back', operation: 'cache', spanCount: 1 },
      { service: 'back', operation: 'query', spanCount: 1 },
      { service: 'front', operation: 'GET /a', spanCount: 1 },
      { service: 'front', operation: 'GET /b', spanCount: 1 },
    ]);
    expect(await get('/api/health')).toMatchObject({ spanCount: 4, traceCount: 2 });

    const res = await fetch(`${q}/api/spans`, { method: 'POST', body: JSON.stringify({ service: 'back' }) });
    const spans = spanTableFromArrow(tableFromIPC(new Uint8Array(await res.arrayBuffer())));
    expect(spans.numSpans).toBe(3);
    const all = await fetch(`${q}/api/spans`, { method: 'POST', body: JSON.stringify({ limitTraces: 1 }) });
    const newest = spanTableFromArrow(tableFromIPC(new Uint8Array(await all.arrayBuffer())));
    expect(newest.numSpans).toBe(1);
    expect(newest.stringAt('operation', 0)).toBe('GET /b');
  });

  it('writes the head to DuckDB on close and leaves no write-ahead log behind', async () => {
    await server.close();
    expect(fs.readdirSync(path.join(dir, 'wal'))).toEqual([]);
    const store = await openStore({ dir, readOnly: true });
    try {
      expect((await store.getTrace(hex(A)))?.numSpans).toBe(3);
      expect((await store.getTrace(hex(B)))?.numSpans).toBe(1);
      expect((await store.bounds())?.spanCount).toBe(4);
    } finally {
      await store.close();
    }
  });

  it('merges the stored part of a trace that an earlier run of the server wrote, after a restart', async () => {
    const again = await startServer({
      store: dir,
      otlpGrpcPort: null,
      zipkinPort: null,
      otlpHttpPort: 0,
      queryPort: 0,
      queue: { flushIntervalMs: 3_600_000, maxBatchSpans: 1_000_000 },
    });
    try {
      const q2 = `http://127.0.0.1:${again.ports.query}`;
      const get2 = async (p: string) => (await fetch(`${q2}${p}`)).json();
      const r = await post(
        again.ports.otlpHttp,
        '/v1/traces',
        otlpRequest('late', [span(A, 5, 1, 'retry', 12n, 15n)]),
        PROTO,
      );
      expect(r.status).toBe(200);
      expect((await get2('/api/health')).ingest).toMatchObject({ headSpans: 1, batches: 0 });
      expect((await get2('/api/traces?service=late')).traces).toEqual([
        {
          traceId: hex(A),
          rootService: 'front',
          rootOperation: 'GET /a',
          startUnixNano: String(T),
          durationNano: String(15n * MS),
          spanCount: 4,
          services: ['back', 'front', 'late'],
          errorCount: 0,
        },
      ]);
      expect((await get2('/api/traces?minDuration=14ms')).traces.map((t: { traceId: string }) => t.traceId)).toEqual([
        hex(A),
      ]);
      const a = await get2(`/api/traces/${hex(A)}`);
      expect(a.spans.map((s: { operation: string }) => s.operation).sort()).toEqual([
        'GET /a',
        'cache',
        'query',
        'retry',
      ]);
      expect(await get2('/api/health')).toMatchObject({ spanCount: 5, traceCount: 2 });
      const res = await fetch(`${q2}/api/spans`, {
        method: 'POST',
        body: JSON.stringify({ traceIds: [hex(A)] }),
      });
      expect(spanTableFromArrow(tableFromIPC(new Uint8Array(await res.arrayBuffer()))).numSpans).toBe(4);
    } finally {
      await again.close();
    }
  });
});
