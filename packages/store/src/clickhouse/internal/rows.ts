// Mapping between span tables and rows of the exporter's `otel_traces` table, in both directions.
import {
  type AttributeTriple,
  AttributeType,
  bytesToHex,
  ParentRefType,
  type SpanTable,
  SpanTableBuilder,
  utf8At,
} from '@aiops/span-model';

/** SpanKind values as the exporter writes them (pdata `SpanKind.String()`), indexed by OTLP number. */
export const KIND_TEXT: readonly string[] = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
/** Status codes as the exporter writes them, indexed by OTLP number. */
export const STATUS_TEXT: readonly string[] = ['Unset', 'Ok', 'Error'];
/** Every spelling of an error status the exporter versions have written. */
export const ERROR_STATUS_SQL = "StatusCode IN ('Error', 'STATUS_CODE_ERROR')";

/** The link attribute marking a FOLLOWS_FROM parent (as the Jaeger → OTLP translator writes it). */
const REF_TYPE_KEY = 'opentracing.ref_type';

function kindFromText(text: string): number {
  const t = text.toLowerCase().replace(/^span_kind_/, '');
  const i = KIND_TEXT.findIndex((k) => k.toLowerCase() === t);
  return i < 0 ? 0 : i;
}

function statusFromText(text: string): 0 | 1 | 2 {
  const t = text.toLowerCase().replace(/^status_code_/, '');
  return t === 'error' ? 2 : t === 'ok' ? 1 : 0;
}

const INT_RE = /^-?(0|[1-9][0-9]{0,18})$/;
const DOUBLE_RE = /^-?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?$/;
const INT64_MAX = 9223372036854775807n;

/**
 * The attribute type of a value stored as text in a `Map(String, String)`: the exporter keeps only
 * `pcommon.Value.AsString()`, so the type is recovered from the text (ints, bools, doubles, JSON arrays/maps).
 */
export function inferTriple(key: string, text: string): AttributeTriple {
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

function triplesFromMap(map: Record<string, string> | undefined): AttributeTriple[] {
  if (!map) return [];
  return Object.entries(map).map(([k, v]) => inferTriple(k, v));
}

function mapFromTriples(triples: readonly AttributeTriple[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, , v] of triples) out[k] = v;
  return out;
}

/** The SELECT list that {@link spanTableFromRows} reads, in order; `hasScope` for the ScopeName/ScopeVersion columns. */
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
    `toString(toUnixTimestamp64Nano(${p}Timestamp))`,
    `toString(${p}Duration)`,
    `${p}StatusCode`,
    `${p}StatusMessage`,
    `arrayMap(x -> toString(toUnixTimestamp64Nano(x)), ${p}\`Events.Timestamp\`)`,
    `${p}\`Events.Name\``,
    `${p}\`Events.Attributes\``,
    `${p}\`Links.TraceId\``,
    `${p}\`Links.SpanId\``,
    `${p}\`Links.TraceState\``,
    `${p}\`Links.Attributes\``,
  ].join(', ');
}

/** Builds a span table from rows selected with {@link spanSelectList}; counts rows the model rejects. */
export function spanTableFromChRows(rows: readonly unknown[][]): { table: SpanTable; rejected: number } {
  const b = new SpanTableBuilder({ initialCapacity: Math.max(rows.length, 16) });
  const resourceCache = new Map<string, AttributeTriple[]>();
  let rejected = 0;
  let lastScope = '\u0000';
  for (const r of rows) {
    const resMap = r[7] as Record<string, string>;
    const resKey = JSON.stringify(resMap);
    let res = resourceCache.get(resKey);
    if (!res) {
      res = triplesFromMap(resMap);
      resourceCache.set(resKey, res);
    }
    b.setResource(res);
    const scopeKey = `${r[8] as string}\u0000${r[9] as string}`;
    if (scopeKey !== lastScope) {
      b.setScope(r[8] as string, r[9] as string);
      lastScope = scopeKey;
    }
    b.beginSpan();
    b.setTraceId(r[0] as string);
    b.setSpanId(r[1] as string);
    const service = r[6] as string;
    if (service !== '' && resMap['service.name'] !== service) b.setService(service);
    const linkTraces = r[18] as string[];
    const linkSpans = r[19] as string[];
    const linkStates = r[20] as string[];
    const linkAttrs = r[21] as Record<string, string>[];
    const parent = r[2] as string;
    let followsLink = -1;
    if (parent !== '') {
      for (let i = 0; i < linkSpans.length; i++) {
        if (linkSpans[i] === parent && linkAttrs[i]?.[REF_TYPE_KEY] === 'follows_from') followsLink = i;
      }
      b.setParentSpanId(parent, followsLink >= 0 ? ParentRefType.FollowsFrom : ParentRefType.ChildOf);
    }
    b.setOperation(r[4] as string);
    b.setKind(kindFromText(r[5] as string) as 0);
    const message = r[14] as string;
    b.setStatus(statusFromText(r[13] as string), message);
    b.setTraceState(r[3] as string);
    b.setStartDurationNano(BigInt(r[11] as string), BigInt(r[12] as string));
    const attrs = r[10] as Record<string, string>;
    for (const k in attrs) {
      const [, t, v] = inferTriple(k, attrs[k]!);
      b.addAttribute(k, t, v);
    }
    const evTimes = r[15] as string[];
    const evNames = r[16] as string[];
    const evAttrs = r[17] as Record<string, string>[];
    for (let i = 0; i < evTimes.length; i++) {
      b.addEvent({
        timeUnixNano: BigInt(evTimes[i]!),
        name: evNames[i] ?? '',
        attributes: triplesFromMap(evAttrs[i]),
      });
    }
    for (let i = 0; i < linkTraces.length; i++) {
      if (i === followsLink) continue;
      b.addLink({
        traceId: linkTraces[i]!,
        spanId: linkSpans[i] ?? '',
        traceState: linkStates[i] ?? '',
        attributes: triplesFromMap(linkAttrs[i]),
      });
    }
    if (b.commitSpan() !== undefined) rejected++;
  }
  return { table: b.finish(), rejected };
}

