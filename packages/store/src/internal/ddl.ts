// The DuckDB schema of the store. See the package README ("Schema") for why each choice was made.

/** Bumped when the on-disk layout changes incompatibly. */
export const SCHEMA_VERSION = 2;

/** Attribute values kept in dedicated VARCHAR columns v0..v{VALUE_SLOTS-1}; more go to `attr_more` as JSON. */
export const VALUE_SLOTS = 16;

const slotColumns = Array.from({ length: VALUE_SLOTS }, (_, i) => `v${i} VARCHAR`).join(', ');

/** Statements that create the schema when it is missing. */
export const CREATE_SCHEMA: readonly string[] = [
  'CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)',
  'CREATE TABLE IF NOT EXISTS services (service_id INTEGER NOT NULL, name VARCHAR NOT NULL)',
  `CREATE TABLE IF NOT EXISTS operations (op_id INTEGER NOT NULL, service_id INTEGER NOT NULL, name VARCHAR NOT NULL,
     span_count BIGINT NOT NULL)`,
  'CREATE TABLE IF NOT EXISTS resources (resource_id INTEGER NOT NULL, json VARCHAR NOT NULL)',
  'CREATE TABLE IF NOT EXISTS scopes (scope_id INTEGER NOT NULL, json VARCHAR NOT NULL)',
  'CREATE TABLE IF NOT EXISTS strings (string_id INTEGER NOT NULL, text VARCHAR NOT NULL)',
  'CREATE TABLE IF NOT EXISTS shapes (shape_id INTEGER NOT NULL, json VARCHAR NOT NULL)',
  'CREATE TABLE IF NOT EXISTS span_classes (class_id INTEGER NOT NULL, fields VARCHAR NOT NULL)',
  `CREATE TABLE IF NOT EXISTS traces (
     trace_no INTEGER NOT NULL, trace_hi BIGINT NOT NULL, trace_lo BIGINT NOT NULL,
     start_ns BIGINT NOT NULL, base_delta BIGINT NOT NULL, duration_ns BIGINT NOT NULL,
     span_count INTEGER NOT NULL, error_count INTEGER NOT NULL,
     root_op INTEGER NOT NULL, root_start_ns BIGINT NOT NULL,
     services INTEGER[] NOT NULL, ops INTEGER[] NOT NULL)`,
  ...['spans', 'spans_recent'].map(
    (name) => `CREATE TABLE IF NOT EXISTS ${name} (
     trace_no INTEGER NOT NULL, seq INTEGER NOT NULL, span_id BIGINT NOT NULL,
     parent_seq INTEGER NOT NULL, parent_span_id BIGINT, class_id INTEGER NOT NULL,
     start_off BIGINT NOT NULL, duration_ns BIGINT NOT NULL,
     status_msg INTEGER NOT NULL, trace_state INTEGER NOT NULL,
     ${slotColumns}, attr_more VARCHAR, events VARCHAR, links VARCHAR)`,
  ),
  'CREATE VIEW IF NOT EXISTS all_spans AS SELECT * FROM spans UNION ALL SELECT * FROM spans_recent',
];

/** Moves the recent spans into the compacted table in trace order (late spans join the rest of their trace). */
export const COMPACT: readonly string[] = [
  'INSERT INTO spans SELECT * FROM spans_recent ORDER BY trace_no, seq',
  'DELETE FROM spans_recent',
];

/** The columns of `spans` read back to rebuild spans, in this order. */
export const SPAN_READ_COLUMNS: string =
  's.trace_no, s.seq, s.span_id, s.parent_seq, s.parent_span_id, s.class_id, ' +
  's.start_off, s.duration_ns, s.status_msg, s.trace_state, ' +
  Array.from({ length: VALUE_SLOTS }, (_, i) => `s.v${i}`).join(', ') +
  ', s.attr_more, s.events, s.links';
