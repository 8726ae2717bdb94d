// SpanTableBuilder: appends spans column by column into growable typed arrays, then emits one Arrow batch.
//
// Decoders drive it field by field (no per-span object); strings are interned into dictionary codes as they arrive.
import {
  FixedSizeBinary,
  Int16,
  Int64,
  type List,
  makeData,
  RecordBatch,
  Struct,
  Table,
  Uint8,
  Utf8,
} from 'apache-arrow';
import { bytesToHex, parseIdInto, writeHexId } from './ids.ts';
import { HOST_KEYS, NUMERIC_KEYS, STRING_KEYS } from './internal/semconv.ts';
import { dictionaryData, utf8Vectors } from './internal/utf8-vector.ts';
import {
  type AttributeTriple,
  type AttributeType,
  attributeStructType,
  DICTIONARY_COLUMNS,
  type DictionaryColumnName,
  type ParentRefType,
  type SpanKind,
  type StatusCode,
  spanSchema,
} from './schema.ts';
import { type SpanTable, utf8At, wrapArrowTable } from './span-table.ts';
import { StringDictionary } from './string-dictionary.ts';

/** Why a span was not added: the span is counted under this reason and the rest of the input is kept. */
export type SpanRejectReason =
  | 'missing trace id'
  | 'invalid trace id'
  | 'missing span id'
  | 'invalid span id'
  | 'invalid parent span id'
  | 'missing start time'
  | 'end before start';

const DICT_INDEX: Readonly<Record<DictionaryColumnName, number>> = Object.fromEntries(
  DICTIONARY_COLUMNS.map((n, i) => [n, i]),
) as Record<DictionaryColumnName, number>;

const SERVICE = DICT_INDEX.service;
const OPERATION = DICT_INDEX.operation;
const STATUS_MESSAGE = DICT_INDEX.statusMessage;
const TRACE_STATE = DICT_INDEX.traceState;
const RESOURCE = DICT_INDEX.resource;
const SCOPE = DICT_INDEX.scope;
const ERROR_TYPE = DICT_INDEX.errorType;
const EXCEPTION_MESSAGE = DICT_INDEX.exceptionMessage;
const HOST = DICT_INDEX.host;
const SERVICE_VERSION = DICT_INDEX.serviceVersion;
const NUM_DICTS = DICTIONARY_COLUMNS.length;
// Derived slots: one per dictionary column (string slots) plus two numeric slots at the end.
const SLOT_HTTP_STATUS = NUM_DICTS;
const SLOT_RPC_STATUS = NUM_DICTS + 1;
const NUM_SLOTS = NUM_DICTS + 2;

const encoder = new TextEncoder();
const NO_ATTRIBUTES: readonly AttributeTriple[] = [];
const decoder = new TextDecoder();

/** A span event as accepted by {@link SpanTableBuilder.addEvent} and returned by `spanEvents`. */
export interface SpanEventInput {
  /** Event time, nanoseconds since the epoch (exact). */
  readonly timeUnixNano: bigint;
  /** Event name, e.g. 'exception'. */
  readonly name: string;
  /** Event attributes. */
  readonly attributes?: readonly AttributeTriple[];
}

/** A span link as accepted by {@link SpanTableBuilder.addLink}. */
export interface SpanLinkInput {
  /** Linked trace id (hex or base64). */
  readonly traceId: string;
  /** Linked span id (hex or base64). */
  readonly spanId: string;
  /** W3C trace state of the link. */
  readonly traceState?: string;
  /** Link attributes. */
  readonly attributes?: readonly AttributeTriple[];
}

/** Options of {@link SpanTableBuilder}. */
export interface SpanTableBuilderOptions {
  /** Initial span capacity (grows by doubling). Default 1024. */
  readonly initialCapacity?: number;
}

function grow<T extends Uint8Array | Int16Array | Int32Array | BigInt64Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a as never);
  return b;
}

