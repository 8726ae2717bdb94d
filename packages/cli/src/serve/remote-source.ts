// A TraceSource that reads through the query API of a running `aiops serve` (Arrow IPC for spans, JSON for the
// rest), so the cli keeps working on a store that the server holds locked.
import {
  type DataBounds,
  emptySpanTable,
  type OperationInfo,
  type SpanQuery,
  type SpanTable,
  spanTableFromArrow,
  type TraceQuery,
  type TraceSource,
  type TraceSummary,
} from '@aiops/span-model';
import { tableFromIPC } from 'apache-arrow';
import { ARROW_STREAM } from './query-api.ts';

/** Thrown when the server cannot be reached or answers with an error (shown by the cli as a message). */
export class SourceError extends Error {
  /** 'unavailable', 'not_found' or 'input'. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SourceError';
    this.code = code;
  }
}

const str = (v: bigint | undefined): string | undefined => (v === undefined ? undefined : v.toString());

/**
 * Reads from `aiops serve` at `baseUrl` (e.g. `http://127.0.0.1:16686`).
 *
 * **Details** `getTrace` and `spans` transfer Arrow IPC streams and rebuild {@link SpanTable}s with
 * `spanTableFromArrow`; search, services, operations and bounds use the JSON endpoints.
 */
export class RemoteSource implements TraceSource {
  readonly kind: string = 'aiops-serve';
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async #fetch(path: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, init);
    } catch (err) {
      throw new SourceError(
        'unavailable',
        `aiops serve at ${this.baseUrl} does not answer (${(err as Error).cause ?? (err as Error).message})`,
      );
    }
    if (!res.ok && res.status !== 404) {
      let message = `${res.status} ${res.statusText}`;
      try {
        message = ((await res.json()) as { error: { message: string } }).error.message;
      } catch {
        // Not our JSON error body: keep the status line.
      }
      throw new SourceError(res.status === 400 ? 'input' : 'unavailable', `aiops serve: ${message}`);
    }
    return res;
  }

  /** Whether the server answers /api/health within 2 s as process `pid`. */
  async answersAs(pid: number): Promise<boolean> {
    try {
      const res = await fetch(`${this.baseUrl}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) return false;
      return ((await res.json()) as { pid?: number }).pid === pid;
    } catch {
      return false;
    }
  }

  async #json<T>(path: string): Promise<T> {
    return (await (await this.#fetch(path)).json()) as T;
  }

  async #table(res: Response): Promise<SpanTable> {
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length === 0) return emptySpanTable();
    return spanTableFromArrow(tableFromIPC(bytes));
  }

  async getTrace(traceId: string): Promise<SpanTable | undefined> {
    const res = await this.#fetch(`/api/traces/${encodeURIComponent(traceId)}`, { headers: { accept: ARROW_STREAM } });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    return this.#table(res);
  }

  async searchTraces(query: TraceQuery): Promise<TraceSummary[]> {
    const p = new URLSearchParams();
    const add = (k: string, v: string | undefined) => {
      if (v !== undefined) p.set(k, v);
    };
    add('service', query.service);
    add('operation', query.operation);
    add('from', str(query.fromUnixNano));
    add('to', str(query.toUnixNano));
    add('minDuration', query.minDurationNano === undefined ? undefined : `${query.minDurationNano}ns`);
    add('maxDuration', query.maxDurationNano === undefined ? undefined : `${query.maxDurationNano}ns`);
    add('failed', query.failed === undefined ? undefined : String(query.failed));
    p.set('limit', String(query.limit ?? 1_000_000));
    const doc = await this.#json<{
      traces: (Omit<TraceSummary, 'startUnixNano' | 'durationNano'> & {
        startUnixNano: string;
        durationNano: string;
      })[];
    }>(`/api/traces?${p}`);
    return doc.traces.map((t) => ({
      ...t,
      startUnixNano: BigInt(t.startUnixNano),
      durationNano: BigInt(t.durationNano),
    }));
  }

  async spans(query: SpanQuery): Promise<SpanTable> {
    const body = JSON.stringify({
      fromUnixNano: str(query.fromUnixNano),
      toUnixNano: str(query.toUnixNano),
      service: query.service,
      traceIds: query.traceIds,
      limitTraces: query.limitTraces,
    });
    const res = await this.#fetch('/api/spans', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ARROW_STREAM },
      body,
    });
    return this.#table(res);
  }

  async services(): Promise<string[]> {
    return (await this.#json<{ services: string[] }>('/api/services')).services;
  }

  async operations(service?: string): Promise<OperationInfo[]> {
    const q = service === undefined ? '' : `?service=${encodeURIComponent(service)}`;
    return (await this.#json<{ operations: OperationInfo[] }>(`/api/operations${q}`)).operations;
  }

  async bounds(): Promise<DataBounds | undefined> {
    const b = (
      await this.#json<{
        bounds: { fromUnixNano: string; toUnixNano: string; spanCount: number; traceCount: number } | null;
      }>('/api/bounds')
    ).bounds;
    if (!b) return undefined;
    return { ...b, fromUnixNano: BigInt(b.fromUnixNano), toUnixNano: BigInt(b.toUnixNano) };
  }

  async close(): Promise<void> {}
}
