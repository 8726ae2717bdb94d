// The load process of the AC 6 benchmark: replays the span pool as real OpenTelemetry JS SDK spans — one
// TracerProvider + BatchSpanProcessor + OTLPTraceExporter (HTTP/protobuf) per resource, as one SDK per pod — at the
// pool's rate (5,000 spans/s), ending each span at its generated end time (shifted to now) with its generated start,
// attributes, events, links and status. Every second a marker span goes through the frontend's SDK; when its batch
// is exported, the marker's trace is polled on the query API until it is returned (ingest→queryable latency).
//
// Started by run.ts with fork(); talks to it with process.send. Argument: one JSON object (LoadConfig).
import { randomBytes } from 'node:crypto';
import { type Context, ROOT_CONTEXT, type SpanContext, TraceFlags, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type IdGenerator,
  type ReadableSpan,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { generatePoolTable, otlpBytesPerSpan, type PoolSpan, spanPoolFromTable } from './span-pool.ts';

export interface LoadConfig {
  readonly otlpUrl: string;
  readonly queryUrl: string;
  readonly seconds: number;
  readonly spansPerSecond: number;
  readonly poolSeconds: number;
  readonly seed: number;
}

/** Messages to run.ts. */
export type LoadMessage =
  | {
      type: 'ready';
      poolSpans: number;
      poolTraces: number;
      resources: number;
      otlp: { protobuf: number; gzip: number };
    }
  | {
      type: 'marker';
      /** Export call → trace returned by the query API, ms. */
      exportToQueryableMs: number;
      /** Marker span end → trace returned (includes the BatchSpanProcessor's wait), ms. */
      endToQueryableMs: number;
      /** Export call → exporter result (the server's acknowledgement), ms. */
      ackMs: number;
      polls: number;
      traceId: string;
    }
  | { type: 'traces'; ids: string[] }
  | {
      type: 'progress';
      emitted: number;
      exported: number;
      failed: number;
      exports: number;
      ackP50: number;
      ackP99: number;
    }
  | {
      type: 'done';
      emitted: number;
      exported: number;
      failed: number;
      exports: number;
      lagMaxMs: number;
      /** Export call → acknowledgement of every successful export, ms. */
      ackP50: number;
      ackP99: number;
      ackMax: number;
    };

const config = JSON.parse(process.argv[2]!) as LoadConfig;
const send = (m: LoadMessage): void => void process.send?.(m);

const table = generatePoolTable({
  seconds: config.poolSeconds,
  spansPerSecond: config.spansPerSecond,
  seed: config.seed,
});
const pool = spanPoolFromTable(table, config.poolSeconds * 1000);
send({
  type: 'ready',
  poolSpans: pool.spans.length,
  poolTraces: pool.traceCount,
  resources: pool.resources.length,
  // The SDK's exporter batches 512 spans per request by default: compare with requests of that size.
  otlp: otlpBytesPerSpan(table, 512),
});

/** Ids chosen by the replay: the SDK asks for them when a span starts. */
const ids = { traceId: '', spanId: '' };
const idGenerator: IdGenerator = {
  generateTraceId: () => ids.traceId,
  generateSpanId: () => ids.spanId,
};

// ---- exporters, wrapped to time exports and find marker spans ----
let exported = 0;
let failed = 0;
let exports = 0;
let acks: number[] = [];
const allAcks: number[] = [];
let traceSample: string[] = [];
const MARKER = 'ac6.marker';

async function pollVisible(traceId: string, exportAt: number, endAt: number, ackPromise: Promise<number>) {
  let polls = 0;
  for (;;) {
    polls++;
    const res = await fetch(`${config.queryUrl}/api/traces/${traceId}`);
    await res.arrayBuffer();
    if (res.status === 200) break;
    if (res.status !== 404) throw new Error(`query API answered ${res.status}`);
    if (performance.now() - exportAt > 60_000) throw new Error(`marker ${traceId} not visible after 60 s`);
    await new Promise((r) => setTimeout(r, 2));
  }
  const now = performance.now();
  send({
    type: 'marker',
    exportToQueryableMs: now - exportAt,
    endToQueryableMs: now - endAt,
    ackMs: await ackPromise,
    polls,
    traceId,
  });
}

function timedExporter(inner: SpanExporter): SpanExporter {
  return {
    export(spans: ReadableSpan[], resultCallback) {
      const at = performance.now();
      exports++;
      let resolveAck!: (ms: number) => void;
      const ack = new Promise<number>((r) => (resolveAck = r));
      for (const s of spans) {
        if (s.name === MARKER) {
          const endAt = markerEnds.get(s.spanContext().traceId) ?? at;
          markerEnds.delete(s.spanContext().traceId);
          void pollVisible(s.spanContext().traceId, at, endAt, ack).catch((e) => {
            console.error(`ac6 load: ${e}`);
          });
        }
      }
      inner.export(spans, (result) => {
        const ms = performance.now() - at;
        resolveAck(ms);
        if (result.code === 0) {
          exported += spans.length;
          acks.push(ms);
          allAcks.push(ms);
          if (spans.length > 0) traceSample.push(spans[spans.length >> 1]!.spanContext().traceId);
        } else {
          failed += spans.length;
          console.error(`ac6 load: export of ${spans.length} spans failed: ${result.error?.message}`);
        }
        resultCallback(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

const providers = pool.resources.map(
  (attributes) =>
    new TracerProvider({
      resource: resourceFromAttributes(attributes),
      idGenerator,
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: timedExporter(new OTLPTraceExporter({ url: `${config.otlpUrl}/v1/traces` })),
        }),
      ],
    }),
);
const tracers = new Map<string, ReturnType<TracerProvider['getTracer']>>();
function tracerFor(resource: number, scope: string) {
  const key = `${resource}\u0000${scope}`;
  let t = tracers.get(key);
  if (!t) {
    let name = scope || 'ac6';
    let version: string | undefined;
    try {
      const s = JSON.parse(scope) as { name?: string; version?: string };
      name = s.name || 'ac6';
      version = s.version || undefined;
    } catch {}
    t = providers[resource]!.getTracer(name, version);
    tracers.set(key, t);
  }
  return t;
}

// ---- the replay ----
const wallStart = Date.now() + 200;
const t0 = performance.now() + 200;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** Per loop of the pool: trace index → fresh trace id. */
const loopTraceIds = new Map<number, string[]>();
function traceIdFor(loop: number, traceIndex: number): string {
  let m = loopTraceIds.get(loop);
  if (!m) {
    m = new Array<string>(pool.traceCount);
    loopTraceIds.set(loop, m);
    loopTraceIds.delete(loop - 3);
  }
  m[traceIndex] ??= hex(16);
  return m[traceIndex]!;
}

const markerEnds = new Map<string, number>();
let emitted = 0;
let lagMaxMs = 0;

function emit(s: PoolSpan, loop: number): void {
  const shift = wallStart + loop * pool.durationMs;
  const traceId = traceIdFor(loop, s.trace);
  ids.traceId = traceId;
  ids.spanId = s.spanId;
  let ctx: Context = ROOT_CONTEXT;
  if (s.parentSpanId) {
    const parent: SpanContext = { traceId, spanId: s.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true };
    ctx = trace.setSpanContext(ROOT_CONTEXT, parent);
  }
  const span = tracerFor(s.resource, s.scope).startSpan(
    s.name,
    {
      kind: s.kind,
      startTime: shift + s.startMs,
      attributes: s.attributes,
      links: s.links.map((l) => ({
        context: {
          traceId: traceIdFor(loop, l.trace),
          spanId: l.spanId,
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        },
        attributes: l.attributes,
      })),
    },
    ctx,
  );
  for (const e of s.events) span.addEvent(e.name, e.attributes, shift + e.ms);
  if (s.status) span.setStatus(s.status === 2 ? { code: 2, message: s.statusMessage } : { code: 1 });
  span.end(shift + s.endMs);
  emitted++;
}

const markerResource = Math.max(
  0,
  pool.resources.findIndex((r) => r['service.name'] === 'frontend'),
);
function emitMarker(seq: number): void {
  const traceId = hex(16);
  ids.traceId = traceId;
  ids.spanId = hex(8);
  const now = Date.now();
  const span = tracerFor(markerResource, '').startSpan(MARKER, {
    kind: 0,
    startTime: now,
    attributes: { 'ac6.marker.seq': seq },
  });
  span.end(now);
  markerEnds.set(traceId, performance.now());
}

const n = pool.spans.length;
const cursors = new Map<number, number>([[0, 0]]);
let nextMarker = 1000;
let markerSeq = 0;
let lastProgress = 0;
const endMs = config.seconds * 1000;
await new Promise((r) => setTimeout(r, 200));
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now() - t0;
    const until = Math.min(now, endMs);
    const newest = Math.floor(until / pool.durationMs);
    if (!cursors.has(newest)) cursors.set(newest, 0);
    for (const [loop, k0] of cursors) {
      let k = k0;
      const limit = until - loop * pool.durationMs;
      while (k < n && pool.spans[k]!.endMs <= limit) emit(pool.spans[k++]!, loop);
      if (k === n) cursors.delete(loop);
      else cursors.set(loop, k);
      // How far behind schedule the replay runs (the load process's own CPU share on a busy machine).
      if (k < n && k > k0) lagMaxMs = Math.max(lagMaxMs, now - (loop * pool.durationMs + pool.spans[k - 1]!.endMs));
    }
    if (until >= nextMarker) {
      emitMarker(markerSeq++);
      nextMarker += 1000;
    }
    if (now - lastProgress >= 10_000) {
      lastProgress = now;
      acks.sort((a, b) => a - b);
      send({
        type: 'progress',
        emitted,
        exported,
        failed,
        exports,
        ackP50: acks[Math.floor(acks.length * 0.5)] ?? 0,
        ackP99: acks[Math.floor(acks.length * 0.99)] ?? 0,
      });
      acks = [];
      send({ type: 'traces', ids: traceSample });
      traceSample = [];
    }
    if (now >= endMs) resolve();
    else setTimeout(tick, 10);
  };
  tick();
});
// A flush whose export failed (the exporter gave up after its retries) rejects: those spans are counted as failed.
await Promise.allSettled(providers.map((p) => p.forceFlush()));
await new Promise((r) => setTimeout(r, 2000));
send({ type: 'traces', ids: traceSample });
allAcks.sort((a, b) => a - b);
send({
  type: 'done',
  emitted,
  exported,
  failed,
  exports,
  lagMaxMs,
  ackP50: allAcks[Math.floor(allAcks.length * 0.5)] ?? 0,
  ackP99: allAcks[Math.floor(allAcks.length * 0.99)] ?? 0,
  ackMax: allAcks[allAcks.length - 1] ?? 0,
});
await Promise.allSettled(providers.map((p) => p.shutdown()));
process.exit(0);
