// jaegerSource: the Jaeger query service's HTTP JSON API (and the v3 API returning OTLP) as a TraceSource.
import type {
  DataBounds,
  OperationInfo,
  SpanQuery,
  SpanTable,
  TraceQuery,
  TraceSource,
  TraceSummary,
} from '@aiops/span-model';
import { normalizeTraceId } from '@aiops/span-model';
import type { DependencyLink } from './dependency-link.ts';
import { spansFromParsed } from './internal/decode-parsed.ts';
import {
  concatOrEmpty,
  type Endpoint,
  endpointFromUri,
  fetchJson,
  HTTP_DEFAULTS,
  type HttpSourceOptions,
  micros,
  schemaError,
  summariesFromTable,
} from './internal/http.ts';
import { SourceError } from './source-error.ts';

/** Options of {@link jaegerSource}. */
export interface JaegerSourceOptions extends HttpSourceOptions {
  /** 'v1' (`/api/traces`, Jaeger JSON) or 'v3' (`/api/v3/traces`, OTLP) for trace by id. Default 'v1'. */
  readonly api?: 'v1' | 'v3';
  /** Search window when a query has no `fromUnixNano`, in ms before now. Default 24 h. */
  readonly lookbackMs?: number;
  /** Traces per search when a query has no `limit`. Default 100. */
  readonly searchLimit?: number;
}

const DEFAULTS = { api: 'v1', lookbackMs: 86_400_000, searchLimit: 100 } as const;

function dataArray(doc: unknown, url: string): unknown[] {
  const data = (doc as { data?: unknown } | undefined)?.data;
  if (data === null) return [];
  if (!Array.isArray(data)) throw schemaError(url, '{"data": [...]}');
  return data;
}

/**
 * A {@link TraceSource} over a Jaeger query service (`jaeger://host:16686`, `jaeger+https://user:pass@host`).
 *
 * **Details**
 * - getTrace: `/api/traces/{id}` (or `/api/v3/traces/{id}` with `api: 'v3'`); search: `/api/traces?service=...`
 *   (Jaeger searches by span; the exact trace-level filters are applied on the returned traces); services and
 *   operations: `/api/services`, `/api/services/{s}/operations`; {@link JaegerSource.dependencies}: `/api/dependencies`.
 * - A query without a service searches every service (one request each).
 *
 * **Complexity** One HTTP request per call (per service for a search without service).
 *
 * **Gotchas** Jaeger has no span counts per operation (`spanCount` is 0) and no data-bounds API (`bounds()` is
 * undefined). `failed: true` adds Jaeger's `tags={"error":"true"}` filter. Errors are {@link SourceError}s.
 *
 * @example
 * ```ts
 * const jaeger = jaegerSource('jaeger://localhost:16686');
 * const slow = await jaeger.searchTraces({ service: 'frontend', minDurationNano: 500_000_000n, limit: 20 });
 * ```
 */
export class JaegerSource implements TraceSource {
  /** Always 'jaeger'. */
  readonly kind: string = 'jaeger';
  /** Base URL without credentials. */
  readonly url: string;
  readonly #ep: Endpoint;
  readonly #timeout: number;
  readonly #opts: JaegerSourceOptions;

  /** Use {@link jaegerSource}. */
  constructor(uri: string, options: JaegerSourceOptions = {}) {
    const ep = endpointFromUri(uri, ['jaeger'], '16686');
    this.#ep = { base: ep.base, headers: { ...ep.headers, ...options.headers } };
    this.url = this.#ep.base;
    this.#timeout = options.timeoutMs ?? HTTP_DEFAULTS.timeoutMs;
    this.#opts = options;
  }

  #get(path: string): Promise<unknown> {
    return fetchJson(this.#ep.base + path, this.#ep.headers, this.#timeout);
  }

