// Vocabulary of the exporter's `otel_traces` rows: kind and status spellings, attribute types recovered from text,
// and the SELECT list the Arrow reader expects.
import { type AttributeTriple, AttributeType } from '@aiops/span-model';

/** SpanKind values as the exporter writes them (pdata `SpanKind.String()`), indexed by OTLP number. */
export const KIND_TEXT: readonly string[] = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
/** Status codes as the exporter writes them, indexed by OTLP number. */
export const STATUS_TEXT: readonly string[] = ['Unset', 'Ok', 'Error'];
/** Every spelling of an error status the exporter versions have written. */
export const ERROR_STATUS_SQL = "StatusCode IN ('Error', 'STATUS_CODE_ERROR')";

/** The link attribute marking a FOLLOWS_FROM parent (as the Jaeger → OTLP translator writes it). */
export const REF_TYPE_KEY = 'opentracing.ref_type';

const INT_RE = /^-?(0|[1-9][0-9]{0,18})$/;
const DOUBLE_RE = /^-?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?$/;
const INT64_MAX = 9223372036854775807n;

/**
 * The attribute type of a value stored as text in a `Map(String, String)`: the exporter keeps only
 * `pcommon.Value.AsString()`, so the type is recovered from the text (ints, bools, doubles, JSON arrays/maps).
 */
export function inferTriple(key: string, text: string): AttributeTriple {
  const c0 = text.charCodeAt(0);
  // Fast path: only digits, '-', '.', 't', 'f', '[' and '{' can start anything but a plain string.
  if (!((c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 46 || c0 === 116 || c0 === 102 || c0 === 91 || c0 === 123)) {
    return [key, AttributeType.String, text];
  }
  if (text === 'true' || text === 'false') return [key, AttributeType.Bool, text];
  if (INT_RE.test(text)) {
    const v = BigInt(text);
    if (v <= INT64_MAX && v >= -INT64_MAX - 1n) return [key, AttributeType.Int, text];
  }
  if ((text.includes('.') || /e/i.test(text)) && DOUBLE_RE.test(text)) return [key, AttributeType.Double, text];
  const c = text.charCodeAt(0);
  if ((c === 91 || c === 123) && text.length > 1) {
    try {
      const v = JSON.parse(text) as unknown;
      if (Array.isArray(v)) return [key, AttributeType.Array, text];
      if (v !== null && typeof v === 'object') return [key, AttributeType.KvList, text];
    } catch {
      // plain string
    }
  }
  return [key, AttributeType.String, text];
}

/** The SELECT list that `spanTableFromArrowStream` reads (by position), in order; `hasScope` for the ScopeName/ScopeVersion columns. */
export function spanSelectList(hasScope: boolean, prefix = ''): string {
  const p = prefix;
  return [
    `${p}TraceId`,
    `${p}SpanId`,
    `${p}ParentSpanId`,
    `${p}TraceState`,
    `${p}SpanName`,
    `${p}SpanKind`,
    `${p}ServiceName`,
    `${p}ResourceAttributes`,
    hasScope ? `${p}ScopeName` : "''",
    hasScope ? `${p}ScopeVersion` : "''",
    `${p}SpanAttributes`,
    `toUnixTimestamp64Nano(${p}Timestamp)`,
    `toInt64(${p}Duration)`,
    `${p}StatusCode`,
    `${p}StatusMessage`,
    `arrayMap(x -> toUnixTimestamp64Nano(x), ${p}\`Events.Timestamp\`)`,
    `${p}\`Events.Name\``,
    `${p}\`Events.Attributes\``,
    `${p}\`Links.TraceId\``,
    `${p}\`Links.SpanId\``,
    `${p}\`Links.TraceState\``,
    `${p}\`Links.Attributes\``,
  ].join(', ');
}
