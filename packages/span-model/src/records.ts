// Plain-object views of spans: for building small tables by hand, and for JSON output. Not for hot paths.
import { bytesToHex } from './ids.ts';
import {
  type AttributeTriple,
  AttributeType,
  ParentRefType,
  SPAN_KIND_NAMES,
  type SpanKind,
  STATUS_CODE_NAMES,
  type StatusCode,
} from './schema.ts';
import { type SpanTable, utf8At } from './span-table.ts';
import { SpanTableBuilder } from './span-table-builder.ts';

/** An attribute value as users write it. Integers beyond 2^53 come back as decimal strings. */
export type AttributeValue = string | number | boolean | bigint | null | readonly AttributeValue[] | AttributeMap;
/** A map of attribute values. */
export interface AttributeMap {
  readonly [key: string]: AttributeValue;
}

/** A span as a plain object, for {@link spanTableFromRows}. */
export interface SpanInput {
  /** Trace id, hex (16 or 32 digits) or base64. */
  readonly traceId: string;
  /** Span id, hex or base64. */
  readonly spanId: string;
  /** Parent span id; absent or '' for a root. */
  readonly parentSpanId?: string;
  /** How the parent is referenced. Default child-of. */
  readonly parentRefType?: 'child_of' | 'follows_from';
  /** Service name (resource `service.name`). */
  readonly service: string;
  /** Operation (span name). */
  readonly operation: string;
  /** Span kind: a {@link SpanKind} value or its lower-case name. */
  readonly kind?: SpanKind | 'internal' | 'server' | 'client' | 'producer' | 'consumer' | 'unspecified';
  /** Start time in ns since the epoch. */
  readonly startUnixNano: bigint | string | number;
  /** Duration in ns (or give `endUnixNano`). */
  readonly durationNano?: bigint | string | number;
  /** End time in ns since the epoch. */
  readonly endUnixNano?: bigint | string | number;
  /** Status code: a {@link StatusCode} or 'unset' | 'ok' | 'error'. */
  readonly statusCode?: StatusCode | 'unset' | 'ok' | 'error';
  /** Status message. */
  readonly statusMessage?: string;
  /** Span attributes. */
  readonly attributes?: AttributeMap;
  /** Resource attributes other than service.name. */
  readonly resource?: AttributeMap;
  /** Events. */
  readonly events?: readonly {
    readonly timeUnixNano: bigint | string;
    readonly name: string;
    readonly attributes?: AttributeMap;
  }[];
  /** Links. */
  readonly links?: readonly { readonly traceId: string; readonly spanId: string; readonly attributes?: AttributeMap }[];
}

/** One span as a plain, JSON-ready object (ids as lower-case hex, times as decimal strings). */
export interface SpanRecord {
  /** 32 hex digits. */
  readonly traceId: string;
  /** 16 hex digits. */
  readonly spanId: string;
  /** 16 hex digits, or '' for a root. */
  readonly parentSpanId: string;
  /** 'child_of', 'follows_from' or '' for a root. */
  readonly parentRefType: string;
  /** Service name. */
  readonly service: string;
  /** Operation name. */
  readonly operation: string;
  /** Span kind name. */
  readonly kind: string;
  /** Start, ns since the epoch, as a decimal string. */
  readonly startTimeUnixNano: string;
  /** Duration in ns as a decimal string. */
  readonly durationNano: string;
  /** 'unset', 'ok' or 'error'. */
  readonly statusCode: string;
  /** Status message. */
  readonly statusMessage: string;
  /** Span attributes. */
  readonly attributes: Record<string, AttributeValue>;
  /** Resource attributes. */
  readonly resource: Record<string, AttributeValue>;
  /** Events with their attributes. */
  readonly events: readonly { timeUnixNano: string; name: string; attributes: Record<string, AttributeValue> }[];
  /** Links with their attributes. */
  readonly links: readonly {
    traceId: string;
    spanId: string;
    traceState: string;
    attributes: Record<string, AttributeValue>;
  }[];
}

/**
 * Converts a plain attribute value to its stored form `[key, type, text]`.
 *
 * @example
 * ```ts
 * attributeTriple('http.status_code', 200); // ['http.status_code', AttributeType.Int, '200']
 * ```
 */
export function attributeTriple(key: string, value: AttributeValue): AttributeTriple {
  if (typeof value === 'string') return [key, AttributeType.String, value];
  if (typeof value === 'boolean') return [key, AttributeType.Bool, String(value)];
  if (typeof value === 'bigint') return [key, AttributeType.Int, value.toString()];
  if (typeof value === 'number')
    return [key, Number.isInteger(value) ? AttributeType.Int : AttributeType.Double, String(value)];
  if (value === null) return [key, AttributeType.String, ''];
  if (Array.isArray(value)) return [key, AttributeType.Array, JSON.stringify(value, bigintReplacer)];
  return [key, AttributeType.KvList, JSON.stringify(value, bigintReplacer)];
}

function bigintReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

/**
 * Converts a stored attribute `[type, text]` back to a plain value.
 *
 * **Gotchas** Ints beyond ±2^53 are returned as decimal strings so that JSON output stays exact.
 *
 * @example
 * ```ts
 * attributeValue(AttributeType.Int, '200'); // 200
 * ```
 */
export function attributeValue(type: number, text: string): AttributeValue {
  switch (type) {
    case AttributeType.Bool:
      return text === 'true';
    case AttributeType.Int: {
      const v = Number(text);
      return Number.isSafeInteger(v) ? v : text;
    }
    case AttributeType.Double:
      return Number(text);
    case AttributeType.Array:
    case AttributeType.KvList:
      try {
        return JSON.parse(text) as AttributeValue;
      } catch {
        return text;
      }
    default:
      return text;
  }
}

function tripleMap(triples: readonly AttributeTriple[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, t, v] of triples) out[k] = attributeValue(t, v);
  return out;
}

function mapTriples(map: AttributeMap | undefined): AttributeTriple[] {
  return map ? Object.entries(map).map(([k, v]) => attributeTriple(k, v)) : [];
}

const KIND_BY_NAME: Record<string, SpanKind> = {
  unspecified: 0,
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
};
const STATUS_BY_NAME: Record<string, StatusCode> = { unset: 0, ok: 1, error: 2 };

/**
 * Builds a span table from plain span objects.
 *
 * **Details** For tests, examples and small programmatic inputs; decoders use {@link SpanTableBuilder} directly.
 *
 * **Complexity** O(spans + attributes).
 *
 * **Gotchas** Throws a RangeError naming the span when an id or time is invalid: the input is the caller's own code.
 *
 * @example
 * ```ts
 * const t = spanTableFromRows([
 *   { traceId: '1', spanId: 'a', service: 'api', operation: 'GET /', startUnixNano: 1000n, durationNano: 50n },
 *   { traceId: '1', spanId: 'b', parentSpanId: 'a', service: 'db', operation: 'SELECT', startUnixNano: 1010n, durationNano: 20n },
 * ]);
 * ```
 */
export function spanTableFromRows(rows: readonly SpanInput[]): SpanTable {
  const b = new SpanTableBuilder({ initialCapacity: rows.length });
  rows.forEach((row, i) => {
    b.setResource([
      ['service.name', AttributeType.String, row.service],
      ...mapTriples(row.resource).filter(([k]) => k !== 'service.name'),
    ]);
    b.beginSpan();
    b.setTraceId(row.traceId);
    b.setSpanId(row.spanId);
    if (row.parentSpanId) {
      b.setParentSpanId(
        row.parentSpanId,
        row.parentRefType === 'follows_from' ? ParentRefType.FollowsFrom : ParentRefType.ChildOf,
      );
    }
    b.setOperation(row.operation);
    if (row.kind !== undefined) b.setKind(typeof row.kind === 'number' ? row.kind : (KIND_BY_NAME[row.kind] ?? 0));
    if (row.statusCode !== undefined || row.statusMessage) {
      const code =
        typeof row.statusCode === 'number' ? row.statusCode : (STATUS_BY_NAME[row.statusCode ?? 'unset'] ?? 0);
      b.setStatus(code, row.statusMessage ?? '');
    }
    const start = BigInt(row.startUnixNano);
    if (row.endUnixNano !== undefined) b.setStartEndUnixNano(start, BigInt(row.endUnixNano));
    else b.setStartDurationNano(start, BigInt(row.durationNano ?? 0));
    for (const [k, t, v] of mapTriples(row.attributes)) b.addAttribute(k, t, v);
    for (const e of row.events ?? []) {
      b.addEvent({ timeUnixNano: BigInt(e.timeUnixNano), name: e.name, attributes: mapTriples(e.attributes) });
    }
    for (const l of row.links ?? [])
      b.addLink({ traceId: l.traceId, spanId: l.spanId, attributes: mapTriples(l.attributes) });
    const reason = b.commitSpan();
    if (reason) throw new RangeError(`span-model: span ${i} (${row.spanId}): ${reason}`);
  });
  return b.finish();
}

/**
 * The attributes of span `row` as a plain object.
 *
 * **Complexity** O(attributes of the span).
 *
 * @example
 * ```ts
 * spanAttributes(table, 0)['http.route']; // '/cart'
 * ```
 */
