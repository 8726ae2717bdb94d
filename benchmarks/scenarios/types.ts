// Public types of the scenario generator: options, fault specifications and the ground truth it writes.
import type { SpanTable } from '@aiops/span-model';

/** What a node of the topology is. */
export type ServiceKind = 'service' | 'database' | 'cache' | 'queue' | 'external';

/** How an edge is called. */
export type EdgeKind = 'http' | 'db' | 'cache' | 'produce' | 'consume' | 'external';

/**
 * Kinds of injected faults.
 *
 * - `latency`: self time of the matching calls × `factor` (default 5) and/or + `addMs`.
 * - `error`: the matching server fails with HTTP `httpStatus` (default 500), exception event, `error.type`;
 *   callers propagate 5xx up the chain or handle it according to their call-site policy.
 * - `timeout`: the matching callee gets slow (`addMs`, default 3 × the caller's timeout); the caller's client span
 *   ends at its deadline with status message "deadline exceeded" and `error.type=timeout` while the callee continues.
 * - `http4xx`: the matching server answers `httpStatus` (default 400); callers propagate it.
 * - `unavailable`: connection refused: the caller's client span fails fast with `ECONNREFUSED` and no server span.
 * - `rate-limit`: the matching server answers 429; callers retry (when their policy allows) and then fail.
 * - `retry`: the first `retries` (default 1) attempts fail with 503 and the caller retries until one succeeds;
 *   these are handled errors, the trace succeeds.
 * - `n-plus-one`: a matching database query is issued `count` (default 25) times in sequence instead of once.
 * - `new-call`: the matching operation also calls `target` (a new edge, absent outside the window).
 * - `missing-call`: the matching operation no longer calls `target` (the edge disappears in the window).
 * - `volume`: the traffic of the matching entry (or of all entries) × `factor` (spike > 1, drop < 1).
 */
export type FaultKind =
  | 'latency'
  | 'error'
  | 'timeout'
  | 'http4xx'
  | 'unavailable'
  | 'rate-limit'
  | 'retry'
  | 'n-plus-one'
  | 'new-call'
  | 'missing-call'
  | 'volume'
  | 'network-delay';

/**
 * One injected fault, active from `startSeconds` to `endSeconds` after the scenario start (by trace start time).
 *
 * **Details** The fault matches calls by callee: `service` (the called service, database, cache or external API),
 * optionally narrowed by `operation` (the callee's server operation, e.g. `GET /api/cart/{id}`, or a database
 * operation such as `SELECT`), `statement` (a substring of `db.statement`) and `caller` (the calling service: an
 * edge fault). For `new-call`/`missing-call`, `service` is the caller and `target` the callee. For `volume`,
 * `service`/`operation` select entry endpoints (all entries when absent).
 */
export interface FaultSpec {
  /** What is injected. */
  readonly kind: FaultKind;
  /** Window start, seconds after the scenario start. */
  readonly startSeconds: number;
  /** Window end (exclusive), seconds after the scenario start. */
  readonly endSeconds: number;
  /** The callee service (see Details). */
  readonly service?: string;
  /** The callee operation (server span name) or database operation. */
  readonly operation?: string;
  /** Only calls made by this service (an edge fault). */
  readonly caller?: string;
  /** Only database calls whose statement contains this text. */
  readonly statement?: string;
  /** Latency multiplier (latency, default 5) or traffic multiplier (volume, default 5). */
  readonly factor?: number;
  /** Added latency in milliseconds (latency, timeout, network-delay: added between the client and server span). */
  readonly addMs?: number;
  /** Fraction of matching calls affected (default 1 for latency/timeout/unavailable, 0.5 for error/4xx/429). */
  readonly probability?: number;
  /** HTTP status for `error` (default 500) and `http4xx` (default 400). */
  readonly httpStatus?: number;
  /** Number of repeated queries for `n-plus-one` (default 25). */
  readonly count?: number;
  /** Failed attempts before success for `retry` (default 1). */
  readonly retries?: number;
  /** The callee of a `new-call`/`missing-call` fault. */
  readonly target?: string;
}