/**
 * Builds a {@link SpanTable} span by span without creating a JS object per span.
 *
 * **Details**
 * - Set the resource (`setResource`) and scope (`setScope`) once for the spans that follow; then per span:
 *   `beginSpan()`, the setters, `addAttribute(...)`, and `commitSpan()`, which returns a {@link SpanRejectReason}
 *   (and rolls the span back) when the span lacks a valid trace id, span id or start time.
 * - Service comes from the resource's `service.name` unless `setService` overrides it.
 * - Semantic-convention attributes (HTTP, RPC, DB, messaging, peer, error) also fill the derived columns; the
 *   attribute itself is always kept.
 *
 * **Complexity** Amortised O(1) per field; strings are interned once.
 *
 * **Gotchas** One builder makes one table: after `finish()` it must not be used again.
 *
 * @example
 * ```ts
 * const b = new SpanTableBuilder();
 * b.setResource([['service.name', AttributeType.String, 'cart']]);
 * b.beginSpan();
 * b.setTraceIdHex('4bf92f3577b34da6a3ce929d0e0e4736');
 * b.setSpanIdHex('00f067aa0ba902b7');
 * b.setOperation('GET /cart');
 * b.setStartEndUnixNano(1_700_000_000_000_000_000n, 1_700_000_000_005_000_000n);
 * b.addAttribute('http.response.status_code', AttributeType.Int, '200');
 * b.commitSpan(); // undefined: accepted
 * const table = b.finish();
 * ```
 */
export class SpanTableBuilder {
  private cap: number;
  private n = 0;
  private row = -1;
  private traceId: Uint8Array;
  private spanId: Uint8Array;
  private parentId: Uint8Array;
  private parentRef: Uint8Array;
  private kind: Uint8Array;
  private status: Uint8Array;
  private start: BigInt64Array;
  private duration: BigInt64Array;
  private startWords: Uint32Array;
  private durationWords: Int32Array;
  private httpStatus: Int16Array;
  private rpcStatus: Int16Array;
  private codes: Int32Array[];
  private readonly dicts: StringDictionary[];
  private attrOffsets: Int32Array;
  private attrCap = 4096;
  private nAttr = 0;
  private attrKey = new Int32Array(4096);
  private attrType = new Uint8Array(4096);
  private attrValOffsets = new Int32Array(4097);
  private attrBytes = new Uint8Array(65536);
  private nAttrBytes = 0;
  private readonly keys = new StringDictionary();
  private keySlot = new Int16Array(256).fill(-2);
  private keyPriority = new Int8Array(256);
  private readonly slotPriority = new Int8Array(NUM_SLOTS);
  private eventsOffsets: Int32Array;
  private eventsBytes = new Uint8Array(4096);
  private nEventsBytes = 0;
  private linksOffsets: Int32Array;
  private linksBytes = new Uint8Array(1024);
  private nLinksBytes = 0;
  private pendingEvents: string[] = [];
  private pendingLinks: string[] = [];
  private hasTrace = false;
  private hasSpan = false;
  private hasStart = false;
  private badTrace = false;
  private badSpan = false;
  private badParent = false;
  private negative = false;
  private serviceOverride = -1;
  // Current resource context.
  private resourceCode = 0;
  private resourceService = 0;
  private resourceHost = 0;
  private resourceVersion = 0;
  private scopeCode = 0;
  private readonly resourceCache = new Map<string, [number, number, number, number]>();
  private readonly resourceByArray = new WeakMap<readonly AttributeTriple[], [number, number, number, number]>();
  private readonly scopeByArray = new WeakMap<readonly AttributeTriple[], Map<string, number>>();
  private readonly remaps = new WeakMap<SpanTable, Int32Array[]>();

  /** Creates an empty builder. */
  constructor(options: SpanTableBuilderOptions = {}) {
    const cap = Math.max(16, options.initialCapacity ?? 1024);
    this.cap = cap;
    this.traceId = new Uint8Array(cap * 16);
    this.spanId = new Uint8Array(cap * 8);
    this.parentId = new Uint8Array(cap * 8);
    this.parentRef = new Uint8Array(cap);
    this.kind = new Uint8Array(cap);
    this.status = new Uint8Array(cap);
    this.start = new BigInt64Array(cap);
    this.duration = new BigInt64Array(cap);
    this.startWords = new Uint32Array(this.start.buffer);
    this.durationWords = new Int32Array(this.duration.buffer);
    this.httpStatus = new Int16Array(cap);
    this.rpcStatus = new Int16Array(cap).fill(-1);
    this.codes = DICTIONARY_COLUMNS.map(() => new Int32Array(cap));
    this.dicts = DICTIONARY_COLUMNS.map(() => {
      const d = new StringDictionary();
      d.intern('');
      return d;
    });
    this.dicts[SERVICE]!.intern('unknown_service');
    this.resourceService = 1;
    this.attrOffsets = new Int32Array(cap + 1);
    this.eventsOffsets = new Int32Array(cap + 1);
    this.linksOffsets = new Int32Array(cap + 1);
  }

