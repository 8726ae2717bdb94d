// SpanTable: a branded wrapper around one Arrow record batch of spans, with zero-copy typed-array column views.
import { type Data, Table } from 'apache-arrow';
import { DICTIONARY_COLUMNS, type DictionaryColumnName, spanSchema } from './schema.ts';

const BRAND: unique symbol = Symbol.for('@aiops/span-model/SpanTable');

/** A dictionary-encoded string column: integer codes per span and the distinct strings they index. */
export interface DictColumn {
  /** Code per span, indexing `values`. */
  readonly codes: Int32Array;
  /** The distinct strings; code 0 is always '' (absent) in tables this package builds. */
  readonly values: readonly string[];
}

/** A UTF-8 text column as offsets into one byte buffer. */
export interface Utf8Column {
  /** `offsets[i]..offsets[i+1]` are the bytes of row i. */
  readonly offsets: Int32Array;
  /** The UTF-8 bytes of all rows. */
  readonly bytes: Uint8Array;
}

/**
 * Zero-copy typed-array views of a span table's columns: what the hot paths loop over.
 *
 * **Details** Ids are flat byte arrays (`traceId` 16 bytes per span, `spanId`/`parentSpanId` 8). Attributes are a
 * list per span: `attrOffsets[i]..attrOffsets[i+1]` index the attribute entries of span i, whose keys are codes into
 * `attrKeys`, whose type tags are in `attrType`, and whose values are text in `attrValues`.
 */
export interface SpanColumns {
  /** Number of spans. */
  readonly length: number;
  /** 16 bytes per span. */
  readonly traceId: Uint8Array;
  /** 8 bytes per span. */
  readonly spanId: Uint8Array;
  /** 8 bytes per span; all zero means no parent. */
  readonly parentSpanId: Uint8Array;
  /** {@link ParentRefType} per span. */
  readonly parentRefType: Uint8Array;
  /** {@link SpanKind} per span. */
  readonly kind: Uint8Array;
  /** {@link StatusCode} per span. */
  readonly statusCode: Uint8Array;
  /** Start time, nanoseconds since the Unix epoch. */
  readonly startUnixNano: BigInt64Array;
  /** Duration in nanoseconds. */
  readonly durationNano: BigInt64Array;
  /** HTTP response status code, 0 when absent. */
  readonly httpStatusCode: Int16Array;
  /** gRPC status code, -1 when absent. */
  readonly rpcStatusCode: Int16Array;
  /** Start of each span's attribute entries; length + 1 entries. */
  readonly attrOffsets: Int32Array;
  /** Attribute key code per entry. */
  readonly attrKey: Int32Array;
  /** The distinct attribute keys. */
  readonly attrKeys: readonly string[];
  /** {@link AttributeType} per entry. */
  readonly attrType: Uint8Array;
  /** Attribute value text per entry. */
  readonly attrValues: Utf8Column;
  /** Events as JSON text per span ('' when none). */
  readonly events: Utf8Column;
  /** Links as JSON text per span ('' when none). */
  readonly links: Utf8Column;
}

/** Start and duration of every span as float64 nanoseconds relative to `baseUnixNano` (exact below 104 days). */
export interface SpanTimes {
  /** The earliest start time in the table (0n when empty). */
  readonly baseUnixNano: bigint;
  /** Start of each span minus `baseUnixNano`, in nanoseconds. */
  readonly startNano: Float64Array;
  /** Duration of each span in nanoseconds. */
  readonly durationNano: Float64Array;
  /** End of each span minus `baseUnixNano`, in nanoseconds. */
  readonly endNano: Float64Array;
}

function sliceValues<T extends { subarray(a: number, b: number): T }>(data: Data, stride = 1): T {
  const values = data.values as unknown as T;
  return values.subarray(data.offset * stride, (data.offset + data.length) * stride);
}

function utf8Of(data: Data): Utf8Column {
  return {
    offsets: (data.valueOffsets as Int32Array).subarray(data.offset, data.offset + data.length + 1),
    bytes: data.values as Uint8Array,
  };
}

