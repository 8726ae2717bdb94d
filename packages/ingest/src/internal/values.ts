// Conversions shared by the JSON decoders: timestamps, attribute values (OTLP AnyValue), kinds and status codes.
import { type AttributeTriple, AttributeType, type AttributeValue, SpanKind, StatusCode } from '@aiops/span-model';
import { SpanProblem } from './decode-context.ts';
import { typeName } from './json-text.ts';

const DIGITS = /^-?[0-9]+$/;

/** Integer text as exact int64 decimal, from a JSON string or number; undefined when not an integer. */
export function intText(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const t = v.trim();
    if (!DIGITS.test(t)) return undefined;
    return t.length > 1 && (t[0] === '0' || t.startsWith('-0')) ? BigInt(t).toString() : t;
  }
  if (typeof v === 'number' && Number.isInteger(v)) return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
  return undefined;
}

/** True when `v` is a JSON number that cannot be an exact int64 (beyond 2^53): its digits were lost by JSON.parse. */
export function lostPrecision(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v);
}

/** Unix nanoseconds from an OTLP JSON field (decimal string or number). */
export function nanosOf(v: unknown, field: string): bigint {
  if (typeof v === 'string' && DIGITS.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  throw new SpanProblem('wrong type', `${field}: expected nanoseconds as a decimal string, got ${typeName(v)}`);
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Unix nanoseconds from microseconds (number or decimal string) or an RFC 3339 time (Jaeger, Zipkin). */
export function nanosFromMicros(v: unknown, field: string): bigint {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
    if (Number.isSafeInteger(v)) return BigInt(v) * 1000n;
    const whole = Math.floor(v);
    return BigInt(whole) * 1000n + BigInt(Math.round((v - whole) * 1000));
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^[0-9]+$/.test(t)) return BigInt(t) * 1000n;
    const m = RFC3339.exec(t);
    if (m) {
      const ms = Date.parse(`${m[1]}${m[3]}`);
      if (!Number.isNaN(ms)) return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
    }
  }
  throw new SpanProblem('wrong type', `${field}: expected microseconds, got ${typeName(v)}`);
}

/** Duration in nanoseconds from microseconds (number or decimal string) or a protobuf duration text like `1.5s`. */
export function durationNanosFromMicros(v: unknown, field: string): bigint {
  if (typeof v === 'string') {
    const m = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(v.trim());
    if (m) return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
  }
  return nanosFromMicros(v, field);
}

function doubleText(v: number): string {
  return String(v);
}

/** OTLP JSON AnyValue → plain value (for arrays and key/value lists stored as JSON). */
export function plainAnyValue(v: unknown): AttributeValue {
  if (v === null || typeof v !== 'object') return v === undefined ? null : (v as AttributeValue);
  const o = v as Record<string, unknown>;
  if ('stringValue' in o) return String(o.stringValue ?? '');
  if ('boolValue' in o) return o.boolValue === true || o.boolValue === 'true';
  if ('intValue' in o) {
    const t = intText(o.intValue);
    if (t === undefined) return String(o.intValue);
    const n = Number(t);
    return Number.isSafeInteger(n) ? n : t;
  }
  if ('doubleValue' in o) {
    const n = Number(o.doubleValue);
    return Number.isFinite(n) ? n : String(o.doubleValue);
  }
  if ('bytesValue' in o) return String(o.bytesValue ?? '');
  if ('arrayValue' in o) {
    const values = (o.arrayValue as { values?: unknown } | null)?.values;
    return Array.isArray(values) ? values.map(plainAnyValue) : [];
  }
  if ('kvlistValue' in o) {
    const values = (o.kvlistValue as { values?: unknown } | null)?.values;
    const out: Record<string, AttributeValue> = {};
    if (Array.isArray(values))
      for (const kv of values) {
        const k = (kv as { key?: unknown })?.key;
        if (typeof k === 'string') out[k] = plainAnyValue((kv as { value?: unknown }).value);
      }
    return out;
  }
  return null;
}

/** OTLP JSON AnyValue → `[type, text]` as stored. Unknown or empty values become an empty string. */
export function anyValueTypeText(v: unknown, field: string): [AttributeType, string] {
  if (v === null || v === undefined) return [AttributeType.String, ''];
  if (typeof v !== 'object' || Array.isArray(v))
    throw new SpanProblem('wrong type', `${field}: expected an AnyValue object, got ${typeName(v)}`);
  const o = v as Record<string, unknown>;
  if (o.stringValue !== undefined) {
    if (typeof o.stringValue !== 'string')
      throw new SpanProblem('wrong type', `${field}.stringValue: expected a string, got ${typeName(o.stringValue)}`);
    return [AttributeType.String, o.stringValue];
  }
  if (o.boolValue !== undefined) return [AttributeType.Bool, String(o.boolValue === true || o.boolValue === 'true')];
  if (o.intValue !== undefined) {
    const t = intText(o.intValue);
    if (t === undefined)
      throw new SpanProblem('wrong type', `${field}.intValue: expected an integer, got ${typeName(o.intValue)}`);
    return [AttributeType.Int, t];
  }
  if (o.doubleValue !== undefined) {
    const n = Number(o.doubleValue);
    if (Number.isNaN(n) && o.doubleValue !== 'NaN')
      throw new SpanProblem('wrong type', `${field}.doubleValue: expected a number, got ${typeName(o.doubleValue)}`);
    return [AttributeType.Double, doubleText(n)];
  }
  if (o.bytesValue !== undefined) return [AttributeType.Bytes, String(o.bytesValue)];
  if (o.arrayValue !== undefined)
    return [AttributeType.Array, JSON.stringify(plainAnyValue({ arrayValue: o.arrayValue }))];
  if (o.kvlistValue !== undefined)
    return [AttributeType.KvList, JSON.stringify(plainAnyValue({ kvlistValue: o.kvlistValue }))];
  return [AttributeType.String, ''];
}

