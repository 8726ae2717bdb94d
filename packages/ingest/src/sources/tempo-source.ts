// tempoSource: Grafana Tempo's HTTP API (trace by id as OTLP, search with TraceQL) as a TraceSource.
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
import { spansFromParsed } from './internal/decode-parsed.ts';
import {
  concatOrEmpty,
  type Endpoint,
  endpointFromUri,
  fetchJson,
  HTTP_DEFAULTS,
  type HttpSourceOptions,
  schemaError,
  summariesFromTable,
} from './internal/http.ts';
import { SourceError } from './source-error.ts';

/** Options of {@link tempoSource}. */
export interface TempoSourceOptions extends HttpSourceOptions {
  /** Search window when a query has no `fromUnixNano`, in ms before its end. Default 24 h. */
  readonly lookbackMs?: number;
  /** Traces per search when a query has no `limit`. Default 20 (each found trace is then fetched). */
  readonly searchLimit?: number;
  /** Parallel trace fetches after a search. Default 8. */
  readonly concurrency?: number;
}

const DEFAULTS = { lookbackMs: 86_400_000, searchLimit: 20, concurrency: 8 } as const;

function traceQlString(s: string): string {
  return JSON.stringify(s);
}

/**
 * The TraceQL query for a {@link TraceQuery}: service, operation, error status and trace duration in one spanset.
 *
 * @example
 * ```ts
 * traceQlFromQuery({ service: 'cart', failed: true }); // '{ resource.service.name = "cart" && status = error }'
 * ```
 */
export function traceQlFromQuery(query: TraceQuery): string {
  const c: string[] = [];
  if (query.service !== undefined) c.push(`resource.service.name = ${traceQlString(query.service)}`);
  if (query.operation !== undefined) c.push(`name = ${traceQlString(query.operation)}`);
  if (query.failed === true) c.push('status = error');
  if (query.minDurationNano !== undefined) c.push(`traceDuration >= ${query.minDurationNano}ns`);
  if (query.maxDurationNano !== undefined) c.push(`traceDuration <= ${query.maxDurationNano}ns`);
  return c.length ? `{ ${c.join(' && ')} }` : '{}';
}

/**
 * A {@link TraceSource} over Grafana Tempo (`tempo://host:3200`).
 *
 * **Details** getTrace: `/api/traces/{id}` (OTLP JSON, `batches` or `resourceSpans`); search: `/api/search?q=<TraceQL>`
 * (see {@link traceQlFromQuery}), then each found trace is fetched so summaries are exact; services:
 * `/api/search/tag/service.name/values`; operations: `/api/v2/search/tag/name/values`.
 *
 * **Complexity** A search costs 1 + (traces found) requests, `concurrency` at a time.
 *
 * **Gotchas** `spanCount` of operations is 0 (Tempo does not count); `bounds()` is undefined. Multi-tenant Tempo
 * needs `headers: { 'X-Scope-OrgID': tenant }`.
 *
 * @example
 * ```ts
 * const tempo = tempoSource('tempo://localhost:3200');
 * const failed = await tempo.searchTraces({ service: 'checkout', failed: true, limit: 10 });
 * ```
 */
export class TempoSource implements TraceSource {
  /** Always 'tempo'. */
  readonly kind: string = 'tempo';
  /** Base URL without credentials. */
  readonly url: string;
  readonly #ep: Endpoint;
  readonly #timeout: number;
  readonly #opts: TempoSourceOptions;

  /** Use {@link tempoSource}. */
  constructor(uri: string, options: TempoSourceOptions = {}) {
    const ep = endpointFromUri(uri, ['tempo'], '3200');
    this.#ep = { base: ep.base, headers: { ...ep.headers, ...options.headers } };
    this.url = ep.base;
    this.#timeout = options.timeoutMs ?? HTTP_DEFAULTS.timeoutMs;
    this.#opts = options;
  }

  #get(path: string): Promise<unknown> {
    return fetchJson(this.#ep.base + path, this.#ep.headers, this.#timeout);
  }

