// What slow traces have in common: services, operations and attribute values counted once per trace in slow and
// fast traces, with the critical-path time spent in spans that carry them.
import { AttributeType, type DictionaryColumnName, type SpanTable, utf8At } from '@aiops/span-model';
import type { CriticalPaths } from '../critical-paths.ts';
import type { Attribution } from './attribution.ts';

/** A trait shared by slow traces, compared with the fast traces of the same endpoints. */
export interface SlowTrait {
  /** 'service' (a service or dependency on the trace), 'operation', 'attribute' (key = value), 'instance' (a pod). */
  readonly kind: 'service' | 'operation' | 'attribute' | 'instance';
  /** Service (for service/operation/instance traits; '' for attributes). */
  readonly service: string;
  /** Operation (operation traits), attribute key (attribute traits), or ''. */
  readonly key: string;
  /** Attribute value, pod name, or ''. */
  readonly value: string;
  /** Slow traces with the trait. */
  readonly slowTraces: number;
  /** Fast traces with the trait. */
  readonly fastTraces: number;
  /** slowTraces / slow traces (0..1). */
  readonly slowSupport: number;
  /** fastTraces / fast traces (0..1). */
  readonly fastSupport: number;
  /** slowSupport / fastSupport (fastSupport floored at 1 / (fast traces + 1)). */
  readonly lift: number;
  /** Critical-path exclusive time of the spans carrying it, per slow trace, ms. */
  readonly slowMeanExclusiveMs: number;
  /** The same per fast trace, ms. */
  readonly fastMeanExclusiveMs: number;
  /** (slowSupport − fastSupport) + (extra exclusive ms per slow trace / mean slow duration ms): the ranking key. */
  readonly score: number;
}

const DICT_TRAITS: readonly [DictionaryColumnName, string][] = [
  ['dbStatement', 'db.statement'],
  ['host', 'host.name'],
  ['serviceVersion', 'service.version'],
  ['httpRoute', 'http.route'],
  ['messagingDestination', 'messaging.destination.name'],
];

// Attribute keys whose values identify a single request: never a shared trait.
const ID_LIKE =
  /(^|[._])(id|uuid|guid|trace|span|request_id|session|timestamp|time|url|target|path|query|user_agent)$/i;

/** Dense id table grown on demand: an integer key space → feature id (-1 when unseen). */
class DenseIds {
  ids: Int32Array;
  constructor(size: number) {
    this.ids = new Int32Array(Math.max(1, size)).fill(-1);
  }
}

/** Growable typed-array counters of every feature. */
interface Counters {
  kind: Uint8Array;
  /** Attributed name code (service/operation/instance traits), -1 otherwise. */
  name: Int32Array;
  /** Operation code, dictionary-trait index, or attribute key code. */
  a: Int32Array;
  /** Raw service code, dictionary code, or attribute value index (a row of attrValues). */
  b: Int32Array;
  slow: Int32Array;
  fast: Int32Array;
  slowExcl: Float64Array;
  fastExcl: Float64Array;
  last: Int32Array;
  size: number;
}

const K_SERVICE = 0;
const K_OPERATION = 1;
const K_INSTANCE = 2;
const K_DICT = 3;
const K_ATTR = 4;

function grow(c: Counters): void {
  const cap = c.kind.length * 2;
  const g = <T extends Int32Array | Float64Array | Uint8Array>(a: T, fill = 0): T => {
    const b = new (a.constructor as new (n: number) => T)(cap);
    b.set(a as never);
    if (fill !== 0) b.fill(fill as never, a.length);
    return b;
  };
  c.kind = g(c.kind);
  c.name = g(c.name);
  c.a = g(c.a);
  c.b = g(c.b);
  c.slow = g(c.slow);
  c.fast = g(c.fast);
  c.slowExcl = g(c.slowExcl);
  c.fastExcl = g(c.fastExcl);
  c.last = g(c.last, -1);
}

