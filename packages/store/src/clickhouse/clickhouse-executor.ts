// ClickHouseExecutor: the one seam between the ClickHouse store and an engine, so the same SQL runs over HTTP
// (@clickhouse/client, production) and in-process (chdb, tests and benchmarks).
import { createClient } from '@clickhouse/client';

/** Query parameters, bound server-side as `{name:Type}` placeholders (never spliced into the SQL text). */
export type ClickHouseParams = Readonly<Record<string, string | number | readonly string[]>>;

/**
 * Runs ClickHouse SQL. Implementations: {@link clickHouseHttpExecutor} and {@link chdbExecutor}.
 *
 * **Details** Results come back as rows of JSON values (`JSONCompactEachRow`); the store selects 64-bit numbers with
 * `toString(...)` so no executor has to care about JSON integer precision. Errors are thrown as the engine reports
 * them; the store classifies them into `ClickHouseError`s.
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
  /** Inserts rows given as `JSONEachRow` text (one JSON object per line) into `table` (quoted, db-qualified). */
  insertJsonEachRow(table: string, rows: string): Promise<void>;
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
 * **Details** Parameters go as `param_*` query parameters; inserts are sent as `INSERT ... FORMAT JSONEachRow`
 * with the rows in the request body.
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
    async insertJsonEachRow(table, rows) {
      await client.command({ query: `INSERT INTO ${table} FORMAT JSONEachRow\n${rows}` });
    },
    async close() {
      await client.close();
    },
  };
}

/** The part of a chdb `Session` (npm `chdb`) that {@link chdbExecutor} uses. */
export interface ChdbSessionLike {
  /** Runs a query off the event loop. */
  queryAsync(query: string, opts?: { format?: string }): Promise<{ text(): string }>;
  /** Runs a parameterised query off the event loop. */
  queryBindAsync(query: string, params: object, opts?: { format?: string }): Promise<{ text(): string }>;
  /** Raw insert of a payload in a text format. */
  insert(params: { table: string; values: Uint8Array | string; format: 'JSONEachRow' }): Promise<unknown>;
  /** Closes the session. */
  cleanup?(): void;
}

/**
 * An executor over chdb, ClickHouse embedded in the Node process: the same engine and SQL as a server, no network.
 *
 * **Details** Pass `new Session(dir)` from the `chdb` package; this package does not depend on chdb (it is ~540 MB),
 * callers that want it install it.
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
    async insertJsonEachRow(table, rows) {
      // chdb's raw insert takes plain `db.table` names only; anything else goes through an INSERT statement.
      const plain = table.replace(/`/g, '');
      if (/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$/.test(plain)) {
        await session.insert({ table: plain, values: Buffer.from(rows), format: 'JSONEachRow' });
      } else {
        await session.queryAsync(`INSERT INTO ${table} FORMAT JSONEachRow\n${rows}`, { format });
      }
    },
    async close() {
      session.cleanup?.();
    },
  };
}
