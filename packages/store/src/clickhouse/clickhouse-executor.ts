// ClickHouseExecutor: the one seam between the ClickHouse store and an engine, so the same SQL runs over HTTP
// (@clickhouse/client, production) and in-process (chdb, tests and benchmarks).
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { createClient as CreateClient } from '@clickhouse/client';

/** Query parameters, bound server-side as `{name:Type}` placeholders (never spliced into the SQL text). */
export type ClickHouseParams = Readonly<Record<string, string | number | readonly string[]>>;

/**
 * Runs ClickHouse SQL. Implementations: {@link clickHouseHttpExecutor} and {@link chdbExecutor}.
 *
 * **Details** Small results (summaries, aggregates) come back as rows of JSON values (`JSONCompactEachRow`); the
 * store selects 64-bit numbers with `toString(...)` so no executor has to care about JSON integer precision. Spans
 * travel as Arrow IPC streams both ways (`FORMAT ArrowStream`): uncompressed, LowCardinality columns as Arrow
 * dictionaries. Errors are thrown as the engine reports them; the store classifies them into `ClickHouseError`s.
 *
 * @example
 * ```ts
 * const rows = await executor.query('SELECT count() FROM otel_traces WHERE ServiceName = {s:String}', { s: 'api' });
 * ```
 */
export interface ClickHouseExecutor {
  /** 'http' or 'chdb'. */
  readonly engine: string;
  /** Runs a SELECT and returns its rows. */
  query(sql: string, params?: ClickHouseParams): Promise<unknown[][]>;
  /** Runs a statement without result (DDL). */
  command(sql: string, params?: ClickHouseParams): Promise<void>;
  /** Runs a SELECT and returns its result as an Arrow IPC stream (see {@link ARROW_OUTPUT_SETTINGS}). */
  queryArrow(sql: string, params?: ClickHouseParams): Promise<Uint8Array>;
  /** Inserts an Arrow IPC stream into `columns` of `table` (quoted, db-qualified); columns match by name. */
  insertArrow(table: string, columns: readonly string[], data: Uint8Array): Promise<void>;
  /** Releases the connection. */
  close(): Promise<void>;
}

/** Options of {@link clickHouseHttpExecutor}. */
export interface ClickHouseHttpOptions {
  /** Server URL, e.g. `http://localhost:8123` (no credentials in it). */
  readonly url: string;
  /** User name. Default 'default'. */
  readonly username?: string;
  /** Password. Default ''. */
  readonly password?: string;
  /** Default database for unqualified names. */
  readonly database?: string;
  /** Per-request timeout in ms. Default 30 000. */
  readonly timeoutMs?: number;
}

const DEFAULTS = { username: 'default', password: '', timeoutMs: 30_000 } as const;

/**
 * Output settings of {@link ClickHouseExecutor.queryArrow}: no compression (apache-arrow JS has no codec),
 * LowCardinality columns as Arrow dictionaries, String columns as Utf8.
 *
 * **Details** A custom executor sends them with every `queryArrow` (as HTTP settings or a `SETTINGS` clause).
 *
 * @example
 * ```ts
 * await client.exec({ query: `${sql}\nFORMAT ArrowStream`, clickhouse_settings: ARROW_OUTPUT_SETTINGS });
 * ```
 */
export const ARROW_OUTPUT_SETTINGS: Readonly<Record<string, string | number>> = {
  output_format_arrow_compression_method: 'none',
  output_format_arrow_low_cardinality_as_dictionary: 1,
  output_format_arrow_string_as_string: 1,
};

const arrowSettingsSql = Object.entries(ARROW_OUTPUT_SETTINGS)
  .map(([k, v]) => `${k} = ${typeof v === 'string' ? `'${v}'` : v}`)
  .join(', ');