// FNV-1a over a byte range: the value part of an attribute key, so values are interned without decoding them.
function hashBytes(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function sameBytes(bytes: Uint8Array, a0: number, a1: number, b0: number, b1: number): boolean {
  if (a1 - a0 !== b1 - b0) return false;
  for (let i = 0; i < a1 - a0; i++) if (bytes[a0 + i] !== bytes[b0 + i]) return false;
  return true;
}

/** How the fast-trace side of the trait counts was sampled. */
export interface TraitBaseline {
  /** Fast traces available. */
  readonly fastTraces: number;
  /** Fast traces counted (every `stride`-th, in trace order). */
  readonly sampledTraces: number;
  /** Worst-case 95% error of a fast support estimated from the sample (0 when every fast trace was counted). */
  readonly maxSupportError: number;
}

/**
 * Counts traits of the slow and fast traces. Generic span attributes are read on the analysed head spans and on
 * spans with critical-path time only (decoding every attribute of every span would dominate the analysis).
 *
 * Keys are integers over dictionary codes (attributed name × operation, dictionary codes, attribute key × value
 * interned by hashing its bytes); counters are typed arrays. When there are more than `maxFastTraces` fast
 * traces, every stride-th one is counted and fast figures are scaled (the error is stated in the baseline).
 */
export function slowTraits(
  table: SpanTable,
  paths: CriticalPaths,
  attribution: Attribution,
  slow: readonly number[],
  fast: readonly number[],
  meanSlowNano: number,
  limit: number,
  maxFastTraces: number = Number.POSITIVE_INFINITY,
): { traits: SlowTrait[]; baseline: TraitBaseline } {
  const svc = table.dict('service');
  const ops = table.dict('operation');
  const opCount = ops.values.length;
  const names = attribution.names;
  const nameCount = names.length;
  const dicts = DICT_TRAITS.map(([col, key]) => {
    const d = table.dict(col);
    return { codes: d.codes, values: d.values, key, ids: new DenseIds(d.values.length) };
  });
  const c = table.columns;
  const attrBytes = c.attrValues.bytes;
  const attrOff = c.attrValues.offsets;
  // Keys usable as generic traits, decided once per key code.
  const keyOk = c.attrKeys.map((k) => !(ID_LIKE.test(k) || k.startsWith('db.') || k === 'http.route'));
  const serviceIds = new DenseIds(nameCount);
  const instanceIds = new DenseIds(svc.values.length);
  const denseOps = nameCount * opCount <= 1 << 22;
  const opIds = new DenseIds(denseOps ? nameCount * opCount : 0);
  const opMap = new Map<number, number>();
  const attrIds = new Map<number, number>();
  const collisions = new Map<number, number[]>();
  const cnt: Counters = {
    kind: new Uint8Array(256),
    name: new Int32Array(256),
    a: new Int32Array(256),
    b: new Int32Array(256),
    slow: new Int32Array(256),
    fast: new Int32Array(256),
    slowExcl: new Float64Array(256),
    fastExcl: new Float64Array(256),
    last: new Int32Array(256).fill(-1),
    size: 0,
  };
  const add = (kind: number, name: number, a: number, b: number): number => {
    if (cnt.size === cnt.kind.length) grow(cnt);
    const id = cnt.size++;
    cnt.kind[id] = kind;
    cnt.name[id] = name;
    cnt.a[id] = a;
    cnt.b[id] = b;
    return id;
  };
  // Whether a raw service name is a pod folded into another name: 0 not yet known, 1 no, 2 yes.
  const podOf = new Uint8Array(svc.values.length);
  const { traces } = paths.tree;
  const { code: attrCode, isDependency } = attribution;
  const stride = fast.length > maxFastTraces ? Math.ceil(fast.length / maxFastTraces) : 1;
  let sampled = 0;
  const scan = (list: readonly number[], isSlow: boolean, step: number): void => {
    const count = isSlow ? cnt.slow : cnt.fast;
    const excls = isSlow ? cnt.slowExcl : cnt.fastExcl;
    let countArr = count;
    let exclArr = excls;
    const see = (id: number, t: number, excl: number): void => {
      if (cnt.kind.length !== countArr.length) {
        countArr = isSlow ? cnt.slow : cnt.fast;
        exclArr = isSlow ? cnt.slowExcl : cnt.fastExcl;
      }
      if (cnt.last[id] !== t) {
        cnt.last[id] = t;
        countArr[id]!++;
      }
      exclArr[id]! += excl;
    };
    for (let i = 0; i < list.length; i += step) {
      const t = list[i]!;
      if (!isSlow) sampled++;
      const head = paths.head[t]!;
      for (let k = traces.offsets[t]!; k < traces.offsets[t + 1]!; k++) {
        const r = traces.rows[k]!;
        const excl = paths.exclusiveNano[r]!;
        const name = attrCode[r]!;
        let id = serviceIds.ids[name]!;
        if (id < 0) id = serviceIds.ids[name] = add(K_SERVICE, name, -1, -1);
        see(id, t, excl);
        const op = ops.codes[r]!;
        const ok = name * opCount + op;
        if (denseOps) {
          id = opIds.ids[ok]!;
          if (id < 0) id = opIds.ids[ok] = add(K_OPERATION, name, op, -1);
        } else {
          id = opMap.get(ok) ?? -1;
          if (id < 0) opMap.set(ok, (id = add(K_OPERATION, name, op, -1)));
        }
        see(id, t, excl);
        const raw = svc.codes[r]!;
        if (!isDependency[r] && podOf[raw] === 0) podOf[raw] = names[name] === svc.values[raw] ? 1 : 2;
        if (!isDependency[r] && podOf[raw] === 2) {
          id = instanceIds.ids[raw]!;
          if (id < 0) id = instanceIds.ids[raw] = add(K_INSTANCE, name, -1, raw);
          see(id, t, excl);
        }
        for (let j = 0; j < dicts.length; j++) {
          const d = dicts[j]!;
          const dc = d.codes[r]!;
          if (dc === 0 || !d.values[dc]) continue;
          id = d.ids.ids[dc]!;
          if (id < 0) id = d.ids.ids[dc] = add(K_DICT, -1, j, dc);
          see(id, t, excl);
        }
        if (r !== head && excl <= 0) continue;
        for (let a = c.attrOffsets[r]!; a < c.attrOffsets[r + 1]!; a++) {
          const type = c.attrType[a]!;
          if (type !== AttributeType.String && type !== AttributeType.Bool && type !== AttributeType.Int) continue;
          const key = c.attrKey[a]!;
          if (!keyOk[key]) continue;
          const v0 = attrOff[a]!;
          const v1 = attrOff[a + 1]!;
          if (v1 === v0 || v1 - v0 > 120) continue;
          const hk = key * 4294967296 + hashBytes(attrBytes, v0, v1);
          id = attrIds.get(hk) ?? -1;
          if (id >= 0 && !sameBytes(attrBytes, v0, v1, attrOff[cnt.b[id]!]!, attrOff[cnt.b[id]! + 1]!)) {
            // Hash collision: different values under one hash, resolved by comparing bytes.
            const bucket = collisions.get(hk) ?? [];
            id = -1;
            for (const f of bucket) {
              if (sameBytes(attrBytes, v0, v1, attrOff[cnt.b[f]!]!, attrOff[cnt.b[f]! + 1]!)) id = f;
            }
            if (id < 0) {
              id = add(K_ATTR, -1, key, a);
              bucket.push(id);
              collisions.set(hk, bucket);
            }
          } else if (id < 0) {
            id = add(K_ATTR, -1, key, a);
            attrIds.set(hk, id);
          }
          see(id, t, excl);
        }
      }
    }
  };
  scan(slow, true, 1);
  scan(fast, false, stride);
  const S = slow.length;
  const F = sampled;
  const minSlow = Math.max(2, Math.ceil(S * 0.05));
  const out: SlowTrait[] = [];
  const scale = F > 0 ? fast.length / F : 0;
  for (let id = 0; id < cnt.size; id++) {
    const ns = cnt.slow[id]!;
    if (ns < minSlow) continue;
    const slowSupport = ns / S;
    const fastSupport = F > 0 ? cnt.fast[id]! / F : 0;
    const slowMean = cnt.slowExcl[id]! / S;
    const fastMean = F > 0 ? cnt.fastExcl[id]! / F : 0;
    const score = slowSupport - fastSupport + (meanSlowNano > 0 ? (slowMean - fastMean) / meanSlowNano : 0);
    if (score < 0.1) continue;
    const kind = cnt.kind[id]!;
    const nm = cnt.name[id]!;
    const a = cnt.a[id]!;
    const b = cnt.b[id]!;
    const d = kind === K_DICT ? dicts[a]! : undefined;
    out.push({
      kind:
        kind === K_SERVICE
          ? 'service'
          : kind === K_OPERATION
            ? 'operation'
            : kind === K_INSTANCE
              ? 'instance'
              : 'attribute',
      service: nm >= 0 ? names[nm]! : '',
      key: kind === K_OPERATION ? ops.values[a]! : d ? d.key : kind === K_ATTR ? c.attrKeys[a]! : '',
      value: kind === K_INSTANCE ? svc.values[b]! : d ? d.values[b]! : kind === K_ATTR ? utf8At(c.attrValues, b) : '',
      slowTraces: ns,
      fastTraces: Math.round(cnt.fast[id]! * scale),
      slowSupport,
      fastSupport,
      lift: slowSupport / Math.max(fastSupport, 1 / (fast.length + 1)),
      slowMeanExclusiveMs: slowMean / 1e6,
      fastMeanExclusiveMs: fastMean / 1e6,
      score,
    });
  }
  out.sort((x, y) => y.score - x.score || y.slowTraces - x.slowTraces);
  return {
    traits: out.slice(0, limit),
    baseline: {
      fastTraces: fast.length,
      sampledTraces: F,
      maxSupportError: stride > 1 && F > 0 ? 1.96 * Math.sqrt(0.25 / F) * Math.sqrt(1 - F / fast.length) : 0,
    },
  };
}