  /** Number of spans committed so far. */
  get length(): number {
    return this.n;
  }

  private ensureCapacity(): void {
    if (this.n < this.cap) return;
    const cap = this.cap * 2;
    this.traceId = grow(this.traceId, cap * 16);
    this.spanId = grow(this.spanId, cap * 8);
    this.parentId = grow(this.parentId, cap * 8);
    this.parentRef = grow(this.parentRef, cap);
    this.kind = grow(this.kind, cap);
    this.status = grow(this.status, cap);
    this.start = grow(this.start, cap);
    this.duration = grow(this.duration, cap);
    this.startWords = new Uint32Array(this.start.buffer);
    this.durationWords = new Int32Array(this.duration.buffer);
    this.httpStatus = grow(this.httpStatus, cap);
    const rpc = new Int16Array(cap).fill(-1);
    rpc.set(this.rpcStatus);
    this.rpcStatus = rpc;
    this.codes = this.codes.map((c) => grow(c, cap));
    this.attrOffsets = grow(this.attrOffsets, cap + 1);
    this.eventsOffsets = grow(this.eventsOffsets, cap + 1);
    this.linksOffsets = grow(this.linksOffsets, cap + 1);
    this.cap = cap;
  }

  /**
   * Sets the resource of the spans that follow, as attribute triples. Service, host and service version are taken
   * from `service.name`, the first of `host.name`/`k8s.pod.name`/... and `service.version`.
   * The array is remembered by identity (passing the same array again costs one lookup): do not mutate it later.
   */
  setResource(attributes: readonly AttributeTriple[]): void {
    // Callers that hold one array per resource (stores, decoders) skip the JSON key entirely.
    const byArray = this.resourceByArray.get(attributes);
    if (byArray) {
      [this.resourceCode, this.resourceService, this.resourceHost, this.resourceVersion] = byArray;
      return;
    }
    const json = attributes.length === 0 ? '' : JSON.stringify(attributes);
    let cached = this.resourceCache.get(json);
    if (!cached) {
      let service = 'unknown_service';
      let host = '';
      let hostRank = HOST_KEYS.length;
      let version = '';
      for (const [k, , v] of attributes) {
        if (k === 'service.name' && v !== '') service = v;
        else if (k === 'service.version') version = v;
        else {
          const rank = HOST_KEYS.indexOf(k);
          if (rank >= 0 && rank < hostRank && v !== '') {
            host = v;
            hostRank = rank;
          }
        }
      }
      cached = [
        this.dicts[RESOURCE]!.intern(json),
        this.dicts[SERVICE]!.intern(service),
        this.dicts[HOST]!.intern(host),
        this.dicts[SERVICE_VERSION]!.intern(version),
      ];
      this.resourceCache.set(json, cached);
    }
    this.resourceByArray.set(attributes, cached);
    [this.resourceCode, this.resourceService, this.resourceHost, this.resourceVersion] = cached;
  }

  /** Sets the instrumentation scope of the spans that follow. */
  setScope(name: string, version = '', attributes: readonly AttributeTriple[] = NO_ATTRIBUTES): void {
    let byName = this.scopeByArray.get(attributes);
    const key = `${name}\u0000${version}`;
    const hit = byName?.get(key);
    if (hit !== undefined) {
      this.scopeCode = hit;
      return;
    }
    this.scopeCode =
      name === '' && version === '' && attributes.length === 0
        ? 0
        : this.dicts[SCOPE]!.intern(
            JSON.stringify(attributes.length ? { name, version, attributes } : { name, version }),
          );
    if (!byName) {
      byName = new Map();
      this.scopeByArray.set(attributes, byName);
    }
    byName.set(key, this.scopeCode);
  }

  /** Starts a new span; any span begun but not committed is discarded. */
  beginSpan(): void {
    this.ensureCapacity();
    const r = this.n;
    this.row = r;
    this.traceId.fill(0, r * 16, r * 16 + 16);
    this.spanId.fill(0, r * 8, r * 8 + 8);
    this.parentId.fill(0, r * 8, r * 8 + 8);
    this.parentRef[r] = 0;
    this.kind[r] = 0;
    this.status[r] = 0;
    this.start[r] = 0n;
    this.duration[r] = 0n;
    this.httpStatus[r] = 0;
    this.rpcStatus[r] = -1;
    for (let i = 0; i < NUM_DICTS; i++) this.codes[i]![r] = 0;
    this.codes[RESOURCE]![r] = this.resourceCode;
    this.codes[SERVICE]![r] = this.resourceService;
    this.codes[HOST]![r] = this.resourceHost;
    this.codes[SERVICE_VERSION]![r] = this.resourceVersion;
    this.codes[SCOPE]![r] = this.scopeCode;
    this.slotPriority.fill(0);
    this.attrOffsets[r] = this.nAttr;
    this.pendingEvents.length = 0;
    this.pendingLinks.length = 0;
    this.hasTrace = this.hasSpan = this.hasStart = false;
    this.badTrace = this.badSpan = this.badParent = this.negative = false;
    this.serviceOverride = -1;
  }