/**
 * A table of spans in the aiops Arrow schema ({@link spanSchema}), held as one record batch.
 *
 * **Details** The Arrow `table` is the interchange form; `columns` and `dict(name)` give typed-array views for loops.
 * Build one with {@link SpanTableBuilder}, {@link spanTableFromRows} or {@link spanTableFromArrow}.
 *
 * **Complexity** Views are computed once, lazily, without copying.
 *
 * **Gotchas** Recognise a span table with {@link isSpanTable}, not `instanceof` (two copies of this package may be
 * loaded).
 *
 * @example
 * ```ts
 * const t = spanTableFromRows([{ traceId: 'ab'.repeat(16), spanId: '01'.repeat(8), service: 'api',
 *   operation: 'GET /', startUnixNano: 1n, durationNano: 5n }]);
 * t.numSpans;              // 1
 * t.dict('service').values; // ['', 'api']
 * ```
 */
export class SpanTable {
  /** The Arrow table (schema {@link spanSchema}, one record batch). */
  readonly table: Table;
  /** Number of spans. */
  readonly numSpans: number;
  #columns: SpanColumns | undefined;
  #dicts = new Map<string, DictColumn>();
  #times: SpanTimes | undefined;

  /** Wraps an Arrow table that already has {@link spanSchema} and at most one record batch. */
  constructor(table: Table) {
    if (table.batches.length > 1) {
      throw new RangeError(`span-model: SpanTable needs one record batch, got ${table.batches.length}`);
    }
    for (const field of spanSchema.fields) {
      if (!table.getChild(field.name)) throw new TypeError(`span-model: column "${field.name}" is missing`);
    }
    this.table = table;
    this.numSpans = table.numRows;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Typed-array views of the columns. */
  get columns(): SpanColumns {
    if (this.#columns) return this.#columns;
    const n = this.numSpans;
    if (n === 0) {
      const empty: Utf8Column = { offsets: new Int32Array(1), bytes: new Uint8Array(0) };
      this.#columns = {
        length: 0,
        traceId: new Uint8Array(0),
        spanId: new Uint8Array(0),
        parentSpanId: new Uint8Array(0),
        parentRefType: new Uint8Array(0),
        kind: new Uint8Array(0),
        statusCode: new Uint8Array(0),
        startUnixNano: new BigInt64Array(0),
        durationNano: new BigInt64Array(0),
        httpStatusCode: new Int16Array(0),
        rpcStatusCode: new Int16Array(0),
        attrOffsets: new Int32Array(1),
        attrKey: new Int32Array(0),
        attrKeys: [],
        attrType: new Uint8Array(0),
        attrValues: empty,
        events: empty,
        links: empty,
      };
      return this.#columns;
    }
    const d = (name: string): Data => this.table.getChild(name)!.data[0]!;
    const attrs = d('attributes');
    const entries = attrs.children[0]!;
    const [keyData, typeData, valueData] = entries.children as [Data, Data, Data];
    this.#columns = {
      length: n,
      traceId: sliceValues<Uint8Array>(d('traceId'), 16),
      spanId: sliceValues<Uint8Array>(d('spanId'), 8),
      parentSpanId: sliceValues<Uint8Array>(d('parentSpanId'), 8),
      parentRefType: sliceValues<Uint8Array>(d('parentRefType')),
      kind: sliceValues<Uint8Array>(d('kind')),
      statusCode: sliceValues<Uint8Array>(d('statusCode')),
      startUnixNano: sliceValues<BigInt64Array>(d('startUnixNano')),
      durationNano: sliceValues<BigInt64Array>(d('durationNano')),
      httpStatusCode: sliceValues<Int16Array>(d('httpStatusCode')),
      rpcStatusCode: sliceValues<Int16Array>(d('rpcStatusCode')),
      attrOffsets: (attrs.valueOffsets as Int32Array).subarray(attrs.offset, attrs.offset + n + 1),
      attrKey: keyData.values as Int32Array,
      attrKeys: (keyData.dictionary?.toArray() ?? []) as string[],
      attrType: typeData.values as Uint8Array,
      attrValues: {
        offsets: (valueData.valueOffsets as Int32Array).subarray(valueData.offset),
        bytes: valueData.values as Uint8Array,
      },
      events: utf8Of(d('events')),
      links: utf8Of(d('links')),
    };
    return this.#columns;
  }

