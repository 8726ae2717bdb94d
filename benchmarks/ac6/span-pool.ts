// The traffic of the AC 6 benchmark: a pool of generated spans (benchmarks/scenarios topology, 5,000 spans/s, with
// error and latency faults so that errors carry exception events) that the load process replays in a loop with
// fresh trace ids, and that --fast pre-encodes as OTLP protobuf requests.
import { gzipSync } from 'node:zlib';
import {
  type AttributeValue,
  buildTraceIndex,
  type SpanTable,
  spanRecord,
  takeSpans,
  traceIdAt,
} from '@aiops/span-model';
import { generateScenario } from '../scenarios/index.ts';
import { spanTableToOtlpProtobuf } from '../scenarios/otlp-encode.ts';

/** Options of {@link generatePoolTable}. */
export interface PoolOptions {
  readonly seconds: number;
  readonly spansPerSecond: number;
  readonly seed: number;
}

/** Generated traffic of `seconds` at `spansPerSecond`: 24 services, a flaky payment path and a slow query. */
export function generatePoolTable(options: PoolOptions): SpanTable {
  const { table } = generateScenario({
    seed: options.seed,
    services: 24,
    durationSeconds: options.seconds,
    spans: Math.round(options.seconds * options.spansPerSecond),
    backgroundErrorRate: 0.005,
    faults: (topology) => {
      const backends = topology.services.filter((s) => s.kind === 'service' && s.name !== 'frontend');
      const dbs = topology.services.filter((s) => s.kind === 'database');
      const all = { startSeconds: 0, endSeconds: options.seconds };
      const out = [];
      if (backends[3]) out.push({ ...all, kind: 'error' as const, service: backends[3].name, probability: 0.05 });
      if (backends[7]) out.push({ ...all, kind: 'timeout' as const, service: backends[7].name, probability: 0.01 });
      if (dbs[0]) out.push({ ...all, kind: 'latency' as const, service: dbs[0].name, factor: 4 });
      return out;
    },
  });
  return table;
}

/** Plain attribute values the OpenTelemetry SDK accepts (int64 as number, nested maps as JSON text). */
export type SdkAttributes = Record<string, string | number | boolean | (string | number | boolean)[]>;

function sdkValue(v: AttributeValue): string | number | boolean | (string | number | boolean)[] | undefined {
  if (v === null) return undefined;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v))
    return v.map((x) => (typeof x === 'bigint' ? Number(x) : typeof x === 'object' ? JSON.stringify(x) : x)) as (
      | string
      | number
      | boolean
    )[];
  if (typeof v === 'object') return JSON.stringify(v);
  return v as string | number | boolean;
}

function sdkAttributes(a: Record<string, AttributeValue>): SdkAttributes {
  const out: SdkAttributes = {};
  for (const [k, v] of Object.entries(a)) {
    const x = sdkValue(v);
    if (x !== undefined) out[k] = x;
  }
  return out;
}

/** One span of the pool, ready to be replayed through the SDK. Times are ms from the pool start. */
export interface PoolSpan {
  /** Index of the trace in the pool (the replay maps it to a fresh trace id per loop). */
  readonly trace: number;
  readonly spanId: string;
  /** '' for a root. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTel SpanKind number (0 internal … 4 consumer). */
  readonly kind: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: SdkAttributes;
  readonly events: readonly { readonly ms: number; readonly name: string; readonly attributes: SdkAttributes }[];
  /** Links to spans of the pool (trace index, span id). */
  readonly links: readonly { readonly trace: number; readonly spanId: string; readonly attributes: SdkAttributes }[];
  /** 0 unset, 1 ok, 2 error. */
  readonly status: number;
  readonly statusMessage: string;
  /** Index into {@link SpanPool.resources}. */
  readonly resource: number;
  readonly scope: string;
}

/** The pool: spans sorted by end time, their distinct resources (one SDK per resource, like one per pod). */
export interface SpanPool {
  readonly spans: readonly PoolSpan[];
  readonly resources: readonly SdkAttributes[];
  readonly traceCount: number;
  readonly durationMs: number;
}

const KIND: Record<string, number> = { internal: 0, server: 1, client: 2, producer: 3, consumer: 4, unspecified: 0 };
const STATUS: Record<string, number> = { unset: 0, ok: 1, error: 2 };

