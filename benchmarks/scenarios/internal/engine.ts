// The trace engine: executes one request through the topology and writes its spans straight into a
// SpanTableBuilder, computing the ground truth (slow cause, error origin and path, handled errors) as it goes.
//
// Spans are written in post-order (children first, as SDKs export them when they end). Each server span keeps a
// small list of its children's intervals so that it can tell which child lies on its critical path:
//
//   server |=====================================|
//   client A  |======|                              stage 1 (parallel): A and B; B ends last → on the path
//   client B  |=============|
//   client C                  |===============|     stage 2: C → on the path
//   critical path, latest first: C, B (A ends before B and is hidden behind it)
//
// Algorithm: the critical-path walk of jaeger-ui/CRISP over child intervals (latest-ending child first, then the
// latest child ending before its start), applied bottom-up, so a latency fault is the trace's slow cause only when
// every span between it and the root lies on its parent's critical path.
import {
  AttributeType,
  SpanKind as Kind,
  ParentRefType,
  type SpanKind,
  type SpanTableBuilder,
  StatusCode,
} from '@aiops/span-model';
import type { ErrorType, FaultSpec, HandledError, MessyStyle, ServiceOperation, SlowCause } from '../types.ts';
import { USER_AGENTS } from './names.ts';
import type { Random } from './random.ts';
import type { Node, Op, Step, Topology } from './topology.ts';

/** Engine settings. */
export interface EngineSettings {
  readonly messy: boolean;
  /** Bare spans: only `service.name` (the pod) on resources, no span attributes, no error tags. */
  readonly bare?: boolean;
  /** Messy mode: how failures are marked (default 'tags': an `error=true` tag only). */
  readonly messyStyle?: MessyStyle;
  /** Concurrent calls start in the order they are issued (cumulative jitter). */
  readonly issueOrderStarts?: boolean;
  readonly dropRate: number;
  readonly clockSkewMs: number;
  readonly errorTagRate: number;
  readonly backgroundErrorRate: number;
  readonly cacheHitRatio: number;
  /** Pair mode: no optional-call or cache randomness, concurrent steps shuffled. */
  readonly fixedStructure: boolean;
  readonly shuffleConcurrent: boolean;
  readonly startUnixNano: bigint;
}

/** A fault resolved against the topology. */
export interface CompiledFault {
  readonly index: number;
  readonly spec: FaultSpec;
  readonly service: number;
  readonly caller: number;
  readonly target: number;
  readonly startNano: number;
  readonly endNano: number;
}

/** A one-trace override used by trace pairs. */
export interface TraceOverride {
  readonly kind: 'slow-span' | 'added-retry' | 'changed-query' | 'failed-call' | 'missing-cache-hit';
  /** The step (by identity) the difference applies to. */
  readonly step: Step;
  readonly factor?: number;
  readonly statement?: string;
}

interface Mark {
  readonly faultIndex: number;
  readonly service: number;
  readonly operation: string;
  readonly added: number;
}

interface Frame {
  cs: number[];
  ce: number[];
  cm: (Mark | null)[];
}

class Outcome {
  end = 0;
  failed = false;
  http = 0;
  errorType: ErrorType | '' = '';
  origin: ServiceOperation | null = null;
  path: string[] | null = null;
  mark: Mark | null = null;
}

/** The truth of one executed trace. */
export interface TraceRun {
  readonly rootEndNano: number;
  readonly rootStartNano: number;
  readonly outcome: Outcome;
  readonly spanCount: number;
  readonly droppedSpans: number;
  readonly faultIndex: number;
  readonly handled: HandledError[];
  readonly slowCause: SlowCause | undefined;
}

const MS = 1e6;
const TWO32 = 4294967296;
/** gRPC codes of the HTTP answers the engine writes (messy style 'otel-grpc'). */
const GRPC_OF_HTTP: Record<number, number> = { 400: 3, 404: 5, 429: 8, 503: 14, 504: 4 };

const ERROR_NAMES: Record<string, [string, string]> = {
  http5xx: ['java.lang.IllegalStateException', 'Internal Server Error'],
  http4xx: ['org.springframework.web.client.HttpClientErrorException', 'Bad Request'],
};

/** Executes traces through a topology into a builder. */
export class TraceEngine {
  readonly topo: Topology;
  readonly b: SpanTableBuilder;
  readonly rng: Random;
  readonly mess: Random;
  readonly s: EngineSettings;
  readonly faults: readonly CompiledFault[];
  /** Occurring edges: key `from*N+to` → edge kind. */
  readonly edges: Map<number, string> = new Map();
  readonly edgeFault: Map<number, number> = new Map();
  readonly faultTraces: Int32Array;
  private readonly resources: (readonly (readonly [string, AttributeType, string])[])[][];
  private readonly skew: number[][];
  private readonly k: Record<string, number>;
  private readonly baseHi: number;
  private readonly baseLo: number;
  private readonly fallbackSteps = new Map<Step, Step>();
  // Per-trace state.
  private ids = new Uint8Array(8 * 256);
  private nIds = 0;
  private traceOff = 0;
  private active: CompiledFault[] = [];
  private touched = -1;
  /** HTTP code the next finished span answered or got (-1: not an HTTP call), and its failure (messy styles). */
  private reply = -1;
  private replyType: ErrorType | '' = '';
  private touchedSet = new Set<number>();
  private handled: HandledError[] = [];
  private spans = 0;
  private dropped = 0;
  private stack: number[] = [];
  private lastResource: unknown = null;
  private override: TraceOverride | undefined;
  /** A pair override for the next server span (set by the calling step). */
  private force: { factor?: number; status?: number; early: boolean } | null = null;
  /** How many times a pair override was applied in the current trace. */
  overrideApplied = 0;
  private readonly traceId = new Uint8Array(16);
  /** Rounded start/end offsets of the last span written (the root, after `run`). */
  private lastStart = 0;
  private lastEnd = 0;

