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

interface Feature {
  readonly kind: SlowTrait['kind'];
  readonly service: string;
  readonly key: string;
  readonly value: string;
  slow: number;
  fast: number;
  slowExcl: number;
  fastExcl: number;
  last: number;
}

/**
 * Counts traits of the slow and fast traces. Generic span attributes are read on the analysed head spans and on
 * spans with critical-path time only (decoding every attribute of every span would dominate the analysis).
 */
export function slowTraits(
  table: SpanTable,
  paths: CriticalPaths,
  attribution: Attribution,
  slow: readonly number[],
  fast: readonly number[],
  meanSlowNano: number,
  limit: number,
): SlowTrait[] {
  const features: Feature[] = [];
  const byKey = new Map<string, number>();
  const feature = (kind: SlowTrait['kind'], service: string, key: string, value: string): Feature => {
    const k = `${kind}\u0000${service}\u0000${key}\u0000${value}`;
    let id = byKey.get(k);
    if (id === undefined) {
      id = features.length;
      features.push({ kind, service, key, value, slow: 0, fast: 0, slowExcl: 0, fastExcl: 0, last: -1 });
      byKey.set(k, id);
    }
    return features[id]!;
  };
  const svc = table.dict('service');
  const ops = table.dict('operation');
  const dicts = DICT_TRAITS.map(([col, key]) => ({ d: table.dict(col), key, cache: new Map<number, Feature>() }));
  const c = table.columns;
  const { traces } = paths.tree;
  const see = (f: Feature, t: number, isSlow: boolean, excl: number): void => {
    if (f.last !== t) {
      f.last = t;
      if (isSlow) f.slow++;
      else f.fast++;
    }
    if (isSlow) f.slowExcl += excl;
    else f.fastExcl += excl;
  };
  const scan = (list: readonly number[], isSlow: boolean): void => {
    for (const t of list) {
      const head = paths.head[t]!;
      for (let k = traces.offsets[t]!; k < traces.offsets[t + 1]!; k++) {
        const r = traces.rows[k]!;
        const excl = paths.exclusiveNano[r]!;
        const name = attribution.names[attribution.code[r]!]!;
        see(feature('service', name, '', ''), t, isSlow, excl);
        see(feature('operation', name, ops.values[ops.codes[r]!]!, ''), t, isSlow, excl);
        const raw = svc.values[svc.codes[r]!]!;
        if (!attribution.isDependency[r] && raw !== name) see(feature('instance', name, '', raw), t, isSlow, excl);
        for (const { d, key, cache } of dicts) {
          const code = d.codes[r]!;
          if (code === 0 || !d.values[code]) continue;
          let f = cache.get(code);
          if (!f) {
            f = feature('attribute', '', key, d.values[code]!);
            cache.set(code, f);
          }
          see(f, t, isSlow, excl);
        }
        if (r !== head && excl <= 0) continue;
        for (let a = c.attrOffsets[r]!; a < c.attrOffsets[r + 1]!; a++) {
          const type = c.attrType[a]!;
          if (type !== AttributeType.String && type !== AttributeType.Bool && type !== AttributeType.Int) continue;
          const key = c.attrKeys[c.attrKey[a]!]!;
          if (ID_LIKE.test(key) || key.startsWith('db.') || key === 'http.route') continue;
          const len = c.attrValues.offsets[a + 1]! - c.attrValues.offsets[a]!;
          if (len === 0 || len > 120) continue;
          see(feature('attribute', '', key, utf8At(c.attrValues, a)), t, isSlow, excl);
        }
      }
    }
  };
  scan(slow, true);
  scan(fast, false);
  const S = slow.length;
  const F = fast.length;
  const minSlow = Math.max(2, Math.ceil(S * 0.05));
  const out: SlowTrait[] = [];
  for (const f of features) {
    if (f.slow < minSlow) continue;
    const slowSupport = f.slow / S;
    const fastSupport = F > 0 ? f.fast / F : 0;
    const slowMean = f.slowExcl / S;
    const fastMean = F > 0 ? f.fastExcl / F : 0;
    const score = slowSupport - fastSupport + (meanSlowNano > 0 ? (slowMean - fastMean) / meanSlowNano : 0);
    if (score < 0.1) continue;
    out.push({
      kind: f.kind,
      service: f.service,
      key: f.key,
      value: f.value,
      slowTraces: f.slow,
      fastTraces: f.fast,
      slowSupport,
      fastSupport,
      lift: slowSupport / Math.max(fastSupport, 1 / (F + 1)),
      slowMeanExclusiveMs: slowMean / 1e6,
      fastMeanExclusiveMs: fastMean / 1e6,
      score,
    });
  }
  out.sort((a, b) => b.score - a.score || b.slowTraces - a.slowTraces);
  return out.slice(0, limit);
}
