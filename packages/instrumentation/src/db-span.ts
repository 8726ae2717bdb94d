// Client spans for databases and caches that have no auto-instrumentation (embedded engines, in-process caches,
// drivers OpenTelemetry does not patch), following the OpenTelemetry database semantic conventions.
// Reference: https://opentelemetry.io/docs/specs/semconv/database/database-spans/
import { type Attributes, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';

/** What a database or cache call is; becomes the span name and its `db.*` attributes. */
export interface DbSpanOptions {
  /** `db.system.name`, e.g. `duckdb`, `postgresql`, `redis`, `memcached`, `sqlite`. */
  readonly system: string;
  /** `db.operation.name`, e.g. `SELECT`, `GET`. Default: the first word of `statement`, upper-cased. */
  readonly operation?: string;
  /** `db.collection.name`: the table, collection or key space. */
  readonly collection?: string;
  /** `db.namespace`: the database (file, schema, index number). */
  readonly namespace?: string;
  /** `db.query.text`: the statement, with literals parameterised (never put secrets or user data here). */
  readonly statement?: string;
  /** `server.address` of the database, when it is remote. */
  readonly serverAddress?: string;
  /** `server.port` of the database. */
  readonly serverPort?: number;
  /** `peer.service`: the logical name of the database, e.g. `inventory-db` (names the node in dependency graphs). */
  readonly peerService?: string;
  /** More attributes, e.g. `db.response.returned_rows` or `cache.hit`. */
  readonly attributes?: Attributes;
  /** Semantic-convention generation: `stable`, `old` (db.system/db.statement/…) or `dup` (both). Default `dup`. */
  readonly conventions?: 'stable' | 'old' | 'dup';
  /** Tracer name (instrumentation scope). Default `@aiops/instrumentation`. */
  readonly tracerName?: string;
}

const DEFAULTS = { conventions: 'dup', tracerName: '@aiops/instrumentation' } as const;

const tracers = new Map<string, Tracer>();

/** One tracer per scope name (a proxy until the SDK starts; it finds the SDK's tracer then). */
function tracerFor(name: string): Tracer {
  let tracer = tracers.get(name);
  if (!tracer) {
    tracer = trace.getTracer(name);
    tracers.set(name, tracer);
  }
  return tracer;
}

// Statements are constants of the calling code: derive each one's operation once. Bounded (a caller that builds
// statements with literals in them would otherwise grow it).
const OPERATION_CACHE_LIMIT = 512;
const operations = new Map<string, string | undefined>();

function operationOf(options: DbSpanOptions): string | undefined {
  if (options.operation) return options.operation;
  const statement = options.statement;
  if (!statement) return undefined;
  if (operations.has(statement)) return operations.get(statement);
  const first = statement.trim().split(/\s+/, 1)[0];
  const operation = first ? first.toUpperCase() : undefined;
  if (operations.size >= OPERATION_CACHE_LIMIT) operations.clear();
  operations.set(statement, operation);
  return operation;
}

// process.env reads go through a native interceptor; the variable is read once per process.
let envConventions: 'stable' | 'dup' | undefined;

function conventionsFromEnv(): 'stable' | 'dup' {
  envConventions ??= process.env.OTEL_SEMCONV_STABILITY_OPT_IN?.split(',').some((s) => s.trim() === 'database')
    ? 'stable'
    : DEFAULTS.conventions;
  return envConventions;
}

function attributesOf(options: DbSpanOptions, operation: string | undefined): Attributes {
  const conventions = options.conventions ?? conventionsFromEnv();
  const stable = conventions !== 'old';
  const old = conventions !== 'stable';
  const a: Attributes = {};
  if (stable) a['db.system.name'] = options.system;
  if (old) a['db.system'] = options.system;
  if (operation) {
    if (stable) a['db.operation.name'] = operation;
    if (old) a['db.operation'] = operation;
  }
  if (options.collection) {
    if (stable) a['db.collection.name'] = options.collection;
    if (old) a['db.sql.table'] = options.collection;
  }
  if (options.namespace) {
    if (stable) a['db.namespace'] = options.namespace;
    if (old) a['db.name'] = options.namespace;
  }
  if (options.statement) {
    if (stable) a['db.query.text'] = options.statement;
    if (old) a['db.statement'] = options.statement;
  }
  if (options.serverAddress) a['server.address'] = options.serverAddress;
  if (options.serverPort !== undefined) a['server.port'] = options.serverPort;
  if (options.peerService) a['peer.service'] = options.peerService;
  return options.attributes ? Object.assign(a, options.attributes) : a;
}

function fail(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  const code = (err as { code?: unknown } | null)?.code;
  span.setAttribute('error.type', typeof code === 'string' && code ? code : error.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs `fn` inside a CLIENT span describing one database or cache call, and ends the span when `fn` finishes.
 *
 * **Details** Span name `{operation} {collection}` (else `{operation}`, else the system), kind CLIENT, attributes
 * `db.system.name`, `db.operation.name`, `db.collection.name`, `db.namespace`, `db.query.text`, `server.*`,
 * `peer.service`, plus the pre-1.26 names (`db.system`, `db.statement`, …) unless `conventions` or
 * `OTEL_SEMCONV_STABILITY_OPT_IN=database` says stable only. A throw or rejection is recorded as an exception
 * event, `error.type` (the error's `code`, else its name) and ERROR status, then rethrown. `fn` runs with the span
 * active, so nested calls become its children. Works for sync and async `fn` alike.
 *
 * **Complexity** One span per call.
 *
 * **Gotchas** Without a started SDK the global tracer is a no-op and `fn` just runs. Put parameterised statements
 * in `statement`, not values (each distinct statement's operation is remembered, up to 512). `OTEL_SEMCONV_STABILITY_OPT_IN`
 * is read at the first call. Attributes are set after the span starts, and only when it is recorded, so a sampler
 * sees none (the parent-based ratio samplers do not need them).
 *
 * @example
 * ```ts
 * const rows = await withDbSpan(
 *   { system: 'duckdb', namespace: 'inventory', collection: 'stock', statement: 'SELECT qty FROM stock WHERE sku = ?' },
 *   () => conn.runAndReadAll('SELECT qty FROM stock WHERE sku = $1', [sku]),
 * );
 * ```
 */
export function withDbSpan<T>(options: DbSpanOptions, fn: (span: Span) => T): T {
  const operation = operationOf(options);
  const name = operation
    ? options.collection
      ? `${operation} ${options.collection}`
      : operation
    : options.collection
      ? `${options.system} ${options.collection}`
      : options.system;
  return tracerFor(options.tracerName ?? DEFAULTS.tracerName).startActiveSpan(
    name,
    { kind: SpanKind.CLIENT },
    (span): T => {
      // Attributes only for spans that are kept: unsampled calls cost a context switch and nothing more.
      if (span.isRecording()) span.setAttributes(attributesOf(options, operation));
      let result: T;
      try {
        result = fn(span);
      } catch (err) {
        fail(span, err);
        span.end();
        throw err;
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          (v) => {
            span.end();
            return v;
          },
          (err: unknown) => {
            fail(span, err);
            span.end();
            throw err;
          },
        ) as T;
      }
      span.end();
      return result;
    },
  );
}
