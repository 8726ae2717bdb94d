// DDL of the OpenTelemetry Collector ClickHouse exporter's trace tables (exporter/clickhouseexporter/internal/
// sqltemplates/traces_table.sql, traces_id_ts_lookup_table.sql, traces_id_ts_lookup_mv.sql, Apache-2.0), with the
// exporter's options: ON CLUSTER, table engine, TTL; plus an optional Distributed table pair over local tables.

/** Identifier quoting for ClickHouse (backticks). */
export function ident(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/** Names of the tables of one trace store. */
export interface TableNames {
  readonly database: string;
  /** Table that reads and writes go to (the Distributed table when distributed). */
  readonly spans: string;
  /** Trace id → time range lookup table (read side). */
  readonly traceIdTs: string;
  /** Where rows are physically stored (== spans unless distributed). */
  readonly spansLocal: string;
  /** Local lookup table (== traceIdTs unless distributed). */
  readonly traceIdTsLocal: string;
  /** The materialized view filling the lookup table. */
  readonly mv: string;
}

/** Options that shape the DDL. */
export interface DdlOptions {
  readonly database: string;
  readonly table: string;
  readonly cluster?: string | undefined;
  readonly engine?: string | undefined;
  readonly ttlDays?: number | undefined;
  readonly distributed?: boolean | undefined;
  readonly traceIdProjection?: boolean | undefined;
}

/** The table names for the options. */
export function tableNames(o: DdlOptions): TableNames {
  const local = o.distributed ? `${o.table}_local` : o.table;
  return {
    database: o.database,
    spans: o.table,
    traceIdTs: `${o.table}_trace_id_ts`,
    spansLocal: local,
    traceIdTsLocal: `${local}_trace_id_ts`,
    mv: `${local}_trace_id_ts_mv`,
  };
}

/** `db`.`table`. */
export function qualified(database: string, table: string): string {
  return `${ident(database)}.${ident(table)}`;
}

/** The statements that create database, tables and view, in order (all `IF NOT EXISTS`). */
export function createStatements(o: DdlOptions): string[] {
  const n = tableNames(o);
  const onCluster = o.cluster ? ` ON CLUSTER ${ident(o.cluster)}` : '';
  const engine = o.engine ?? 'MergeTree()';
  const ttl = (col: string): string =>
    o.ttlDays && o.ttlDays > 0 ? `TTL toDateTime(${col}) + toIntervalDay(${Math.floor(o.ttlDays)})` : '';
  const spans = qualified(o.database, n.spansLocal);
  const lookup = qualified(o.database, n.traceIdTsLocal);
  const out = [
    `CREATE DATABASE IF NOT EXISTS ${ident(o.database)}${onCluster}`,
    `CREATE TABLE IF NOT EXISTS ${spans}${onCluster} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1${
      o.traceIdProjection ? ',\n    PROJECTION trace_id_order (SELECT * ORDER BY TraceId, Timestamp)' : ''
    }
) ENGINE = ${engine}
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
${ttl('Timestamp')}
SETTINGS index_granularity=8192, ttl_only_drop_parts = 1`,
    `CREATE TABLE IF NOT EXISTS ${lookup}${onCluster} (
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ${engine}
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
${ttl('Start')}
SETTINGS index_granularity=8192, ttl_only_drop_parts = 1`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${qualified(o.database, n.mv)}${onCluster}
TO ${lookup}
AS SELECT
    TraceId,
    min(Timestamp) as Start,
    max(Timestamp) as End
FROM ${spans}
WHERE TraceId != ''
GROUP BY TraceId`,
  ];
  if (o.distributed) {
    if (!o.cluster) throw new RangeError('store: a distributed ClickHouse store needs options.cluster');
    const dist = (name: string, local: string): string =>
      `CREATE TABLE IF NOT EXISTS ${qualified(o.database, name)}${onCluster} AS ${qualified(o.database, local)}
ENGINE = Distributed(${ident(o.cluster!)}, ${ident(o.database)}, ${ident(local)}, cityHash64(TraceId))`;
    out.push(dist(n.spans, n.spansLocal), dist(n.traceIdTs, n.traceIdTsLocal));
  }
  return out;
}

/** Columns (name → required type prefix) the store reads; ScopeName/ScopeVersion are optional (older exporters). */
export const REQUIRED_COLUMNS: readonly (readonly [string, string])[] = [
  ['Timestamp', 'DateTime64'],
  ['TraceId', 'String'],
  ['SpanId', 'String'],
  ['ParentSpanId', 'String'],
  ['TraceState', 'String'],
  ['SpanName', ''],
  ['SpanKind', ''],
  ['ServiceName', ''],
  ['ResourceAttributes', 'Map'],
  ['SpanAttributes', 'Map'],
  ['Duration', ''],
  ['StatusCode', ''],
  ['StatusMessage', 'String'],
  ['Events.Timestamp', 'Array(DateTime64'],
  ['Events.Name', 'Array'],
  ['Events.Attributes', 'Array(Map'],
  ['Links.TraceId', 'Array'],
  ['Links.SpanId', 'Array'],
  ['Links.TraceState', 'Array'],
  ['Links.Attributes', 'Array(Map'],
];
