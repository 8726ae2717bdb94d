// generateTracePair: two traces of the same endpoint, normal and abnormal, that differ in exactly one injected way
// (plus ordinary latency noise, fresh ids and reordered concurrent siblings), for judging trace-diff analyzers.
import { type SpanTable, SpanTableBuilder } from '@aiops/span-model';
import { topologyOf } from './generate-scenario.ts';
import { TraceEngine, type TraceOverride } from './internal/engine.ts';
import { Random } from './internal/random.ts';
import type { Step, Topology } from './internal/topology.ts';

/** The kinds of difference a pair can have. */
export type PairDifference = 'slow-span' | 'added-retry' | 'changed-query' | 'failed-call' | 'missing-cache-hit';

/** Options of {@link generateTracePair}. */
export interface TracePairOptions {
  /** Seed: topology, endpoint choice, target choice and noise. Default 1. */
  readonly seed?: number;
  /** The one difference injected into the abnormal trace. */
  readonly difference: PairDifference;
  /** Application services of the topology. Default 24. */
  readonly services?: number;
  /** Entry operation (root span name) to use; default: the busiest frontend endpoint that has a target. */
  readonly entryOperation?: string;
  /** Latency multiplier for `slow-span` (default 5) and `changed-query` (default 3). */
  readonly factor?: number;
  /** Shape of the lognormal noise between the two traces. Default 0.15. */
  readonly latencySigma?: number;
}

/** What differs between the two traces of a pair. */
export interface TracePairTruth {
  /** The kind of difference. */
  readonly kind: PairDifference;
  /**
   * Where it is: for `slow-span`/`added-retry`/`failed-call` the callee service and its server operation; for
   * `changed-query` the database and the client span name; for `missing-cache-hit` the cache and `GET`.
   */
  readonly service: string;
  /** Operation (see `service`). */
  readonly operation: string;
  /** The calling service (the one whose client span differs). */
  readonly caller: string;
  /** Latency multiplier applied (`slow-span`, `changed-query`). */
  readonly factor?: number;
  /** `changed-query`: the statement in the normal trace. */
  readonly statementBefore?: string;
  /** `changed-query`: the statement in the abnormal trace. */
  readonly statementAfter?: string;
  /** `missing-cache-hit`: the database queried on the miss (absent when the caller has none). */
  readonly fallbackDatabase?: string;
  /** Entry endpoint of both traces. */
  readonly entryService: string;
  /** Root span name of both traces. */
  readonly entryOperation: string;
  /** Trace id of the normal trace (32 hex). */
  readonly normalTraceId: string;
  /** Trace id of the abnormal trace (32 hex). */
  readonly abnormalTraceId: string;
}

/** A normal and an abnormal trace of the same endpoint, and what differs. */
export interface TracePair {
  /** The normal trace. */
  readonly normal: SpanTable;
  /** The abnormal trace. */
  readonly abnormal: SpanTable;
  /** The injected difference. */
  readonly truth: TracePairTruth;
}

interface Site {
  readonly caller: number;
  readonly step: Step;
}