export function spanAttributes(table: SpanTable, row: number): Record<string, AttributeValue> {
  const c = table.columns;
  const out: Record<string, AttributeValue> = {};
  for (let a = c.attrOffsets[row]!; a < c.attrOffsets[row + 1]!; a++) {
    out[c.attrKeys[c.attrKey[a]!]!] = attributeValue(c.attrType[a]!, utf8At(c.attrValues, a));
  }
  return out;
}

/**
 * The value of one attribute of span `row` as text, or undefined when the span does not have it.
 *
 * @example
 * ```ts
 * spanAttributeText(table, row, 'db.statement');
 * ```
 */
export function spanAttributeText(table: SpanTable, row: number, key: string): string | undefined {
  const c = table.columns;
  for (let a = c.attrOffsets[row]!; a < c.attrOffsets[row + 1]!; a++) {
    if (c.attrKeys[c.attrKey[a]!] === key) return utf8At(c.attrValues, a);
  }
  return undefined;
}

/**
 * The events of span `row` (exceptions, logs), with attributes as plain objects.
 *
 * @example
 * ```ts
 * spanEvents(table, row).find((e) => e.name === 'exception');
 * ```
 */
export function spanEvents(table: SpanTable, row: number): SpanRecord['events'] {
  const text = utf8At(table.columns.events, row);
  if (!text) return [];
  const raw = JSON.parse(text) as { timeUnixNano: string; name: string; attributes: AttributeTriple[] }[];
  return raw.map((e) => ({ timeUnixNano: e.timeUnixNano, name: e.name, attributes: tripleMap(e.attributes) }));
}

/**
 * The links of span `row`.
 *
 * @example
 * ```ts
 * spanLinks(table, row).map((l) => l.traceId);
 * ```
 */
export function spanLinks(table: SpanTable, row: number): SpanRecord['links'] {
  const text = utf8At(table.columns.links, row);
  if (!text) return [];
  const raw = JSON.parse(text) as {
    traceId: string;
    spanId: string;
    traceState: string;
    attributes: AttributeTriple[];
  }[];
  return raw.map((l) => ({
    traceId: l.traceId,
    spanId: l.spanId,
    traceState: l.traceState,
    attributes: tripleMap(l.attributes),
  }));
}

/**
 * The resource attributes of span `row`.
 *
 * @example
 * ```ts
 * spanResource(table, row)['host.name'];
 * ```
 */
export function spanResource(table: SpanTable, row: number): Record<string, AttributeValue> {
  const json = table.stringAt('resource', row);
  return json ? tripleMap(JSON.parse(json) as AttributeTriple[]) : {};
}

/** Lower-case hex trace id of span `row`. */
export function traceIdAt(table: SpanTable, row: number): string {
  return bytesToHex(table.columns.traceId, row * 16, 16);
}

/** Lower-case hex span id of span `row`. */
export function spanIdAt(table: SpanTable, row: number): string {
  return bytesToHex(table.columns.spanId, row * 8, 8);
}

/** Lower-case hex parent span id of span `row`, or '' for none. */
export function parentSpanIdAt(table: SpanTable, row: number): string {
  return table.columns.parentRefType[row] === 0 ? '' : bytesToHex(table.columns.parentSpanId, row * 8, 8);
}

/**
 * Span `row` as a plain JSON-ready object with every field.
 *
 * **Complexity** O(attributes + events + links of the span). For output, not loops over millions of spans.
 *
 * @example
 * ```ts
 * JSON.stringify(spanRecord(table, 0));
 * ```
 */
export function spanRecord(table: SpanTable, row: number): SpanRecord {
  const c = table.columns;
  const ref = c.parentRefType[row]!;
  return {
    traceId: traceIdAt(table, row),
    spanId: spanIdAt(table, row),
    parentSpanId: parentSpanIdAt(table, row),
    parentRefType: ref === ParentRefType.FollowsFrom ? 'follows_from' : ref === ParentRefType.ChildOf ? 'child_of' : '',
    service: table.stringAt('service', row),
    operation: table.stringAt('operation', row),
    kind: SPAN_KIND_NAMES[c.kind[row]!] ?? 'unspecified',
    startTimeUnixNano: c.startUnixNano[row]!.toString(),
    durationNano: c.durationNano[row]!.toString(),
    statusCode: STATUS_CODE_NAMES[c.statusCode[row]!] ?? 'unset',
    statusMessage: table.stringAt('statusMessage', row),
    attributes: spanAttributes(table, row),
    resource: spanResource(table, row),
    events: spanEvents(table, row),
    links: spanLinks(table, row),
  };
}