  /** Sets the trace id from hex (16 or 32 digits, any case) or base64. */
  setTraceId(text: string): void {
    if (text === '') return;
    this.hasTrace = true;
    if (!parseIdInto(text, this.traceId, this.row * 16, 16)) this.badTrace = true;
  }

  /** Sets the trace id from hex only (faster path for formats that always use hex). */
  setTraceIdHex(hex: string): void {
    if (hex === '') return;
    this.hasTrace = true;
    if (!writeHexId(hex, this.traceId, this.row * 16, 16)) this.badTrace = true;
  }

  /** Sets the trace id from raw bytes (8 or 16; 8 are zero-padded on the left). */
  setTraceIdBytes(buf: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (len === 0) return;
    this.hasTrace = true;
    if (len !== 16 && len !== 8) {
      this.badTrace = true;
      return;
    }
    const o = this.row * 16 + 16 - len;
    let nz = false;
    for (let i = 0; i < len; i++) {
      const b = buf[start + i]!;
      this.traceId[o + i] = b;
      if (b !== 0) nz = true;
    }
    if (!nz) this.badTrace = true;
  }

  /** Sets the span id from hex or base64. */
  setSpanId(text: string): void {
    if (text === '') return;
    this.hasSpan = true;
    if (!parseIdInto(text, this.spanId, this.row * 8, 8)) this.badSpan = true;
  }

  /** Sets the span id from raw bytes (must be 8). */
  setSpanIdBytes(buf: Uint8Array, start: number, end: number): void {
    if (end === start) return;
    this.hasSpan = true;
    if (end - start !== 8) {
      this.badSpan = true;
      return;
    }
    let nz = false;
    const o = this.row * 8;
    for (let i = 0; i < 8; i++) {
      const b = buf[start + i]!;
      this.spanId[o + i] = b;
      if (b !== 0) nz = true;
    }
    if (!nz) this.badSpan = true;
  }

  /** Sets the parent span id from hex or base64; '' or all zeros means no parent. */
  setParentSpanId(text: string, refType: ParentRefType = 1): void {
    if (text === '' || /^0+$/.test(text)) return;
    if (!parseIdInto(text, this.parentId, this.row * 8, 8)) {
      if (!/^[A]+=*$/.test(text)) this.badParent = true;
      this.parentId.fill(0, this.row * 8, this.row * 8 + 8);
      return;
    }
    this.parentRef[this.row] = refType;
  }

  /** Sets the parent span id from raw bytes (8, or 0 for none). */
  setParentSpanIdBytes(buf: Uint8Array, start: number, end: number, refType: ParentRefType = 1): void {
    if (end === start) return;
    if (end - start !== 8) {
      this.badParent = true;
      return;
    }
    let nz = false;
    const o = this.row * 8;
    for (let i = 0; i < 8; i++) {
      const b = buf[start + i]!;
      this.parentId[o + i] = b;
      if (b !== 0) nz = true;
    }
    if (nz) this.parentRef[this.row] = refType;
  }

  /** Overrides the service of this span (formats that name the service per span, like Zipkin). */
  setService(name: string): void {
    if (name !== '') this.serviceOverride = this.dicts[SERVICE]!.intern(name);
  }

  /** Sets the operation (span name). */
  setOperation(name: string): void {
    this.codes[OPERATION]![this.row] = this.dicts[OPERATION]!.intern(name);
  }

  /** Sets the operation from UTF-8 bytes, allocating a string only the first time. */
  setOperationUtf8(buf: Uint8Array, start: number, end: number): void {
    this.codes[OPERATION]![this.row] = this.dicts[OPERATION]!.internUtf8(buf, start, end);
  }

  /** Sets the span kind. */
  setKind(kind: SpanKind): void {
    this.kind[this.row] = kind;
  }

