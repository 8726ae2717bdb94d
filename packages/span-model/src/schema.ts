// The Arrow schema of a span table: one row per span, OpenTelemetry semantics, repeated strings dictionary-encoded.
import {
  Dictionary,
  Field,
  FixedSizeBinary,
  Int16,
  Int32,
  Int64,
  List,
  Schema,
  Struct,
  Uint8,
  Utf8,
} from 'apache-arrow';

/**
 * Span kinds, numbered as in OTLP (`Span.SpanKind`).
 *
 * @example
 * ```ts
 * if (kind === SpanKind.Client) { ... }
 * ```
 */
export const SpanKind = {
  Unspecified: 0,
  Internal: 1,
  Server: 2,
  Client: 3,
  Producer: 4,
  Consumer: 5,
} as const;
/** A value of {@link SpanKind}. */
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** Lower-case names of the span kinds, indexed by {@link SpanKind} value. */
export const SPAN_KIND_NAMES: readonly string[] = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];

/** Status codes, numbered as in OTLP (`Status.StatusCode`). */
export const StatusCode = { Unset: 0, Ok: 1, Error: 2 } as const;
/** A value of {@link StatusCode}. */
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

/** Names of the status codes, indexed by {@link StatusCode} value. */
export const STATUS_CODE_NAMES: readonly string[] = ['unset', 'ok', 'error'];

/**
 * Type tags of attribute values. Every value is stored as text plus this tag, so nothing is lost:
 * ints as exact decimal strings (int64), doubles in shortest round-trip form, bytes as base64, and
 * arrays and key/value lists as JSON.
 */
export const AttributeType = { String: 0, Bool: 1, Int: 2, Double: 3, Bytes: 4, Array: 5, KvList: 6 } as const;
/** A value of {@link AttributeType}. */
export type AttributeType = (typeof AttributeType)[keyof typeof AttributeType];

/** How a span refers to its parent: OTLP parent (child-of), or Jaeger/OpenTracing FOLLOWS_FROM. */
export const ParentRefType = { None: 0, ChildOf: 1, FollowsFrom: 2 } as const;
/** A value of {@link ParentRefType}. */
export type ParentRefType = (typeof ParentRefType)[keyof typeof ParentRefType];

/** One attribute as stored: `[key, type, value as text]`. */
export type AttributeTriple = readonly [key: string, type: AttributeType, value: string];

/** Names of the dictionary-encoded string columns of a span table. */
export const DICTIONARY_COLUMNS = [
  'service',
  'operation',
  'statusMessage',
  'traceState',
  'resource',
  'scope',
  'httpMethod',
  'httpRoute',
  'rpcSystem',
  'rpcService',
  'rpcMethod',
  'dbSystem',
  'dbName',
  'dbStatement',
  'dbOperation',
  'messagingSystem',
  'messagingDestination',
  'peerService',
  'serverAddress',
  'errorType',
  'exceptionMessage',
  'host',
  'serviceVersion',
] as const;
/** Name of a dictionary-encoded string column. */
export type DictionaryColumnName = (typeof DICTIONARY_COLUMNS)[number];

/** Derived columns: semantic-convention attributes pulled out of the attribute list for the analyzers. */
export const DERIVED_DICTIONARY_COLUMNS: readonly DictionaryColumnName[] = DICTIONARY_COLUMNS.slice(6);

const dict = (): Dictionary<Utf8, Int32> => new Dictionary(new Utf8(), new Int32());

/** The struct type of one attribute entry: dictionary key, type tag, value as text. */
export const attributeStructType: Struct = new Struct([
  new Field('key', dict(), false),
  new Field('type', new Uint8(), false),
  new Field('value', new Utf8(), false),
]);

/**
 * The Arrow schema of every span table.
 *
 * **Details**
 * - Ids are binary: traceId 16 bytes (64-bit ids zero-padded on the left), spanId and parentSpanId 8 bytes;
 *   a parentSpanId of all zero bytes means "no parent".
 * - `startUnixNano` and `durationNano` are int64 nanoseconds, never floats.
 * - `resource` and `scope` hold canonical JSON (dictionary-encoded, so stored once per distinct value).
 * - `events` and `links` hold JSON arrays ('' when empty).
 * - The columns after `links` are derived from attributes by semantic convention; '' / 0 / -1 mean absent.
 */
export const spanSchema: Schema = new Schema([
  new Field('traceId', new FixedSizeBinary(16), false),
  new Field('spanId', new FixedSizeBinary(8), false),
  new Field('parentSpanId', new FixedSizeBinary(8), false),
  new Field('parentRefType', new Uint8(), false),
  new Field('service', dict(), false),
  new Field('operation', dict(), false),
  new Field('kind', new Uint8(), false),
  new Field('startUnixNano', new Int64(), false),
  new Field('durationNano', new Int64(), false),
  new Field('statusCode', new Uint8(), false),
  new Field('statusMessage', dict(), false),
  new Field('traceState', dict(), false),
  new Field('resource', dict(), false),
  new Field('scope', dict(), false),
  new Field('attributes', new List(new Field('item', attributeStructType, false)), false),
  new Field('events', new Utf8(), false),
  new Field('links', new Utf8(), false),
  new Field('httpStatusCode', new Int16(), false),
  new Field('httpMethod', dict(), false),
  new Field('httpRoute', dict(), false),
  new Field('rpcSystem', dict(), false),
  new Field('rpcService', dict(), false),
  new Field('rpcMethod', dict(), false),
  new Field('rpcStatusCode', new Int16(), false),
  new Field('dbSystem', dict(), false),
  new Field('dbName', dict(), false),
  new Field('dbStatement', dict(), false),
  new Field('dbOperation', dict(), false),
  new Field('messagingSystem', dict(), false),
  new Field('messagingDestination', dict(), false),
  new Field('peerService', dict(), false),
  new Field('serverAddress', dict(), false),
  new Field('errorType', dict(), false),
  new Field('exceptionMessage', dict(), false),
  new Field('host', dict(), false),
  new Field('serviceVersion', dict(), false),
]);
