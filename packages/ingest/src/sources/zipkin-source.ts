// zipkinSource: the Zipkin v2 HTTP API as a TraceSource.
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

/** Options of {@link zipkinSource}. */
export interface ZipkinSourceOptions extends HttpSourceOptions {
  /** Search window when a query has no `fromUnixNano`, in ms before its end. Default 24 h. */
  readonly lookbackMs?: number;
  /** Traces per search when a query has no `limit`. Default 100. */
  readonly searchLimit?: number;
}

const DEFAULTS = { lookbackMs: 86_400_000, searchLimit: 100 } as const;

/**
 * A {@link TraceSource} over a Zipkin server (`zipkin://host:9411`).
 *
 * **Details** getTrace: `/api/v2/trace/{id}`; search: `/api/v2/traces?serviceName=&spanName=&minDuration=&endTs=
 * &lookback=&limit=` (exact trace-level filters applied on the result); services: `/api/v2/services`; operations:
 * `/api/v2/spans?serviceName=`; {@link ZipkinSource.dependencies}: `/api/v2/dependencies`.
 *
 * **Complexity** One HTTP request per call (per service for `operations()` without a service).
 *
 * **Gotchas** Zipkin has no span counts per operation (`spanCount` 0) and no data-bounds API (`bounds()` undefined).
 * `failed: true` adds `annotationQuery=error`. Zipkin lower-cases service names.
 *
 * @example
 * ```ts
 * const zipkin = zipkinSource('zipkin://localhost:9411');
 * const trace = await zipkin.getTrace('86154a4ba6e91385');
 * ```
 */
export class ZipkinSource implements TraceSource {
  /** Always 'zipkin'. */
  readonly kind: string = 'zipkin';
  /** Base URL without credentials. */
  readonly url: string;
  readonly #ep: Endpoint;
  readonly #timeout: number;
  readonly #opts: ZipkinSourceOptions;

  /** Use {@link zipkinSource}. */
  constructor(uri: string, options: ZipkinSourceOptions = {}) {
    const ep = endpointFromUri(uri, ['zipkin'], '9411');
    this.#ep = { base: ep.base, headers: { ...ep.headers, ...options.headers } };
    this.url = ep.base;
    this.#timeout = options.timeoutMs ?? HTTP_DEFAULTS.timeoutMs;
    this.#opts = options;
  }

  #get(path: string): Promise<unknown> {
    return fetchJson(this.#ep.base + path, this.#ep.headers, this.#timeout);
  }