  /** All spans of one trace, or undefined when Tempo does not know it. */
  async getTrace(traceId: string): Promise<SpanTable | undefined> {
    const hex = normalizeTraceId(traceId.padStart(32, '0'));
    if (!hex) return undefined;
    const path = `/api/traces/${hex}`;
    const doc = (await this.#get(path)) as Record<string, unknown> | undefined;
    if (doc === undefined) return undefined;
    const body = (doc.trace ?? doc) as Record<string, unknown>;
    const resourceSpans = body.batches ?? body.resourceSpans;
    if (!Array.isArray(resourceSpans)) throw schemaError(this.url + path, 'OTLP JSON ({"batches": [...]})');
    if (resourceSpans.length === 0) return undefined;
    try {
      return spansFromParsed({ resourceSpans }, 'otlp-json', this.url + path);
    } catch (err) {
      throw schemaError(this.url + path, 'OTLP JSON spans', err);
    }
  }

  async #found(query: TraceQuery): Promise<SpanTable> {
    const end = query.toUnixNano ?? BigInt(Date.now()) * 1_000_000n;
    const start = query.fromUnixNano ?? end - BigInt(this.#opts.lookbackMs ?? DEFAULTS.lookbackMs) * 1_000_000n;
    const p = new URLSearchParams({
      q: traceQlFromQuery(query),
      start: (start / 1_000_000_000n).toString(),
      end: ((end + 999_999_999n) / 1_000_000_000n).toString(),
      limit: String(query.limit ?? this.#opts.searchLimit ?? DEFAULTS.searchLimit),
    });
    const path = `/api/search?${p}`;
    const doc = (await this.#get(path)) as { traces?: unknown } | undefined;
    if (doc === undefined)
      throw new SourceError('not_found', this.url + path, `${this.url}: not a Tempo API (/api/search: 404)`);
    if (!Array.isArray(doc.traces)) throw schemaError(this.url + path, '{"traces": [...]}');
    const ids = doc.traces.map((t) => String((t as { traceID?: unknown }).traceID ?? ''));
    const tables: SpanTable[] = [];
    const width = this.#opts.concurrency ?? DEFAULTS.concurrency;
    for (let i = 0; i < ids.length; i += width) {
      const got = await Promise.all(ids.slice(i, i + width).map((id) => this.getTrace(id)));
      for (const t of got) if (t) tables.push(t);
    }
    return concatOrEmpty(tables);
  }

  /** Summaries of matching traces, newest first (TraceQL search, then each trace fetched for exact figures). */
  async searchTraces(query: TraceQuery): Promise<TraceSummary[]> {
    return summariesFromTable(await this.#found(query), query);
  }

  /** All spans of matching traces. */
  async spans(query: SpanQuery): Promise<SpanTable> {
    if (query.traceIds !== undefined) {
      const tables = await Promise.all(query.traceIds.map((id) => this.getTrace(id)));
      return concatOrEmpty(tables.filter((t): t is SpanTable => t !== undefined));
    }
    return this.#found({ ...query, ...(query.limitTraces === undefined ? {} : { limit: query.limitTraces }) });
  }

  async #tagValues(path: string): Promise<string[]> {
    const doc = (await this.#get(path)) as { tagValues?: unknown } | undefined;
    if (doc === undefined)
      throw new SourceError('not_found', this.url + path, `${this.url}: not a Tempo API (${path}: 404)`);
    if (!Array.isArray(doc.tagValues)) throw schemaError(this.url + path, '{"tagValues": [...]}');
    return doc.tagValues.map((v) =>
      typeof v === 'object' && v !== null ? String((v as { value?: unknown }).value) : String(v),
    );
  }

  /** Service names, sorted. */
  async services(): Promise<string[]> {
    return (await this.#tagValues('/api/search/tag/service.name/values')).sort();
  }

  /** Span names of one service (or all), sorted; `spanCount` is 0. */
  async operations(service?: string): Promise<OperationInfo[]> {
    const services = service !== undefined ? [service] : await this.services();
    const out: OperationInfo[] = [];
    for (const s of services) {
      const q = encodeURIComponent(`{ resource.service.name = ${traceQlString(s)} }`);
      for (const op of await this.#tagValues(`/api/v2/search/tag/name/values?q=${q}`)) {
        out.push({ service: s, operation: op, spanCount: 0 });
      }
    }
    return out.sort((a, b) =>
      a.service === b.service ? (a.operation < b.operation ? -1 : 1) : a.service < b.service ? -1 : 1,
    );
  }

  /** Tempo has no API for the data's time range: always undefined. */
  async bounds(): Promise<DataBounds | undefined> {
    return undefined;
  }

  /** Nothing to release. */
  async close(): Promise<void> {}
}

/**
 * Opens Grafana Tempo as a {@link TraceSource}: `tempo://host:3200`, `tempo+https://user:pass@host`.
 *
 * @example
 * ```ts
 * const source = tempoSource('tempo://localhost:3200', { headers: { 'X-Scope-OrgID': 'team-a' } });
 * ```
 */
export function tempoSource(uri: string, options: TempoSourceOptions = {}): TempoSource {
  return new TempoSource(uri, options);
}