  constructor(
    topo: Topology,
    builder: SpanTableBuilder,
    rng: Random,
    mess: Random,
    settings: EngineSettings,
    faults: readonly CompiledFault[],
  ) {
    this.topo = topo;
    this.b = builder;
    this.rng = rng;
    this.mess = mess;
    this.s = settings;
    this.faults = faults;
    this.faultTraces = new Int32Array(faults.length);
    const base = settings.startUnixNano;
    this.baseHi = Number(base >> 32n);
    this.baseLo = Number(base & 0xffffffffn);
    this.resources = topo.nodes.map((n) =>
      n.pods.map((pod) => {
        if (settings.bare) return [['service.name', AttributeType.String, pod]] as [string, AttributeType, string][];
        const attrs: [string, AttributeType, string][] = [
          ['service.name', AttributeType.String, settings.messy ? pod : n.name],
          ['service.namespace', AttributeType.String, 'shop'],
          ['service.version', AttributeType.String, n.version],
          ['host.name', AttributeType.String, pod],
          ['k8s.pod.name', AttributeType.String, pod],
          ['k8s.namespace.name', AttributeType.String, 'shop-prod'],
          ['deployment.environment.name', AttributeType.String, 'production'],
          ['telemetry.sdk.language', AttributeType.String, n.index % 3 === 0 ? 'nodejs' : 'java'],
          ['telemetry.sdk.name', AttributeType.String, 'opentelemetry'],
        ];
        return attrs;
      }),
    );
    this.skew = topo.nodes.map((n) =>
      n.pods.map(() => (settings.clockSkewMs > 0 ? mess.range(-settings.clockSkewMs, settings.clockSkewMs) * MS : 0)),
    );
    const keys = [
      'http.request.method',
      'http.route',
      'url.path',
      'url.scheme',
      'url.full',
      'url.template',
      'server.address',
      'server.port',
      'client.address',
      'user_agent.original',
      'network.protocol.version',
      'http.response.status_code',
      'error.type',
      'db.system',
      'db.name',
      'db.statement',
      'db.operation',
      'db.sql.table',
      'peer.service',
      'messaging.system',
      'messaging.destination.name',
      'messaging.operation',
      'messaging.kafka.message.key',
      'http.request.resend_count',
      'error',
      'http.method',
      'http.url',
      'db.type',
      'code.function',
    ];
    this.k = Object.fromEntries(keys.map((key) => [key, builder.internAttributeKey(key)]));
  }

  // ---- span writing -------------------------------------------------------------------------------------------

  private newSlot(): number {
    if ((this.nIds + 1) * 8 > this.ids.length) {
      const next = new Uint8Array(this.ids.length * 2);
      next.set(this.ids);
      this.ids = next;
    }
    this.rng.bytes(this.ids, this.nIds * 8, 8);
    return this.nIds++;
  }

  /** Begins a span; returns false when messy mode drops it (then nothing else must be written). */
  private begin(
    node: number,
    pod: number,
    slot: number,
    parent: number,
    ref: number,
    kind: SpanKind,
    name: string,
    start: number,
    end: number,
  ): boolean {
    this.spans++;
    if (this.s.messy && parent >= 0 && this.mess.chance(this.s.dropRate)) {
      this.dropped++;
      return false;
    }
    const b = this.b;
    const res = this.resources[node]![pod]!;
    if (res !== this.lastResource) {
      b.setResource(res);
      this.lastResource = res;
    }
    b.beginSpan();
    b.setTraceIdBytes(this.traceId, 0, 16);
    b.setSpanIdBytes(this.ids, slot * 8, slot * 8 + 8);
    if (parent >= 0) b.setParentSpanIdBytes(this.ids, parent * 8, parent * 8 + 8, ref as 1 | 2);
    b.setOperation(name);
    if (!this.s.messy) b.setKind(kind);
    const skew = this.skew[node]![pod]!;
    const s0 = this.traceOff + start + skew;
    const e0 = this.traceOff + end + skew;
    const sRound = Math.round(s0);
    const eRound = Math.max(sRound, Math.round(e0));
    this.lastStart = sRound;
    this.lastEnd = eRound;
    const sHi = Math.floor(sRound / TWO32);
    let sLo = this.baseLo + (sRound - sHi * TWO32);
    let sCarry = 0;
    if (sLo >= TWO32) {
      sLo -= TWO32;
      sCarry = 1;
    }
    const eHi = Math.floor(eRound / TWO32);
    let eLo = this.baseLo + (eRound - eHi * TWO32);
    let eCarry = 0;
    if (eLo >= TWO32) {
      eLo -= TWO32;
      eCarry = 1;
    }
    b.setStartEndWords(sLo, this.baseHi + sHi + sCarry, eLo, this.baseHi + eHi + eCarry);
    return true;
  }

  private str(key: string, value: string): void {
    if (this.s.bare) return;
    this.b.addAttributeCoded(this.k[key]!, AttributeType.String, value);
  }

  private int(key: string, value: number): void {
    if (this.s.bare) return;
    this.b.addAttributeCoded(this.k[key]!, AttributeType.Int, String(value));
  }

  /** Writes status, error attributes and the exception event, then commits. */
  private finish(
    isError: boolean,
    message: string,
    errorType: string,
    exceptionType: string,
    stack: string,
    at: number,
  ): void {
    const b = this.b;
    if (this.s.bare) {
      // Nothing marks a failure: only the timings show it.
    } else if (this.s.messy && (this.s.messyStyle ?? 'tags') !== 'tags') {
      this.styledMarks(isError, message, exceptionType, at);
    } else if (this.s.messy) {
      if (isError && this.mess.chance(this.s.errorTagRate))
        b.addAttributeCoded(this.k.error!, AttributeType.Bool, 'true');
    } else if (isError) {
      b.setStatus(StatusCode.Error, message);
      this.str('error.type', errorType);
      if (exceptionType !== '') {
        b.addEvent({
          timeUnixNano: this.settingsBase() + BigInt(Math.round(this.traceOff + at)),
          name: 'exception',
          attributes: [
            ['exception.type', AttributeType.String, exceptionType],
            ['exception.message', AttributeType.String, message],
            ['exception.stacktrace', AttributeType.String, stack],
          ],
        });
      }
    }
    b.commitSpan();
  }