/** A burst of traffic: the arrival rate × `factor` during the window. */
export interface TrafficBurst {
  /** Start, seconds after the scenario start. */
  readonly startSeconds: number;
  /** Length in seconds. */
  readonly durationSeconds: number;
  /** Rate multiplier. */
  readonly factor: number;
}

/** Options of `generateScenario`. Every field is optional; see `SCENARIO_DEFAULTS`. */
export interface ScenarioOptions {
  /** Seed of every random choice: same seed and options give the same table and truth. Default 1. */
  readonly seed?: number;
  /** Application services (≥ 2; realistic names up to 40, then numbered). Default 24. */
  readonly services?: number;
  /** Maximum callees per service. Default 3. */
  readonly fanOut?: number;
  /** Levels of the call tree below the entry services. Default 5. */
  readonly depth?: number;
  /** Databases. Default ⌈services / 6⌉. */
  readonly databases?: number;
  /** Redis caches. Default ⌈services / 12⌉. */
  readonly caches?: number;
  /** Kafka topics (each with one consumer service). Default ⌈services / 12⌉. */
  readonly queues?: number;
  /** External HTTP APIs. Default ⌈services / 12⌉. */
  readonly externals?: number;
  /** Entry endpoints on the `frontend` service. Default 6. */
  readonly entryEndpoints?: number;
  /** Extra low-traffic, high-variance entry services (admin tools, batch jobs). Default 2. */
  readonly lowTrafficServices?: number;
  /** Scenario length in seconds. Default 600. */
  readonly durationSeconds?: number;
  /** Mean trace arrival rate (traces per second over all entries). Default 20. */
  readonly tracesPerSecond?: number;
  /**
   * Target span count: when set, the arrival rate is scaled so that about this many spans are generated over
   * `durationSeconds`, and generation stops once it is reached.
   */
  readonly spans?: number;
  /** Amplitude (0..1) of the sinusoidal daily pattern of the arrival rate. Default 0 (flat). */
  readonly dailyAmplitude?: number;
  /** Hour of the day (0..24) at the scenario start, for the daily pattern. Default 0. */
  readonly startHourOfDay?: number;
  /** Traffic bursts. Default none. */
  readonly bursts?: readonly TrafficBurst[];
  /** Scenario start, nanoseconds since the epoch. Default 2025-01-01T00:00:00Z. */
  readonly startUnixNano?: bigint;
  /** Shape (log-space standard deviation) of the lognormal latency noise. Default 0.25. */
  readonly latencySigma?: number;
  /** Rate of spontaneous (non-injected) server errors per call. Default 0.0005. */
  readonly backgroundErrorRate?: number;
  /** Cache hit ratio. Default 0.85. */
  readonly cacheHitRatio?: number;
  /** Injected faults, or a function choosing them from the topology. Default none. */
  readonly faults?: readonly FaultSpec[] | ((topology: ScenarioTopology) => readonly FaultSpec[]);
  /**
   * Messy data like the public fault-injection datasets: no span kinds, no status codes or HTTP status (errors
   * visible only through an `error=true` tag, or not at all), pod names as service names, dropped spans, clock
   * skew between hosts. Default false.
   */
  readonly messy?: boolean;
  /** Messy mode: fraction of spans dropped (their children become orphans). Default 0.01. */
  readonly dropRate?: number;
  /** Maximum clock skew between hosts, milliseconds (messy mode default 2, else 0). */
  readonly clockSkewMs?: number;
  /** Messy mode: fraction of error spans that keep an `error=true` tag. Default 0.7. */
  readonly errorTagRate?: number;
  /**
   * Bare spans, like the sparsest public fault-injection datasets: messy mode plus no span or resource attributes
   * at all except `service.name` (the pod name), so only names, parent links and timings remain (no `peer.service`,
   * no HTTP or database attributes, no `error` tag). Implies `messy`. Default false.
   */
  readonly bare?: boolean;
  /**
   * Messy mode: how failures are marked, after the exports of public fault-injection datasets (read as our ingest
   * decodes them; the span kind stays unset in every style):
   * - 'tags' (default): an `error=true` tag only, on `errorTagRate` of failed spans; no codes at all.
   * - 'jaeger': OpenTracing/Jaeger (TrainTicket, Sock Shop) — `http.status_code` as a string on every HTTP span; on
   *   `errorTagRate` of failed spans `error=true` (status ERROR) and an `event: error` log with `error.kind`, `message`.
   * - 'otel-grpc': OTel gRPC services through Jaeger (Online Boutique) — `rpc.grpc.status_code` on every RPC span
   *   (HTTP answers mapped to gRPC codes; a call that gave up DEADLINE_EXCEEDED, a refused one UNAVAILABLE); on
   *   `errorTagRate` of failed spans `otel.status_code=ERROR` with its description and an `exception` event.
   */
  readonly messyStyle?: MessyStyle;
  /**
   * Concurrent calls of one stage start in the order they are issued (each a further 0.02–0.15 ms after the one
   * before). Default false: call i starts i × U(0.02, 0.15) ms after the stage, so a later call may start first,
   * while the truth still names the first in issue order as the cause among failed concurrent calls.
   */
  readonly issueOrderStarts?: boolean;
}