/** OTLP JSON `KeyValue[]` → triples (resource, scope, event and link attributes). */
export function keyValueTriples(list: unknown, field: string): AttributeTriple[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new SpanProblem('wrong type', `${field}: expected an array, got ${typeName(list)}`);
  const out: AttributeTriple[] = [];
  for (let i = 0; i < list.length; i++) {
    const kv = list[i] as { key?: unknown; value?: unknown } | null;
    if (kv === null || typeof kv !== 'object' || typeof kv.key !== 'string')
      throw new SpanProblem('wrong type', `${field}[${i}]: expected {key, value}, got ${typeName(kv)}`);
    const [t, text] = anyValueTypeText(kv.value, `${field}[${i}].value`);
    out.push([kv.key, t, text]);
  }
  return out;
}

/** Attribute `[type, text]` of a plain JSON tag value (Zipkin tags, Jaeger tags without a type). */
export function plainTypeText(v: unknown): [AttributeType, string] {
  if (typeof v === 'string') return [AttributeType.String, v];
  if (typeof v === 'boolean') return [AttributeType.Bool, String(v)];
  if (typeof v === 'number')
    return Number.isInteger(v) ? [AttributeType.Int, intText(v)!] : [AttributeType.Double, doubleText(v)];
  if (Array.isArray(v)) return [AttributeType.Array, JSON.stringify(v)];
  if (v === null || v === undefined) return [AttributeType.String, ''];
  return [AttributeType.KvList, JSON.stringify(v)];
}

const KIND_BY_NAME: Readonly<Record<string, SpanKind>> = {
  SPAN_KIND_UNSPECIFIED: SpanKind.Unspecified,
  SPAN_KIND_INTERNAL: SpanKind.Internal,
  SPAN_KIND_SERVER: SpanKind.Server,
  SPAN_KIND_CLIENT: SpanKind.Client,
  SPAN_KIND_PRODUCER: SpanKind.Producer,
  SPAN_KIND_CONSUMER: SpanKind.Consumer,
  UNSPECIFIED: SpanKind.Unspecified,
  INTERNAL: SpanKind.Internal,
  SERVER: SpanKind.Server,
  CLIENT: SpanKind.Client,
  PRODUCER: SpanKind.Producer,
  CONSUMER: SpanKind.Consumer,
};

/** Span kind from an OTLP enum number, an OTLP enum name, or a Jaeger/Zipkin kind name (any case). */
export function kindOf(v: unknown): SpanKind | undefined {
  if (v === undefined || v === null || v === '') return SpanKind.Unspecified;
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 5 ? (v as SpanKind) : undefined;
  if (typeof v === 'string') return KIND_BY_NAME[v.toUpperCase()];
  return undefined;
}

const STATUS_BY_NAME: Readonly<Record<string, StatusCode>> = {
  STATUS_CODE_UNSET: StatusCode.Unset,
  STATUS_CODE_OK: StatusCode.Ok,
  STATUS_CODE_ERROR: StatusCode.Error,
  UNSET: StatusCode.Unset,
  OK: StatusCode.Ok,
  ERROR: StatusCode.Error,
};

/** Status code from an OTLP enum number or name (`STATUS_CODE_ERROR`, `ERROR`, any case). */
export function statusOf(v: unknown): StatusCode | undefined {
  if (v === undefined || v === null || v === '') return StatusCode.Unset;
  if (typeof v === 'number') return v === 0 || v === 1 || v === 2 ? v : undefined;
  if (typeof v === 'string') return STATUS_BY_NAME[v.toUpperCase()];
  return undefined;
}

const HEX_ID = /^[0-9a-fA-F]+$/;
const B64_ID = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * The id text to hand to the builder: hex of at most `width` bytes, or base64 of exactly 8 or `width` bytes; anything
 * else becomes '!' so that the builder marks the id invalid (span-model's parser also accepts short base64 like 'xyz').
 */
export function checkedId(text: string, width: 8 | 16): string {
  const t = text.trim();
  if (t === '') return '';
  if (HEX_ID.test(t)) return t.length <= width * 2 ? t : '!';
  if (!B64_ID.test(t)) return '!';
  const bytes = Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64').length;
  return bytes === width || bytes === 8 ? t : '!';
}