  /** Sets the status code and message. */
  setStatus(code: StatusCode, message = ''): void {
    this.status[this.row] = code;
    if (message !== '') this.codes[STATUS_MESSAGE]![this.row] = this.dicts[STATUS_MESSAGE]!.intern(message);
  }

  /** Sets the W3C trace state. */
  setTraceState(state: string): void {
    if (state !== '') this.codes[TRACE_STATE]![this.row] = this.dicts[TRACE_STATE]!.intern(state);
  }

  /** Sets start and end time in nanoseconds since the epoch. */
  setStartEndUnixNano(start: bigint, end: bigint): void {
    this.start[this.row] = start;
    this.duration[this.row] = end - start;
    this.hasStart = start !== 0n;
    this.negative = end < start;
  }

  /** Sets start time and duration in nanoseconds. */
  setStartDurationNano(start: bigint, duration: bigint): void {
    this.start[this.row] = start;
    this.duration[this.row] = duration;
    this.hasStart = start !== 0n;
    this.negative = duration < 0n;
  }

  /**
   * Sets start and end from the 32-bit halves of fixed64 nanosecond timestamps (as read off protobuf), without
   * BigInt arithmetic.
   */
  setStartEndWords(startLo: number, startHi: number, endLo: number, endHi: number): void {
    const r = this.row;
    const sw = this.startWords;
    sw[2 * r] = startLo;
    sw[2 * r + 1] = startHi;
    const lo = (endLo >>> 0) - (startLo >>> 0);
    const borrow = lo < 0 ? 1 : 0;
    const hi = (endHi | 0) - (startHi | 0) - borrow;
    const dw = this.durationWords;
    dw[2 * r] = lo | 0;
    dw[2 * r + 1] = hi;
    this.hasStart = (startLo | startHi) !== 0;
    this.negative = hi < 0;
  }

  /** Code of an attribute key (intern once, then call {@link addAttributeCoded}). */
  internAttributeKey(key: string): number {
    return this.keys.intern(key);
  }

  /** Code of an attribute key given as UTF-8 bytes. */
  internAttributeKeyUtf8(buf: Uint8Array, start: number, end: number): number {
    return this.keys.internUtf8(buf, start, end);
  }

  /** Adds a span attribute. Values are text tagged with their {@link AttributeType}. */
  addAttribute(key: string, type: AttributeType, value: string): void {
    this.addAttributeCoded(this.keys.intern(key), type, value);
  }

  /** Adds a span attribute whose key was interned with {@link internAttributeKey}. */
  addAttributeCoded(keyCode: number, type: AttributeType, value: string): void {
    this.pushAttrHead(keyCode, type);
    this.pushAttrText(value);
    this.derive(keyCode, value);
  }

  /** Adds a span attribute whose value is given as UTF-8 bytes (copied as they are). */
  addAttributeUtf8(keyCode: number, type: AttributeType, buf: Uint8Array, start: number, end: number): void {
    this.pushAttrHead(keyCode, type);
    const len = end - start;
    this.reserveAttrBytes(len);
    this.attrBytes.set(buf.subarray(start, end), this.nAttrBytes);
    this.nAttrBytes += len;
    this.attrValOffsets[this.nAttr] = this.nAttrBytes;
    if (this.slotOf(keyCode) >= 0) this.derive(keyCode, decoder.decode(buf.subarray(start, end)));
  }

  private pushAttrHead(keyCode: number, type: AttributeType): void {
    if (this.nAttr + 1 >= this.attrCap) {
      this.attrCap *= 2;
      this.attrKey = grow(this.attrKey, this.attrCap);
      this.attrType = grow(this.attrType, this.attrCap);
      this.attrValOffsets = grow(this.attrValOffsets, this.attrCap + 1);
    }
    this.attrKey[this.nAttr] = keyCode;
    this.attrType[this.nAttr] = type;
    this.nAttr++;
  }

  private reserveAttrBytes(len: number): void {
    if (this.nAttrBytes + len > this.attrBytes.length) {
      let size = this.attrBytes.length * 2;
      while (size < this.nAttrBytes + len) size *= 2;
      this.attrBytes = grow(this.attrBytes, size);
    }
  }

  private pushAttrText(value: string): void {
    const max = value.length * 3;
    this.reserveAttrBytes(max);
    const { written } = encoder.encodeInto(value, this.attrBytes.subarray(this.nAttrBytes));
    this.nAttrBytes += written;
    this.attrValOffsets[this.nAttr] = this.nAttrBytes;
  }

