// Builds small synthetic traffic for the tests: traces of frontend → api → db with controllable latency, errors
// and call paths, deterministic (seeded), as span tables.
import { type SpanInput, type SpanTable, spanTableFromRows } from '@aiops/span-model';

/** What a trace of the synthetic traffic looks like at time t (seconds from the start). */
export interface TrafficShape {
  /** Unix seconds of the first trace. */
  readonly startUnixSeconds: number;
  /** Length, seconds. */
  readonly seconds: number;
  /** Traces per second. */
  readonly rate: number | ((t: number) => number);
  /** api's own time, ms. Default 20. */
  readonly apiSelfMs?: (t: number) => number;
  /** db query time, ms. Default 30. */
  readonly dbMs?: (t: number) => number;
  /** Whether api fails (HTTP 500) at t. */
  readonly apiFails?: (t: number, rnd: number) => boolean;
  /** Whether frontend's call to api hits its deadline at t (the client span ends with error.type=timeout). */
  readonly timesOut?: (t: number) => boolean;
  /** HTTP status of api's failures. Default 500. */
  readonly failStatus?: number;
  /** Network delay between frontend's client span and api's server span at t, ms (`rnd` uniform in [0, 1)). */
  readonly netDelayMs?: (t: number, rnd: number) => number;
  /** Whether api also calls `cache` at t. */
  readonly callsCache?: (t: number) => boolean;
  /** Messy: pod names, no span kind, no status codes, errors only as `error=true`. */
  readonly messy?: boolean;
  /** Seed. */
  readonly seed?: number;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MS = 1_000_000n;

/** Generates the traffic. Latency noise is lognormal-ish (±10%). */
export function traffic(shape: TrafficShape): SpanTable {
  const rnd = mulberry32(shape.seed ?? 1);
  const rows: SpanInput[] = [];
  let id = 1;
  const hex = (n: number, len: number): string => n.toString(16).padStart(len, '0');
  const fe = shape.messy ? 'frontend-7d9f8b5c4-x2k4p' : 'frontend';
  const api = shape.messy ? 'api-5c6b7d8f9-q7w2z' : 'api';
  for (let t = 0; t < shape.seconds; ) {
    const rate = typeof shape.rate === 'function' ? shape.rate(t) : shape.rate;
    t += 1 / rate;
    if (t >= shape.seconds) break;
    const noise = (): number => Math.exp((rnd() - 0.5) * 0.2);
    const traceId = hex(id++, 32);
    const start = BigInt(Math.round((shape.startUnixSeconds + t) * 1e6)) * 1000n;
    const apiSelf = (shape.apiSelfMs?.(t) ?? 20) * noise();
    const db = (shape.dbMs?.(t) ?? 30) * noise();
    const cache = shape.callsCache?.(t) ? 2 : 0;
    const fails = shape.apiFails?.(t, rnd()) ?? false;
    const net = shape.netDelayMs?.(t, rnd()) ?? 0;
    const apiDur = apiSelf + db + cache + 2;
    const feDur = apiDur + net + 10 * noise();
    const root = hex(id++, 16);
    const client = hex(id++, 16);
    const server = hex(id++, 16);
    const dbSpan = hex(id++, 16);
    const ns = (ms: number): bigint => BigInt(Math.round(ms * 1e3)) * 1000n;
    const kind = <K extends SpanInput['kind']>(k: K): { kind?: K } => (shape.messy ? {} : { kind: k });
    rows.push({
      traceId,
      spanId: root,
      service: fe,
      operation: 'GET /checkout',
      startUnixNano: start,
      durationNano: ns(feDur),
      ...kind('server'),
    });
    const timedOut = shape.timesOut?.(t) ?? false;
    rows.push({
      traceId,
      spanId: client,
      parentSpanId: root,
      service: fe,
      operation: 'POST /pay',
      startUnixNano: start + 3n * MS,
      durationNano: ns(apiDur + net),
      ...kind('client'),
      ...(timedOut
        ? { statusCode: 'error' as const, statusMessage: 'deadline exceeded', attributes: { 'error.type': 'timeout' } }
        : {}),
    });
    rows.push({
      traceId,
      spanId: server,
      parentSpanId: client,
      service: api,
      operation: 'POST /pay',
      startUnixNano: start + 3n * MS + 500_000n + ns(net),
      durationNano: ns(apiDur - 1),
      ...kind('server'),
      ...(fails
        ? shape.messy
          ? { attributes: { error: true } }
          : { statusCode: 'error' as const, attributes: { 'http.response.status_code': shape.failStatus ?? 500 } }
        : {}),
    });
    rows.push({
      traceId,
      spanId: dbSpan,
      parentSpanId: server,
      service: api,
      operation: 'SELECT orders',
      startUnixNano: start + 4n * MS + ns(net),
      durationNano: ns(db),
      ...kind('client'),
      attributes: { 'db.system': 'postgresql', 'peer.service': 'orders-db' },
    });
    if (cache) {
      rows.push({
        traceId,
        spanId: hex(id++, 16),
        parentSpanId: server,
        service: api,
        operation: 'GET',
        startUnixNano: start + 4n * MS + ns(net) + ns(db),
        durationNano: ns(cache),
        ...kind('client'),
        attributes: { 'db.system': 'redis', 'peer.service': 'cache' },
      });
    }
  }
  return spanTableFromRows(rows);
}