/** How messy mode marks failures: see `ScenarioOptions.messyStyle`. */
export type MessyStyle = 'tags' | 'jaeger' | 'otel-grpc';

/** A node of the ground-truth topology. */
export interface TruthService {
  /** Service name as it appears in `service.name` (databases, caches and externals: their `peer.service`). */
  readonly name: string;
  /** What it is. */
  readonly kind: ServiceKind;
  /** Messy mode: the pod names the service's spans carry as service name. */
  readonly pods?: readonly string[];
  /** Databases: `db.system`; caches: `redis`; queues: `kafka`. */
  readonly system?: string;
}

/** A caller → callee pair that occurs in the spans. */
export interface TruthEdge {
  /** Calling service (for `consume` edges: the queue). */
  readonly from: string;
  /** Called service, database, cache, queue or external API (for `consume` edges: the consumer service). */
  readonly to: string;
  /** How it is called. */
  readonly kind: EdgeKind;
  /** Index of the `new-call` fault that creates this edge (the edge exists only in that window), else absent. */
  readonly faultIndex?: number;
}

/** An entry endpoint: the root span of a trace. */
export interface TruthEntry {
  /** Entry service. */
  readonly service: string;
  /** Root span name, e.g. `GET /api/checkout`. */
  readonly operation: string;
  /** Mean share of the traffic (sums to 1 over entries). */
  readonly weight: number;
}

/** A fault as injected, with its absolute window. */
export interface TruthFault extends FaultSpec {
  /** Window start, nanoseconds since the epoch. */
  readonly startUnixNano: bigint;
  /** Window end, nanoseconds since the epoch. */
  readonly endUnixNano: bigint;
  /** Traces the fault touched. */
  readonly affectedTraces: number;
}

/** A service and operation (server span name; for databases, caches and externals the client span name). */
export interface ServiceOperation {
  /** Logical service name. */
  readonly service: string;
  /** Operation. */
  readonly operation: string;
}

/** Category of a trace's error. */
export type ErrorType = 'timeout' | 'http5xx' | 'http4xx' | 'unavailable' | 'business';

/**
 * An error that did not fail the trace: absorbed by its caller (fallback, successful retry, optional feature) or
 * raised by an asynchronous consumer (`async`).
 */
export interface HandledError extends ServiceOperation {
  /** The service that handled it. */
  readonly caller: string;
  /** Category. */
  readonly errorType: ErrorType;
  /** How it was handled. */
  readonly handling: 'fallback' | 'retried' | 'ignored' | 'async';
}

