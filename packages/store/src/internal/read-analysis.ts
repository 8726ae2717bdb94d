// The lean read behind `spans({ detail: 'analysis' })`: fills the span table's typed-array columns straight from
// DuckDB's result vectors and assembles the Arrow table once (spanTableFromColumns), without SpanTableBuilder's
// per-span bookkeeping.
//
// Per span class (operation, resource, scope, attribute shape, flags) everything but the row's own values is resolved
// once: output dictionary codes, kind/status/reference, which value columns hold which attribute and which derived
// column each feeds. Per row only numbers move: a derived text value arrives as the engine's `hash(vK)` and is
// coded by it (each distinct text is read once, by a second statement after the rows); only the attributes the table
// keeps (ANALYSIS_ATTRIBUTE_KEYS) and numbers to parse arrive as text. Values the store keeps once per trace
// (LOC_REPEAT) reuse the earlier span's bytes and derived code. Events are reduced in SQL to the spans whose events
// may name an exception or error; links are not read.
//
//   row (seq order)   class → service/op/kind/status/resource/host    hash(vK) → derived code    vK → kept attribute
//   parent_seq ≥ 0    → span id of the row with that seq (resolved when the trace is complete)
//   after the rows    SELECT DISTINCT hash(vK), vK → the texts of the placeholder codes

import {
  ANALYSIS_ATTRIBUTE_KEYS,
  DERIVED_ATTRIBUTE_KEYS,
  DICTIONARY_COLUMNS,
  type DictionaryColumnName,
  HOST_RESOURCE_KEYS,
  type SpanTable,
  StringDictionary,
  spanTableFromColumns,
} from '@aiops/span-model';
import type { DuckDBResult } from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
import { VALUE_SLOTS } from './ddl.ts';
import { type Dictionaries, LOC_MORE, LOC_REPEAT } from './dictionaries.ts';
import { CorruptRowError } from './read-spans.ts';
import { type Chunk, chunkOf, isValid } from './result-chunk.ts';

// Column positions of the query built by analysisSql.
const HI = 0;
const LO = 1;
const BASE = 2;
const NO = 3;
const SEQ = 4;
const SPAN_ID = 5;
const PARENT_SEQ = 6;
const PARENT_ID = 7;
const CLASS = 8;
const START_OFF = 9;
const DURATION = 10;
const STATUS_MSG = 11;
const TRACE_STATE = 12;
const V0 = 13;
const MORE = V0 + VALUE_SLOTS;
const EVENTS = MORE + 1;
/** `hash(vK)` of the value columns whose values fill a derived dictionary column. */
const H0 = EVENTS + 1;
const NUM_COLUMNS = H0 + VALUE_SLOTS;

const WIDTH: readonly number[] = Array.from({ length: NUM_COLUMNS }, (_, c) =>
  c === NO || c === SEQ || c === PARENT_SEQ || c === CLASS || c === STATUS_MSG || c === TRACE_STATE
    ? 4
    : c >= V0 && c < H0
      ? 16
      : 8,
);

const DICT_INDEX: Readonly<Record<string, number>> = Object.fromEntries(DICTIONARY_COLUMNS.map((n, i) => [n, i]));
const NUM_DICTS = DICTIONARY_COLUMNS.length;
const D_SERVICE = DICT_INDEX.service!;
const D_OPERATION = DICT_INDEX.operation!;
const D_STATUS_MESSAGE = DICT_INDEX.statusMessage!;
const D_TRACE_STATE = DICT_INDEX.traceState!;
const D_RESOURCE = DICT_INDEX.resource!;
const D_SCOPE = DICT_INDEX.scope!;
const D_ERROR_TYPE = DICT_INDEX.errorType!;
const D_EXCEPTION_MESSAGE = DICT_INDEX.exceptionMessage!;
const D_HOST = DICT_INDEX.host!;
const D_SERVICE_VERSION = DICT_INDEX.serviceVersion!;
const D_FIRST_DERIVED = DICT_INDEX.httpMethod!;
const SLOT_HTTP = NUM_DICTS;
const SLOT_RPC = NUM_DICTS + 1;
const NUM_SLOTS = NUM_DICTS + 2;
/** A tracked value whose derived code is not computed yet. */
const NOT_DERIVED = -2;

const KEPT = new Set(ANALYSIS_ATTRIBUTE_KEYS);

/** What the analysis read does with each attribute of a shape. */
interface ShapePlan {
  /** 1 when the attribute stays in the span's attribute list. */
  readonly keep: Uint8Array;
  /** Derived slot (dictionary index, SLOT_HTTP, SLOT_RPC) or -1. */
  readonly slot: Int8Array;
  /** Priority + 1 of the derived slot. */
  readonly priority: Int8Array;
  /**
   * 1 when the value may fill its derived column: SpanTableBuilder derives an attribute only when no earlier
   * attribute of the span set that column with an equal or higher priority (numbers: a valid number).
   */
  readonly wins: Uint8Array;
  /** 1 when the value must be read: kept, possibly derived, or repeated later in the trace by a span that may. */
  readonly need: Uint8Array;
}

const planCache = new WeakMap<
  Dictionaries,
  { generation: number; plans: Map<string, ShapePlan[]>; repeated: Set<string>; shapes: number }
>();

/**
 * Which dictionary columns an analysis read fills, per dictionary index (1 = filled), from the caller's list of
 * derived columns (undefined: all). The columns before the derived ones (service ... scope) and errorType (a failure
 * signal) are always filled.
 */
