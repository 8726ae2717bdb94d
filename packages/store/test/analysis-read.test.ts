// spans({ detail: 'analysis' }) against spans(): every column the analyzers read is identical, on real Jaeger and
// OTLP files (messy: tags only, no kind, no status, logs as events) and on hand-drawn traces with repeated values,
// exceptions, links, late spans, orphans, before and after compaction.
import { readFileSync } from 'node:fs';
import {
  ANALYSIS_ATTRIBUTE_KEYS,
  type AttributeMap,
  bytesToHex,
  DICTIONARY_COLUMNS,
  FailureSignal,
  type SpanInput,
  type SpanTable,
  spanFailureSignals,
  spanTableFromRows,
  utf8At,
} from '@aiops/span-model';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type TraceStore } from '../src/index.ts';
import { span, tempDir } from './helpers.ts';

const fixture = (p: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../ingest/test/fixtures/${p}`, import.meta.url), 'utf8'));

interface JaegerTag {
  key: string;
  type: string;
  value: unknown;
}
interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: { refType: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags?: JaegerTag[];
  logs?: { timestamp: number; fields: JaegerTag[] }[];
  processID: string;
}
interface JaegerTrace {
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags?: JaegerTag[] }>;
}

const tagMap = (tags: readonly JaegerTag[] = []): AttributeMap =>
  Object.fromEntries(
    tags
      .filter((t) => t.value !== undefined && t.value !== null)
      .map((t) => [t.key, t.type === 'int64' ? BigInt(t.value as number) : (t.value as string)]),
  );

/** Jaeger UI JSON as span inputs: tags as attributes, logs as events named by their `event` field, no kind. */
function fromJaeger(doc: { data: JaegerTrace[] } | JaegerTrace): SpanInput[] {
  return ('data' in doc ? doc.data : [doc]).flatMap((t) =>
    t.spans.map((s): SpanInput => {
      const ref = s.references?.[0];
      const process = t.processes[s.processID]!;
      return {
        traceId: s.traceID,
        spanId: s.spanID,
        ...(ref ? { parentSpanId: ref.spanID } : {}),
        ...(ref?.refType === 'FOLLOWS_FROM' ? { parentRefType: 'follows_from' as const } : {}),
        service: process.serviceName,
        operation: s.operationName,
        startUnixNano: BigInt(s.startTime) * 1000n,
        durationNano: BigInt(s.duration) * 1000n,
        attributes: tagMap(s.tags),
        resource: tagMap(process.tags),
        events: (s.logs ?? []).map((l) => ({
          timeUnixNano: BigInt(l.timestamp) * 1000n,
          name: String(l.fields.find((f) => f.key === 'event')?.value ?? 'log'),
          attributes: tagMap(l.fields.filter((f) => f.key !== 'event')),
        })),
      };
    }),
  );
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
type OtlpKv = { key: string; value: OtlpValue };
const otlpMap = (kvs: readonly OtlpKv[] = []): AttributeMap =>
  Object.fromEntries(
    kvs
      // Scalars only (arrays, key/value lists and bytes are not part of what this test compares).
      .filter(
        (kv) => kv.value && ['stringValue', 'intValue', 'boolValue', 'doubleValue'].includes(Object.keys(kv.value)[0]!),
      )
      .map((kv) => {
        const v = kv.value;
        return [
          kv.key,
          v.intValue !== undefined ? BigInt(v.intValue) : (v.stringValue ?? v.boolValue ?? v.doubleValue!),
        ];
      }),
  );
const hexOf = (id: string): string => (/^[0-9a-f]+$/i.test(id) ? id : Buffer.from(id, 'base64').toString('hex'));

/** OTLP JSON as span inputs: attributes, events, links, kind and status as written. */
function fromOtlp(doc: {
  resourceSpans: {
    resource?: { attributes?: OtlpKv[] };
    scopeSpans: {
      spans: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number;
        startTimeUnixNano: string;
        endTimeUnixNano: string;
        attributes?: OtlpKv[];
        events?: { timeUnixNano: string; name: string; attributes?: OtlpKv[] }[];
        links?: { traceId: string; spanId: string; attributes?: OtlpKv[] }[];
        status?: { code?: number; message?: string };
      }[];
    }[];
  }[];
}): SpanInput[] {
  return doc.resourceSpans.flatMap((rs) => {
    const all = otlpMap(rs.resource?.attributes);
    const service = String(all['service.name'] ?? 'unknown_service');
    const resource = Object.fromEntries(Object.entries(all).filter(([k]) => k !== 'service.name'));
    return rs.scopeSpans.flatMap((ss) =>
      ss.spans.map(
        (s): SpanInput => ({
          traceId: hexOf(s.traceId),
          spanId: hexOf(s.spanId),
          ...(s.parentSpanId ? { parentSpanId: hexOf(s.parentSpanId) } : {}),
          service,
          operation: s.name,
          ...(s.kind !== undefined ? { kind: s.kind as 0 } : {}),
          startUnixNano: BigInt(s.startTimeUnixNano),
          endUnixNano: BigInt(s.endTimeUnixNano),
          ...(s.status?.code !== undefined ? { statusCode: s.status.code as 0 } : {}),
          ...(s.status?.message ? { statusMessage: s.status.message } : {}),
          attributes: otlpMap(s.attributes),
          resource,
          events: (s.events ?? []).map((e) => ({
            timeUnixNano: BigInt(e.timeUnixNano),
            name: e.name,
            attributes: otlpMap(e.attributes),
          })),
          links: (s.links ?? []).map((l) => ({
            traceId: hexOf(l.traceId),
            spanId: hexOf(l.spanId),
            attributes: otlpMap(l.attributes),
          })),
        }),
      ),
    );
  });
}

const T1 = '1'.repeat(32);
const T2 = '2'.repeat(32);
const T3 = '3'.repeat(32);

// Trace 1, as a Jaeger client writes it: tags only, no kind, no status.
//
//   0 frontend  GET /cart     |================================|  http.status_code=503, error=true
//   1 cart      SELECT cart      |==========|                     db.type=sql, db.statement (31 bytes), peer.hostname
//   2 cart      publish                    |====|                 messaging.operation=publish (kept), destination
//   3 cart      retry               |==|                          log event=error (an OpenTracing error log)
const messy: SpanInput[] = [
  span(T1, 'a1', undefined, 'frontend', 'GET /cart', 0, 1000, {
    attributes: { 'http.status_code': 503n, error: true, 'http.url': 'https://shop.example/cart?id=42' },
  }),
  span(T1, 'a2', 'a1', 'cart', 'SELECT cart', 100, 400, {
    attributes: {
      'db.type': 'sql',
      'db.statement': 'SELECT * FROM cart WHERE id = ?',
      'peer.hostname': 'cart-db.internal',
    },
  }),
  span(T1, 'a3', 'a1', 'cart', 'publish', 400, 500, {
    attributes: { 'messaging.operation': 'publish', 'message_bus.destination': 'orders' },
  }),
  span(T1, 'a4', 'a2', 'cart', 'retry', 150, 200, {
    events: [{ timeUnixNano: 1_700_000_000_000_150_000n, name: 'error', attributes: { 'error.kind': 'Timeout' } }],
  }),
];

// Trace 2, OTLP with semantic conventions: values repeated within the trace (stored once), an exception event that
// beats error.type, an event that is not an error (dropped by the analysis read), a link (dropped), a host.
//
//   0 api     POST /order  server |==========================|  http.route, http.response.status_code=500, ERROR
//   1 api     GET stock    client   |=====|                      server.address=stock.internal.example (repeated)
//   2 api     GET price    client          |=====|               server.address repeated, url.template
//   3 stock   GET /stock   server   |===|                        rpc.grpc.status_code=14, otel.status_code=ERROR,
//                                                                 error.type=OrderError (the text row 0's exception
//                                                                 event gave errorType first: one code for both)
const semconv: SpanInput[] = [
  span(T2, 'b1', undefined, 'api', 'POST /order', 0, 2000, {
    kind: 'server',
    statusCode: 'error',
    statusMessage: 'order failed',
    attributes: {
      'http.route': '/order',
      'url.path': '/order/12345',
      'http.response.status_code': 500n,
      'error.type': '500',
      'http.request.method': 'POST',
    },
    resource: { 'host.name': 'api-7f9c-x2', 'service.version': '1.4.2', 'k8s.pod.name': 'api-7f9c-x2' },
    events: [
      { timeUnixNano: 1_700_000_000_000_010_000n, name: 'cache.miss' },
      {
        timeUnixNano: 1_700_000_000_001_900_000n,
        name: 'exception',
        attributes: { 'exception.type': 'OrderError', 'exception.message': 'stock unavailable for item 7' },
      },
    ],
    links: [{ traceId: T1, spanId: '00000000000000a1' }],
  }),
  span(T2, 'b2', 'b1', 'api', 'GET stock', 100, 600, {
    kind: 'client',
    attributes: { 'server.address': 'stock.internal.example', 'http.request.method': 'GET' },
    resource: { 'host.name': 'api-7f9c-x2', 'service.version': '1.4.2', 'k8s.pod.name': 'api-7f9c-x2' },
  }),
  span(T2, 'b3', 'b1', 'api', 'GET price', 700, 1200, {
    kind: 'client',
    attributes: {
      'server.address': 'stock.internal.example',
      'http.request.method': 'GET',
      'url.template': '/price/{id}',
    },
    resource: { 'host.name': 'api-7f9c-x2', 'service.version': '1.4.2', 'k8s.pod.name': 'api-7f9c-x2' },
  }),
  span(T2, 'b4', 'b2', 'stock', 'GET /stock', 120, 500, {
    kind: 'server',
    attributes: {
      'rpc.grpc.status_code': 14n,
      'otel.status_code': 'ERROR',
      'rpc.system': 'grpc',
      'error.type': 'OrderError',
    },
  }),
];

// Trace 3 arrives in two batches: the root and an orphan (its parent never arrives) first, a late child later.
//
//   batch 1   0 web   GET /    |==================|
//             1 web   orphan        |===|            parent 00000000000000ff (absent)
//   batch 2   2 db    query      |======|            parent 0, db.system=postgresql, db.statement repeated below
const late1: SpanInput[] = [
  span(T3, 'c1', undefined, 'web', 'GET /', 0, 900, { kind: 'server' }),
  span(T3, 'c2', 'ff', 'web', 'orphan', 300, 400, { kind: 'internal', attributes: { error: 'false' } }),
];
const late2: SpanInput[] = [
  span(T3, 'c3', 'c1', 'db', 'query', 100, 500, {
    kind: 'client',
    attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT name FROM users WHERE id = $1' },
  }),
  span(T3, 'c4', 'c3', 'db', 'query', 600, 800, {
    kind: 'client',
    attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT name FROM users WHERE id = $1' },
  }),
];

const KEPT = new Set(ANALYSIS_ATTRIBUTE_KEYS);

/** Every dictionary column's distinct values and codes: the same codes in the same order, not only equal strings. */
function dictionaries(t: SpanTable): Record<string, { values: readonly string[]; codes: number[] }> {
  return Object.fromEntries(
    DICTIONARY_COLUMNS.map((name) => [name, { values: t.dict(name).values, codes: Array.from(t.dict(name).codes) }]),
  );
}

/** Every column the analyzers read, per row, as plain values. */
function analysisView(t: SpanTable): Record<string, unknown>[] {
  const c = t.columns;
  const { signals, httpStatus, rpcStatus } = spanFailureSignals(t);
  return Array.from({ length: t.numSpans }, (_, i) => {
    const kept: string[] = [];
    for (let a = c.attrOffsets[i]!; a < c.attrOffsets[i + 1]!; a++) {
      const key = c.attrKeys[c.attrKey[a]!]!;
      if (KEPT.has(key)) kept.push(`${key}:${c.attrType[a]}:${utf8At(c.attrValues, a)}`);
    }
    return {
      traceId: bytesToHex(c.traceId, i * 16, 16),
      spanId: bytesToHex(c.spanId, i * 8, 8),
      parentSpanId: bytesToHex(c.parentSpanId, i * 8, 8),
      parentRefType: c.parentRefType[i],
      kind: c.kind[i],
      statusCode: c.statusCode[i],
      start: c.startUnixNano[i],
      duration: c.durationNano[i],
      httpStatusCode: c.httpStatusCode[i],
      rpcStatusCode: c.rpcStatusCode[i],
      signals: signals[i],
      httpStatus: httpStatus[i],
      rpcStatus: rpcStatus[i],
      kept,
      ...Object.fromEntries(DICTIONARY_COLUMNS.map((name) => [name, t.stringAt(name, i)])),
    };
  });
}

describe('TraceStore.spans({ detail: "analysis" })', () => {
  let store: TraceStore;
  let cleanup: () => void;
  beforeEach(async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    store = await openStore({ dir: tmp.dir });
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  const both = async (): Promise<[SpanTable, SpanTable]> => [
    await store.spans({}),
    await store.spans({ detail: 'analysis' }),
  ];

  it('reads real Jaeger and OTLP files exactly as the full read, column by column', async () => {
    const inputs = [
      ...fromJaeger(fixture('jaeger/ui_01.json') as JaegerTrace),
      ...fromJaeger(fixture('jaeger/jaeger-query-otlp2jaeger-out.json') as JaegerTrace),
      ...[
        'otlp/jaeger-storage-example_trace.json',
        'otlp/jaeger-storage-link_attributes_trace.json',
        'otlp/jaeger-storage-log_tags_trace.json',
        'otlp/jaeger-storage-span_tags_trace.json',
        'otlp/jaeger-storage-process_tags_trace.json',
        'otlp/otel-proto-example-trace.json',
      ].flatMap((p) => fromOtlp(fixture(p) as Parameters<typeof fromOtlp>[0])),
    ];
    // Files that share trace and span ids are stored once: append them one by one.
    for (const s of inputs) await store.append(spanTableFromRows([s]));
    const [full, lean] = await both();
    expect(full.numSpans).toBeGreaterThan(10);
    expect(analysisView(lean)).toEqual(analysisView(full));
    expect(dictionaries(lean)).toEqual(dictionaries(full));
  });

  it('keeps messy tags-only spans exact: failure signals, derived columns, kept attributes', async () => {
    await store.append(spanTableFromRows(messy));
    const [full, lean] = await both();
    expect(analysisView(lean)).toEqual(analysisView(full));
    const view = analysisView(lean);
    // Row 0: the 503 and the error tag; http.url is neither kept nor derived.
    expect(view[0]).toMatchObject({
      spanId: '00000000000000a1',
      kind: 0,
      statusCode: 0,
      httpStatusCode: 503,
      signals: FailureSignal.ErrorTag | FailureSignal.Http5xx,
      kept: ['http.status_code:2:503', 'error:1:true'],
      service: 'frontend',
    });
    expect(view[1]).toMatchObject({
      parentSpanId: '00000000000000a1',
      dbSystem: 'sql',
      dbStatement: 'SELECT * FROM cart WHERE id = ?',
      serverAddress: 'cart-db.internal',
      kept: [],
      signals: 0,
    });
    expect(view[2]).toMatchObject({ messagingDestination: 'orders', kept: ['messaging.operation:0:publish'] });
    expect(view[3]).toMatchObject({ parentSpanId: '00000000000000a2', signals: FailureSignal.Exception });
    // The error log survives (the failure signal reads it); links and generic attributes do not.
    expect(utf8At(lean.columns.events, 3)).toBe(utf8At(full.columns.events, 3));
    expect(lean.columns.attrOffsets[4]).toBe(3);
  });

  it('resolves values repeated within a trace, exceptions over error.type, and drops non-error events and links', async () => {
    await store.append(spanTableFromRows(semconv));
    const [full, lean] = await both();
    expect(analysisView(lean)).toEqual(analysisView(full));
    expect(dictionaries(lean)).toEqual(dictionaries(full));
    expect(lean.dict('errorType').values).toEqual(['', '500', 'OrderError']);
    expect(Array.from(lean.dict('errorType').codes)).toEqual([2, 0, 0, 2]);
    const view = analysisView(lean);
    expect(view[0]).toMatchObject({
      kind: 2,
      statusCode: 2,
      statusMessage: 'order failed',
      httpRoute: '/order',
      httpMethod: 'POST',
      httpStatusCode: 500,
      errorType: 'OrderError',
      exceptionMessage: 'stock unavailable for item 7',
      host: 'api-7f9c-x2',
      serviceVersion: '1.4.2',
      signals: FailureSignal.Status | FailureSignal.Http5xx | FailureSignal.Exception | FailureSignal.ErrorType,
    });
    expect(view[1]).toMatchObject({ serverAddress: 'stock.internal.example', httpMethod: 'GET' });
    expect(view[2]).toMatchObject({ serverAddress: 'stock.internal.example', httpRoute: '/price/{id}' });
    expect(view[3]).toMatchObject({
      rpcStatusCode: 14,
      rpcSystem: 'grpc',
      signals: FailureSignal.ErrorTag | FailureSignal.Grpc | FailureSignal.GrpcServer | FailureSignal.ErrorType,
      kept: ['rpc.grpc.status_code:2:14', 'otel.status_code:0:ERROR'],
    });
    // The exception event is kept as the full read writes it (the cache.miss event with it); links are dropped.
    expect(utf8At(lean.columns.events, 0)).toBe(utf8At(full.columns.events, 0));
    expect(utf8At(full.columns.links, 0)).not.toBe('');
    expect(utf8At(lean.columns.links, 0)).toBe('');
  });

  it('fills only the derived columns asked for; the rest stay exact', async () => {
    await store.append(spanTableFromRows([...semconv, ...late1, ...messy]));
    const full = await store.spans({});
    const all = await store.spans({ detail: 'analysis' });
    const some = await store.spans({ detail: 'analysis', analysisColumns: ['serverAddress', 'dbSystem'] });
    expect(some.numSpans).toBe(full.numSpans);
    // Asked for (and errorType, which a failure signal reads): identical codes and values.
    for (const name of ['serverAddress', 'dbSystem', 'errorType', 'service', 'operation', 'statusMessage'] as const) {
      expect(Array.from(some.dict(name).codes)).toEqual(Array.from(full.dict(name).codes));
      expect(some.dict(name).values).toEqual(full.dict(name).values);
    }
    expect(some.dict('serverAddress').values).toEqual(['', 'stock.internal.example', 'cart-db.internal']);
    expect(some.dict('errorType').values).toEqual(['', '500', 'OrderError']);
    // Not asked for: empty, though the full read has values.
    for (const name of [
      'httpRoute',
      'httpMethod',
      'dbStatement',
      'exceptionMessage',
      'host',
      'serviceVersion',
    ] as const) {
      expect(full.dict(name).values.length).toBeGreaterThan(1);
      expect(some.dict(name).values).toEqual(['']);
      expect(some.dict(name).codes.every((c) => c === 0)).toBe(true);
    }
    // Status numbers, failure signals and kept attributes do not depend on the list.
    const view = analysisView(some);
    const ref = analysisView(full);
    expect(view.map((r) => [r.spanId, r.httpStatusCode, r.rpcStatusCode, r.signals, r.kept])).toEqual(
      ref.map((r) => [r.spanId, r.httpStatusCode, r.rpcStatusCode, r.signals, r.kept]),
    );
    expect(view[0]).toMatchObject({ httpStatusCode: 500, httpRoute: '', errorType: 'OrderError', host: '' });
    // No list: every column, as before.
    expect(analysisView(all)).toEqual(ref);
    await expect(store.spans({ detail: 'analysis', analysisColumns: ['nope' as 'dbSystem'] })).rejects.toThrow(
      'store: analysisColumns: unknown dictionary column "nope"',
    );
  });

  it('reads late spans and orphans the same before and after compaction', async () => {
    await store.append(spanTableFromRows([...late1, ...messy]));
    await store.append(spanTableFromRows([...late2, ...semconv]));
    const [fullBefore, leanBefore] = await both();
    expect(analysisView(leanBefore)).toEqual(analysisView(fullBefore));
    expect(dictionaries(leanBefore)).toEqual(dictionaries(fullBefore));
    await store.compact();
    const [fullAfter, leanAfter] = await both();
    expect(analysisView(leanAfter)).toEqual(analysisView(fullAfter));
    expect(dictionaries(leanAfter)).toEqual(dictionaries(fullAfter));
    expect(analysisView(leanAfter)).toEqual(analysisView(leanBefore));
    const orphan = analysisView(leanAfter).find((r) => r.spanId === '00000000000000c2')!;
    expect(orphan).toMatchObject({ parentSpanId: '00000000000000ff', parentRefType: 1, kept: ['error:0:false'] });
    const late = analysisView(leanAfter).filter((r) => r.traceId === T3 && r.service === 'db');
    expect(late.map((r) => [r.dbSystem, r.dbStatement, r.parentSpanId])).toEqual([
      ['postgresql', 'SELECT name FROM users WHERE id = $1', '00000000000000c1'],
      ['postgresql', 'SELECT name FROM users WHERE id = $1', '00000000000000c3'],
    ]);
  });

  it('applies the query filters and the window like the full read', async () => {
    await store.append(spanTableFromRows([...messy, ...semconv, ...late1]));
    // limitTraces 2: the newest two traces, a run of trace numbers not starting at 0 (read without a join).
    for (const q of [
      { service: 'cart' },
      { traceIds: [T2] },
      { limitTraces: 1 },
      { limitTraces: 2 },
      { service: 'nobody' },
      // A window before every span: no trace selected (an empty result, not an error).
      { fromUnixNano: 1n, toUnixNano: 2n },
    ]) {
      const full = await store.spans(q);
      const lean = await store.spans({ ...q, detail: 'analysis' });
      expect(analysisView(lean)).toEqual(analysisView(full));
    }
    expect((await store.spans({ service: 'cart', detail: 'analysis' })).numSpans).toBe(4);
    expect((await store.spans({ fromUnixNano: 1n, toUnixNano: 2n, detail: 'analysis' })).numSpans).toBe(0);
    const newest = await store.spans({ limitTraces: 2, detail: 'analysis' });
    const all = await store.spans({ detail: 'analysis' });
    expect(newest.numSpans).toBeGreaterThan(0);
    expect(newest.numSpans).toBeLessThan(all.numSpans);
  });
});
