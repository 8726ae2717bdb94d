// The query API of `aiops serve` (HTTP, JSON for people and scripts, Arrow IPC for the aiops cli). Documented in
// packages/cli/SERVE.md. Every read goes to the store's read connection, which sees committed data only, so a span
// is visible here as soon as its export was acknowledged.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dependencyGraph } from '@aiops/dependency-graph';
import {
  normalizeTraceId,
  type SpanQuery,
  type SpanTable,
  spanRecord,
  type TraceQuery,
  type TraceSource,
} from '@aiops/span-model';
import { tableToIPC } from 'apache-arrow';
import { parseDurationMs } from '../internal/time.ts';

/** Media type of Arrow IPC streams. */
export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

/** What /api/health reports besides the store. */
export interface HealthInfo {
  /** Extra fields: version, ports, ingest counters, queue depth. */
  health(): Record<string, unknown>;
}

class BadRequest extends Error {}

const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

function send(res: ServerResponse, status: number, body: string | Uint8Array, type: string): void {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { 'content-type': type, 'content-length': String(b.length), 'cache-control': 'no-store' });
  res.end(b);
}

function sendJson(res: ServerResponse, status: number, v: unknown): void {
  send(res, status, `${json(v)}\n`, 'application/json; charset=utf-8');
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

function wantsArrow(req: IncomingMessage, q: URLSearchParams): boolean {
  return q.get('format') === 'arrow' || (req.headers.accept ?? '').includes(ARROW_STREAM);
}

function sendTable(res: ServerResponse, table: SpanTable): void {
  send(res, 200, tableToIPC(table.table, 'stream'), ARROW_STREAM);
}

/** Parses a time: ns since the epoch (digits) or ISO-8601. */
function instant(text: string | null, name: string): bigint | undefined {
  if (text === null || text === '') return undefined;
  if (/^\d+$/.test(text)) return BigInt(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new BadRequest(`${name}: "${text}" is not a time (ns since the epoch or ISO-8601)`);
  return BigInt(ms) * 1_000_000n;
}

function duration(text: string | null, name: string): bigint | undefined {
  if (text === null || text === '') return undefined;
  try {
    return BigInt(Math.round(parseDurationMs(text, name) * 1e6));
  } catch (err) {
    throw new BadRequest((err as Error).message);
  }
}

function count(text: string | null | undefined, name: string, max: number): number | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new BadRequest(`${name}: "${text}" is not a whole number ≥ 0`);
  return Math.min(n, max);
}

function bool(text: string | null, name: string): boolean | undefined {
  if (text === null || text === '') return undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new BadRequest(`${name}: "${text}" is not true or false`);
}

function readJsonBody(req: IncomingMessage, max: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new BadRequest(`request body larger than ${max} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(new BadRequest(`body is not JSON: ${(err as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

/** Limits of the query API. */
const DEFAULTS = { maxSearchLimit: 10_000, defaultSearchLimit: 20, dependencyTraces: 10_000 } as const;

/**
 * The request listener of the query API over a trace source (the store the server writes to).
 *
 * **Details** Routes: GET /api/health, /api/services, /api/operations, /api/traces, /api/traces/{id},
 * /api/dependencies, /api/bounds; POST /api/spans. Errors are `{ error: { code, message } }` with 400/404/405/500.
 */
export function queryRequestListener(
  source: TraceSource,
  info: HealthInfo,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void route(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof BadRequest) sendError(res, 400, 'bad_request', err.message);
      else sendError(res, 500, 'internal', err instanceof Error ? err.message : String(err));
    });
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    if (path === '/api/spans') {
      if (req.method !== 'POST') return sendError(res, 405, 'method_not_allowed', 'POST /api/spans with a JSON body');
      const body = await readJsonBody(req, 1024 * 1024);
      return sendTable(res, await source.spans(spanQueryOf(body)));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      req.resume();
      return sendError(res, 405, 'method_not_allowed', `${req.method} ${path}: the query API takes GET`);
    }
    if (path === '/api/health') {
      const bounds = await source.bounds();
      return sendJson(res, 200, {
        status: 'ok',
        ...info.health(),
        spanCount: bounds?.spanCount ?? 0,
        traceCount: bounds?.traceCount ?? 0,
      });
    }
    if (path === '/api/services') return sendJson(res, 200, { services: await source.services() });
    if (path === '/api/operations') {
      const service = q.get('service') ?? undefined;
      return sendJson(res, 200, { operations: await source.operations(service || undefined) });
    }
    if (path === '/api/bounds') return sendJson(res, 200, { bounds: (await source.bounds()) ?? null });
    if (path === '/api/traces') {
      const query: TraceQuery = {
        ...opt('service', q.get('service') || undefined),
        ...opt('operation', q.get('operation') || undefined),
        ...opt('minDurationNano', duration(q.get('minDuration'), 'minDuration')),
        ...opt('maxDurationNano', duration(q.get('maxDuration'), 'maxDuration')),
        ...opt('failed', bool(q.get('failed'), 'failed')),
        ...opt('fromUnixNano', instant(q.get('from'), 'from')),
        ...opt('toUnixNano', instant(q.get('to'), 'to')),
        limit: count(q.get('limit'), 'limit', DEFAULTS.maxSearchLimit) ?? DEFAULTS.defaultSearchLimit,
      };
      return sendJson(res, 200, { traces: await source.searchTraces(query) });
    }
    if (path.startsWith('/api/traces/')) {
      const raw = decodeURIComponent(path.slice('/api/traces/'.length));
      const id = normalizeTraceId(raw);
      if (!id) throw new BadRequest(`"${raw}" is not a trace id (expected 16 or 32 hex digits)`);
      const table = await source.getTrace(id);
      if (!table || table.numSpans === 0) return sendError(res, 404, 'not_found', `trace ${id} not found`);
      if (wantsArrow(req, q)) return sendTable(res, table);
      const spans = [];
      for (let r = 0; r < table.numSpans; r++) spans.push(spanRecord(table, r));
      return sendJson(res, 200, { traceId: id, spanCount: table.numSpans, spans });
    }
    if (path === '/api/dependencies') {
      let to = instant(q.get('to'), 'to');
      let from = instant(q.get('from'), 'from');
      const lookback = duration(q.get('lookback'), 'lookback');
      if (from === undefined && lookback !== undefined) {
        to ??= BigInt(Date.now()) * 1_000_000n;
        from = to - lookback;
      }
      const limitTraces = count(q.get('limitTraces'), 'limitTraces', 1_000_000) ?? DEFAULTS.dependencyTraces;
      const table = await source.spans({ ...opt('fromUnixNano', from), ...opt('toUnixNano', to), limitTraces });
      const g = dependencyGraph(table);
      return sendJson(res, 200, {
        window: g.window,
        traceCount: g.traceCount,
        spanCount: g.spanCount,
        services: g.services,
        edges: g.edges,
        warnings: g.warnings,
      });
    }
    req.resume();
    sendError(
      res,
      404,
      'not_found',
      `no such endpoint: ${path} (see /api/health, /api/services, /api/operations, /api/traces, /api/dependencies)`,
    );
  }
}

function opt<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

/** Parses the JSON body of POST /api/spans (times as decimal ns strings or ISO-8601). */
function spanQueryOf(body: unknown): SpanQuery {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new BadRequest('the body must be a JSON object like {"fromUnixNano":"…","service":"…"}');
  const b = body as Record<string, unknown>;
  const str = (k: string): string | null => {
    const v = b[k];
    if (v === undefined || v === null) return null;
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    throw new BadRequest(`${k}: expected a string`);
  };
  const ids = b.traceIds;
  if (ids !== undefined && (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')))
    throw new BadRequest('traceIds: expected an array of hex strings');
  return {
    ...opt('fromUnixNano', instant(str('fromUnixNano'), 'fromUnixNano')),
    ...opt('toUnixNano', instant(str('toUnixNano'), 'toUnixNano')),
    ...opt('service', str('service') ?? undefined),
    ...opt('traceIds', ids as string[] | undefined),
    ...opt('limitTraces', count(str('limitTraces'), 'limitTraces', Number.MAX_SAFE_INTEGER)),
  };
}