  private slotOf(keyCode: number): number {
    if (keyCode >= this.keySlot.length) {
      const s = new Int16Array(Math.max(keyCode + 1, this.keySlot.length * 2)).fill(-2);
      s.set(this.keySlot);
      this.keySlot = s;
      const p = new Int8Array(s.length);
      p.set(this.keyPriority);
      this.keyPriority = p;
    }
    let slot = this.keySlot[keyCode]!;
    if (slot === -2) {
      const key = this.keys.values[keyCode]!;
      const num = NUMERIC_KEYS[key];
      const str = STRING_KEYS[key];
      if (num) {
        slot = num.slot === 'httpStatusCode' ? SLOT_HTTP_STATUS : SLOT_RPC_STATUS;
        this.keyPriority[keyCode] = num.priority + 1;
      } else if (str) {
        slot = DICT_INDEX[str.slot];
        this.keyPriority[keyCode] = str.priority + 1;
      } else slot = -1;
      this.keySlot[keyCode] = slot;
    }
    return slot;
  }

  private derive(keyCode: number, value: string): void {
    const slot = this.slotOf(keyCode);
    if (slot < 0) return;
    const priority = this.keyPriority[keyCode]!;
    if (priority <= this.slotPriority[slot]!) return;
    if (slot === SLOT_HTTP_STATUS || slot === SLOT_RPC_STATUS) {
      const v = Number(value);
      if (!Number.isInteger(v) || v < 0 || v > 32767) return;
      (slot === SLOT_HTTP_STATUS ? this.httpStatus : this.rpcStatus)[this.row] = v;
    } else {
      this.codes[slot]![this.row] = this.dicts[slot]!.intern(value);
    }
    this.slotPriority[slot] = priority;
  }

  /** Adds an event (e.g. an exception). The first `exception` event also fills `errorType`/`exceptionMessage`. */
  addEvent(event: SpanEventInput): void {
    const attributes = event.attributes ?? [];
    this.pendingEvents.push(
      JSON.stringify({ timeUnixNano: event.timeUnixNano.toString(), name: event.name, attributes }),
    );
    if (event.name === 'exception') {
      for (const [k, , v] of attributes) {
        if (k === 'exception.type' && this.slotPriority[ERROR_TYPE]! < 3) {
          this.codes[ERROR_TYPE]![this.row] = this.dicts[ERROR_TYPE]!.intern(v);
          this.slotPriority[ERROR_TYPE] = 3;
        } else if (k === 'exception.message' && this.slotPriority[EXCEPTION_MESSAGE]! < 1) {
          this.codes[EXCEPTION_MESSAGE]![this.row] = this.dicts[EXCEPTION_MESSAGE]!.intern(v);
          this.slotPriority[EXCEPTION_MESSAGE] = 1;
        }
      }
    }
  }

  /** Adds a link to another span. Ids are normalised to lower-case hex; invalid ids are kept as given. */
  addLink(link: SpanLinkInput): void {
    const buf = new Uint8Array(16);
    const trace = parseIdInto(link.traceId, buf, 0, 16) ? bytesToHex(buf, 0, 16) : link.traceId;
    const span = parseIdInto(link.spanId, buf, 0, 8) ? bytesToHex(buf, 0, 8) : link.spanId;
    this.pendingLinks.push(
      JSON.stringify({
        traceId: trace,
        spanId: span,
        traceState: link.traceState ?? '',
        attributes: link.attributes ?? [],
      }),
    );
  }

  /** Discards the span begun with {@link beginSpan} (e.g. when its input turned out malformed). */
  abortSpan(): void {
    const r = this.row;
    if (r < 0) return;
    this.row = -1;
    this.nAttr = this.attrOffsets[r]!;
    this.nAttrBytes = this.attrValOffsets[this.nAttr]!;
  }