  #decode(spans: unknown[], url: string): SpanTable {
    try {
      return spansFromParsed(spans, 'zipkin', url);
    } catch (err) {
      throw schemaError(url, 'Zipkin v2 JSON spans', err);
    }
  }

  /** All spans of one trace, or undefined when Zipkin does not know it. */
  async getTrace(traceId: string): Promise<SpanTable | undefined> {
    const hex = normalizeTraceId(traceId);
    if (!hex) return undefined;
    // Zipkin stores 64-bit ids unpadded; ask with the short form when the high half is zero.
    const id = hex.startsWith('0000000000000000') ? hex.slice(16) : hex;
    const path = `/api/v2/trace/${id}`;
    const doc = await this.#get(path);
    if (doc === undefined) return undefined;
    if (!Array.isArray(doc)) throw schemaError(this.url + path, 'a JSON array of spans');
    return doc.length === 0 ? undefined : this.#decode(doc, this.url + path);
  }

  async #search(query: TraceQuery): Promise<SpanTable> {
    const end = query.toUnixNano ?? BigInt(Date.now()) * 1_000_000n;
    const start = query.fromUnixNano ?? end - BigInt(this.#opts.lookbackMs ?? DEFAULTS.lookbackMs) * 1_000_000n;
    const endMs = end / 1_000_000n;
    const p = new URLSearchParams({ endTs: endMs.toString(), lookback: (endMs - start / 1_000_000n).toString() });
    if (query.service !== undefined) p.set('serviceName', query.service);
    if (query.operation !== undefined) p.set('spanName', query.operation);
    if (query.minDurationNano !== undefined) p.set('minDuration', micros(query.minDurationNano));
    if (query.maxDurationNano !== undefined) p.set('maxDuration', micros(query.maxDurationNano));
    if (query.failed === true) p.set('annotationQuery', 'error');
    p.set('limit', String(query.limit ?? this.#opts.searchLimit ?? DEFAULTS.searchLimit));
    const path = `/api/v2/traces?${p}`;
    const doc = await this.#get(path);
    if (doc === undefined) return concatOrEmpty([]);
    if (!Array.isArray(doc) || !doc.every(Array.isArray)) throw schemaError(this.url + path, 'a JSON array of traces');
    const spans = (doc as unknown[][]).flat();
    return spans.length === 0 ? concatOrEmpty([]) : this.#decode(spans, this.url + path);
  }

  /** Summaries of matching traces, newest first. */
  async searchTraces(query: TraceQuery): Promise<TraceSummary[]> {
    return summariesFromTable(await this.#search(query), query);
  }

  /** All spans of matching traces. */
  async spans(query: SpanQuery): Promise<SpanTable> {
    if (query.traceIds !== undefined) {
      const tables = await Promise.all(query.traceIds.map((id) => this.getTrace(id)));
      return concatOrEmpty(tables.filter((t): t is SpanTable => t !== undefined));
    }
    return this.#search({ ...query, ...(query.limitTraces === undefined ? {} : { limit: query.limitTraces }) });
  }

  async #strings(path: string): Promise<string[]> {
    const doc = await this.#get(path);
    if (doc === undefined)
      throw new SourceError('not_found', this.url + path, `${this.url}: not a Zipkin v2 API (${path}: 404)`);
    if (!Array.isArray(doc)) throw schemaError(this.url + path, 'a JSON array of names');
    return doc.map(String);
  }

  /** Service names, sorted. */
  async services(): Promise<string[]> {
    return (await this.#strings('/api/v2/services')).sort();
  }

  /** Span names of one service (or all), sorted; `spanCount` is 0. */
  async operations(service?: string): Promise<OperationInfo[]> {
    const services = service !== undefined ? [service] : await this.services();
    const out: OperationInfo[] = [];
    for (const s of services) {
      for (const op of await this.#strings(`/api/v2/spans?serviceName=${encodeURIComponent(s)}`)) {
        out.push({ service: s, operation: op, spanCount: 0 });
      }
    }
    return out.sort((a, b) =>
      a.service === b.service ? (a.operation < b.operation ? -1 : 1) : a.service < b.service ? -1 : 1,
    );
  }

  /** Service dependencies for the `lookbackMs` before `endMs` (default: last 24 h), with error counts. */
  async dependencies(endMs: number = Date.now(), lookbackMs: number = DEFAULTS.lookbackMs): Promise<DependencyLink[]> {
    const path = `/api/v2/dependencies?endTs=${Math.floor(endMs)}&lookback=${Math.floor(lookbackMs)}`;
    const doc = await this.#get(path);
    if (doc === undefined) return [];
    if (!Array.isArray(doc)) throw schemaError(this.url + path, 'a JSON array of dependency links');
    return doc.map((d) => {
      const o = d as { parent?: unknown; child?: unknown; callCount?: unknown; errorCount?: unknown };
      if (typeof o.parent !== 'string' || typeof o.child !== 'string')
        throw schemaError(this.url + path, '[{"parent", "child", "callCount"}]');
      return {
        parent: o.parent,
        child: o.child,
        callCount: Number(o.callCount ?? 0),
        errorCount: Number(o.errorCount ?? 0),
      };
    });
  }

  /** Zipkin has no API for the data's time range: always undefined. */
  async bounds(): Promise<DataBounds | undefined> {
    return undefined;
  }

  /** Nothing to release. */
  async close(): Promise<void> {}
}

/**
 * Opens a Zipkin server as a {@link TraceSource}: `zipkin://host:9411`, `zipkin+https://user:pass@host`.
 *
 * @example
 * ```ts
 * const source = zipkinSource('zipkin://localhost:9411');
 * ```
 */
export function zipkinSource(uri: string, options: ZipkinSourceOptions = {}): ZipkinSource {
  return new ZipkinSource(uri, options);
}