/** The slow cause of a trace. */
export interface SlowCause extends ServiceOperation {
  /** The latency, timeout or n-plus-one fault. */
  readonly faultIndex: number;
  /** Latency the fault added to the critical path, nanoseconds (at most the added self time). */
  readonly addedNano: number;
}

/** Ground truth of one trace. */
export interface TraceTruth {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** Service of the root span. */
  readonly entryService: string;
  /** Name of the root span. */
  readonly entryOperation: string;
  /** Root span start (true time, before any clock skew), nanoseconds since the epoch. */
  readonly startUnixNano: bigint;
  /** Root span duration, nanoseconds. */
  readonly durationNano: bigint;
  /** Spans generated for the trace (before messy-mode drops). */
  readonly spanCount: number;
  /** Spans dropped by messy mode. */
  readonly droppedSpans: number;
  /** First injected fault that touched the trace, or -1. */
  readonly faultIndex: number;
  /** The service/operation whose injected latency lies on the critical path of the root (absent otherwise). */
  readonly slowCause?: SlowCause;
  /** Whether the entry answered with an error (HTTP ≥ 400 or error status). */
  readonly failed: boolean;
  /** HTTP status of the root span. */
  readonly httpStatusCode: number;
  /** Where the error that failed the trace started (for timeouts: the slow callee). */
  readonly errorOrigin?: ServiceOperation;
  /** Services from the origin up to the root that failed because of it (origin first, root last). */
  readonly errorPath?: readonly string[];
  /** Category of the error that failed the trace. */
  readonly errorType?: ErrorType;
  /** Errors absorbed on the way. */
  readonly handledErrors?: readonly HandledError[];
}

/** Ground truth of a scenario. */
export interface ScenarioTruth {
  /** The seed. */
  readonly seed: number;
  /** Scenario start, nanoseconds since the epoch. */
  readonly startUnixNano: bigint;
  /** Scenario length, seconds. */
  readonly durationSeconds: number;
  /** Whether messy mode was on. */
  readonly messy: boolean;
  /** Every service, database, cache, queue and external API. */
  readonly services: readonly TruthService[];
  /** Every caller → callee pair that can occur (normal edges and fault-made ones). */
  readonly edges: readonly TruthEdge[];
  /** Entry endpoints. */
  readonly entries: readonly TruthEntry[];
  /** Injected faults with absolute windows. */
  readonly faults: readonly TruthFault[];
  /** One entry per trace, in start order. */
  readonly traces: readonly TraceTruth[];
  /** Total spans in the table. */
  readonly spanCount: number;
}

/** A generated scenario: spans and what is true about them. */
export interface Scenario {
  /** The spans. */
  readonly table: SpanTable;
  /** The ground truth. */
  readonly truth: ScenarioTruth;
}

/** One step of an operation, as exposed by {@link ScenarioTopology}. */
export interface TopologyCall {
  /** How it is called. */
  readonly kind: EdgeKind;
  /** Callee name. */
  readonly target: string;
  /** Callee operation (server span name, database operation, cache command, topic). */
  readonly operation: string;
  /** Database statement, cache command or URL. */
  readonly detail: string;
  /** Index of the stage: stages run one after the other. */
  readonly stage: number;
  /** Whether other calls of the same stage run concurrently with this one. */
  readonly concurrent: boolean;
}

/** An operation of a service. */
export interface TopologyOperation {
  /** Service. */
  readonly service: string;
  /** Server span name, e.g. `GET /api/orders/{id}`. */
  readonly name: string;
  /** Calls it makes. */
  readonly calls: readonly TopologyCall[];
}

/** The generated topology, available before traffic is generated (to choose fault targets). */
export interface ScenarioTopology {
  /** Every node. */
  readonly services: readonly TruthService[];
  /** Every normal edge. */
  readonly edges: readonly TruthEdge[];
  /** Entry endpoints. */
  readonly entries: readonly TruthEntry[];
  /** Every operation of every application service. */
  readonly operations: readonly TopologyOperation[];
}