interface EventJson {
  timeUnixNano: string;
  name: string;
  attributes: AttributeTriple[];
}
interface LinkJson {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: AttributeTriple[];
}

/**
 * Encodes rows `from..to` of a span table as `JSONEachRow` lines of the exporter's schema.
 *
 * **Details** FOLLOWS_FROM parents are kept as the parent id plus a link to the parent carrying
 * `opentracing.ref_type=follows_from`, which the reader turns back into a FOLLOWS_FROM parent.
 */
export function jsonEachRowFromSpans(table: SpanTable, rows: ArrayLike<number>, hasScope: boolean): string {
  const c = table.columns;
  const resourceCodes = table.dict('resource').codes;
  const resourceValues = table.dict('resource').values;
  const scopeCodes = table.dict('scope').codes;
  const scopeValues = table.dict('scope').values;
  const resourceJson = new Map<number, string>();
  const scopeJson = new Map<number, string>();
  const parts: string[] = [];
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    const rc = resourceCodes[r]!;
    let res = resourceJson.get(rc);
    if (res === undefined) {
      const text = resourceValues[rc]!;
      res = JSON.stringify(text ? mapFromTriples(JSON.parse(text) as AttributeTriple[]) : {});
      resourceJson.set(rc, res);
    }
    let scope = '';
    if (hasScope) {
      const sc = scopeCodes[r]!;
      let s = scopeJson.get(sc);
      if (s === undefined) {
        const text = scopeValues[sc]!;
        const o = text ? (JSON.parse(text) as { name?: string; version?: string }) : {};
        s = `,"ScopeName":${JSON.stringify(o.name ?? '')},"ScopeVersion":${JSON.stringify(o.version ?? '')}`;
        scopeJson.set(sc, s);
      }
      scope = s;
    }
    const attrs: Record<string, string> = {};
    for (let a = c.attrOffsets[r]!; a < c.attrOffsets[r + 1]!; a++) {
      attrs[c.attrKeys[c.attrKey[a]!]!] = utf8At(c.attrValues, a);
    }
    const evText = utf8At(c.events, r);
    const events = evText ? (JSON.parse(evText) as EventJson[]) : [];
    const lkText = utf8At(c.links, r);
    const links = lkText ? (JSON.parse(lkText) as LinkJson[]) : [];
    const ref = c.parentRefType[r]!;
    const traceId = bytesToHex(c.traceId, r * 16, 16);
    const parent = ref === ParentRefType.None ? '' : bytesToHex(c.parentSpanId, r * 8, 8);
    if (ref === ParentRefType.FollowsFrom) {
      links.push({
        traceId,
        spanId: parent,
        traceState: '',
        attributes: [[REF_TYPE_KEY, AttributeType.String, 'follows_from']],
      });
    }
    parts.push(
      `{"Timestamp":"${c.startUnixNano[r]}","TraceId":"${traceId}","SpanId":"${bytesToHex(c.spanId, r * 8, 8)}",` +
        `"ParentSpanId":"${parent}","TraceState":${JSON.stringify(table.stringAt('traceState', r))},` +
        `"SpanName":${JSON.stringify(table.stringAt('operation', r))},"SpanKind":"${KIND_TEXT[c.kind[r]!] ?? 'Unspecified'}",` +
        `"ServiceName":${JSON.stringify(table.stringAt('service', r))},"ResourceAttributes":${res}${scope},` +
        `"SpanAttributes":${JSON.stringify(attrs)},"Duration":"${c.durationNano[r]! < 0n ? 0n : c.durationNano[r]}",` +
        `"StatusCode":"${STATUS_TEXT[c.statusCode[r]!] ?? 'Unset'}","StatusMessage":${JSON.stringify(table.stringAt('statusMessage', r))},` +
        `"Events.Timestamp":${JSON.stringify(events.map((e) => e.timeUnixNano))},` +
        `"Events.Name":${JSON.stringify(events.map((e) => e.name))},` +
        `"Events.Attributes":${JSON.stringify(events.map((e) => mapFromTriples(e.attributes)))},` +
        `"Links.TraceId":${JSON.stringify(links.map((l) => l.traceId))},` +
        `"Links.SpanId":${JSON.stringify(links.map((l) => l.spanId))},` +
        `"Links.TraceState":${JSON.stringify(links.map((l) => l.traceState ?? ''))},` +
        `"Links.Attributes":${JSON.stringify(links.map((l) => mapFromTriples(l.attributes)))}}`,
    );
  }
  return parts.join('\n');
}
