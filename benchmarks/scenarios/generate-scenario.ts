// generateScenario: a synthetic microservice system under traffic, with injected faults and per-trace ground truth.
//
// Algorithm: a random layered service graph (topology.ts), trace arrivals by a thinned non-homogeneous Poisson
// process (daily sinusoid × bursts × volume faults), and one recursive execution per trace (engine.ts) that writes
// spans straight into a SpanTableBuilder and derives the truth by construction.
// Reference: Lewis & Shedler, "Simulation of nonhomogeneous Poisson processes by thinning" (1979).
import { SpanTableBuilder } from '@aiops/span-model';
import { type CompiledFault, TraceEngine } from './internal/engine.ts';
import { Random } from './internal/random.ts';
import { buildTopology, publicTopology, type Topology } from './internal/topology.ts';
import type {
  FaultSpec,
  Scenario,
  ScenarioOptions,
  ScenarioTopology,
  TraceTruth,
  TruthEdge,
  TruthFault,
} from './types.ts';

/** Defaults of {@link generateScenario} (sizes that depend on `services` are computed when absent). */
export const SCENARIO_DEFAULTS: {
  readonly seed: number;
  readonly services: number;
  readonly fanOut: number;
  readonly depth: number;
  readonly entryEndpoints: number;
  readonly lowTrafficServices: number;
  readonly durationSeconds: number;
  readonly tracesPerSecond: number;
  readonly dailyAmplitude: number;
  readonly startHourOfDay: number;
  readonly startUnixNano: bigint;
  readonly latencySigma: number;
  readonly backgroundErrorRate: number;
  readonly cacheHitRatio: number;
  readonly dropRate: number;
  readonly messyClockSkewMs: number;
  readonly errorTagRate: number;
} = {
  seed: 1,
  services: 24,
  fanOut: 3,
  depth: 5,
  entryEndpoints: 6,
  lowTrafficServices: 2,
  durationSeconds: 600,
  tracesPerSecond: 20,
  dailyAmplitude: 0,
  startHourOfDay: 0,
  startUnixNano: 1_735_689_600_000_000_000n,
  latencySigma: 0.25,
  backgroundErrorRate: 0.0005,
  cacheHitRatio: 0.85,
  dropRate: 0.01,
  messyClockSkewMs: 2,
  errorTagRate: 0.7,
};

const D = SCENARIO_DEFAULTS;

/** Builds the topology of a scenario (the same one `generateScenario` uses for the same options). */
export function topologyOf(options: ScenarioOptions = {}): Topology {
  const services = options.services ?? D.services;
  if (!Number.isInteger(services) || services < 2) {
    throw new RangeError(`scenarios: services must be an integer ≥ 2, got ${services}`);
  }
  const seed = options.seed ?? D.seed;
  return buildTopology(
    {
      services,
      fanOut: Math.max(1, options.fanOut ?? D.fanOut),
      depth: Math.max(1, options.depth ?? D.depth),
      databases: options.databases ?? Math.ceil(services / 6),
      caches: options.caches ?? Math.ceil(services / 12),
      queues: options.queues ?? Math.ceil(services / 12),
      externals: options.externals ?? Math.ceil(services / 12),
      entryEndpoints: options.entryEndpoints ?? D.entryEndpoints,
      lowTrafficServices: options.lowTrafficServices ?? D.lowTrafficServices,
      sigma: options.latencySigma ?? D.latencySigma,
    },
    new Random(seed * 7919 + 1),
  );
}

/**
 * The topology a scenario with these options will have: services, normal edges, entries and operations.
 *
 * **Details** Use it to pick fault targets by name before generating (or pass `faults` as a function).
 *
 * **Complexity** O(services + operations).
 *
 * @example
 * ```ts
 * const topo = scenarioTopology({ seed: 3 });
 * const db = topo.services.find((s) => s.kind === 'database')!.name;
 * ```
 */
export function scenarioTopology(options: ScenarioOptions = {}): ScenarioTopology {
  return publicTopology(topologyOf(options));
}

function compileFaults(topo: Topology, faults: readonly FaultSpec[]): CompiledFault[] {
  const lookup = (name: string | undefined, i: number, field: string): number => {
    if (name === undefined) return -1;
    const idx = topo.byName.get(name);
    if (idx === undefined) throw new RangeError(`scenarios: fault ${i} names unknown ${field} "${name}"`);
    return idx;
  };
  return faults.map((spec, i) => {
    if (!(spec.endSeconds > spec.startSeconds)) {
      throw new RangeError(`scenarios: fault ${i} ends (${spec.endSeconds}s) before it starts (${spec.startSeconds}s)`);
    }
    if ((spec.kind === 'new-call' || spec.kind === 'missing-call') && (!spec.service || !spec.target)) {
      throw new TypeError(`scenarios: fault ${i} (${spec.kind}) needs service (caller) and target`);
    }
    if (spec.kind !== 'volume' && spec.kind !== 'new-call' && spec.kind !== 'missing-call' && !spec.service) {
      throw new TypeError(`scenarios: fault ${i} (${spec.kind}) needs a service`);
    }
    return {
      index: i,
      spec,
      service: lookup(spec.service, i, 'service'),
      caller: lookup(spec.caller, i, 'caller'),
      target: lookup(spec.target, i, 'target'),
      startNano: spec.startSeconds * 1e9,
      endNano: spec.endSeconds * 1e9,
    };
  });
}