  /**
   * Messy styles other than 'tags', written as our ingest decodes such exports (an `error=true` or
   * `otel.status_code=ERROR` tag also sets status ERROR there). The span kind stays unset.
   * - jaeger: OpenTracing/Jaeger — `http.status_code` as a string tag on HTTP spans, `error=true` and an `event:
   *   error` log (`error.kind`, `message`) on a failed span at `errorTagRate`.
   * - otel-grpc: OTel gRPC services exported through Jaeger — `rpc.grpc.status_code` on RPC spans (HTTP codes mapped
   *   to gRPC: 504 → 4, 503 → 14, 400 → 3, 404 → 5, 429 → 8, other 5xx → 13; a call that gave up → 4, one refused →
   *   14), `otel.status_code=ERROR` with `otel.status_description` and an `exception` event at `errorTagRate`.
   */
  private styledMarks(isError: boolean, message: string, exceptionType: string, at: number): void {
    const b = this.b;
    const style = this.s.messyStyle;
    const reply = this.reply;
    const replyType = this.replyType;
    this.reply = -1;
    this.replyType = '';
    const keep = isError && this.mess.chance(this.s.errorTagRate);
    const time = this.settingsBase() + BigInt(Math.round(this.traceOff + at));
    if (style === 'jaeger') {
      if (reply > 0) b.addAttribute('http.status_code', AttributeType.String, String(reply));
      if (!keep) return;
      b.addAttribute('error', AttributeType.Bool, 'true');
      b.setStatus(StatusCode.Error, '');
      if (exceptionType !== '') {
        b.addEvent({
          timeUnixNano: time,
          name: 'error',
          attributes: [
            ['error.kind', AttributeType.String, exceptionType],
            ['message', AttributeType.String, message],
          ],
        });
      }
      return;
    }
    if (reply >= 0) {
      let code = 0;
      if (reply === 0 && replyType !== '') code = replyType === 'timeout' ? 4 : replyType === 'unavailable' ? 14 : 2;
      else if (reply >= 400) code = GRPC_OF_HTTP[reply] ?? (reply >= 500 ? 13 : 9);
      b.addAttribute('rpc.system', AttributeType.String, 'grpc');
      b.addAttribute('rpc.grpc.status_code', AttributeType.Int, String(code));
    }
    if (!keep) return;
    b.addAttribute('otel.status_code', AttributeType.String, 'ERROR');
    b.addAttribute('otel.status_description', AttributeType.String, message);
    b.setStatus(StatusCode.Error, message);
    if (exceptionType !== '') {
      b.addEvent({
        timeUnixNano: time,
        name: 'exception',
        attributes: [
          ['exception.type', AttributeType.String, exceptionType],
          ['exception.message', AttributeType.String, message],
        ],
      });
    }
  }

  private settingsBase(): bigint {
    return this.s.startUnixNano;
  }

  private edge(from: number, to: number, kind: string): void {
    const key = from * 65536 + to;
    if (!this.edges.has(key)) this.edges.set(key, kind);
  }

  private touch(f: CompiledFault): void {
    if (this.touched < 0 || f.index < this.touched) this.touched = f.index;
    if (!this.touchedSet.has(f.index)) {
      this.touchedSet.add(f.index);
      this.faultTraces[f.index]!++;
    }
  }

  private noise(median: number, sigma: number): number {
    return this.rng.lognormal(median, sigma) * MS;
  }

  // ---- fault matching -------------------------------------------------------------------------------------------

  private matches(f: CompiledFault, callee: number, caller: number, operation: string, statement: string): boolean {
    if (f.service >= 0 && f.service !== callee) return false;
    if (f.caller >= 0 && f.caller !== caller) return false;
    if (f.spec.operation !== undefined && f.spec.operation !== operation) return false;
    if (f.spec.statement !== undefined && !statement.includes(f.spec.statement)) return false;
    return true;
  }

  private probability(f: CompiledFault, fallback: number): boolean {
    const p = f.spec.probability ?? fallback;
    return p >= 1 || this.rng.chance(p);
  }

  // ---- execution ------------------------------------------------------------------------------------------------

  /** Runs one trace of entry operation `entry` starting `offsetNano` after the scenario start. */
  run(entry: number, offsetNano: number, override?: TraceOverride): TraceRun {
    this.nIds = 0;
    this.traceOff = offsetNano;
    this.touched = -1;
    this.touchedSet.clear();
    this.handled = [];
    this.spans = 0;
    this.dropped = 0;
    this.stack.length = 0;
    this.override = override;
    this.overrideApplied = 0;
    this.active = this.faults.filter((f) => offsetNano >= f.startNano && offsetNano < f.endNano);
    this.rng.bytes(this.traceId, 0, 16);
    const root = this.server(entry, 0, -1, -1, 0, 3000, null);
    const mark = root.mark;
    return {
      rootStartNano: this.lastStart,
      rootEndNano: this.lastEnd,
      outcome: root,
      spanCount: this.spans,
      droppedSpans: this.dropped,
      faultIndex: this.touched,
      handled: this.handled,
      slowCause: mark
        ? {
            service: this.topo.nodes[mark.service]!.name,
            operation: mark.operation,
            faultIndex: mark.faultIndex,
            addedNano: Math.round(mark.added),
          }
        : undefined,
    };
  }

  /** The current trace id bytes (valid after `run`). */
  get currentTraceId(): Uint8Array {
    return this.traceId;
  }