function insertSql(table: string, columns: readonly string[]): string {
  const cols = columns.map((c) => `\`${c.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``).join(', ');
  return `INSERT INTO ${table} (${cols})`;
}

async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function parseRows(text: string): unknown[][] {
  const rows: unknown[][] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) rows.push(JSON.parse(text.slice(start, end)) as unknown[]);
    start = end + 1;
  }
  return rows;
}

/**
 * An executor over ClickHouse's HTTP interface with the official `@clickhouse/client`.
 *
 * **Details** Parameters go as `param_*` query parameters; inserts are sent as `INSERT ... FORMAT ArrowStream` with
 * the Arrow stream as the request body, span reads come back as `FORMAT ArrowStream`.
 *
 * **Complexity** One HTTP request per call (keep-alive connection pool).
 *
 * **Gotchas** Credentials travel in HTTP headers; use an `https://` URL across untrusted networks.
 *
 * @example
 * ```ts
 * const ex = clickHouseHttpExecutor({ url: 'http://localhost:8123', username: 'default', database: 'otel' });
 * ```
 */
export function clickHouseHttpExecutor(options: ClickHouseHttpOptions): ClickHouseExecutor {
  // Required on first use, not at import: programs that never talk to ClickHouse do not load its client.
  const { createClient } = createRequire(import.meta.url)('@clickhouse/client') as {
    createClient: typeof CreateClient;
  };
  const client = createClient({
    url: options.url,
    username: options.username ?? DEFAULTS.username,
    password: options.password ?? DEFAULTS.password,
    ...(options.database === undefined ? {} : { database: options.database }),
    request_timeout: options.timeoutMs ?? DEFAULTS.timeoutMs,
  });
  return {
    engine: 'http',
    async query(sql, params) {
      const rs = await client.query({
        query: sql,
        format: 'JSONCompactEachRow',
        ...(params ? { query_params: params as Record<string, unknown> } : {}),
      });
      return parseRows(await rs.text());
    },
    async command(sql, params) {
      await client.command({ query: sql, ...(params ? { query_params: params as Record<string, unknown> } : {}) });
    },
    async queryArrow(sql, params) {
      const r = await client.exec({
        query: `${sql}\nFORMAT ArrowStream`,
        clickhouse_settings: ARROW_OUTPUT_SETTINGS as Record<string, string>,
        ...(params ? { query_params: params as Record<string, unknown> } : {}),
      });
      return readAll(r.stream as AsyncIterable<Uint8Array>);
    },
    async insertArrow(table, columns, data) {
      const r = await client.exec({
        query: `${insertSql(table, columns)} FORMAT ArrowStream`,
        values: Readable.from([Buffer.from(data.buffer, data.byteOffset, data.byteLength)]),
      });
      await readAll(r.stream as AsyncIterable<Uint8Array>);
    },
    async close() {
      await client.close();
    },
  };
}

/** The part of a chdb `Session` (npm `chdb`) that {@link chdbExecutor} uses. */
export interface ChdbSessionLike {
  /** Runs a query off the event loop. */
  queryAsync(query: string, opts?: { format?: string }): Promise<{ text(): string; bytes(): Uint8Array }>;
  /** Runs a parameterised query off the event loop. */
  queryBindAsync(
    query: string,
    params: object,
    opts?: { format?: string },
  ): Promise<{ text(): string; bytes(): Uint8Array }>;
  /** Closes the session. */
  cleanup?(): void;
}

/**
 * An executor over chdb, ClickHouse embedded in the Node process: the same engine and SQL as a server, no network.
 *
 * **Details** Pass `new Session(dir)` from the `chdb` package; this package does not depend on chdb (it is ~540 MB),
 * callers that want it install it.
 *
 * **Details** chdb's insert API takes text formats only, so an Arrow insert is written to a private temporary file
 * (removed right after) and loaded with `INSERT ... FROM INFILE ... FORMAT ArrowStream` (the same parser as HTTP).
 *
 * **Gotchas** One chdb session per process is the safe use; `close()` calls `session.cleanup()`, which keeps the
 * data directory.
 *
 * @example
 * ```ts
 * import { Session } from 'chdb';
 * const store = await openClickHouseStore(chdbExecutor(new Session('/tmp/ch')), { database: 'otel' });
 * ```
 */
export function chdbExecutor(session: ChdbSessionLike): ClickHouseExecutor {
  const format = 'JSONCompactEachRow';
  return {
    engine: 'chdb',
    async query(sql, params) {
      const r = params
        ? await session.queryBindAsync(sql, params, { format })
        : await session.queryAsync(sql, { format });
      return parseRows(r.text());
    },
    async command(sql, params) {
      if (params) await session.queryBindAsync(sql, params, { format });
      else await session.queryAsync(sql, { format });
    },
    async queryArrow(sql, params) {
      const q = `${sql}\nSETTINGS ${arrowSettingsSql}`;
      const r = params
        ? await session.queryBindAsync(q, params, { format: 'ArrowStream' })
        : await session.queryAsync(q, { format: 'ArrowStream' });
      return r.bytes();
    },
    async insertArrow(table, columns, data) {
      // A fresh name, created exclusively and readable by this user only; removed as soon as ClickHouse has read it.
      const file = join(tmpdir(), `aiops-chdb-insert-${randomUUID()}.arrows`);
      writeFileSync(file, data, { flag: 'wx', mode: 0o600 });
      try {
        await session.queryAsync(
          `${insertSql(table, columns)} FROM INFILE '${file.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}' FORMAT ArrowStream`,
          { format },
        );
      } finally {
        rmSync(file, { force: true });
      }
    },
    async close() {
      session.cleanup?.();
    },
  };
}