export function wantedColumns(columns: readonly DictionaryColumnName[] | undefined): Uint8Array {
  const wanted = new Uint8Array(NUM_DICTS).fill(columns === undefined ? 1 : 0);
  for (let d = 0; d < D_FIRST_DERIVED; d++) wanted[d] = 1;
  // The failure signals read errorType.
  wanted[D_ERROR_TYPE] = 1;
  for (const name of columns ?? []) {
    const d = DICT_INDEX[name];
    if (d === undefined) throw new TypeError(`store: analysisColumns: unknown dictionary column "${name}"`);
    wanted[d] = 1;
  }
  return wanted;
}

/** The plan of every stored shape for the wanted columns (cached per dictionary generation). */
function shapePlans(dicts: Dictionaries, wanted: Uint8Array): ShapePlan[] {
  let entry = planCache.get(dicts);
  const n = dicts.shapes.values.length;
  if (!entry || entry.generation !== dicts.generation || entry.shapes !== n) {
    entry = { generation: dicts.generation, plans: new Map(), repeated: new Set(), shapes: n };
    planCache.set(dicts, entry);
    for (let id = 0; id < n; id++) {
      const shape = dicts.shape(id);
      shape.locs.forEach((loc, a) => {
        if (loc === LOC_REPEAT) entry!.repeated.add(`${shape.types[a]}:${shape.keys[a]}`);
      });
    }
  }
  const mask = wanted.join('');
  const cached = entry.plans.get(mask);
  if (cached) return cached;
  const plans: ShapePlan[] = [];
  for (let id = 0; id < n; id++) {
    const shape = dicts.shape(id);
    const m = shape.keys.length;
    const plan: ShapePlan = {
      keep: new Uint8Array(m),
      slot: new Int8Array(m).fill(-1),
      priority: new Int8Array(m),
      wins: new Uint8Array(m),
      need: new Uint8Array(m),
    };
    const best = new Int8Array(NUM_SLOTS);
    for (let a = 0; a < m; a++) {
      const key = shape.keys[a]!;
      plan.keep[a] = KEPT.has(key) ? 1 : 0;
      const derived = DERIVED_ATTRIBUTE_KEYS[key];
      // A derived column the caller did not ask for is neither read nor coded (status numbers always are).
      if (
        derived &&
        (derived.column === 'httpStatusCode' ||
          derived.column === 'rpcStatusCode' ||
          wanted[DICT_INDEX[derived.column]!] === 1)
      ) {
        const slot =
          derived.column === 'httpStatusCode'
            ? SLOT_HTTP
            : derived.column === 'rpcStatusCode'
              ? SLOT_RPC
              : DICT_INDEX[derived.column as DictionaryColumnName]!;
        const priority = derived.priority + 1;
        plan.slot[a] = slot;
        plan.priority[a] = priority;
        if (priority > best[slot]!) {
          plan.wins[a] = 1;
          // A text value always takes the slot; a number only when valid, so a later one may still win.
          if (slot < NUM_DICTS) best[slot] = priority;
        }
      }
      const repeated = entry.repeated.has(`${shape.types[a]}:${key}`);
      plan.need[a] = plan.keep[a] || plan.wins[a] || (plan.slot[a]! >= 0 && repeated) ? 1 : 0;
    }
    plans.push(plan);
  }
  entry.plans.set(mask, plans);
  return plans;
}

/** The SQL of the analysis read, given the `sel` CTE of the selected traces. */
export interface AnalysisColumns {
  /** The select list after `sel.trace_hi, sel.trace_lo, sel.base`. */
  readonly select: string;
  /**
   * A statement returning `(hash, text)` for every distinct value the read codes by hash in the spans that pass
   * `traceFilter` (a condition on `s.trace_no`), or undefined when the read codes none by hash.
   */
  readonly distinct: ((traceFilter: string) => string) | undefined;
}

/** SQL test for span classes `ids`, or any class committed after `known` (a write that lands before the query runs). */
function classIn(ids: readonly number[], known: number): string {
  // list_contains, not IN: the engine turns a long IN list into a join, which does not keep the scan's row order.
  return ids.length === 0
    ? `s.class_id >= ${known}`
    : `(list_contains([${ids.join(',')}], s.class_id) OR s.class_id >= ${known})`;
}

/**
 * The span columns the analysis read selects.
 *
 * **Details** Per value column `vK`: its text only for the span classes that keep the attribute there, parse it as
 * a number, or may need it for a later repeat; its `hash(vK)` where it fills a derived dictionary column (the text
 * of each distinct value comes from the `distinct` statement, run once after the rows); value columns no class
 * needs are NULL constants, which the engine does not scan. Events only where they may name an exception or error
 * event.
 */