  private server(
    opIndex: number,
    start: number,
    parent: number,
    caller: number,
    attempt: number,
    callerTimeoutMs: number,
    frameOfCaller: Frame | null,
  ): Outcome {
    void frameOfCaller;
    const topo = this.topo;
    const op = topo.ops[opIndex]!;
    const node = topo.nodes[op.service]!;
    const rng = this.rng;
    const pod = node.pods.length === 1 ? 0 : rng.int(0, node.pods.length - 1);
    const slot = this.newSlot();
    const out = new Outcome();
    let factor = 1;
    let addNano = 0;
    let latencyFault = -1;
    let failHttp = 0;
    let failType: ErrorType | '' = '';
    let early = false;
    for (const f of this.active) {
      if (!this.matches(f, node.index, caller, op.name, '')) continue;
      switch (f.spec.kind) {
        case 'latency':
          if (this.probability(f, 1)) {
            factor *= f.spec.factor ?? (f.spec.addMs === undefined ? 5 : 1);
            addNano += (f.spec.addMs ?? 0) * MS;
            latencyFault = f.index;
            this.touch(f);
          }
          break;
        case 'timeout':
          if (this.probability(f, 1)) {
            addNano += (f.spec.addMs ?? 3 * callerTimeoutMs) * MS;
            latencyFault = f.index;
            this.touch(f);
          }
          break;
        case 'error':
          if (this.probability(f, 0.5)) {
            failHttp = f.spec.httpStatus ?? 500;
            failType = 'http5xx';
            this.touch(f);
          }
          break;
        case 'http4xx':
          if (this.probability(f, 0.5)) {
            failHttp = f.spec.httpStatus ?? 400;
            failType = 'http4xx';
            early = true;
            this.touch(f);
          }
          break;
        case 'rate-limit':
          if (this.probability(f, 0.5)) {
            failHttp = 429;
            failType = 'http4xx';
            early = true;
            this.touch(f);
          }
          break;
        case 'retry':
          if (attempt < (f.spec.retries ?? 1)) {
            failHttp = 503;
            failType = 'http5xx';
            early = true;
            this.touch(f);
          }
          break;
        default:
          break;
      }
    }
    const force = this.force;
    this.force = null;
    if (force) {
      this.overrideApplied++;
      if (force.factor !== undefined) {
        factor *= force.factor;
        latencyFault = -2;
      }
      if (force.status !== undefined) {
        failHttp = force.status;
        failType = 'http5xx';
        early = force.early;
      }
    }
    if (failHttp === 0 && parent >= 0 && this.s.backgroundErrorRate > 0 && rng.chance(this.s.backgroundErrorRate)) {
      failHttp = 500;
      failType = 'http5xx';
    }
    const sigma = node.sigma;
    const kind = op.consumer ? Kind.Consumer : Kind.Server;
    const ref = op.consumer ? ParentRefType.FollowsFrom : ParentRefType.ChildOf;
    this.stack.push(node.index);
    const frame: Frame = { cs: [], ce: [], cm: [] };
    let end: number;
    let selfNano: number;
    let propagated: Outcome | null = null;
    if (early) {
      selfNano = this.noise(0.4, sigma);
      end = start + selfNano;
    } else {
      const self = this.noise(op.selfMs, sigma);
      const pre = self * 0.45 * factor + addNano;
      const post = self * 0.35 * factor;
      const gapEach = op.stages.length > 0 ? (self * 0.2 * factor) / (op.stages.length + 1) : 0;
      selfNano = pre + post + gapEach * (op.stages.length + 1);
      let t = start + pre;
      if (op.internalSpan !== '' && pre > 0.2 * MS) {
        const islot = this.newSlot();
        if (
          this.begin(
            node.index,
            pod,
            islot,
            slot,
            ParentRefType.ChildOf,
            Kind.Internal,
            op.internalSpan,
            start + 0.05 * MS,
            t - 0.05 * MS,
          )
        ) {
          this.str('code.function', op.internalSpan.replace(' ', '_'));
          this.finish(false, '', '', '', '', 0);
        }
      }
      const stages = this.stagesOf(op);
      for (const stage of stages) {
        if (propagated) break;
        t += gapEach;
        let stageEnd = t;
        const order = this.s.shuffleConcurrent && stage.length > 1 ? rng.shuffle(stage.slice()) : stage;
        let issued = 0;
        for (let i = 0; i < order.length; i++) {
          const step = order[i]!;
          if (step.probability < 1 && !this.s.fixedStructure && !rng.chance(step.probability)) continue;
          if (this.missing(op, step)) continue;
          let s0 = t;
          if (order.length > 1) {
            const jitter = rng.range(0.02, 0.15) * MS;
            if (this.s.issueOrderStarts) {
              if (i > 0) issued += jitter;
              s0 = t + issued;
            } else s0 = t + i * jitter;
          }
          const r = this.call(step, op, node, pod, slot, s0, frame);
          if (r.end > stageEnd) stageEnd = r.end;
          if (r.failed && !propagated) propagated = r;
        }
        t = stageEnd;
      }
      for (const f of this.active) {
        if (propagated || f.spec.kind !== 'new-call' || f.service !== node.index) continue;
        if (f.spec.operation !== undefined && f.spec.operation !== op.name) continue;
        if (this.stack.includes(f.target)) continue;
        const target = topo.nodes[f.target]!;
        const targetOp = topo.ops[target.ops[0]!]!;
        this.touch(f);
        const step: Step = {
          kind: 'http',
          target: target.index,
          targetOp: targetOp.index,
          spanName: `${targetOp.method} ${targetOp.route}`,
          method: targetOp.method,
          detail: targetOp.route,
          dbOperation: '',
          table: '',
          medianMs: 0,
          policy: 'propagate',
          maxRetries: 0,
          timeoutMs: 3000,
          probability: 1,
        };
        t += gapEach;
        const r = this.call(step, op, node, pod, slot, t, frame);
        this.edgeFault.set(node.index * 65536 + target.index, f.index);
        t = Math.max(t, r.end);
        if (r.failed) propagated = r;
      }
      t += gapEach + post;
      end = t;
    }
    this.stack.pop();

    // Outcome.
    if (propagated) {
      out.failed = true;
      out.errorType = propagated.errorType;
      out.origin = propagated.origin;
      out.path = [...(propagated.path ?? []), node.name];
      out.http =
        propagated.errorType === 'http4xx'
          ? propagated.http
          : propagated.errorType === 'timeout'
            ? 504
            : propagated.errorType === 'unavailable'
              ? 503
              : 500;
    } else if (failHttp > 0) {
      out.failed = true;
      out.errorType = failType;
      out.http = failHttp;
      out.origin = { service: node.name, operation: op.name };
      out.path = [node.name];
    } else {
      out.http = 200;
    }
    if (op.consumer) out.http = 0;
    out.end = end;
    out.mark = this.criticalMark(frame, end);
    if (latencyFault !== -1) {
      const added = (selfNano - addNano) * (1 - 1 / factor) + addNano;
      if (!out.mark || added >= out.mark.added) {
        out.mark = { faultIndex: latencyFault, service: node.index, operation: op.name, added };
      }
    }

    // The span.
    if (this.begin(node.index, pod, slot, parent, ref, kind, op.name, start, end)) {
      const messy = this.s.messy;
      if (op.consumer) {
        this.str('messaging.system', 'kafka');
        this.str('messaging.destination.name', op.route.replace('process ', ''));
        this.str('messaging.operation', 'process');
      } else if (messy) {
        this.str('http.method', op.method);
        this.str('http.url', `http://${node.name}:8080${op.route}`);
      } else {
        this.str('http.request.method', op.method);
        this.str('http.route', op.route);
        this.str(
          'url.path',
          op.route.replace(/\{[^}]+\}/g, () => String(rng.int(1000, 99999))),
        );
        this.str('url.scheme', 'http');
        this.str('server.address', node.name);
        this.int('server.port', 8080);
        this.str('network.protocol.version', '1.1');
        if (parent < 0) {
          this.str('user_agent.original', rng.pick(USER_AGENTS));
          this.str('client.address', `${rng.int(11, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`);
        } else {
          const callerNode = caller >= 0 ? topo.nodes[caller]! : node;
          this.str('client.address', callerNode.podIps[0] ?? '10.0.0.1');
        }
        this.int('http.response.status_code', out.http);
      }
      // Server spans: 5xx is an error, 4xx is not (OpenTelemetry HTTP semantic conventions).
      const isError = out.failed && (out.http >= 500 || op.consumer);
      const own = !propagated && failHttp > 0;
      const [exType, exMsg] = ERROR_NAMES[out.errorType || 'http5xx'] ?? ERROR_NAMES.http5xx!;
      this.reply = op.consumer ? -1 : out.http;
      this.replyType = out.failed ? out.errorType : '';
      this.finish(
        isError,
        own ? `${exMsg}: ${op.name}` : `upstream call failed (${out.http})`,
        String(out.http || 500),
        isError ? exType : '',
        node.stackTrace,
        end - 0.05 * MS,
      );
    }
    return out;
  }

  private stagesOf(op: Op): Step[][] {
    return op.stages;
  }

  private missing(op: Op, step: Step): boolean {
    for (const f of this.active) {
      if (f.spec.kind !== 'missing-call' || f.service !== op.service || f.target !== step.target) continue;
      if (f.spec.operation !== undefined && f.spec.operation !== op.name) continue;
      this.touch(f);
      return true;
    }
    return false;
  }

  /** The mark of the child that lies on the critical path with the most added latency. */
  private criticalMark(frame: Frame, end: number): Mark | null {
    const n = frame.cs.length;
    if (n === 0) return null;
    let best: Mark | null = null;
    const used = new Uint8Array(n);
    let cur = end;
    for (;;) {
      let pick = -1;
      let pickEnd = -Infinity;
      for (let i = 0; i < n; i++) {
        if (used[i] || frame.cs[i]! >= cur) continue;
        const e = Math.min(frame.ce[i]!, cur);
        if (e > pickEnd) {
          pickEnd = e;
          pick = i;
        }
      }
      if (pick < 0) break;
      used[pick] = 1;
      const m = frame.cm[pick];
      if (m && (!best || m.added > best.added)) best = m;
      cur = frame.cs[pick]!;
    }
    return best;
  }

  private child(frame: Frame, start: number, end: number, mark: Mark | null): void {
    frame.cs.push(start);
    frame.ce.push(end);
    frame.cm.push(mark);
  }

  private call(step: Step, op: Op, node: Node, pod: number, parent: number, start: number, frame: Frame): Outcome {
    switch (step.kind) {
      case 'http':
      case 'external':
        return this.httpCall(step, op, node, pod, parent, start, frame);
      case 'db':
        return this.dbCall(step, op, node, pod, parent, start, frame);
      case 'cache':
        return this.cacheCall(step, op, node, pod, parent, start, frame);
      default:
        return this.produce(step, node, pod, parent, start, frame);
    }
  }

  private httpCall(step: Step, op: Op, node: Node, pod: number, parent: number, start: number, frame: Frame): Outcome {
    const topo = this.topo;
    const rng = this.rng;
    const callee = topo.nodes[step.target]!;
    const external = step.kind === 'external';
    const calleeOp = external ? step.spanName : topo.ops[step.targetOp]!.name;
    let maxRetries = step.policy === 'retry' ? step.maxRetries : 0;
    let unavailable: CompiledFault | null = null;
    for (const f of this.active) {
      if (!this.matches(f, callee.index, node.index, calleeOp, '')) continue;
      if (f.spec.kind === 'retry') maxRetries = Math.max(maxRetries, f.spec.retries ?? 1);
      if (f.spec.kind === 'unavailable' && this.probability(f, 1)) unavailable = f;
      if (f.spec.kind === 'rate-limit' && step.policy !== 'retry') maxRetries = Math.max(maxRetries, 0);
    }
    const ov = this.override;
    if (ov?.kind === 'added-retry' && ov.step === step) maxRetries = Math.max(maxRetries, 1);
    let t = start;
    let result = new Outcome();
    const failures: Outcome[] = [];
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      const slot = this.newSlot();
      const r = new Outcome();
      let end: number;
      let srvMark: Mark | null = null;
      if (unavailable) {
        this.touch(unavailable);
        end = t + this.noise(1, 0.4);
        r.failed = true;
        r.errorType = 'unavailable';
        r.origin = { service: callee.name, operation: calleeOp };
        r.path = [callee.name];
      } else if (external) {
        let factor = 1;
        let add = 0;
        let failHttp = 0;
        let mark: Mark | null = null;
        for (const f of this.active) {
          if (!this.matches(f, callee.index, node.index, calleeOp, '')) continue;
          const k = f.spec.kind;
          if ((k === 'latency' || k === 'timeout') && this.probability(f, 1)) {
            factor *= f.spec.factor ?? (f.spec.addMs === undefined && k === 'latency' ? 5 : 1);
            add += (f.spec.addMs ?? (k === 'timeout' ? 3 * step.timeoutMs : 0)) * MS;
            mark = { faultIndex: f.index, service: callee.index, operation: calleeOp, added: 0 };
            this.touch(f);
          } else if (k === 'error' && this.probability(f, 0.5)) {
            failHttp = f.spec.httpStatus ?? 502;
            this.touch(f);
          } else if ((k === 'rate-limit' || k === 'http4xx') && this.probability(f, 0.5)) {
            failHttp = k === 'rate-limit' ? 429 : (f.spec.httpStatus ?? 400);
            this.touch(f);
          } else if (k === 'retry' && attempt < (f.spec.retries ?? 1)) {
            failHttp = 503;
            this.touch(f);
          }
        }
        const base = this.noise(step.medianMs, callee.sigma || 0.3);
        const d = base * factor + add;
        end = t + d;
        if (mark) srvMark = { ...mark, added: d - base };
        r.http = failHttp || 200;
        if (failHttp > 0) {
          r.failed = true;
          r.errorType = failHttp >= 500 ? 'http5xx' : 'http4xx';
          r.origin = { service: callee.name, operation: calleeOp };
          r.path = [callee.name];
        }
      } else {
        const net1 = this.noise(0.25, 0.4);
        const net2 = this.noise(0.25, 0.4);
        // Network delay or loss (retransmissions) on the way into the callee: a gap between the client span and
        // the server span. No random draw unless such a fault is active, so other scenarios are unchanged.
        let netAdd = 0;
        let netFault: CompiledFault | null = null;
        for (const f of this.active) {
          if (f.spec.kind !== 'network-delay' || !this.matches(f, callee.index, node.index, calleeOp, '')) continue;
          if (this.probability(f, 1)) {
            netAdd += (f.spec.addMs ?? 100) * MS;
            netFault = f;
            this.touch(f);
          }
        }
        this.stack.push(node.index);
        if (ov?.step === step) {
          if (ov.kind === 'slow-span') this.force = { factor: ov.factor ?? 5, early: false };
          else if (ov.kind === 'failed-call') this.force = { status: 500, early: false };
          else if (ov.kind === 'added-retry' && attempt === 0) this.force = { status: 503, early: true };
        }
        const srv = this.server(step.targetOp, t + net1 + netAdd, slot, node.index, attempt, step.timeoutMs, frame);
        this.stack.pop();
        end = srv.end + net2;
        srvMark = srv.mark;
        if (netFault && (!srvMark || netAdd >= srvMark.added)) {
          srvMark = { faultIndex: netFault.index, service: callee.index, operation: calleeOp, added: netAdd };
        }
        r.http = srv.http;
        if (srv.failed || srv.http >= 400) {
          r.failed = true;
          r.errorType = srv.errorType || 'http5xx';
          r.origin = srv.origin;
          r.path = srv.path;
        }
      }
      this.edge(node.index, callee.index, step.kind);
      if (!unavailable && end - t > step.timeoutMs * MS) {
        end = t + step.timeoutMs * MS;
        r.failed = true;
        r.http = 0;
        r.errorType = 'timeout';
        r.origin = { service: callee.name, operation: calleeOp };
        r.path = [callee.name];
      }
      r.end = end;
      r.mark = srvMark;
      this.child(frame, t, end, srvMark);
      this.writeClient(step, node, pod, slot, parent, t, end, r, attempt, callee, calleeOp);
      result = r;
      if (!r.failed) break;
      const retryable = r.errorType !== 'http4xx' || r.http === 429;
      if (!retryable || attempt === maxRetries) break;
      failures.push(r);
      t = end + this.noise(20 * 2 ** attempt, 0.3);
    }
    if (result.failed && !result.mark && result.errorType === 'timeout') result.mark = null;
    if (!result.failed) {
      for (const f of failures) this.recordHandled(f, node, 'retried');
      return result;
    }
    if (step.policy === 'fallback' || step.policy === 'ignore') {
      for (const f of failures) this.recordHandled(f, node, 'retried');
      this.recordHandled(result, node, step.policy === 'fallback' ? 'fallback' : 'ignored');
      const ok = new Outcome();
      ok.end = result.end;
      ok.mark = result.mark;
      ok.http = 200;
      return ok;
    }
    void op;
    void rng;
    return result;
  }

  private recordHandled(r: Outcome, caller: Node, handling: HandledError['handling']): void {
    if (!r.origin) return;
    this.handled.push({
      service: r.origin.service,
      operation: r.origin.operation,
      caller: caller.name,
      errorType: (r.errorType || 'http5xx') as ErrorType,
      handling,
    });
  }

  private writeClient(
    step: Step,
    node: Node,
    pod: number,
    slot: number,
    parent: number,
    start: number,
    end: number,
    r: Outcome,
    attempt: number,
    callee: Node,
    calleeOp: string,
  ): void {
    if (!this.begin(node.index, pod, slot, parent, ParentRefType.ChildOf, Kind.Client, step.spanName, start, end))
      return;
    const external = step.kind === 'external';
    const url = external
      ? `https://${callee.address}${step.detail}`
      : `http://${callee.name}:8080${step.detail.replace(/\{[^}]+\}/g, () => String(this.rng.int(1000, 99999)))}`;
    if (this.s.messy) {
      this.str('http.method', step.method);
      this.str('http.url', url);
      if (external) this.str('peer.service', callee.name);
    } else {
      this.str('http.request.method', step.method);
      this.str('url.full', url);
      if (!external) this.str('url.template', step.detail);
      this.str('server.address', callee.address);
      this.int('server.port', external ? 443 : 8080);
      if (external) this.str('peer.service', callee.name);
      this.str('network.protocol.version', '1.1');
      if (attempt > 0) this.int('http.request.resend_count', attempt);
      if (r.http > 0) this.int('http.response.status_code', r.http);
    }
    let message = '';
    let errorType = '';
    let exType = '';
    if (r.failed) {
      if (r.errorType === 'timeout') {
        message = 'deadline exceeded';
        errorType = 'timeout';
        exType = 'TimeoutError';
      } else if (r.errorType === 'unavailable') {
        message = `connect ECONNREFUSED ${callee.podIps[0] ?? '10.0.0.1'}:${external ? 443 : 8080}`;
        errorType = 'ECONNREFUSED';
        exType = 'Error';
      } else {
        message = `HTTP ${r.http}`;
        errorType = String(r.http);
      }
    }
    void calleeOp;
    this.reply = r.http;
    this.replyType = r.failed ? r.errorType : '';
    this.finish(r.failed, message, errorType, exType, '', end);
  }

  private dbCall(step: Step, op: Op, node: Node, pod: number, parent: number, start: number, frame: Frame): Outcome {
    const db = this.topo.nodes[step.target]!;
    let factor = 1;
    let add = 0;
    let count = 1;
    let mark: CompiledFault | null = null;
    let nPlusOne: CompiledFault | null = null;
    let failType: ErrorType | '' = '';
    let statement = step.detail;
    const ov = this.override;
    if (ov?.step === step) {
      if (ov.kind === 'changed-query' && ov.statement) {
        statement = ov.statement;
        factor *= ov.factor ?? 1;
        this.overrideApplied++;
      }
      if (ov.kind === 'slow-span') {
        factor *= ov.factor ?? 5;
        this.overrideApplied++;
      }
    }
    for (const f of this.active) {
      if (!this.matches(f, db.index, node.index, step.dbOperation, statement)) continue;
      const k = f.spec.kind;
      if ((k === 'latency' || k === 'timeout') && this.probability(f, 1)) {
        factor *= f.spec.factor ?? (f.spec.addMs === undefined && k === 'latency' ? 5 : 1);
        add += (f.spec.addMs ?? (k === 'timeout' ? 2 * step.timeoutMs : 0)) * MS;
        mark = f;
        this.touch(f);
      } else if (k === 'error' && this.probability(f, 0.5)) {
        failType = 'http5xx';
        this.touch(f);
      } else if (k === 'unavailable' && this.probability(f, 1)) {
        failType = 'unavailable';
        this.touch(f);
      } else if (k === 'n-plus-one' && this.probability(f, 1)) {
        count = Math.max(1, f.spec.count ?? 25);
        nPlusOne = f;
        this.touch(f);
      }
    }
    this.edge(node.index, db.index, 'db');
    let t = start;
    const out = new Outcome();
    let firstEnd = start;
    for (let q = 0; q < count; q++) {
      const slot = this.newSlot();
      let d: number;
      let base: number;
      let failed = false;
      if (failType === 'unavailable') {
        base = d = this.noise(0.8, 0.3);
        failed = true;
      } else {
        base = this.noise(nPlusOne && q > 0 ? 0.6 : step.medianMs, db.sigma);
        d = base * factor + add;
        if (d > step.timeoutMs * MS) {
          d = step.timeoutMs * MS;
          failType = 'timeout';
        }
        failed = failType !== '';
      }
      const end = t + d;
      if (q === 0) firstEnd = end;
      const stmt = nPlusOne && q > 0 ? `SELECT * FROM ${step.table} WHERE id = $1` : statement;
      const qMark: Mark | null =
        mark && !nPlusOne
          ? { faultIndex: mark.index, service: db.index, operation: step.spanName, added: d - base }
          : null;
      if (!nPlusOne)
        this.child(
          frame,
          t,
          end,
          ov?.step === step && ov.kind === 'slow-span'
            ? { faultIndex: -2, service: db.index, operation: step.spanName, added: d - base }
            : qMark,
        );
      if (qMark && (!out.mark || qMark.added > out.mark.added)) out.mark = qMark;
      if (this.begin(node.index, pod, slot, parent, ParentRefType.ChildOf, Kind.Client, step.spanName, t, end)) {
        this.str('db.system', db.system);
        if (!this.s.messy) {
          this.str('db.name', db.dbName);
          this.str('db.operation', step.dbOperation);
          if (step.table) this.str('db.sql.table', step.table);
          this.str('server.address', db.address);
          this.int('server.port', db.port);
        }
        this.str('db.statement', stmt);
        this.str('peer.service', db.name);
        const msg =
          failType === 'unavailable'
            ? `connect ECONNREFUSED ${db.address}:${db.port}`
            : failType === 'timeout'
              ? 'deadline exceeded'
              : `ERROR: could not serialize access due to concurrent update (${step.table})`;
        this.finish(
          failed,
          msg,
          failType === 'unavailable' ? 'ECONNREFUSED' : failType === 'timeout' ? 'timeout' : 'QueryFailedError',
          failType === 'timeout' ? 'TimeoutError' : failType === 'unavailable' ? 'Error' : 'QueryFailedError',
          '',
          end,
        );
      }
      t = end + (count > 1 ? this.noise(0.05, 0.3) : 0);
      if (failed) {
        out.failed = true;
        out.errorType = failType;
        out.origin = { service: db.name, operation: step.spanName };
        out.path = [db.name];
        break;
      }
    }
    out.end = t;
    if (nPlusOne) {
      const added = t - firstEnd;
      const m: Mark = { faultIndex: nPlusOne.index, service: node.index, operation: op.name, added };
      this.child(frame, start, t, m);
      out.mark = m;
    }
    return out;
  }

  private cacheCall(step: Step, op: Op, node: Node, pod: number, parent: number, start: number, frame: Frame): Outcome {
    const cache = this.topo.nodes[step.target]!;
    const rng = this.rng;
    let factor = 1;
    let add = 0;
    let fail: ErrorType | '' = '';
    let markFault = -1;
    for (const f of this.active) {
      if (!this.matches(f, cache.index, node.index, 'GET', step.detail)) continue;
      const k = f.spec.kind;
      if ((k === 'latency' || k === 'timeout') && this.probability(f, 1)) {
        factor *= f.spec.factor ?? (f.spec.addMs === undefined && k === 'latency' ? 5 : 1);
        add += (f.spec.addMs ?? 0) * MS;
        markFault = f.index;
        this.touch(f);
      } else if ((k === 'error' && this.probability(f, 0.5)) || (k === 'unavailable' && this.probability(f, 1))) {
        fail = k === 'error' ? 'http5xx' : 'unavailable';
        this.touch(f);
      }
    }
    let hit = this.s.fixedStructure ? true : rng.chance(this.s.cacheHitRatio);
    const ov = this.override;
    if (ov?.kind === 'missing-cache-hit' && ov.step === step) {
      hit = false;
      this.overrideApplied++;
    }
    this.edge(node.index, cache.index, 'cache');
    const key = step.detail.replace('{id}', String(rng.int(1000, 99999)));
    const cmd = (name: string, st: number, failed: boolean): number => {
      const slot = this.newSlot();
      const base = this.noise(step.medianMs, cache.sigma);
      let d = fail === 'unavailable' ? this.noise(0.5, 0.3) : base * factor + add;
      if (d > step.timeoutMs * MS) d = step.timeoutMs * MS;
      const end = st + d;
      const m: Mark | null =
        markFault >= 0 ? { faultIndex: markFault, service: cache.index, operation: name, added: d - base } : null;
      this.child(frame, st, end, m);
      if (this.begin(node.index, pod, slot, parent, ParentRefType.ChildOf, Kind.Client, name, st, end)) {
        this.str('db.system', 'redis');
        this.str('db.statement', name === 'GET' ? key : `SET ${key.slice(4)} ? EX 300`);
        this.str('peer.service', cache.name);
        if (!this.s.messy) {
          this.str('db.operation', name);
          this.str('server.address', cache.address);
          this.int('server.port', cache.port);
        }
        this.finish(
          failed,
          fail === 'unavailable' ? `connect ECONNREFUSED ${cache.address}:6379` : 'ERR max number of clients reached',
          fail === 'unavailable' ? 'ECONNREFUSED' : 'ReplyError',
          fail === 'unavailable' ? 'Error' : 'ReplyError',
          '',
          end,
        );
      }
      return end;
    };
    let t = cmd('GET', start, fail !== '');
    const out = new Outcome();
    if (fail !== '') {
      this.handled.push({
        service: cache.name,
        operation: 'GET',
        caller: node.name,
        errorType: fail,
        handling: 'fallback',
      });
    }
    if (!hit || fail !== '') {
      const dbIndex = node.dbs[0];
      if (dbIndex !== undefined) {
        let fb = this.fallbackSteps.get(step);
        if (!fb) {
          const table = op.route.split('/').filter((p) => p && !p.startsWith('{'))[2] ?? 'items';
          fb = {
            kind: 'db',
            target: dbIndex,
            targetOp: -1,
            spanName: `SELECT ${table.replace(/-/g, '_')}`,
            method: '',
            detail: `SELECT * FROM ${table.replace(/-/g, '_')} WHERE id = $1`,
            dbOperation: 'SELECT',
            table: table.replace(/-/g, '_'),
            medianMs: 1.5,
            policy: 'propagate',
            maxRetries: 0,
            timeoutMs: 5000,
            probability: 1,
          };
          this.fallbackSteps.set(step, fb);
        }
        const r = this.dbCall(fb, op, node, pod, parent, t + 0.02 * MS, frame);
        t = r.end;
        if (r.failed) return r;
        if (r.mark) out.mark = r.mark;
      }
      if (fail === '') t = cmd('SET', t + 0.02 * MS, false);
    }
    out.end = t;
    return out;
  }

  private produce(step: Step, node: Node, pod: number, parent: number, start: number, frame: Frame): Outcome {
    const q = this.topo.nodes[step.target]!;
    const slot = this.newSlot();
    const end = start + this.noise(step.medianMs, 0.3);
    this.child(frame, start, end, null);
    this.edge(node.index, q.index, 'produce');
    const consumerOp = this.topo.ops[step.targetOp]!;
    this.edge(q.index, consumerOp.service, 'consume');
    if (this.begin(node.index, pod, slot, parent, ParentRefType.ChildOf, Kind.Producer, step.spanName, start, end)) {
      this.str('messaging.system', 'kafka');
      this.str('messaging.destination.name', q.name);
      this.str('messaging.operation', 'publish');
      if (!this.s.messy) {
        this.str('server.address', q.address);
        this.int('server.port', q.port);
      }
      this.str('messaging.kafka.message.key', String(this.rng.int(100000, 999999)));
      this.finish(false, '', '', '', '', end);
    }
    // The consumer runs later, outliving the producer (and often the whole request).
    const delay = this.noise(4, 0.8);
    const c = this.server(consumerOp.index, end + delay, slot, -1, 0, 30000, null);
    if (c.failed && c.origin) {
      this.handled.push({
        service: c.origin.service,
        operation: c.origin.operation,
        caller: this.topo.nodes[consumerOp.service]!.name,
        errorType: (c.errorType || 'http5xx') as ErrorType,
        handling: 'async',
      });
    }
    const out = new Outcome();
    out.end = end;
    return out;
  }
}
