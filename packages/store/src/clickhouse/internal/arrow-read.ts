// Reads spans selected with `spanSelectList` from an Arrow IPC stream (`FORMAT ArrowStream`) into a SpanTableBuilder,
// column by column: dictionary-encoded strings are decoded once per distinct value, numbers come as typed arrays.
import { type AttributeTriple, ParentRefType, type SpanTable, SpanTableBuilder } from '@aiops/span-model';
import { type Data, tableFromIPC } from 'apache-arrow';
import { inferTriple, KIND_TEXT, REF_TYPE_KEY } from './rows.ts';

const decoder = new TextDecoder();

/** UTF-8 bytes → string; plain ASCII without TextDecoder (the common case for keys, ids and short values). */
function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len === 0) return '';
  if (len > 64) return decoder.decode(bytes.subarray(start, end));
  let s = '';
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b >= 0x80) return decoder.decode(bytes.subarray(start, end));
    s += String.fromCharCode(b);
  }
  return s;
}

type StringAt = (i: number) => string;

/** A string column (Utf8, or Dictionary of Utf8 as ClickHouse writes LowCardinality) as an accessor by row. */
function stringsOf(data: Data): StringAt {
  const dictionary = data.dictionary;
  if (dictionary) {
    const values: string[] = [];
    for (const d of dictionary.data) {
      const at = stringsOf(d);
      for (let i = 0; i < d.length; i++) values.push(at(i));
    }
    const idx = data.values as ArrayLike<number>;
    const o = data.offset;
    return (i) => values[idx[o + i]!] ?? '';
  }
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const o = data.offset;
  return (i) => decodeUtf8(bytes, offsets[o + i]!, offsets[o + i + 1]!);
}

/** The `[start, end)` child range of row i of a List or Map column. */
function rangeOf(data: Data): (i: number) => [number, number] {
  const offsets = data.valueOffsets as Int32Array;
  const o = data.offset;
  return (i) => [offsets[o + i]!, offsets[o + i + 1]!];
}

function int64Of(data: Data): (i: number) => bigint {
  const v = data.values as BigInt64Array;
  const o = data.offset;
  return (i) => v[o + i]!;
}

/** A `Map(String, String)` column: row i's entries as a record. */
function mapsOf(data: Data): (i: number) => Map<string, string> {
  const range = rangeOf(data);
  const entries = data.children[0]!;
  const keys = stringsOf(entries.children[0]!);
  const values = stringsOf(entries.children[1]!);
  const o = entries.offset;
  return (i) => {
    const [a, b] = range(i);
    const m = new Map<string, string>();
    for (let e = a; e < b; e++) m.set(keys(o + e), values(o + e));
    return m;
  };
}

function triples(map: Map<string, string>): AttributeTriple[] {
  const out: AttributeTriple[] = [];
  for (const [k, v] of map) out.push(inferTriple(k, v));
  return out;
}

function kindFromText(text: string): number {
  const t = text.toLowerCase().replace(/^span_kind_/, '');
  const i = KIND_TEXT.findIndex((k) => k.toLowerCase() === t);
  return i < 0 ? 0 : i;
}

function statusFromText(text: string): 0 | 1 | 2 {
  const t = text.toLowerCase().replace(/^status_code_/, '');
  return t === 'error' ? 2 : t === 'ok' ? 1 : 0;
}

/**
 * Builds a span table from an Arrow IPC stream of rows selected with `spanSelectList` (columns by position); counts
 * rows the span model rejects (bad ids).
 *
 * **Complexity** O(rows + attribute entries); strings of dictionary-encoded columns are decoded once per batch.
 */