export function analysisColumns(dicts: Dictionaries, wanted: Uint8Array): AnalysisColumns {
  const textClasses: number[][] = Array.from({ length: VALUE_SLOTS }, () => []);
  const hashClasses: number[][] = Array.from({ length: VALUE_SLOTS }, () => []);
  const anyClasses: number[][] = Array.from({ length: VALUE_SLOTS }, () => []);
  let more = false;
  const plans = shapePlans(dicts, wanted);
  const known = dicts.classes.committed;
  for (let id = 0; id < known; id++) {
    const shapeId = dicts.classOf(id).shapeId;
    const { need, wins, slot, keep } = plans[shapeId]!;
    const seen = new Uint8Array(VALUE_SLOTS);
    dicts.shape(shapeId).locs.forEach((loc, a) => {
      if (need[a] === 0) return;
      if (loc === LOC_MORE) more = true;
      if (loc < 0) return;
      if (!(seen[loc]! & 1)) anyClasses[loc]!.push(id);
      seen[loc]! |= 1;
      if (keep[a] === 0 && wins[a] === 1 && slot[a]! < NUM_DICTS) {
        if (!(seen[loc]! & 2)) hashClasses[loc]!.push(id);
        seen[loc]! |= 2;
      } else {
        if (!(seen[loc]! & 4)) textClasses[loc]!.push(id);
        seen[loc]! |= 4;
      }
    });
  }
  const values = textClasses
    .map((ids, k) =>
      ids.length === 0
        ? 'NULL::VARCHAR'
        : ids.length === anyClasses[k]!.length
          ? `s.v${k}`
          : `CASE WHEN ${classIn(ids, known)} THEN s.v${k} END`,
    )
    .join(', ');
  const hashes = hashClasses.map((ids, k) => (ids.length ? `hash(s.v${k})` : 'NULL::UBIGINT')).join(', ');
  const parts = hashClasses.flatMap((ids, k) =>
    ids.length
      ? [
          `SELECT DISTINCT hash(s.v${k}) AS h, s.v${k} AS v FROM all_spans s
            WHERE ${classIn(ids, known)} AND $TRACES`,
        ]
      : [],
  );
  return {
    select:
      's.trace_no, s.seq, s.span_id, s.parent_seq, s.parent_span_id, s.class_id, s.start_off, s.duration_ns, ' +
      `s.status_msg, s.trace_state, ${values}, ${more ? 's.attr_more' : 'NULL::VARCHAR'}, ` +
      // A superset of the spans whose events hold an event named "exception" or "error" (the failure signals).
      `CASE WHEN contains(s.events, 'exception') OR contains(s.events, 'error') THEN s.events END, ${hashes}`,
    distinct: parts.length
      ? (traceFilter) => `SELECT DISTINCT h, v FROM (${parts.join('\nUNION ALL\n')})`.replaceAll('$TRACES', traceFilter)
      : undefined,
  };
}

/** What every span of one class shares, resolved to output codes once. */
interface ClassInfo {
  readonly service: number;
  readonly operation: number;
  readonly resource: number;
  readonly scope: number;
  readonly host: number;
  readonly version: number;
  readonly kind: number;
  readonly status: number;
  readonly ref: number;
  /** Per attribute of the shape: output key code, -1 when the attribute is not kept in the list. */
  readonly key: Int32Array;
  readonly type: Uint8Array;
  readonly loc: Int8Array;
  /** Per attribute: id of its (key, type) for values repeated within a trace. */
  readonly track: Int32Array;
  /** Per attribute: {@link ShapePlan.slot} and {@link ShapePlan.priority}. */
  readonly slot: Int8Array;
  readonly priority: Int8Array;
  /** Per attribute: {@link ShapePlan.wins}. */
  readonly wins: Uint8Array;
  /** Per attribute: {@link ShapePlan.need}. */
  readonly need: Uint8Array;
}

/**
 * Dictionary codes by the engine's 64-bit hash and byte length of a value: a value seen before is coded without
 * fetching its text (one native call per text longer than 12 bytes otherwise). Open addressing over typed arrays.
 */
class CodesByHash {
  #lo = new Int32Array(1024);
  #hi = new Int32Array(1024);
  #len = new Int32Array(1024);
  #code = new Int32Array(1024).fill(-1);
  #used = 0;