  /** Finishes the current span: returns undefined when it was added, or why it was rejected (and rolls it back). */
  commitSpan(): SpanRejectReason | undefined {
    const r = this.row;
    if (r < 0) throw new RangeError('span-model: commitSpan() without beginSpan()');
    let reason: SpanRejectReason | undefined;
    if (!this.hasTrace) reason = 'missing trace id';
    else if (this.badTrace) reason = 'invalid trace id';
    else if (!this.hasSpan) reason = 'missing span id';
    else if (this.badSpan) reason = 'invalid span id';
    else if (this.badParent) reason = 'invalid parent span id';
    else if (!this.hasStart) reason = 'missing start time';
    else if (this.negative) reason = 'end before start';
    this.row = -1;
    if (reason) {
      this.nAttr = this.attrOffsets[r]!;
      this.nAttrBytes = this.attrValOffsets[this.nAttr]!;
      return reason;
    }
    if (this.serviceOverride >= 0) this.codes[SERVICE]![r] = this.serviceOverride;
    this.attrOffsets[r + 1] = this.nAttr;
    this.writeJsonList('events', r, this.pendingEvents);
    this.writeJsonList('links', r, this.pendingLinks);
    this.n = r + 1;
    return undefined;
  }

  private writeJsonList(which: 'events' | 'links', r: number, items: string[]): void {
    const offsets = which === 'events' ? this.eventsOffsets : this.linksOffsets;
    let used = which === 'events' ? this.nEventsBytes : this.nLinksBytes;
    if (items.length > 0) {
      const text = `[${items.join(',')}]`;
      let bytes = which === 'events' ? this.eventsBytes : this.linksBytes;
      if (used + text.length * 3 > bytes.length) {
        let size = bytes.length * 2;
        while (size < used + text.length * 3) size *= 2;
        bytes = grow(bytes, size);
        if (which === 'events') this.eventsBytes = bytes;
        else this.linksBytes = bytes;
      }
      used += encoder.encodeInto(text, bytes.subarray(used)).written;
    }
    offsets[r + 1] = used;
    if (which === 'events') this.nEventsBytes = used;
    else this.nLinksBytes = used;
  }

  /**
   * Appends rows of another span table (all columns, attributes, events and links), remapping dictionary codes.
   *
   * **Complexity** O(rows + their attributes); no per-span objects.
   */
  appendRows(source: SpanTable, rows?: ArrayLike<number>): void {
    const c = source.columns;
    let remaps = this.remaps.get(source);
    if (!remaps) {
      remaps = [...DICTIONARY_COLUMNS.map((name) => new Int32Array(source.dict(name).values.length).fill(-1))];
      remaps.push(new Int32Array(c.attrKeys.length).fill(-1));
      this.remaps.set(source, remaps);
    }
    const dictValues = DICTIONARY_COLUMNS.map((name) => source.dict(name).values);
    const dictCodes = DICTIONARY_COLUMNS.map((name) => source.dict(name).codes);
    const keyRemap = remaps[NUM_DICTS]!;
    const count = rows ? rows.length : c.length;
    for (let k = 0; k < count; k++) {
      const i = rows ? rows[k]! : k;
      this.ensureCapacity();
      const r = this.n;
      this.traceId.set(c.traceId.subarray(i * 16, i * 16 + 16), r * 16);
      this.spanId.set(c.spanId.subarray(i * 8, i * 8 + 8), r * 8);
      this.parentId.set(c.parentSpanId.subarray(i * 8, i * 8 + 8), r * 8);
      this.parentRef[r] = c.parentRefType[i]!;
      this.kind[r] = c.kind[i]!;
      this.status[r] = c.statusCode[i]!;
      this.start[r] = c.startUnixNano[i]!;
      this.duration[r] = c.durationNano[i]!;
      this.httpStatus[r] = c.httpStatusCode[i]!;
      this.rpcStatus[r] = c.rpcStatusCode[i]!;
      for (let d = 0; d < NUM_DICTS; d++) {
        const code = dictCodes[d]![i]!;
        const remap = remaps[d]!;
        let mapped = remap[code]!;
        if (mapped < 0) mapped = remap[code] = this.dicts[d]!.intern(dictValues[d]![code]!);
        this.codes[d]![r] = mapped;
      }
      this.attrOffsets[r] = this.nAttr;
      const a0 = c.attrOffsets[i]!;
      const a1 = c.attrOffsets[i + 1]!;
      for (let a = a0; a < a1; a++) {
        const key = c.attrKey[a]!;
        let mk = keyRemap[key]!;
        if (mk < 0) mk = keyRemap[key] = this.keys.intern(c.attrKeys[key]!);
        this.pushAttrHead(mk, c.attrType[a]! as AttributeType);
        const v0 = c.attrValues.offsets[a]!;
        const v1 = c.attrValues.offsets[a + 1]!;
        this.reserveAttrBytes(v1 - v0);
        this.attrBytes.set(c.attrValues.bytes.subarray(v0, v1), this.nAttrBytes);
        this.nAttrBytes += v1 - v0;
        this.attrValOffsets[this.nAttr] = this.nAttrBytes;
      }
      this.attrOffsets[r + 1] = this.nAttr;
      const ev = utf8At(c.events, i);
      const li = utf8At(c.links, i);
      this.writeJsonList('events', r, ev ? [ev.slice(1, -1)] : []);
      this.writeJsonList('links', r, li ? [li.slice(1, -1)] : []);
      this.n = r + 1;
    }
  }