  #decode(doc: unknown, url: string, otlp: boolean): SpanTable {
    try {
      return spansFromParsed(doc, otlp ? 'otlp-json' : 'jaeger', url);
    } catch (err) {
      throw schemaError(url, otlp ? 'OTLP JSON traces' : 'Jaeger JSON traces', err);
    }
  }

  /** All spans of one trace, or undefined when Jaeger does not know it. */
  async getTrace(traceId: string): Promise<SpanTable | undefined> {
    const hex = normalizeTraceId(traceId);
    if (!hex) return undefined;
    if ((this.#opts.api ?? DEFAULTS.api) === 'v3') {
      const path = `/api/v3/traces/${hex}`;
      const doc = (await this.#get(path)) as { result?: unknown } | undefined;
      if (doc === undefined) return undefined;
      const body = doc.result ?? doc;
      const spans = (body as { resourceSpans?: unknown[] }).resourceSpans;
      if (Array.isArray(spans) && spans.length === 0) return undefined;
      return this.#decode(body, this.url + path, true);
    }
    const path = `/api/traces/${hex}`;
    const doc = await this.#get(path);
    if (doc === undefined || dataArray(doc, this.url + path).length === 0) return undefined;
    return this.#decode(doc, this.url + path, false);
  }

  async #search(query: TraceQuery): Promise<SpanTable> {
    const services = query.service !== undefined ? [query.service] : await this.services();
    const end = query.toUnixNano ?? BigInt(Date.now()) * 1_000_000n;
    const start = query.fromUnixNano ?? end - BigInt(this.#opts.lookbackMs ?? DEFAULTS.lookbackMs) * 1_000_000n;
    const tables: SpanTable[] = [];
    for (const service of services) {
      const p = new URLSearchParams({ service, start: micros(start), end: micros(end) });
      if (query.operation !== undefined) p.set('operation', query.operation);
      if (query.minDurationNano !== undefined) p.set('minDuration', `${micros(query.minDurationNano)}us`);
      if (query.maxDurationNano !== undefined) p.set('maxDuration', `${micros(query.maxDurationNano)}us`);
      if (query.failed === true) p.set('tags', '{"error":"true"}');
      p.set('limit', String(query.limit ?? this.#opts.searchLimit ?? DEFAULTS.searchLimit));
      const path = `/api/traces?${p}`;
      const doc = await this.#get(path);
      if (doc === undefined || dataArray(doc, this.url + path).length === 0) continue;
      tables.push(this.#decode(doc, this.url + path, false));
    }
    return concatOrEmpty(tables);
  }

  /** Summaries of matching traces, newest first (Jaeger search, then exact trace-level filters). */
  async searchTraces(query: TraceQuery): Promise<TraceSummary[]> {
    return summariesFromTable(await this.#search(query), query);
  }

  /** All spans of matching traces. */
  async spans(query: SpanQuery): Promise<SpanTable> {
    if (query.traceIds !== undefined) {
      const tables = await Promise.all(query.traceIds.map((id) => this.getTrace(id)));
      return concatOrEmpty(tables.filter((t): t is SpanTable => t !== undefined));
    }
    const table = await this.#search({
      ...query,
      ...(query.limitTraces === undefined ? {} : { limit: query.limitTraces }),
    });
    return table;
  }

  /** Service names, sorted. */
  async services(): Promise<string[]> {
    const doc = await this.#get('/api/services');
    if (doc === undefined)
      throw new SourceError(
        'not_found',
        `${this.url}/api/services`,
        `${this.url}: not a Jaeger query service (/api/services: 404)`,
      );
    return (dataArray(doc, `${this.url}/api/services`) as string[]).map(String).sort();
  }

  /** Operations of one service (or all), sorted; `spanCount` is 0 (Jaeger does not count). */
  async operations(service?: string): Promise<OperationInfo[]> {
    const services = service !== undefined ? [service] : await this.services();
    const out: OperationInfo[] = [];
    for (const s of services) {
      const path = `/api/services/${encodeURIComponent(s)}/operations`;
      const doc = await this.#get(path);
      if (doc === undefined) continue;
      for (const op of dataArray(doc, this.url + path)) out.push({ service: s, operation: String(op), spanCount: 0 });
    }
    return out.sort((a, b) =>
      a.service === b.service ? (a.operation < b.operation ? -1 : 1) : a.service < b.service ? -1 : 1,
    );
  }

  /** Service dependencies Jaeger computed for the `lookbackMs` before `endMs` (default: last 24 h). */
  async dependencies(endMs: number = Date.now(), lookbackMs: number = DEFAULTS.lookbackMs): Promise<DependencyLink[]> {
    const path = `/api/dependencies?endTs=${Math.floor(endMs)}&lookback=${Math.floor(lookbackMs)}`;
    const doc = await this.#get(path);
    if (doc === undefined) return [];
    return dataArray(doc, this.url + path).map((d) => {
      const o = d as { parent?: unknown; child?: unknown; callCount?: unknown };
      if (typeof o.parent !== 'string' || typeof o.child !== 'string')
        throw schemaError(this.url + path, '{"data": [{"parent", "child", "callCount"}]}');
      return { parent: o.parent, child: o.child, callCount: Number(o.callCount ?? 0), errorCount: 0 };
    });
  }

  /** Jaeger has no API for the data's time range: always undefined. */
  async bounds(): Promise<DataBounds | undefined> {
    return undefined;
  }

  /** Nothing to release (HTTP requests are independent). */
  async close(): Promise<void> {}
}

/**
 * Opens a Jaeger query service as a {@link TraceSource}.
 *
 * **Details** `jaeger://host:16686` (HTTP), `jaeger+https://user:pass@host` (HTTPS, basic auth), or a plain http(s)
 * URL; a path is kept as a prefix (`jaeger://host/jaeger`). No request is made until the first call.
 *
 * @example
 * ```ts
 * const source = jaegerSource('jaeger+https://ops:secret@jaeger.internal', { timeoutMs: 5000 });
 * ```
 */
export function jaegerSource(uri: string, options: JaegerSourceOptions = {}): JaegerSource {
  return new JaegerSource(uri, options);
}