  /** The code stored for (lo, hi, len), or -1. */
  get(lo: number, hi: number, len: number): number {
    const mask = this.#code.length - 1;
    for (let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask; ; i = (i + 1) & mask) {
      const c = this.#code[i]!;
      if (c < 0) return -1;
      if (this.#lo[i] === lo && this.#hi[i] === hi && this.#len[i] === len) return c;
    }
  }

  set(lo: number, hi: number, len: number, code: number): void {
    if ((this.#used + 1) * 2 > this.#code.length) this.#grow();
    const mask = this.#code.length - 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (this.#code[i]! >= 0) i = (i + 1) & mask;
    this.#lo[i] = lo;
    this.#hi[i] = hi;
    this.#len[i] = len;
    this.#code[i] = code;
    this.#used++;
  }

  #grow(): void {
    const [lo, hi, len, code] = [this.#lo, this.#hi, this.#len, this.#code];
    const size = code.length * 2;
    this.#lo = new Int32Array(size);
    this.#hi = new Int32Array(size);
    this.#len = new Int32Array(size);
    this.#code = new Int32Array(size).fill(-1);
    this.#used = 0;
    for (let i = 0; i < code.length; i++) if (code[i]! >= 0) this.set(lo[i]!, hi[i]!, len[i]!, code[i]!);
  }
}

/** Prefix of the placeholder value a hash-coded text holds until its text is read (no real value starts with NUL). */
const PLACEHOLDER = '\u0000#';

/**
 * The values of a dictionary with each placeholder replaced by its text, or undefined when it has none. A text that
 * is now in the dictionary twice keeps its first code: later codes are renumbered and `codes` rewritten in place.
 */
function resolvePlaceholders(
  values: readonly string[],
  texts: ReadonlyMap<string, string>,
  codes: Int32Array | undefined,
): string[] | undefined {
  if (!values.some((v) => v.startsWith(PLACEHOLDER))) return undefined;
  const out: string[] = [];
  const first = new Map<string, number>();
  const remap = new Int32Array(values.length);
  let moved = false;
  values.forEach((v, code) => {
    let text = v;
    if (v.startsWith(PLACEHOLDER)) {
      const t = texts.get(v);
      if (t === undefined) throw new CorruptRowError(`no text for a hashed value`);
      text = t;
    }
    const at = first.get(text);
    if (at !== undefined) {
      remap[code] = at;
      moved = true;
      return;
    }
    first.set(text, out.length);
    remap[code] = out.length;
    if (out.length !== code) moved = true;
    out.push(text);
  });
  if (moved && codes) for (let i = 0; i < codes.length; i++) codes[i] = remap[codes[i]!]!;
  return out;
}

/**
 * Thrown by {@link readAnalysisSpans} with `checkOrder` when the rows do not arrive in (trace number, seq) order:
 * the caller reads again with an ORDER BY.
 */
export class OutOfOrderError extends Error {}

/**
 * The selected traces, read apart from the spans (which then need no join): per trace its id words and base time,
 * and per trace number from `first` on its index (-1: not selected, its rows are skipped).
 */
export interface SelectedTraces {
  /** The smallest selected trace number. */
  readonly first: number;
  /** Index of trace number `first + i` at `i`, -1 when not selected. */
  readonly indexByNo: Int32Array;
  /** trace_hi, trace_lo and base per trace index, as the store's BIGINTs. */
  readonly hi: BigInt64Array;
  readonly lo: BigInt64Array;
  readonly base: BigInt64Array;
}

interface StoredEvent {
  timeUnixNano: string;
  name: string;
  attributes?: [string, number, string][];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function growBytes(a: Uint8Array, need: number): Uint8Array {
  let size = a.length * 2;
  while (size < need) size *= 2;
  const g = new Uint8Array(size);
  g.set(a);
  return g;
}

function growI32(a: Int32Array, need: number, fill = 0): Int32Array {
  let size = a.length * 2;
  while (size < need) size *= 2;
  const g = new Int32Array(size);
  if (fill !== 0) g.fill(fill, a.length);
  g.set(a);
  return g;
}

/**
 * Reads a query result whose columns are `trace_hi, trace_lo, base` then {@link analysisColumns}' select list,
 * ordered by trace number then `seq` (with `checkOrder`: unordered, throwing {@link OutOfOrderError} as soon as a
 * row is out of that order; with `traces`: the first three columns are placeholders, the rows of traces not in
 * `traces` are skipped), into a span table with every column the analyzers read exactly as
 * `readSpans` builds it; `events` only on the rows whose events name an exception or error, `links` empty.
 * `distinctValues` runs {@link AnalysisColumns.distinct} once the rows are read.
 *
 * **Details** A value coded by hash gets a placeholder code at its first sight (so that codes keep the builder's
 * first-seen order), its text from `distinctValues`; a text that also arrived another way (an exception event,
 * `attr_more`) keeps its first code and the codes are renumbered. Distinct values whose 64-bit hashes collide are
 * reported as a corrupt read (odds about 10^-9 for 10^5 distinct values), never merged silently.
 *
 * **Complexity** O(rows + kept attribute bytes + distinct derived values); no object per span.
 */
export async function readAnalysisSpans(
  result: DuckDBResult,
  dicts: Dictionaries,
  expectedRows: number,
  distinctValues: () => Promise<readonly (readonly [bigint, string])[]>,
  wanted: Uint8Array,
  checkOrder = false,
  traces?: SelectedTraces,
): Promise<SpanTable> {
  let cap = Math.max(16, expectedRows);
  let traceId: Uint8Array = new Uint8Array(cap * 16);
  let spanId: Uint8Array = new Uint8Array(cap * 8);
  let parentId: Uint8Array = new Uint8Array(cap * 8);
  let parentRef: Uint8Array = new Uint8Array(cap);
  let kind: Uint8Array = new Uint8Array(cap);
  let status: Uint8Array = new Uint8Array(cap);
  let startW: Int32Array = new Int32Array(cap * 2);
  let durW: Int32Array = new Int32Array(cap * 2);
  let http: Int16Array = new Int16Array(cap);
  let rpc: Int16Array = new Int16Array(cap).fill(-1);
  // Codes per dictionary column; a column no span has a value in is never allocated (one shared zero array at the end).
  const ALWAYS = [D_SERVICE, D_OPERATION, D_RESOURCE, D_SCOPE, D_HOST, D_SERVICE_VERSION];
  let codes: (Int32Array | undefined)[] = DICTIONARY_COLUMNS.map((_, d) =>
    ALWAYS.includes(d) ? new Int32Array(cap) : undefined,
  );
  const codesOf = (d: number): Int32Array => {
    let c = codes[d];
    if (!c) c = codes[d] = new Int32Array(cap);
    return c;
  };
  let attrOffsets: Int32Array = new Int32Array(cap + 1);
  let eventsOffsets: Int32Array = new Int32Array(cap + 1);
  // Attribute entries are few (only the kept keys): start small, grow by doubling.
  let attrCap = 1024;
  let attrKey: Int32Array = new Int32Array(attrCap);
  let attrType: Uint8Array = new Uint8Array(attrCap);
  let attrVal: Int32Array = new Int32Array(attrCap + 1);
  let attrBytes: Uint8Array = new Uint8Array(1 << 16);
  let nBytes = 0;
  let nAttr = 0;
  let eventsBytes: Uint8Array = new Uint8Array(1 << 12);
  let nEvents = 0;
  let n = 0;

  const ensure = (): void => {
    if (n < cap) return;
    const c2 = cap * 2;
    const g8 = (a: Uint8Array, w: number) => {
      const b = new Uint8Array(c2 * w);
      b.set(a);
      return b;
    };
    const g32 = (a: Int32Array, w: number) => {
      const b = new Int32Array(c2 * w);
      b.set(a);
      return b;
    };
    traceId = g8(traceId, 16);
    spanId = g8(spanId, 8);
    parentId = g8(parentId, 8);
    parentRef = g8(parentRef, 1);
    kind = g8(kind, 1);
    status = g8(status, 1);
    startW = g32(startW, 2);
    durW = g32(durW, 2);
    const h = new Int16Array(c2);
    h.set(http);
    http = h;
    const r = new Int16Array(c2).fill(-1);
    r.set(rpc);
    rpc = r;
    codes = codes.map((c) => c && g32(c, 1));
    const ao = new Int32Array(c2 + 1);
    ao.set(attrOffsets);
    attrOffsets = ao;
    const eo = new Int32Array(c2 + 1);
    eo.set(eventsOffsets);
    eventsOffsets = eo;
    cap = c2;
  };

  const out: StringDictionary[] = DICTIONARY_COLUMNS.map(() => {
    const d = new StringDictionary();
    d.intern('');
    return d;
  });
  const keys = new StringDictionary();
  const byHash = DICTIONARY_COLUMNS.map(() => new CodesByHash());
  let placeholders = 0;
  const trackIds = new Map<string, number>();
  const classes: (ClassInfo | undefined)[] = [];
  const stringCode = new Map<number, Int32Array>();
  const storeStringCode = (dict: number, id: number): number => {
    let m = stringCode.get(dict);
    if (!m) {
      m = new Int32Array(dicts.strings.values.length).fill(-1);
      stringCode.set(dict, m);
    }
    if (id >= m.length) {
      const g = new Int32Array(Math.max(id + 1, m.length * 2)).fill(-1);
      g.set(m);
      m = g;
      stringCode.set(dict, m);
    }
    let c = m[id]!;
    if (c < 0) c = m[id] = out[dict]!.intern(dicts.strings.values[id] ?? '');
    return c;
  };

  const classInfo = (id: number): ClassInfo => {
    let k = classes[id];
    if (k) return k;
    const cls = dicts.classOf(id);
    // Resource columns exactly as SpanTableBuilder.setResource derives them.
    const attrs = dicts.resource(cls.resourceId);
    let service = 'unknown_service';
    let host = '';
    let hostRank = HOST_RESOURCE_KEYS.length;
    let version = '';
    for (const [key, , v] of attrs) {
      if (key === 'service.name' && v !== '') service = v;
      else if (key === 'service.version') version = v;
      else {
        const rank = HOST_RESOURCE_KEYS.indexOf(key);
        if (rank >= 0 && rank < hostRank && v !== '') {
          host = v;
          hostRank = rank;
        }
      }
    }
    // Dictionary codes in SpanTableBuilder's order (resource, its service, host and version, then the scope, the
    // span's own service and operation), so that code order, not only the strings, matches the full read.
    const resource = out[D_RESOURCE]!.intern(attrs.length === 0 ? '' : JSON.stringify(attrs));
    let serviceCode = out[D_SERVICE]!.intern(service);
    const hostCode = wanted[D_HOST] === 1 ? out[D_HOST]!.intern(host) : 0;
    const versionCode = wanted[D_SERVICE_VERSION] === 1 ? out[D_SERVICE_VERSION]!.intern(version) : 0;
    const opService = dicts.services.values[dicts.opService[cls.opId]!]!;
    const scope = dicts.scope(cls.scopeId);
    const scopeJson =
      scope.name === '' && scope.version === '' && scope.attributes.length === 0
        ? ''
        : JSON.stringify(
            scope.attributes.length
              ? { name: scope.name, version: scope.version, attributes: scope.attributes }
              : { name: scope.name, version: scope.version },
          );
    const shape = dicts.shape(cls.shapeId);
    const plan = shapePlans(dicts, wanted)[cls.shapeId]!;
    const m = shape.keys.length;
    const key = new Int32Array(m);
    const track = new Int32Array(m);
    for (let a = 0; a < m; a++) {
      const name = shape.keys[a]!;
      key[a] = plan.keep[a] === 1 ? keys.intern(name) : -1;
      const tk = `${shape.types[a]}:${name}`;
      let t = trackIds.get(tk);
      if (t === undefined) trackIds.set(tk, (t = trackIds.size));
      track[a] = t;
    }
    const scopeCode = out[D_SCOPE]!.intern(scopeJson);
    if (opService !== '') serviceCode = out[D_SERVICE]!.intern(opService);
    k = {
      service: serviceCode,
      operation: out[D_OPERATION]!.intern(dicts.opName[cls.opId]!),
      resource,
      scope: scopeCode,
      host: hostCode,
      version: versionCode,
      kind: cls.flags & 7,
      status: (cls.flags >> 3) & 3,
      ref: cls.flags >> 5,
      key,
      type: shape.types,
      loc: shape.locs,
      track,
      slot: plan.slot,
      priority: plan.priority,
      wins: plan.wins,
      need: plan.need,
    };
    classes[id] = k;
    return k;
  };

  // Per (key, type) in the current trace: where the last value's bytes are in attrBytes, and its derived value.
  let trStamp: Int32Array = new Int32Array(64);
  let trOff: Int32Array = new Int32Array(64);
  let trLen: Int32Array = new Int32Array(64);
  let trDerived: Int32Array = new Int32Array(64);
  // Per derived slot in the current span: priority of the value set (stamped with the span's row).
  const slotStamp = new Int32Array(NUM_SLOTS).fill(-1);
  const slotPri = new Int8Array(NUM_SLOTS);
  // seq → output row in the current trace, stamped with the trace serial.
  let seqRow: Int32Array = new Int32Array(1024);
  let seqStamp: Int32Array = new Int32Array(1024);
  // Rows of the current trace whose parent is a seq: (row, parent seq) pairs.
  let pending: Int32Array = new Int32Array(256);
  let nPending = 0;
  let serial = 0;
  let traceNo = -1;
  let nextSeq = 0;

  const finishTrace = (): void => {
    for (let p = 0; p < nPending; p += 2) {
      const row = pending[p]!;
      const ps = pending[p + 1]!;
      if (ps >= seqStamp.length || seqStamp[ps] !== serial) {
        // Unordered, a parent with a later seq may only be missing because the trace is split.
        if (checkOrder) throw new OutOfOrderError(`parent of span row ${row}`);
        throw new CorruptRowError(`parent of span row ${row}`);
      }
      const from = seqRow[ps]! * 8;
      let nz = 0;
      for (let b = 0; b < 8; b++) nz |= parentId[row * 8 + b] = spanId[from + b]!;
      if (nz === 0) parentRef[row] = 0;
    }
    nPending = 0;
  };

  let textBuf: Uint8Array = attrBytes;
  let textStart = 0;
  let textEnd = 0;
  const text = (ch: Chunk, row: number, col: number): boolean => {
    if (!isValid(ch.valid[col], row)) return false;
    const data = ch.data[col]!;
    const off = row * 16;
    const len = (data[off]! | (data[off + 1]! << 8) | (data[off + 2]! << 16) | (data[off + 3]! << 24)) >>> 0;
    if (len <= 12) {
      textBuf = data;
      textStart = off + 4;
    } else {
      textBuf = bindings.get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + off + 8, len);
      textStart = 0;
    }
    textEnd = textStart + len;
    return true;
  };

  /** The derived value of text bytes for a slot: a dictionary code, or the status number (-1 when not one). */
  const deriveValue = (slot: number, buf: Uint8Array, a: number, b: number): number => {
    if (slot < NUM_DICTS) return out[slot]!.internUtf8(buf, a, b);
    let v = 0;
    let digits = b > a && b - a <= 5;
    for (let i = a; digits && i < b; i++) {
      const d = buf[i]! - 0x30;
      if (d < 0 || d > 9) digits = false;
      else v = v * 10 + d;
    }
    // Anything but plain digits goes through Number(), as SpanTableBuilder does (" 200", "2e2", "0x1f", "").
    if (!digits) v = Number(decoder.decode(buf.subarray(a, b)));
    return Number.isInteger(v) && v >= 0 && v <= 32767 ? v : -1;
  };

  const applyDerived = (row: number, slot: number, priority: number, value: number): void => {
    const current = slotStamp[slot] === row ? slotPri[slot]! : 0;
    if (priority <= current) return;
    if (slot < NUM_DICTS) {
      if (value !== 0 || codes[slot]) codesOf(slot)[row] = value;
    } else if (value < 0) return;
    else if (slot === SLOT_HTTP) http[row] = value;
    else rpc[row] = value;
    slotStamp[slot] = row;
    slotPri[slot] = priority;
  };

  const pushAttr = (keyCode: number, type: number, buf: Uint8Array, a: number, b: number): void => {
    if (nAttr + 1 >= attrCap) {
      attrCap *= 2;
      attrKey = growI32(attrKey, attrCap);
      const t = new Uint8Array(attrCap);
      t.set(attrType);
      attrType = t;
      attrVal = growI32(attrVal, attrCap + 1);
    }
    const len = b - a;
    if (nBytes + len > attrBytes.length) attrBytes = growBytes(attrBytes, nBytes + len);
    if (len <= 16) for (let i = 0; i < len; i++) attrBytes[nBytes + i] = buf[a + i]!;
    else attrBytes.set(buf.subarray(a, b), nBytes);
    attrKey[nAttr] = keyCode;
    attrType[nAttr] = type;
    nBytes += len;
    nAttr++;
    attrVal[nAttr] = nBytes;
  };

  // Values read only to derive them later (a repeat in a later span may fill the column): bytes kept per trace.
  let side: Uint8Array = new Uint8Array(1 << 12);
  let sideUsed = 0;
  let trSide: Uint8Array = new Uint8Array(64);
  const track = (t: number, off: number, len: number, derived: number, inSide: number): void => {
    if (t >= trStamp.length) {
      trStamp = growI32(trStamp, t + 1);
      trOff = growI32(trOff, t + 1);
      trLen = growI32(trLen, t + 1);
      trDerived = growI32(trDerived, t + 1);
      const g = new Uint8Array(trStamp.length);
      g.set(trSide);
      trSide = g;
    }
    trStamp[t] = serial;
    trOff[t] = off;
    trLen[t] = len;
    trDerived[t] = derived;
    trSide[t] = inSide;
  };
  /** The derived value of tracked (key, type) `t`, computed from its bytes the first time it is asked for. */
  const trackedDerived = (t: number, slot: number): number => {
    let d = trDerived[t]!;
    if (d === NOT_DERIVED) {
      const off = trOff[t]!;
      d = trDerived[t] = deriveValue(slot, trSide[t] === 1 ? side : attrBytes, off, off + trLen[t]!);
    }
    return d;
  };

  const wantType = wanted[D_ERROR_TYPE] === 1;
  const wantMessage = wanted[D_EXCEPTION_MESSAGE] === 1;
  const appendEvents = (row: number, json: string): void => {
    const items: string[] = [];
    let typeSet = slotStamp[D_ERROR_TYPE] === row ? slotPri[D_ERROR_TYPE]! : 0;
    let messageSet = slotStamp[D_EXCEPTION_MESSAGE] === row ? slotPri[D_EXCEPTION_MESSAGE]! : 0;
    for (const e of JSON.parse(json) as StoredEvent[]) {
      const attributes = e.attributes ?? [];
      items.push(JSON.stringify({ timeUnixNano: BigInt(e.timeUnixNano).toString(), name: e.name, attributes }));
      if (e.name !== 'exception') continue;
      for (const [k, , v] of attributes) {
        if (k === 'exception.type' && typeSet < 3 && wantType) {
          codesOf(D_ERROR_TYPE)[row] = out[D_ERROR_TYPE]!.intern(v);
          typeSet = 3;
        } else if (k === 'exception.message' && messageSet < 1 && wantMessage) {
          codesOf(D_EXCEPTION_MESSAGE)[row] = out[D_EXCEPTION_MESSAGE]!.intern(v);
          messageSet = 1;
        }
      }
    }
    if (items.length === 0) return;
    const textOut = `[${items.join(',')}]`;
    if (nEvents + textOut.length * 3 > eventsBytes.length)
      eventsBytes = growBytes(eventsBytes, nEvents + textOut.length * 3);
    nEvents += encoder.encodeInto(textOut, eventsBytes.subarray(nEvents)).written;
  };

  const asBytes = (a: BigInt64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const traceHi = traces && asBytes(traces.hi);
  const traceLo = traces && asBytes(traces.lo);
  const traceBase = traces && asBytes(traces.base);

  const services0 = out[D_SERVICE]!;
  services0.intern('unknown_service');

  for (;;) {
    const raw = await bindings.fetch_chunk((result as unknown as { result: never }).result);
    if (!raw) break;
    const rows = bindings.data_chunk_get_size(raw);
    if (rows === 0) break;
    const ch = chunkOf(raw, rows, WIDTH);
    const nos = ch.i32[NO]!;
    const seqs = ch.i32[SEQ]!;
    const classCol = ch.i32[CLASS]!;
    const parentSeqs = ch.i32[PARENT_SEQ]!;
    const msgs = ch.i32[STATUS_MSG]!;
    const states = ch.i32[TRACE_STATE]!;
    // Without a join the three trace columns of the select list are placeholders: the values come from `traces`.
    const hiD = traces ? traceHi! : ch.data[HI]!;
    const loD = traces ? traceLo! : ch.data[LO]!;
    const baseD = traces ? traceBase! : ch.data[BASE]!;
    const idD = ch.data[SPAN_ID]!;
    const pidD = ch.data[PARENT_ID]!;
    const offD = ch.data[START_OFF]!;
    const durD = ch.data[DURATION]!;
    const baseV = new Int32Array(baseD.buffer, baseD.byteOffset, baseD.byteLength >> 2);
    const offV = new Int32Array(offD.buffer, offD.byteOffset, rows * 2);
    const durV = new Int32Array(durD.buffer, durD.byteOffset, rows * 2);
    const eventsValid = ch.valid[EVENTS];
    for (let r = 0; r < rows; r++) {
      const no = nos[r]!;
      // Position of the row's trace values: the row itself, or the trace's index in `traces`.
      let x = r;
      if (traces) {
        const i = no - traces.first;
        x = i >= 0 && i < traces.indexByNo.length ? traces.indexByNo[i]! : -1;
        if (x < 0) continue;
      }
      if (no !== traceNo) {
        // Unordered rows are accepted only when each trace arrives whole, in seq order 0, 1, ..., and by ascending
        // trace number: exactly the ORDER BY trace_no, seq order (seq is dense per trace).
        if (checkOrder && no < traceNo) throw new OutOfOrderError(`trace ${no} after ${traceNo}`);
        nextSeq = 0;
        finishTrace();
        serial++;
        sideUsed = 0;
        traceNo = no;
      }
      ensure();
      const row = n;
      // Ids: the store's BIGINTs are the big-endian id bytes read as little-endian int64s.
      const t16 = row * 16;
      const r8 = r * 8;
      const x8 = x * 8;
      for (let b = 0; b < 8; b++) {
        traceId[t16 + b] = hiD[x8 + 7 - b]!;
        traceId[t16 + 8 + b] = loD[x8 + 7 - b]!;
      }
      let nz = 0;
      for (let b = 0; b < 8; b++) nz |= spanId[row * 8 + b] = idD[r8 + 7 - b]!;
      if (nz === 0) throw new CorruptRowError(`span id of row ${row}`);
      const seq = seqs[r]!;
      if (checkOrder && seq !== nextSeq++) throw new OutOfOrderError(`seq ${seq} of trace ${no}`);
      if (seq >= 0) {
        if (seq >= seqRow.length) {
          seqRow = growI32(seqRow, seq + 1);
          seqStamp = growI32(seqStamp, seq + 1);
        }
        seqRow[seq] = row;
        seqStamp[seq] = serial;
      }
      const k = classInfo(classCol[r]!);
      kind[row] = k.kind;
      status[row] = k.status;
      // Rows are written once, in order, into zero-filled arrays: only non-default values are stored.
      if (k.ref !== 0) {
        parentRef[row] = k.ref;
        const ps = parentSeqs[r]!;
        if (ps >= 0) {
          if (nPending + 2 > pending.length) pending = growI32(pending, nPending + 2);
          pending[nPending++] = row;
          pending[nPending++] = ps;
        } else {
          if (!isValid(ch.valid[PARENT_ID], r)) throw new CorruptRowError(`parent of span row ${row}`);
          let pz = 0;
          for (let b = 0; b < 8; b++) pz |= parentId[row * 8 + b] = pidD[r8 + 7 - b]!;
          if (pz === 0) parentRef[row] = 0;
        }
      }
      // start = base + start_off, on 32-bit words (no BigInt).
      const bLo = baseV[2 * x]! >>> 0;
      const oLo = offV[2 * r]! >>> 0;
      let sLo = bLo + oLo;
      let sHi = baseV[2 * x + 1]! + offV[2 * r + 1]!;
      if (sLo > 0xffffffff) {
        sLo -= 0x100000000;
        sHi += 1;
      }
      const dHi = durV[2 * r + 1]!;
      if ((sLo | sHi) === 0 || dHi < 0) throw new CorruptRowError(`times of span row ${row}`);
      startW[2 * row] = sLo | 0;
      startW[2 * row + 1] = sHi | 0;
      durW[2 * row] = durV[2 * r]!;
      durW[2 * row + 1] = dHi;
      codes[D_SERVICE]![row] = k.service;
      codes[D_OPERATION]![row] = k.operation;
      codes[D_RESOURCE]![row] = k.resource;
      codes[D_SCOPE]![row] = k.scope;
      codes[D_HOST]![row] = k.host;
      codes[D_SERVICE_VERSION]![row] = k.version;
      const msg = msgs[r]!;
      if (msg !== 0) codesOf(D_STATUS_MESSAGE)[row] = storeStringCode(D_STATUS_MESSAGE, msg);
      const state = states[r]!;
      if (state !== 0) codesOf(D_TRACE_STATE)[row] = storeStringCode(D_TRACE_STATE, state);

      attrOffsets[row] = nAttr;
      const m = k.key.length;
      let more: string[] | undefined;
      let nextMore = 0;
      for (let a = 0; a < m; a++) {
        const loc = k.loc[a]!;
        if (k.need[a] === 0) {
          if (loc === LOC_MORE) nextMore++;
          continue;
        }
        const keyCode = k.key[a]!;
        const slot = k.slot[a]!;
        const wins = k.wins[a] === 1;
        const t = k.track[a]!;
        if (loc === LOC_REPEAT) {
          if (t >= trStamp.length || trStamp[t] !== serial)
            throw new CorruptRowError(`attribute ${a} of span row ${row}`);
          if (keyCode >= 0) {
            const off = trOff[t]!;
            pushAttr(keyCode, k.type[a]!, attrBytes, off, off + trLen[t]!);
          }
          if (wins) applyDerived(row, slot, k.priority[a]!, trackedDerived(t, slot));
          continue;
        }
        if (wins && keyCode < 0 && loc >= 0 && slot < NUM_DICTS) {
          // A derived text value: coded by its hash, its text fetched only the first time.
          const hd = ch.data[H0 + loc]!;
          const h = r * 8;
          const lo = hd[h]! | (hd[h + 1]! << 8) | (hd[h + 2]! << 16) | (hd[h + 3]! << 24);
          const hi = hd[h + 4]! | (hd[h + 5]! << 8) | (hd[h + 6]! << 16) | (hd[h + 7]! << 24);
          const table = byHash[slot]!;
          let derived = table.get(lo, hi, 0);
          if (derived < 0) {
            derived = out[slot]!.intern(`${PLACEHOLDER}${lo},${hi}`);
            table.set(lo, hi, 0, derived);
            placeholders++;
          }
          applyDerived(row, slot, k.priority[a]!, derived);
          track(t, -1, 0, derived, 0);
          continue;
        }
        let buf: Uint8Array;
        let s0: number;
        let s1: number;
        if (loc >= 0) {
          if (!text(ch, r, V0 + loc)) throw new CorruptRowError(`attribute ${a} of span row ${row}`);
          buf = textBuf;
          s0 = textStart;
          s1 = textEnd;
        } else {
          if (more === undefined) {
            more = text(ch, r, MORE)
              ? (JSON.parse(decoder.decode(textBuf.subarray(textStart, textEnd))) as string[])
              : [];
          }
          const value = more[nextMore++];
          if (value === undefined || value === null) throw new CorruptRowError(`attribute ${a} of span row ${row}`);
          buf = encoder.encode(value);
          s0 = 0;
          s1 = buf.length;
        }
        let at = -1;
        let inSide = 0;
        if (keyCode >= 0) {
          at = nBytes;
          pushAttr(keyCode, k.type[a]!, buf, s0, s1);
        }
        let derived = NOT_DERIVED;
        if (wins) {
          derived = deriveValue(slot, buf, s0, s1);
          applyDerived(row, slot, k.priority[a]!, derived);
        } else if (keyCode < 0) {
          if (sideUsed + s1 - s0 > side.length) side = growBytes(side, sideUsed + s1 - s0);
          side.set(buf.subarray(s0, s1), sideUsed);
          at = sideUsed;
          sideUsed += s1 - s0;
          inSide = 1;
        }
        track(t, at, s1 - s0, derived, inSide);
      }
      attrOffsets[row + 1] = nAttr;
      if (isValid(eventsValid, r)) {
        text(ch, r, EVENTS);
        appendEvents(row, decoder.decode(textBuf.subarray(textStart, textEnd)));
      }
      eventsOffsets[row + 1] = nEvents;
      n++;
    }
  }
  finishTrace();

  const values: (readonly string[])[] = out.map((d) => d.values);
  if (placeholders > 0) {
    const texts = new Map<string, string>();
    for (const [h, v] of await distinctValues()) {
      const key = `${PLACEHOLDER}${Number(BigInt.asIntN(32, h))},${Number(BigInt.asIntN(32, h >> 32n))}`;
      const known = texts.get(key);
      if (known !== undefined && known !== v) throw new CorruptRowError(`two values with hash ${h}`);
      texts.set(key, v);
    }
    for (let d = 0; d < NUM_DICTS; d++) {
      const fixed = resolvePlaceholders(out[d]!.values, texts, codes[d]);
      if (fixed) values[d] = fixed;
    }
  }
  const dictCols: Partial<Record<DictionaryColumnName, { codes: Int32Array; values: readonly string[] }>> = {};
  let zeros: Int32Array | undefined;
  DICTIONARY_COLUMNS.forEach((name, d) => {
    dictCols[name] = { codes: codes[d] ?? (zeros ??= new Int32Array(n)), values: values[d]! };
  });
  return spanTableFromColumns({
    length: n,
    traceId,
    spanId,
    parentSpanId: parentId,
    parentRefType: parentRef,
    kind,
    statusCode: status,
    startUnixNano: new BigInt64Array(startW.buffer, 0, n),
    durationNano: new BigInt64Array(durW.buffer, 0, n),
    httpStatusCode: http,
    rpcStatusCode: rpc,
    dicts: dictCols,
    attributes: {
      offsets: attrOffsets,
      key: attrKey,
      keys: keys.values,
      type: attrType,
      values: { offsets: attrVal, bytes: attrBytes },
    },
    events: { offsets: eventsOffsets, bytes: eventsBytes },
  });
}
