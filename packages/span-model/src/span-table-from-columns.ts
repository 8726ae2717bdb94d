// A SpanTable assembled from typed-array columns in one step: for readers (stores, decoders) that fill the columns
// themselves and must not pay SpanTableBuilder's per-span bookkeeping.
import {
  Dictionary,
  FixedSizeBinary,
  Int16,
  Int32,
  Int64,
  type List,
  makeData,
  RecordBatch,
  Struct,
  Table,
  Uint8,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { FAILURE_SIGNAL_ATTRIBUTE_KEYS } from './failure-signals.ts';
import { HOST_KEYS, NUMERIC_KEYS, STRING_KEYS } from './internal/semconv.ts';
import { attributeStructType, DICTIONARY_COLUMNS, type DictionaryColumnName, spanSchema } from './schema.ts';
import { type DictColumn, type SpanTable, type Utf8Column, wrapArrowTable } from './span-table.ts';

/** The attribute lists of {@link SpanColumnsInput}: entries of span i are `offsets[i]..offsets[i+1]`. */
export interface AttributeColumnsInput {
  /** Start of each span's entries; length + 1 entries, non-decreasing, `offsets[0]` = 0. */
  readonly offsets: Int32Array;
  /** Key code per entry, indexing `keys`. */
  readonly key: Int32Array;
  /** The distinct keys. */
  readonly keys: readonly string[];
  /** {@link AttributeType} per entry. */
  readonly type: Uint8Array;
  /** Value text per entry. */
  readonly values: Utf8Column;
}

/**
 * The columns of a span table as typed arrays: the input of {@link spanTableFromColumns}.
 *
 * **Details** Only ids and times are required. Absent columns get the schema's "absent" value: zero parent ids (no
 * parent), kind/status 0, `httpStatusCode` 0, `rpcStatusCode` -1, dictionary columns '' (service 'unknown_service'),
 * no attributes, events or links. Arrays may be longer than `length`: only the first `length` rows are used.
 */
export interface SpanColumnsInput {
  /** Number of spans. */
  readonly length: number;
  /** 16 bytes per span. */
  readonly traceId: Uint8Array;
  /** 8 bytes per span. */
  readonly spanId: Uint8Array;
  /** 8 bytes per span; all zero means no parent. */
  readonly parentSpanId?: Uint8Array;
  /** {@link ParentRefType} per span (0 where the parent id is all zero). */
  readonly parentRefType?: Uint8Array;
  /** {@link SpanKind} per span. */
  readonly kind?: Uint8Array;
  /** {@link StatusCode} per span. */
  readonly statusCode?: Uint8Array;
  /** Start time, ns since the Unix epoch. */
  readonly startUnixNano: BigInt64Array;
  /** Duration, ns. */
  readonly durationNano: BigInt64Array;
  /** HTTP status code, 0 when absent. */
  readonly httpStatusCode?: Int16Array;
  /** gRPC status code, -1 when absent. */
  readonly rpcStatusCode?: Int16Array;
  /** Dictionary-encoded string columns by name; each dictionary's code 0 must be ''. */
  readonly dicts?: Partial<Record<DictionaryColumnName, DictColumn>>;
  /** Attribute lists. */
  readonly attributes?: AttributeColumnsInput;
  /** Events as JSON text per span ('' when none), in the builder's form (see {@link SpanTableBuilder.addEvent}). */
  readonly events?: Utf8Column;
  /** Links as JSON text per span ('' when none). */
  readonly links?: Utf8Column;
}

/**
 * Which attribute keys fill which derived column, and with what priority (higher wins when a span has several):
 * the semantic-convention table {@link SpanTableBuilder} applies to every attribute it is given.
 *
 * **Details** `column` is `httpStatusCode` / `rpcStatusCode` (the value must be an integer text 0..32767) or a
 * dictionary column. `errorType` is also filled from the first `exception` event's `exception.type`, which beats the
 * `error.type` attribute, and `exceptionMessage` from its `exception.message`.
 *
 * @example
 * ```ts
 * DERIVED_ATTRIBUTE_KEYS['http.route']; // { column: 'httpRoute', priority: 4 }
 * ```
 */
export const DERIVED_ATTRIBUTE_KEYS: Readonly<
  Record<
    string,
    { readonly column: DictionaryColumnName | 'httpStatusCode' | 'rpcStatusCode'; readonly priority: number }
  >
> = Object.fromEntries([
  ...Object.entries(NUMERIC_KEYS).map(([k, v]) => [k, { column: v.slot, priority: v.priority }] as const),
  ...Object.entries(STRING_KEYS).map(([k, v]) => [k, { column: v.slot, priority: v.priority }] as const),
]);

/**
 * Resource attribute keys that name a span's `host` column, best first (the first present non-empty value wins).
 *
 * @example
 * ```ts
 * HOST_RESOURCE_KEYS[0]; // 'host.name'
 * ```
 */
export const HOST_RESOURCE_KEYS: readonly string[] = HOST_KEYS;

/**
 * The generic attribute keys an analysis table keeps (`SpanQuery.detail = 'analysis'`): the keys the analyzers look
 * up by name in the attribute list rather than through a derived column.
 *
 * **Details** {@link FAILURE_SIGNAL_ATTRIBUTE_KEYS} (failure signals) and `messaging.operation` /
 * `messaging.operation.type` (the dependency graph's producer/consumer side of messaging spans without a kind).
 * Keys that feed a derived column ({@link DERIVED_ATTRIBUTE_KEYS}) are read to fill it but not kept in the list.
 *
 * **Gotchas** Analyses that count arbitrary attributes (the slow-trace traits of `analyzeSlowTraces`, the attribute
 * comparison of `diff`) need the full list: load their spans with `detail: 'full'`.
 *
 * @example
 * ```ts
 * ANALYSIS_ATTRIBUTE_KEYS.includes('messaging.operation'); // true
 * ```
 */
export const ANALYSIS_ATTRIBUTE_KEYS: readonly string[] = [
  ...FAILURE_SIGNAL_ATTRIBUTE_KEYS,
  'messaging.operation',
  'messaging.operation.type',
];

const EMPTY_UTF8: Utf8Column = { offsets: new Int32Array(1), bytes: new Uint8Array(0) };

function need(name: string, array: { length: number } | undefined, expected: number): void {
  if (array && array.length < expected) {
    throw new RangeError(`span-model: column "${name}" has ${array.length} entries, expected at least ${expected}`);
  }
}

function utf8Data(name: string, column: Utf8Column, n: number) {
  need(`${name}.offsets`, column.offsets, n + 1);
  const end = column.offsets[n]!;
  need(`${name}.bytes`, column.bytes, end);
  return makeData({
    type: new Utf8(),
    length: n,
    nullCount: 0,
    valueOffsets: column.offsets.subarray(0, n + 1),
    data: column.bytes.subarray(0, end),
  });
}

/**
 * Assembles a {@link SpanTable} from typed-array columns without copying them (Arrow's `tableFromArrays` for the span
 * schema).
 *
 * **Details** The derived columns are taken as given: nothing is derived from the attributes, so a reader that
 * fills them itself must apply {@link DERIVED_ATTRIBUTE_KEYS} and {@link HOST_RESOURCE_KEYS} as the builder does.
 * Use {@link SpanTableBuilder} when the input arrives span by span.
 *
 * **Complexity** O(columns + distinct dictionary strings): the arrays become the table's buffers as they are.
 *
 * **Gotchas** The arrays are shared with the table, not copied: do not write into them afterwards. Dictionary codes
 * and offsets are not scanned (that would cost as much as filling them): a code ≥ `values.length` is a programmer
 * error that shows up as `undefined` strings later. Lengths and each dictionary's '' at code 0 are checked.
 *
 * @example
 * ```ts
 * const t = spanTableFromColumns({
 *   length: 1,
 *   traceId: new Uint8Array(16).fill(1),
 *   spanId: new Uint8Array(8).fill(2),
 *   startUnixNano: BigInt64Array.of(1_700_000_000_000_000_000n),
 *   durationNano: BigInt64Array.of(5_000_000n),
 *   dicts: { service: { codes: Int32Array.of(1), values: ['', 'cart'] } },
 * });
 * t.stringAt('service', 0); // 'cart'
 * ```
 */
export function spanTableFromColumns(input: SpanColumnsInput): SpanTable {
  const n = input.length;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`span-model: length ${n} is not a whole number ≥ 0`);
  need('traceId', input.traceId, n * 16);
  need('spanId', input.spanId, n * 8);
  need('parentSpanId', input.parentSpanId, n * 8);
  need('parentRefType', input.parentRefType, n);
  need('kind', input.kind, n);
  need('statusCode', input.statusCode, n);
  need('startUnixNano', input.startUnixNano, n);
  need('durationNano', input.durationNano, n);
  need('httpStatusCode', input.httpStatusCode, n);
  need('rpcStatusCode', input.rpcStatusCode, n);
  const u8 = (a: Uint8Array | undefined, width = 1) =>
    makeData({
      type: width === 1 ? new Uint8() : new FixedSizeBinary(width),
      length: n,
      nullCount: 0,
      data: a ? a.subarray(0, n * width) : new Uint8Array(n * width),
    } as never);
  const utf8Vector = (strings: readonly string[]) => vectorFromArray(strings as string[], new Utf8());
  const children: Record<string, ReturnType<typeof makeData>> = {
    traceId: u8(input.traceId, 16),
    spanId: u8(input.spanId, 8),
    parentSpanId: u8(input.parentSpanId, 8),
    parentRefType: u8(input.parentRefType),
    kind: u8(input.kind),
    statusCode: u8(input.statusCode),
    startUnixNano: makeData({ type: new Int64(), length: n, nullCount: 0, data: input.startUnixNano.subarray(0, n) }),
    durationNano: makeData({ type: new Int64(), length: n, nullCount: 0, data: input.durationNano.subarray(0, n) }),
    httpStatusCode: makeData({
      type: new Int16(),
      length: n,
      nullCount: 0,
      data: input.httpStatusCode ? input.httpStatusCode.subarray(0, n) : new Int16Array(n),
    }),
    rpcStatusCode: makeData({
      type: new Int16(),
      length: n,
      nullCount: 0,
      data: input.rpcStatusCode ? input.rpcStatusCode.subarray(0, n) : new Int16Array(n).fill(-1),
    }),
    events: utf8Data('events', input.events ?? { offsets: new Int32Array(n + 1), bytes: EMPTY_UTF8.bytes }, n),
    links: utf8Data('links', input.links ?? { offsets: new Int32Array(n + 1), bytes: EMPTY_UTF8.bytes }, n),
  };
  for (const name of DICTIONARY_COLUMNS) {
    const given = input.dicts?.[name];
    let codes: Int32Array;
    let values: readonly string[];
    if (given) {
      need(`${name}.codes`, given.codes, n);
      if (given.values[0] !== '') throw new RangeError(`span-model: dictionary "${name}" must hold '' at code 0`);
      codes = given.codes.subarray(0, n);
      values = given.values;
    } else if (name === 'service') {
      codes = new Int32Array(n).fill(1);
      values = ['', 'unknown_service'];
    } else {
      codes = new Int32Array(n);
      values = [''];
    }
    children[name] = makeData({
      type: new Dictionary(new Utf8(), new Int32()),
      length: n,
      nullCount: 0,
      data: codes,
      dictionary: utf8Vector(values),
    });
  }
  const a = input.attributes;
  const offsets = a ? a.offsets : new Int32Array(n + 1);
  need('attributes.offsets', offsets, n + 1);
  const nAttr = offsets[n]!;
  if (a) {
    need('attributes.key', a.key, nAttr);
    need('attributes.type', a.type, nAttr);
  }
  const entries = makeData({
    type: attributeStructType as Struct,
    length: nAttr,
    nullCount: 0,
    children: [
      makeData({
        type: new Dictionary(new Utf8(), new Int32()),
        length: nAttr,
        nullCount: 0,
        data: a ? a.key.subarray(0, nAttr) : new Int32Array(0),
        dictionary: utf8Vector(a ? a.keys : []),
      }),
      makeData({
        type: new Uint8(),
        length: nAttr,
        nullCount: 0,
        data: a ? a.type.subarray(0, nAttr) : new Uint8Array(0),
      }),
      utf8Data('attributes.values', a ? a.values : EMPTY_UTF8, nAttr),
    ],
  });
  children.attributes = makeData({
    type: spanSchema.fields.find((f) => f.name === 'attributes')!.type as List,
    length: n,
    nullCount: 0,
    valueOffsets: offsets.subarray(0, n + 1),
    child: entries,
  });
  const batchData = makeData({
    type: new Struct(spanSchema.fields),
    length: n,
    nullCount: 0,
    children: spanSchema.fields.map((f) => children[f.name]!),
  });
  return wrapArrowTable(new Table(spanSchema, [new RecordBatch(spanSchema, batchData)]));
}