/**
 * Generates a scenario: a span table of synthetic traffic through a microservice topology, with injected faults
 * and the ground truth of every trace.
 *
 * **Details**
 * - Deterministic: the same options (and seed) give byte-identical tables and truth.
 * - Spans follow OpenTelemetry instrumentation: a client span in the caller and a server span in the callee for
 *   HTTP, client spans with `db.*` for databases and Redis, producer/consumer spans (FOLLOWS_FROM) for Kafka,
 *   client spans with `peer.service` and no server span for external APIs.
 * - The truth (`truth.traces`) gives per trace the slow cause (only when the injected latency lies on the
 *   critical path), the error origin, the path of services that failed because of it, and handled errors.
 *
 * **Complexity** O(spans); about a second per 10^6 spans plus Arrow assembly. Truth holds one object per trace.
 *
 * **Gotchas** Faults match by trace start time; a trace that starts just before a window is not affected. Messy
 * mode drops spans after the truth is decided, so an error origin may be missing from the table.
 *
 * @example
 * ```ts
 * const { table, truth } = generateScenario({
 *   seed: 7,
 *   faults: [{ kind: 'latency', service: 'inventory-service', factor: 8, startSeconds: 120, endSeconds: 240 }],
 * });
 * truth.traces.filter((t) => t.slowCause?.service === 'inventory-service').length; // > 0
 * ```
 */
