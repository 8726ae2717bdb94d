// parseClickHouseUri: `clickhouse://user:pass@host:8123/db?table=otel_traces` into an HTTP URL and credentials.

/** The parts of a ClickHouse source URI. */
export interface ClickHouseUri {
  /** HTTP(S) URL of the server, without credentials or path, e.g. `http://host:8123`. */
  readonly url: string;
  /** User name ('default' when absent). */
  readonly username: string;
  /** Password ('' when absent). */
  readonly password: string;
  /** Database from the path, if any. */
  readonly database?: string;
  /** Table from `?table=`, if any. */
  readonly table?: string;
}

/**
 * Parses a ClickHouse source URI.
 *
 * **Details** Schemes: `clickhouse://` (HTTP, default port 8123), `clickhouses://` or `clickhouse+https://` or
 * `?secure=1` (HTTPS, default port 8443). User and password are URL-decoded.
 *
 * **Gotchas** Throws a TypeError (the caller's input) for another scheme or a missing host; the message never
 * contains the password.
 *
 * @example
 * ```ts
 * parseClickHouseUri('clickhouse://reader:s3cret@ch:8123/otel?table=otel_traces');
 * // { url: 'http://ch:8123', username: 'reader', password: 's3cret', database: 'otel', table: 'otel_traces' }
 * ```
 */
export function parseClickHouseUri(uri: string): ClickHouseUri {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new TypeError(`store: not a ClickHouse URI: ${uri.replace(/\/\/[^@/]*@/, '//***@')}`);
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (!['clickhouse', 'clickhouses', 'clickhouse+https', 'clickhouse+http'].includes(scheme) || !u.hostname) {
    throw new TypeError(`store: expected clickhouse://user:pass@host:8123/db, got ${scheme}://${u.host}`);
  }
  const secure =
    scheme === 'clickhouses' || scheme === 'clickhouse+https' || /^(1|true)$/i.test(u.searchParams.get('secure') ?? '');
  const port = u.port || (secure ? '8443' : '8123');
  const host = u.hostname.includes(':') && !u.hostname.startsWith('[') ? `[${u.hostname}]` : u.hostname;
  const database = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, ''));
  const table = u.searchParams.get('table');
  return {
    url: `${secure ? 'https' : 'http'}://${host}:${port}`,
    username: u.username ? decodeURIComponent(u.username) : 'default',
    password: u.password ? decodeURIComponent(u.password) : '',
    ...(database ? { database } : {}),
    ...(table ? { table } : {}),
  };
}
