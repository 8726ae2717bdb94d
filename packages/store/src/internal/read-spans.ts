// Rebuilds a SpanTable from rows of the `spans` table (joined with their trace's id and time base).

import {
  type AttributeTriple,
  type AttributeType,
  type ParentRefType,
  type SpanKind,
  type SpanTable,
  SpanTableBuilder,
  type StatusCode,
} from '@aiops/span-model';
import type { DuckDBResult, DuckDBValue } from '@duckdb/node-api';
import { VALUE_SLOTS } from './ddl.ts';
import { type Dictionaries, LOC_REPEAT } from './dictionaries.ts';

const V0 = 13;
const MORE = V0 + VALUE_SLOTS;
const EVENTS = MORE + 1;
const LINKS = MORE + 2;

interface StoredEvent {
  timeUnixNano: string;
  name: string;
  attributes?: AttributeTriple[];
}
interface StoredLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes?: AttributeTriple[];
}

/** The rows ordered by (trace_no, seq) (columns 3 and 4): as they are when already so, else permuted. */
function inTraceOrder(cols: DuckDBValue[][], n: number): DuckDBValue[][] {
  const no = cols[3] as number[] | undefined;
  const seq = cols[4] as number[] | undefined;
  if (!no || !seq) return cols;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = no[i - 1]! < no[i]! || (no[i - 1] === no[i] && seq[i - 1]! <= seq[i]!);
  if (sorted) return cols;
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => no[x]! - no[y]! || seq[x]! - seq[y]!);
  return cols.map((col) => order.map((i) => col[i]!));
}

/** Thrown when a stored row cannot be turned back into a span (the caller maps it to StoreError 'corrupt'). */
export class CorruptRowError extends Error {}

/**
 * Rebuilds the spans of a query result that selects `trace_hi, trace_lo, base` then {@link SPAN_READ_COLUMNS}, in any
 * row order (rows are put in (trace_no, seq) order here when they are not already).
 */
export async function readSpans(result: DuckDBResult, dicts: Dictionaries): Promise<SpanTable> {
  let cols: DuckDBValue[][] = [];
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const chunkCols = chunk.getColumns();
    if (cols.length === 0) for (const col of chunkCols) cols.push(col);
    else for (let i = 0; i < chunkCols.length; i++) for (const v of chunkCols[i]!) cols[i]!.push(v);
  }
  const n = cols[0]?.length ?? 0;
  cols = inTraceOrder(cols, n);
  const b = new SpanTableBuilder({ initialCapacity: Math.max(n, 16) });
  const traceBytes = new Uint8Array(16);
  const traceView = new DataView(traceBytes.buffer);
  const idBytes = new Uint8Array(8);
  const idView = new DataView(idBytes.buffer);
  const parentBytes = new Uint8Array(8);
  const parentView = new DataView(parentBytes.buffer);
  const lastValue = new Map<string, string>();
  let lastResource = -1;
  let lastScope = -1;
  let r = 0;
  while (r < n) {
    const traceNo = cols[3]![r];
    let end = r;
    const idsBySeq = new Map<number, bigint>();
    lastValue.clear();
    while (end < n && cols[3]![end] === traceNo) {
      idsBySeq.set(cols[4]![end] as number, cols[5]![end] as bigint);
      end++;
    }
    traceView.setBigInt64(0, cols[0]![r] as bigint, false);
    traceView.setBigInt64(8, cols[1]![r] as bigint, false);
    const base = cols[2]![r] as bigint;
    for (; r < end; r++) {
      const cls = dicts.classOf(cols[8]![r] as number);
      const resource = cls.resourceId;
      if (resource !== lastResource) {
        b.setResource(dicts.resource(resource));
        lastResource = resource;
      }
      const scopeId = cls.scopeId;
      if (scopeId !== lastScope) {
        const scope = dicts.scope(scopeId);
        b.setScope(scope.name, scope.version, scope.attributes);
        lastScope = scopeId;
      }
      b.beginSpan();
      b.setTraceIdBytes(traceBytes, 0, 16);
      idView.setBigInt64(0, cols[5]![r] as bigint, false);
      b.setSpanIdBytes(idBytes, 0, 8);
      const flags = cls.flags;
      const ref = (flags >> 5) as ParentRefType;
      if (ref !== 0) {
        const parentSeq = cols[6]![r] as number;
        const parent = parentSeq >= 0 ? idsBySeq.get(parentSeq) : (cols[7]![r] as bigint | null);
        if (parent === undefined || parent === null) throw new CorruptRowError(`parent of span ${cols[5]![r]}`);
        parentView.setBigInt64(0, parent, false);
        b.setParentSpanIdBytes(parentBytes, 0, 8, ref);
      }
      const op = cls.opId;
      b.setService(dicts.services.values[dicts.opService[op]!]!);
      b.setOperation(dicts.opName[op]!);
      b.setKind((flags & 7) as SpanKind);
      const status = ((flags >> 3) & 3) as StatusCode;
      const message = dicts.strings.values[cols[11]![r] as number]!;
      if (status !== 0 || message !== '') b.setStatus(status, message);
      const traceState = dicts.strings.values[cols[12]![r] as number]!;
      if (traceState !== '') b.setTraceState(traceState);
      b.setStartDurationNano(base + (cols[9]![r] as bigint), cols[10]![r] as bigint);
      const shape = dicts.shape(cls.shapeId);
      let more: string[] | undefined;
      let nextMore = 0;
      for (let a = 0; a < shape.keys.length; a++) {
        const key = shape.keys[a]!;
        const type = shape.types[a]! as AttributeType;
        const loc = shape.locs[a]!;
        let value: string | null | undefined;
        if (loc >= 0) value = cols[V0 + loc]![r] as string | null;
        else if (loc === LOC_REPEAT) value = lastValue.get(`${type}:${key}`);
        else {
          more ??= JSON.parse((cols[MORE]![r] as string | null) ?? '[]') as string[];
          value = more[nextMore++];
        }
        if (value === undefined || value === null) throw new CorruptRowError(`attribute ${key} of span ${cols[5]![r]}`);
        lastValue.set(`${type}:${key}`, value);
        b.addAttribute(key, type, value);
      }
      const events = cols[EVENTS]![r] as string | null;
      if (events) {
        for (const e of JSON.parse(events) as StoredEvent[]) {
          b.addEvent({ timeUnixNano: BigInt(e.timeUnixNano), name: e.name, attributes: e.attributes ?? [] });
        }
      }
      const links = cols[LINKS]![r] as string | null;
      if (links) {
        for (const l of JSON.parse(links) as StoredLink[]) {
          b.addLink({
            traceId: l.traceId,
            spanId: l.spanId,
            traceState: l.traceState ?? '',
            attributes: l.attributes ?? [],
          });
        }
      }
      const reason = b.commitSpan();
      if (reason) throw new CorruptRowError(`span ${cols[5]![r]}: ${reason}`);
    }
  }
  return b.finish();
}