export function generateScenario(options: ScenarioOptions = {}): Scenario {
  const seed = options.seed ?? D.seed;
  const topo = topologyOf(options);
  const publicTopo = publicTopology(topo);
  const specs = typeof options.faults === 'function' ? options.faults(publicTopo) : (options.faults ?? []);
  const faults = compileFaults(topo, specs);
  const bare = options.bare ?? false;
  const messy = (options.messy ?? false) || bare;
  const durationSeconds = options.durationSeconds ?? D.durationSeconds;
  const startUnixNano = options.startUnixNano ?? D.startUnixNano;
  const settings = {
    messy,
    bare,
    dropRate: messy ? (options.dropRate ?? D.dropRate) : 0,
    clockSkewMs: options.clockSkewMs ?? (messy ? D.messyClockSkewMs : 0),
    errorTagRate: options.errorTagRate ?? D.errorTagRate,
    messyStyle: options.messyStyle ?? 'tags',
    issueOrderStarts: options.issueOrderStarts ?? false,
    backgroundErrorRate: options.backgroundErrorRate ?? D.backgroundErrorRate,
    cacheHitRatio: options.cacheHitRatio ?? D.cacheHitRatio,
    fixedStructure: false,
    shuffleConcurrent: false,
    startUnixNano,
  };

  let rate = options.tracesPerSecond ?? D.tracesPerSecond;
  const spanTarget = options.spans;
  if (spanTarget !== undefined) {
    // A pilot run on a throwaway builder estimates spans per trace, so the rate fills the duration.
    const pilot = new TraceEngine(
      topo,
      new SpanTableBuilder(),
      new Random(seed ^ 0x5bd1e995),
      new Random(1),
      { ...settings, messy: false },
      [],
    );
    const rng = new Random(seed ^ 0x27d4eb2f);
    let spans = 0;
    const pilotTraces = 400;
    for (let i = 0; i < pilotTraces; i++) spans += pilot.run(pickEntry(topo, rng.next(), 0, faults), 0).spanCount;
    rate = spanTarget / (durationSeconds * (spans / pilotTraces));
  }

  const builder = new SpanTableBuilder({ initialCapacity: spanTarget ?? Math.ceil(rate * durationSeconds * 30) });
  const engine = new TraceEngine(
    topo,
    builder,
    new Random(seed * 31 + 7),
    new Random(seed * 131 + 17),
    settings,
    faults,
  );
  const traffic = new Random(seed * 17 + 3);
  const amplitude = options.dailyAmplitude ?? D.dailyAmplitude;
  const phase = ((options.startHourOfDay ?? D.startHourOfDay) / 24) * 86400;
  const bursts = options.bursts ?? [];
  const volume = faults.filter((f) => f.spec.kind === 'volume');
  let maxFactor = 1 + Math.abs(amplitude);
  for (const b of bursts) maxFactor *= Math.max(1, b.factor);
  for (const f of volume) maxFactor *= Math.max(1, f.spec.factor ?? 5);
  const lambdaMax = rate * maxFactor;
  const traces: TraceTruth[] = [];
  const nodes = topo.nodes;
  let t = 0;
  for (;;) {
    t += traffic.exponential(lambdaMax);
    if (t >= durationSeconds) break;
    if (spanTarget !== undefined && builder.length >= spanTarget) break;
    let lambda = rate * (1 + amplitude * Math.sin((2 * Math.PI * (t + phase)) / 86400 - Math.PI / 2));
    for (const b of bursts) if (t >= b.startSeconds && t < b.startSeconds + b.durationSeconds) lambda *= b.factor;
    const tNano = t * 1e9;
    // Volume faults reshape the entry mix; the total rate scales by their weighted factor.
    let volumeScale = 1;
    for (const f of volume) {
      if (tNano < f.startNano || tNano >= f.endNano) continue;
      const share = entryShare(topo, f);
      volumeScale += share * ((f.spec.factor ?? 5) - 1);
    }
    lambda *= volumeScale;
    if (traffic.next() * lambdaMax > lambda) continue;
    const entry = pickEntry(topo, traffic.next(), tNano, faults);
    const run = engine.run(entry, tNano);
    let faultIndex = run.faultIndex;
    for (const f of volume) {
      if (tNano >= f.startNano && tNano < f.endNano && volumeMatches(topo, f, entry)) {
        if (faultIndex < 0 || f.index < faultIndex) faultIndex = f.index;
        engine.faultTraces[f.index]!++;
      }
    }
    const op = topo.ops[entry]!;
    const o = run.outcome;
    const failed = o.failed || o.http >= 400;
    const truth: TraceTruth = {
      traceId: hex(engine.currentTraceId),
      entryService: nodes[op.service]!.name,
      entryOperation: op.name,
      startUnixNano: startUnixNano + BigInt(Math.round(tNano)),
      durationNano: BigInt(Math.round(run.rootEndNano - run.rootStartNano)),
      spanCount: run.spanCount,
      droppedSpans: run.droppedSpans,
      faultIndex,
      failed,
      httpStatusCode: o.http,
      ...(run.slowCause ? { slowCause: run.slowCause } : {}),
      ...(failed && o.origin
        ? { errorOrigin: o.origin, errorPath: o.path ?? [], errorType: o.errorType || 'http5xx' }
        : {}),
      ...(run.handled.length > 0 ? { handledErrors: run.handled } : {}),
    };
    traces.push(truth);
  }
  const table = builder.finish();

  const edges: TruthEdge[] = [];
  for (const [key, kind] of engine.edges) {
    const from = nodes[Math.floor(key / 65536)]!.name;
    const to = nodes[key % 65536]!.name;
    const normal = publicTopo.edges.some((e) => e.from === from && e.to === to);
    const fault = engine.edgeFault.get(key);
    edges.push(
      !normal && fault !== undefined
        ? { from, to, kind: kind as TruthEdge['kind'], faultIndex: fault }
        : { from, to, kind: kind as TruthEdge['kind'] },
    );
  }
  edges.sort((a, b) => (a.from === b.from ? (a.to < b.to ? -1 : 1) : a.from < b.from ? -1 : 1));
  const truthFaults: TruthFault[] = faults.map((f) => ({
    ...f.spec,
    startUnixNano: startUnixNano + BigInt(Math.round(f.startNano)),
    endUnixNano: startUnixNano + BigInt(Math.round(f.endNano)),
    affectedTraces: engine.faultTraces[f.index]!,
  }));
  const services = publicTopo.services.map((s) => {
    const n = nodes[topo.byName.get(s.name)!]!;
    return messy && n.pods.length > 0 ? { ...s, pods: n.pods.slice() } : s;
  });
  return {
    table,
    truth: {
      seed,
      startUnixNano,
      durationSeconds,
      messy,
      services,
      edges,
      entries: publicTopo.entries,
      faults: truthFaults,
      traces,
      spanCount: table.numSpans,
    },
  };
}

function volumeMatches(topo: Topology, f: CompiledFault, entry: number): boolean {
  const op = topo.ops[entry]!;
  if (f.service >= 0 && op.service !== f.service) return false;
  if (f.spec.operation !== undefined && op.name !== f.spec.operation) return false;
  return true;
}

function entryShare(topo: Topology, f: CompiledFault): number {
  let share = 0;
  for (const e of topo.entries) if (volumeMatches(topo, f, e)) share += topo.ops[e]!.weight;
  return share;
}

function pickEntry(topo: Topology, u: number, tNano: number, faults: readonly CompiledFault[]): number {
  let total = 0;
  const w = (e: number): number => {
    let x = topo.ops[e]!.weight;
    for (const f of faults) {
      if (f.spec.kind === 'volume' && tNano >= f.startNano && tNano < f.endNano && volumeMatches(topo, f, e)) {
        x *= f.spec.factor ?? 5;
      }
    }
    return x;
  };
  for (const e of topo.entries) total += w(e);
  let x = u * total;
  for (const e of topo.entries) {
    x -= w(e);
    if (x < 0) return e;
  }
  return topo.entries[topo.entries.length - 1]!;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}