/** Converts the pool table into replayable spans (one JS object per span: 200k spans at most, off the hot path). */
export function spanPoolFromTable(table: SpanTable, durationMs: number): SpanPool {
  const index = buildTraceIndex(table);
  const traceOf = new Int32Array(table.numSpans);
  const traceNo = new Map<string, number>();
  for (let t = 0; t < index.traceCount; t++) {
    for (let k = index.offsets[t]!; k < index.offsets[t + 1]!; k++) traceOf[index.rows[k]!] = t;
    traceNo.set(traceIdAt(table, index.rows[index.offsets[t]!]!), t);
  }
  const base = table.columns.startUnixNano.reduce((m, x) => (x < m ? x : m), table.columns.startUnixNano[0]!);
  const ms = (ns: bigint | string): number => Number(BigInt(ns) - base) / 1e6;
  const resources: SdkAttributes[] = [];
  const resourceNo = new Map<string, number>();
  const spans: PoolSpan[] = [];
  for (let i = 0; i < table.numSpans; i++) {
    const r = spanRecord(table, i);
    const res = sdkAttributes({ ...r.resource, 'service.name': r.service });
    const key = JSON.stringify(res);
    let ri = resourceNo.get(key);
    if (ri === undefined) {
      ri = resources.length;
      resources.push(res);
      resourceNo.set(key, ri);
    }
    const start = ms(r.startTimeUnixNano);
    const links = r.links.map((l) => ({
      trace: traceNo.get(l.traceId) ?? -1,
      spanId: l.spanId,
      attributes: sdkAttributes(l.attributes),
    }));
    // The SDK has no FOLLOWS_FROM: like the Collector's Jaeger translator, keep the parent and add a link.
    if (r.parentRefType === 'follows_from') {
      links.push({
        trace: traceOf[i]!,
        spanId: r.parentSpanId,
        attributes: { 'opentracing.ref_type': 'follows_from' },
      });
    }
    spans.push({
      trace: traceOf[i]!,
      spanId: r.spanId,
      parentSpanId: r.parentSpanId,
      name: r.operation,
      kind: KIND[r.kind] ?? 0,
      startMs: start,
      endMs: start + Number(r.durationNano) / 1e6,
      attributes: sdkAttributes(r.attributes),
      events: r.events.map((e) => ({ ms: ms(e.timeUnixNano), name: e.name, attributes: sdkAttributes(e.attributes) })),
      links: links.filter((l) => l.trace >= 0),
      status: STATUS[r.statusCode] ?? 0,
      statusMessage: r.statusMessage,
      resource: ri,
      scope: table.stringAt('scope', i),
    });
  }
  spans.sort((a, b) => a.endMs - b.endMs);
  return { spans, resources, traceCount: index.traceCount, durationMs };
}

/** One pre-encoded OTLP/HTTP protobuf request of whole traces. */
export interface EncodedRequest {
  readonly body: Buffer;
  readonly spans: number;
  readonly firstTraceId: string;
}

/** Encodes the table as requests of about `perRequest` spans (whole traces, in start order). */
export function encodeRequests(table: SpanTable, perRequest: number): EncodedRequest[] {
  const index = buildTraceIndex(table);
  const out: EncodedRequest[] = [];
  let t0 = 0;
  for (let t = 0; t < index.traceCount; t++) {
    const n = index.offsets[t + 1]! - index.offsets[t0]!;
    if (n >= perRequest || t === index.traceCount - 1) {
      const part = takeSpans(table, index.rows.subarray(index.offsets[t0]!, index.offsets[t + 1]!));
      out.push({
        body: Buffer.from(spanTableToOtlpProtobuf(part)),
        spans: part.numSpans,
        firstTraceId: traceIdAt(part, 0),
      });
      t0 = t + 1;
    }
  }
  return out;
}

/** Bytes per span of the table as OTLP protobuf requests of about `perRequest` spans, plain and gzip'd. */
export function otlpBytesPerSpan(table: SpanTable, perRequest: number): { protobuf: number; gzip: number } {
  let plain = 0;
  let gz = 0;
  for (const r of encodeRequests(table, perRequest)) {
    plain += r.body.length;
    gz += gzipSync(r.body).length;
  }
  return { protobuf: plain / table.numSpans, gzip: gz / table.numSpans };
}
