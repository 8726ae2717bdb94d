// ClickHouseError: the failures of a ClickHouse source a user can act on (unreachable, auth, missing table, schema).

/** What went wrong, as a stable code (the same vocabulary as the HTTP sources of @aiops/ingest, plus 'query'). */
export type ClickHouseErrorCode =
  | 'unreachable'
  | 'timeout'
  | 'auth'
  | 'not_found'
  | 'bad_response'
  | 'schema'
  | 'query'
  | 'closed';

/**
 * An error of a ClickHouse trace source or sink that is not a programming error.
 *
 * **Details** `name` is `'SourceError'` (as for the Jaeger, Tempo and Zipkin sources), so the cli treats every remote
 * source alike. `target` names the server and table without credentials; `engineCode` keeps ClickHouse's numeric error
 * code when the server answered (60 unknown table, 516 authentication failed, ...); `cause` keeps the original error.
 *
 * **Gotchas** Recognise it with {@link isClickHouseError} (`err.name === 'SourceError'`) across package copies.
 *
 * @example
 * ```ts
 * try {
 *   await openClickHouseStore('clickhouse://default@localhost:8123/otel');
 * } catch (err) {
 *   if (isClickHouseError(err) && err.code === 'auth') console.error(err.message);
 * }
 * ```
 */
export class ClickHouseError extends Error {
  /** Which failure. */
  readonly code: ClickHouseErrorCode;
  /** Server and table, without credentials. */
  readonly target: string;
  /** ClickHouse's error code when the server answered, else undefined. */
  readonly engineCode: number | undefined;

  /** Creates an error; `message` is one sentence a user can act on. */
  constructor(
    code: ClickHouseErrorCode,
    target: string,
    message: string,
    options?: { cause?: unknown; engineCode?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SourceError';
    this.code = code;
    this.target = target;
    this.engineCode = options?.engineCode;
  }
}

/**
 * Whether `value` is a {@link ClickHouseError} (from any copy of this package).
 *
 * @example
 * ```ts
 * if (isClickHouseError(err) && err.code === 'not_found') { ... }
 * ```
 */
export function isClickHouseError(value: unknown): value is ClickHouseError {
  return value instanceof Error && value.name === 'SourceError' && 'engineCode' in value && 'target' in value;
}

const AUTH_CODES = new Set([192, 193, 194, 195, 497, 516]);
const NOT_FOUND_CODES = new Set([60, 81]);
const SCHEMA_CODES = new Set([16, 47, 53, 386]);
const TIMEOUT_CODES = new Set([159, 209]);
const NETWORK_CODES = new Set([210]);
const NETWORK_ERRNO = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE']);

/** Classifies an engine or network error from either executor into a {@link ClickHouseError}. */
export function clickHouseErrorFrom(err: unknown, target: string, what: string): ClickHouseError {
  if (isClickHouseError(err)) return err;
  const e = err as { code?: unknown; clickhouseCode?: unknown; message?: unknown; cause?: { code?: unknown } };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const numeric =
    typeof e?.clickhouseCode === 'number'
      ? e.clickhouseCode
      : typeof e?.code === 'string' && /^\d+$/.test(e.code)
        ? Number(e.code)
        : /Code: (\d+)\./.exec(message)?.[1] !== undefined
          ? Number(/Code: (\d+)\./.exec(message)![1])
          : undefined;
  const errno = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : '';
  const first = message
    .split('\n')[0]!
    .replace(/\s*\(version [^)]*\)/, '')
    .slice(0, 300);
  const opts = numeric === undefined ? { cause: err } : { cause: err, engineCode: numeric };
  if (numeric !== undefined) {
    if (AUTH_CODES.has(numeric))
      return new ClickHouseError('auth', target, `${target}: authentication failed (${first})`, opts);
    if (NOT_FOUND_CODES.has(numeric))
      return new ClickHouseError('not_found', target, `${target}: missing table or database (${first})`, opts);
    if (SCHEMA_CODES.has(numeric))
      return new ClickHouseError(
        'schema',
        target,
        `${target}: the table does not have the expected schema (${first})`,
        opts,
      );
    if (TIMEOUT_CODES.has(numeric))
      return new ClickHouseError('timeout', target, `${target}: ${what} timed out (${first})`, opts);
    if (NETWORK_CODES.has(numeric)) return new ClickHouseError('unreachable', target, `${target}: ${first}`, opts);
    return new ClickHouseError('query', target, `${target}: ${what} failed: ${first}`, opts);
  }
  if (NETWORK_ERRNO.has(errno))
    return new ClickHouseError('unreachable', target, `${target}: cannot connect (${errno})`, opts);
  if (/timeout/i.test(message)) return new ClickHouseError('timeout', target, `${target}: ${what} timed out`, opts);
  if (/\b(401|403)\b|authenticat/i.test(message))
    return new ClickHouseError('auth', target, `${target}: authentication failed (${first})`, opts);
  return new ClickHouseError('query', target, `${target}: ${what} failed: ${first}`, opts);
}
