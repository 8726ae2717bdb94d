// HTTP plumbing shared by the remote sources: base URLs from source URIs, fetch with timeout and clear errors,
// and trace summaries computed from decoded spans.
import {
  concatSpanTables,
  emptySpanTable,
  type SpanTable,
  type TraceQuery,
  type TraceSummary,
  traceIdAt,
} from '@aiops/span-model';
import { SourceError } from '../source-error.ts';

/** Options every HTTP source accepts. */
export interface HttpSourceOptions {
  /** Per-request timeout in ms. Default 15 000. */
  readonly timeoutMs?: number;
  /** Extra headers (e.g. `Authorization: Bearer ...`, `X-Scope-OrgID`). */
  readonly headers?: Readonly<Record<string, string>>;
}

export const HTTP_DEFAULTS = { timeoutMs: 15_000 } as const;

/** A parsed source URI: base URL without credentials, and an Authorization header from user:pass if present. */
export interface Endpoint {
  readonly base: string;
  readonly headers: Record<string, string>;
}

/** `jaeger://u:p@host:16686/prefix` → `http://host:16686/prefix` + Basic auth. `+https` selects HTTPS. */
export function endpointFromUri(uri: string, schemes: readonly string[], defaultPort: string): Endpoint {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new TypeError(`ingest: not a source URI: ${uri.replace(/\/\/[^@/]*@/, '//***@')}`);
  }
  const scheme = u.protocol.replace(/:$/, '');
  const base = scheme.replace(/\+https?$/, '');
  if (!schemes.includes(base) && scheme !== 'http' && scheme !== 'https') {
    throw new TypeError(`ingest: expected ${schemes[0]}://host:${defaultPort}, got ${scheme}://${u.host}`);
  }
  const https = scheme.endsWith('+https') || scheme === 'https';
  const headers: Record<string, string> = {};
  if (u.username || u.password) {
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  const port = u.port || defaultPort;
  const path = u.pathname.replace(/\/+$/, '');
  return { base: `${https ? 'https' : 'http'}://${u.hostname}:${port}${path}`, headers };
}

/** Fetches and returns the body, mapping every failure to a {@link SourceError}. `404` resolves to undefined. */
export async function fetchBody(
  url: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
  accept = 'application/json',
): Promise<{ bytes: Uint8Array; contentType: string } | undefined> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept, ...headers }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string; errors?: { code?: string }[] } };
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
      throw new SourceError('timeout', url, `${url}: no answer within ${timeoutMs} ms`, { cause: err });
    const code =
      e?.cause?.code ?? e?.cause?.errors?.[0]?.code ?? (e?.cause as { message?: string } | undefined)?.message ?? '';
    throw new SourceError('unreachable', url, `${url}: cannot connect${code ? ` (${code})` : ''}`, { cause: err });
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    const e = err as { name?: string };
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
      throw new SourceError('timeout', url, `${url}: response not complete within ${timeoutMs} ms`, { cause: err });
    throw new SourceError('unreachable', url, `${url}: connection lost while reading the response`, { cause: err });
  }
  const status = res.status;
  if (status === 404) return undefined;
  const snippet = (): string => new TextDecoder().decode(bytes.subarray(0, 200)).replace(/\s+/g, ' ').trim();
  if (status === 401 || status === 403)
    throw new SourceError('auth', url, `${url}: HTTP ${status} — check the credentials (${snippet()})`, { status });
  if (status >= 400)
    throw new SourceError('bad_response', url, `${url}: HTTP ${status} ${res.statusText} (${snippet()})`, { status });
  return { bytes, contentType: res.headers.get('content-type') ?? '' };
}

/** Fetches JSON; `undefined` on 404; malformed JSON is a `bad_response`. */
export async function fetchJson(
  url: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<unknown> {
  const body = await fetchBody(url, headers, timeoutMs);
  if (!body) return undefined;
  const text = new TextDecoder().decode(body.bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SourceError(
      'bad_response',
      url,
      `${url}: the response is not valid JSON (${text.slice(0, 80).replace(/\s+/g, ' ')}…)`,
      { cause: err },
    );
  }
}

/** A `schema` SourceError: the JSON does not have the shape the API documents. */
export function schemaError(url: string, expected: string, cause?: unknown): SourceError {
  return new SourceError('schema', url, `${url}: unexpected response shape, expected ${expected}`, {
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Summaries of the traces in a span table, filtered exactly by the query, newest first. */
export function summariesFromTable(table: SpanTable, query: TraceQuery): TraceSummary[] {
  const c = table.columns;
  const byTrace = new Map<
    string,
    { start: bigint; end: bigint; n: number; errors: number; services: Set<string>; ops: Set<string>; root: number }
  >();
  for (let r = 0; r < c.length; r++) {
    const id = traceIdAt(table, r);
    let t = byTrace.get(id);
    const start = c.startUnixNano[r]!;
    const end = start + c.durationNano[r]!;
    if (!t) {
      t = { start, end, n: 0, errors: 0, services: new Set(), ops: new Set(), root: -1 };
      byTrace.set(id, t);
    }
    if (start < t.start) t.start = start;
    if (end > t.end) t.end = end;
    t.n++;
    if (c.statusCode[r] === 2) t.errors++;
    const service = table.stringAt('service', r);
    t.services.add(service);
    t.ops.add(`${service}\u0000${table.stringAt('operation', r)}`);
    t.ops.add(`\u0000${table.stringAt('operation', r)}`);
    if (c.parentRefType[r] === 0 && (t.root < 0 || start < c.startUnixNano[t.root]!)) t.root = r;
  }
  const out: TraceSummary[] = [];
  for (const [traceId, t] of byTrace) {
    const duration = t.end - t.start;
    if (query.service !== undefined && !t.services.has(query.service)) continue;
    if (query.operation !== undefined && !t.ops.has(`${query.service ?? ''}\u0000${query.operation}`)) continue;
    if (query.fromUnixNano !== undefined && t.start < query.fromUnixNano) continue;
    if (query.toUnixNano !== undefined && t.start >= query.toUnixNano) continue;
    if (query.minDurationNano !== undefined && duration < query.minDurationNano) continue;
    if (query.maxDurationNano !== undefined && duration > query.maxDurationNano) continue;
    if (query.failed === true && t.errors === 0) continue;
    if (query.failed === false && t.errors > 0) continue;
    out.push({
      traceId,
      rootService: t.root >= 0 ? table.stringAt('service', t.root) : '',
      rootOperation: t.root >= 0 ? table.stringAt('operation', t.root) : '',
      startUnixNano: t.start,
      durationNano: duration,
      spanCount: t.n,
      services: [...t.services].sort(),
      errorCount: t.errors,
    });
  }
  out.sort((a, b) =>
    a.startUnixNano === b.startUnixNano ? (a.traceId < b.traceId ? 1 : -1) : a.startUnixNano < b.startUnixNano ? 1 : -1,
  );
  return query.limit === undefined ? out : out.slice(0, query.limit);
}

/** Concatenates tables (empty when none). */
export function concatOrEmpty(tables: readonly SpanTable[]): SpanTable {
  const nonEmpty = tables.filter((t) => t.numSpans > 0);
  if (nonEmpty.length === 0) return emptySpanTable();
  return nonEmpty.length === 1 ? nonEmpty[0]! : concatSpanTables(nonEmpty);
}

/** ns → µs (Jaeger, Zipkin durations and times). */
export function micros(ns: bigint): string {
  return (ns / 1000n).toString();
}