  /** Emits the table. */
  finish(): SpanTable {
    const n = this.n;
    // Dictionaries are encoded directly, all into one offsets and one byte buffer: Arrow's generic builder
    // (vectorFromArray) cost ≈ 0.35 ms per table, the fixed cost of every small OTLP request.
    const dictionaries = utf8Vectors([...this.dicts.map((d) => d.values), this.keys.values]);
    const dictData = (d: number) => dictionaryData(this.codes[d]!.subarray(0, n), dictionaries[d]!);
    const nAttr = this.attrOffsets[n] ?? 0;
    const keyData = dictionaryData(this.attrKey.subarray(0, nAttr), dictionaries[NUM_DICTS]!);
    const typeData = makeData({
      type: new Uint8(),
      length: nAttr,
      nullCount: 0,
      data: this.attrType.subarray(0, nAttr),
    });
    const valueData = makeData({
      type: new Utf8(),
      length: nAttr,
      nullCount: 0,
      valueOffsets: this.attrValOffsets.subarray(0, nAttr + 1),
      data: this.attrBytes.subarray(0, this.attrValOffsets[nAttr]),
    });
    const structData = makeData({
      type: attributeStructType as Struct,
      length: nAttr,
      nullCount: 0,
      children: [keyData, typeData, valueData],
    });
    const listType = spanSchema.fields.find((f) => f.name === 'attributes')!.type as List;
    const children: Record<string, ReturnType<typeof makeData>> = {
      traceId: makeData({
        type: new FixedSizeBinary(16),
        length: n,
        nullCount: 0,
        data: this.traceId.subarray(0, n * 16),
      }),
      spanId: makeData({ type: new FixedSizeBinary(8), length: n, nullCount: 0, data: this.spanId.subarray(0, n * 8) }),
      parentSpanId: makeData({
        type: new FixedSizeBinary(8),
        length: n,
        nullCount: 0,
        data: this.parentId.subarray(0, n * 8),
      }),
      parentRefType: makeData({ type: new Uint8(), length: n, nullCount: 0, data: this.parentRef.subarray(0, n) }),
      kind: makeData({ type: new Uint8(), length: n, nullCount: 0, data: this.kind.subarray(0, n) }),
      startUnixNano: makeData({ type: new Int64(), length: n, nullCount: 0, data: this.start.subarray(0, n) }),
      durationNano: makeData({ type: new Int64(), length: n, nullCount: 0, data: this.duration.subarray(0, n) }),
      statusCode: makeData({ type: new Uint8(), length: n, nullCount: 0, data: this.status.subarray(0, n) }),
      attributes: makeData({
        type: listType,
        length: n,
        nullCount: 0,
        valueOffsets: this.attrOffsets.subarray(0, n + 1),
        child: structData,
      }),
      events: makeData({
        type: new Utf8(),
        length: n,
        nullCount: 0,
        valueOffsets: this.eventsOffsets.subarray(0, n + 1),
        data: this.eventsBytes.subarray(0, this.nEventsBytes),
      }),
      links: makeData({
        type: new Utf8(),
        length: n,
        nullCount: 0,
        valueOffsets: this.linksOffsets.subarray(0, n + 1),
        data: this.linksBytes.subarray(0, this.nLinksBytes),
      }),
      httpStatusCode: makeData({ type: new Int16(), length: n, nullCount: 0, data: this.httpStatus.subarray(0, n) }),
      rpcStatusCode: makeData({ type: new Int16(), length: n, nullCount: 0, data: this.rpcStatus.subarray(0, n) }),
    };
    DICTIONARY_COLUMNS.forEach((name, d) => {
      children[name] = dictData(d);
    });
    const structType = new Struct(spanSchema.fields);
    const batchData = makeData({
      type: structType,
      length: n,
      nullCount: 0,
      children: spanSchema.fields.map((f) => children[f.name]!),
    });
    const batch = new RecordBatch(spanSchema, batchData);
    return wrapArrowTable(new Table(spanSchema, [batch]));
  }
}