export function spanTableFromArrowStream(bytes: Uint8Array): { table: SpanTable; rejected: number } {
  const t = tableFromIPC(bytes);
  const b = new SpanTableBuilder({ initialCapacity: Math.max(t.numRows, 16) });
  const resourceCache = new Map<string, AttributeTriple[]>();
  const keyCodes = new Map<string, number>();
  let rejected = 0;
  let lastScope = '\u0000';
  for (const batch of t.batches) {
    // An empty result is a schema without batches, which apache-arrow reads as one batch without child data.
    if (batch.numRows === 0) continue;
    const col = (i: number): Data => batch.data.children[i]!;
    const traceId = stringsOf(col(0));
    const spanId = stringsOf(col(1));
    const parentId = stringsOf(col(2));
    const traceState = stringsOf(col(3));
    const spanName = stringsOf(col(4));
    const spanKind = stringsOf(col(5));
    const serviceName = stringsOf(col(6));
    const resourceRange = rangeOf(col(7));
    const resEntries = col(7).children[0]!;
    const resKeys = stringsOf(resEntries.children[0]!);
    const resValues = stringsOf(resEntries.children[1]!);
    const scopeName = stringsOf(col(8));
    const scopeVersion = stringsOf(col(9));
    const attrRange = rangeOf(col(10));
    const attrEntries = col(10).children[0]!;
    const attrKeys = stringsOf(attrEntries.children[0]!);
    const attrValues = stringsOf(attrEntries.children[1]!);
    const start = int64Of(col(11));
    const duration = int64Of(col(12));
    const statusCode = stringsOf(col(13));
    const statusMessage = stringsOf(col(14));
    const evRange = rangeOf(col(15));
    const evTime = int64Of(col(15).children[0]!);
    const evName = stringsOf(col(16).children[0]!);
    const evAttrs = mapsOf(col(17).children[0]!);
    const lkRange = rangeOf(col(18));
    const lkTrace = stringsOf(col(18).children[0]!);
    const lkSpan = stringsOf(col(19).children[0]!);
    const lkState = stringsOf(col(20).children[0]!);
    const lkAttrs = mapsOf(col(21).children[0]!);
    for (let r = 0; r < batch.numRows; r++) {
      const [r0, r1] = resourceRange(r);
      let resKey = '';
      let resService: string | undefined;
      for (let e = r0; e < r1; e++) {
        const k = resKeys(e);
        const v = resValues(e);
        if (k === 'service.name') resService = v;
        resKey += `${k}\u0000${v}\u0001`;
      }
      let res = resourceCache.get(resKey);
      if (!res) {
        res = [];
        for (let e = r0; e < r1; e++) res.push(inferTriple(resKeys(e), resValues(e)));
        resourceCache.set(resKey, res);
      }
      b.setResource(res);
      const sn = scopeName(r);
      const sv = scopeVersion(r);
      const scopeKey = `${sn}\u0000${sv}`;
      if (scopeKey !== lastScope) {
        b.setScope(sn, sv);
        lastScope = scopeKey;
      }
      b.beginSpan();
      b.setTraceId(traceId(r));
      b.setSpanId(spanId(r));
      const service = serviceName(r);
      if (service !== '' && resService !== service) b.setService(service);
      const [l0, l1] = lkRange(r);
      const parent = parentId(r);
      let followsLink = -1;
      const linkAttrs: Map<string, string>[] = [];
      for (let l = l0; l < l1; l++) linkAttrs.push(lkAttrs(l));
      if (parent !== '') {
        for (let l = l0; l < l1; l++) {
          if (lkSpan(l) === parent && linkAttrs[l - l0]!.get(REF_TYPE_KEY) === 'follows_from') followsLink = l;
        }
        b.setParentSpanId(parent, followsLink >= 0 ? ParentRefType.FollowsFrom : ParentRefType.ChildOf);
      }
      b.setOperation(spanName(r));
      b.setKind(kindFromText(spanKind(r)) as 0);
      b.setStatus(statusFromText(statusCode(r)), statusMessage(r));
      b.setTraceState(traceState(r));
      b.setStartDurationNano(start(r), duration(r));
      const [a0, a1] = attrRange(r);
      for (let a = a0; a < a1; a++) {
        const key = attrKeys(a);
        let code = keyCodes.get(key);
        if (code === undefined) {
          code = b.internAttributeKey(key);
          keyCodes.set(key, code);
        }
        const [, type, value] = inferTriple(key, attrValues(a));
        b.addAttributeCoded(code, type, value);
      }
      const [e0, e1] = evRange(r);
      for (let e = e0; e < e1; e++) {
        b.addEvent({ timeUnixNano: evTime(e), name: evName(e), attributes: triples(evAttrs(e)) });
      }
      for (let l = l0; l < l1; l++) {
        if (l === followsLink) continue;
        b.addLink({
          traceId: lkTrace(l),
          spanId: lkSpan(l),
          traceState: lkState(l),
          attributes: triples(linkAttrs[l - l0]!),
        });
      }
      if (b.commitSpan() !== undefined) rejected++;
    }
  }
  return { table: b.finish(), rejected };
}