  /** The codes and distinct strings of a dictionary-encoded column. */
  dict(name: DictionaryColumnName): DictColumn {
    let c = this.#dicts.get(name);
    if (c) return c;
    if (!DICTIONARY_COLUMNS.includes(name)) throw new TypeError(`span-model: "${name}" is not a dictionary column`);
    if (this.numSpans === 0) {
      c = { codes: new Int32Array(0), values: [''] };
    } else {
      const data = this.table.getChild(name)!.data[0]!;
      c = { codes: sliceValues<Int32Array>(data), values: (data.dictionary?.toArray() ?? []) as string[] };
    }
    this.#dicts.set(name, c);
    return c;
  }

  /** The string value of a dictionary column at `row`. */
  stringAt(name: DictionaryColumnName, row: number): string {
    const c = this.dict(name);
    return c.values[c.codes[row]!] ?? '';
  }

  /** Start, end and duration of every span as float64 nanoseconds relative to the earliest start. */
  get times(): SpanTimes {
    if (this.#times) return this.#times;
    const { startUnixNano, durationNano, length } = this.columns;
    const sw = new Uint32Array(startUnixNano.buffer, startUnixNano.byteOffset, length * 2);
    const si = new Int32Array(startUnixNano.buffer, startUnixNano.byteOffset, length * 2);
    const dw = new Uint32Array(durationNano.buffer, durationNano.byteOffset, length * 2);
    const di = new Int32Array(durationNano.buffer, durationNano.byteOffset, length * 2);
    let baseHi = 0;
    let baseLo = 0;
    for (let i = 0; i < length; i++) {
      const hi = si[2 * i + 1]!;
      const lo = sw[2 * i]!;
      if (i === 0 || hi < baseHi || (hi === baseHi && lo < baseLo)) {
        baseHi = hi;
        baseLo = lo;
      }
    }
    const startNano = new Float64Array(length);
    const dur = new Float64Array(length);
    const endNano = new Float64Array(length);
    for (let i = 0; i < length; i++) {
      const s = (si[2 * i + 1]! - baseHi) * 4294967296 + (sw[2 * i]! - baseLo);
      const du = di[2 * i + 1]! * 4294967296 + dw[2 * i]!;
      startNano[i] = s;
      dur[i] = du;
      endNano[i] = s + du;
    }
    const baseUnixNano = length === 0 ? 0n : startUnixNano[0]! - BigInt(startNano[0]!);
    this.#times = { baseUnixNano, startNano, durationNano: dur, endNano };
    return this.#times;
  }
}

/**
 * Whether `value` is a {@link SpanTable} from any copy of this package.
 *
 * @example
 * ```ts
 * if (!isSpanTable(x)) throw new TypeError('expected a SpanTable');
 * ```
 */
export function isSpanTable(value: unknown): value is SpanTable {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

const decoder = new TextDecoder();

/**
 * The text of row `i` of a UTF-8 column.
 *
 * @example
 * ```ts
 * const eventsJson = utf8At(table.columns.events, row);
 * ```
 */
export function utf8At(column: Utf8Column, i: number): string {
  const a = column.offsets[i]!;
  const b = column.offsets[i + 1]!;
  return a === b ? '' : decoder.decode(column.bytes.subarray(a, b));
}

/** Wraps an Arrow table as a SpanTable without validation beyond column presence (internal use). */
export function wrapArrowTable(table: Table): SpanTable {
  return new SpanTable(table);
}

/** An empty span table. */
export function emptySpanTable(): SpanTable {
  return new SpanTable(new Table(spanSchema));
}