/** Synchronous call sites reachable from an operation, depth first, in stage order. */
function sitesOf(topo: Topology, op: number, out: Site[] = [], seen: Set<number> = new Set()): Site[] {
  if (seen.has(op)) return out;
  seen.add(op);
  const o = topo.ops[op]!;
  for (const stage of o.stages) {
    for (const step of stage) {
      if (step.probability < 1 || step.kind === 'produce') continue;
      out.push({ caller: o.service, step });
      if (step.kind === 'http') sitesOf(topo, step.targetOp, out, seen);
    }
  }
  return out;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex = (b: Uint8Array): string => Array.from(b, (x) => HEX[x]).join('');

function changeStatement(statement: string): string {
  // A function over an indexed column: the classic change that turns an index lookup into a scan.
  const changed = statement.replace(/(\w+) = (\$1|\?)/, 'lower($1) = lower($2)');
  return changed !== statement ? changed : `${statement} /* forced seq scan */`;
}

/**
 * Generates a normal and an abnormal trace of the same endpoint that differ in exactly one injected way.
 *
 * **Details**
 * - Both traces run the same call tree (optional calls always made, caches always hit) with independent latency
 *   noise and fresh ids; the abnormal one starts 60 s later and has its concurrent siblings reordered.
 * - `slow-span`: one callee's self time × `factor`, chosen so that it lies on the abnormal trace's critical path.
 *   `added-retry`: one call fails with 503 and is retried successfully. `changed-query`: one SQL statement changes
 *   (and runs `factor` × slower). `failed-call`: one call fails with 500 (and propagates as its caller's policy
 *   says). `missing-cache-hit`: one cache GET misses, adding a database query and a cache SET.
 *
 * **Complexity** O(spans of the two traces).
 *
 * **Gotchas** Throws a RangeError when the topology has no site for the difference (e.g. no cache on the path).
 *
 * @example
 * ```ts
 * const { normal, abnormal, truth } = generateTracePair({ seed: 4, difference: 'slow-span' });
 * truth.service; // e.g. 'inventory-service'
 * ```
 */
export function generateTracePair(options: TracePairOptions): TracePair {
  const seed = options.seed ?? 1;
  const topo = topologyOf({
    seed,
    ...(options.services === undefined ? {} : { services: options.services }),
    latencySigma: options.latencySigma ?? 0.15,
  });
  const pick = new Random(seed * 97 + 5);
  const fits = (s: Site): boolean => {
    switch (options.difference) {
      case 'slow-span':
      case 'added-retry':
      case 'failed-call':
        return s.step.kind === 'http';
      case 'changed-query':
        return s.step.kind === 'db' && s.step.detail.includes('SELECT');
      default:
        return s.step.kind === 'cache';
    }
  };
  const entries = topo.entries
    .filter((e) => options.entryOperation === undefined || topo.ops[e]!.name === options.entryOperation)
    .sort((a, b) => topo.ops[b]!.weight - topo.ops[a]!.weight);
  for (const entry of entries) {
    const candidates = pick.shuffle(sitesOf(topo, entry).filter(fits));
    for (const site of candidates) {
      const pair = tryPair(topo, entry, site, options, seed);
      if (pair) return pair;
    }
  }
  throw new RangeError(`scenarios: no call site for a "${options.difference}" difference in this topology`);
}

function tryPair(
  topo: Topology,
  entry: number,
  site: Site,
  options: TracePairOptions,
  seed: number,
): TracePair | undefined {
  const settings = {
    messy: false,
    dropRate: 0,
    clockSkewMs: 0,
    errorTagRate: 0,
    backgroundErrorRate: 0,
    cacheHitRatio: 1,
    fixedStructure: true,
    shuffleConcurrent: false,
    startUnixNano: 1_735_689_600_000_000_000n,
  };
  const step = site.step;
  const kind = options.difference;
  const factor = options.factor ?? (kind === 'slow-span' ? 5 : kind === 'changed-query' ? 3 : undefined);
  const statementAfter = kind === 'changed-query' ? changeStatement(step.detail) : undefined;
  const override: TraceOverride = {
    kind,
    step,
    ...(factor === undefined ? {} : { factor }),
    ...(statementAfter === undefined ? {} : { statement: statementAfter }),
  };
  const nb = new SpanTableBuilder();
  const ne = new TraceEngine(topo, nb, new Random(seed * 1009 + 1), new Random(1), settings, []);
  ne.run(entry, 0);
  const normalTraceId = hex(ne.currentTraceId);
  const ab = new SpanTableBuilder();
  const ae = new TraceEngine(
    topo,
    ab,
    new Random(seed * 2003 + 2),
    new Random(2),
    { ...settings, shuffleConcurrent: true },
    [],
  );
  const run = ae.run(entry, 60e9, override);
  if (ae.overrideApplied !== 1) return undefined;
  if (kind === 'slow-span' && run.slowCause?.faultIndex !== -2) return undefined;
  const target = topo.nodes[step.target]!;
  const caller = topo.nodes[site.caller]!;
  const entryOp = topo.ops[entry]!;
  const fallback = caller.dbs[0];
  const truth: TracePairTruth = {
    kind,
    service: target.name,
    operation: step.kind === 'http' ? topo.ops[step.targetOp]!.name : step.spanName,
    caller: caller.name,
    ...(factor === undefined ? {} : { factor }),
    ...(statementAfter === undefined ? {} : { statementBefore: step.detail, statementAfter }),
    ...(kind === 'missing-cache-hit' && fallback !== undefined ? { fallbackDatabase: topo.nodes[fallback]!.name } : {}),
    entryService: topo.nodes[entryOp.service]!.name,
    entryOperation: entryOp.name,
    normalTraceId,
    abnormalTraceId: hex(ae.currentTraceId),
  };
  return { normal: nb.finish(), abnormal: ab.finish(), truth };
}
