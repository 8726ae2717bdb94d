// Run-time fault injection for one shop service: the faults a service can be told to exhibit through
// `POST /__fault`, their effect on each request, and the ground-truth file every injected fault is appended to.
import { appendFileSync } from 'node:fs';

/** What a fault does. */
export type FaultKind =
  /** Adds `ms` to the service's handling of each affected request. */
  | 'latency'
  /** Adds `ms` inside each database/cache call of the service (the client span gets slower). */
  | 'db-latency'
  /** Answers affected requests with HTTP `status` (default 500) without doing the work. */
  | 'error'
  /** Holds affected requests for `ms` (default 30 s), so callers time out. */
  | 'timeout'
  /** Answers affected requests with HTTP `status` (default 400). */
  | 'bad-request'
  /** Stops listening for `durationMs` (default 10 s): callers get connection refused. */
  | 'down'
  /** Allows `limit` requests per second (default 5), answers the rest with 429 and Retry-After. */
  | 'rate-limit';

/** All fault kinds. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'latency',
  'db-latency',
  'error',
  'timeout',
  'bad-request',
  'down',
  'rate-limit',
];

/** A fault as requested (body of `POST /__fault`). */
export interface FaultSpec {
  readonly kind: FaultKind;
  /** Delay for latency, db-latency, timeout. */
  readonly ms?: number;
  /** Fraction of requests affected, 0..1 (default 1). */
  readonly rate?: number;
  /** HTTP status for error and bad-request. */
  readonly status?: number;
  /** Requests per second for rate-limit. */
  readonly limit?: number;
  /** Ends the fault by itself after this long (required for down; optional otherwise). */
  readonly durationMs?: number;
  /** Only requests whose path starts with this are affected (default all but /__*). */
  readonly path?: string;
}

/** One ground-truth record (a line of the ground-truth JSONL file). */
export interface FaultRecord extends FaultSpec {
  readonly id: string;
  readonly service: string;
  /** ISO-8601 start. */
  readonly start: string;
  /** ISO-8601 end (null while active). */
  end: string | null;
}

/** The decision for one incoming request. */
export type RequestFault =
  | { readonly action: 'pass'; readonly delayMs: number }
  | { readonly action: 'reply'; readonly delayMs: number; readonly status: number; readonly reason: string };

function validate(spec: FaultSpec): string | undefined {
  if (!FAULT_KINDS.includes(spec.kind)) return `unknown fault kind "${String(spec.kind)}" (${FAULT_KINDS.join(', ')})`;
  for (const k of ['ms', 'rate', 'status', 'limit', 'durationMs'] as const) {
    const v = spec[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) return `${k} must be a number ≥ 0`;
  }
  if (spec.rate !== undefined && spec.rate > 1) return 'rate must be in [0, 1]';
  return undefined;
}

/** The faults active in one service, and their ground-truth log. */
export class FaultController {
  readonly service: string;
  readonly #truthFile: string | undefined;
  readonly #active = new Map<string, { record: FaultRecord; timer: NodeJS.Timeout | undefined }>();
  readonly #buckets = new Map<string, { second: number; count: number }>();
  #seq = 0;
  /** Called when a `down` fault starts (stop listening) and ends (listen again). */
  onDown: ((down: boolean) => void) | undefined;

  constructor(service: string, truthFile: string | undefined) {
    this.service = service;
    this.#truthFile = truthFile;
  }

  /** Starts a fault; returns its record or an error message. */
  inject(spec: FaultSpec): FaultRecord | string {
    const problem = validate(spec);
    if (problem) return problem;
    const id = `${this.service}-${process.pid}-${++this.#seq}`;
    const durationMs = spec.kind === 'down' ? (spec.durationMs ?? 10_000) : spec.durationMs;
    const record: FaultRecord = {
      ...spec,
      ...(durationMs !== undefined ? { durationMs } : {}),
      id,
      service: this.service,
      start: new Date().toISOString(),
      end: null,
    };
    const timer = durationMs !== undefined ? setTimeout(() => this.clear(id), durationMs) : undefined;
    timer?.unref();
    this.#active.set(id, { record, timer });
    if (spec.kind === 'down') this.onDown?.(true);
    return record;
  }

  /** Ends one fault (or all when `id` is undefined), appending each to the ground-truth file; returns them. */
  clear(id?: string): FaultRecord[] {
    const ended: FaultRecord[] = [];
    for (const [key, { record, timer }] of [...this.#active]) {
      if (id !== undefined && key !== id) continue;
      if (timer) clearTimeout(timer);
      this.#active.delete(key);
      record.end = new Date().toISOString();
      ended.push(record);
      if (this.#truthFile) appendFileSync(this.#truthFile, `${JSON.stringify(record)}\n`);
      if (record.kind === 'down' && ![...this.#active.values()].some((f) => f.record.kind === 'down')) {
        this.onDown?.(false);
      }
    }
    return ended;
  }

  /** The active faults. */
  list(): FaultRecord[] {
    return [...this.#active.values()].map((f) => f.record);
  }

  /** Extra delay to add inside a database or cache call now. */
  dbDelayMs(): number {
    let ms = 0;
    for (const { record } of this.#active.values()) {
      if (record.kind === 'db-latency' && Math.random() < (record.rate ?? 1)) ms += record.ms ?? 0;
    }
    return ms;
  }

  /** What to do with a request to `path`. */
  forRequest(path: string): RequestFault {
    let delayMs = 0;
    for (const { record: f } of this.#active.values()) {
      if (f.path !== undefined && !path.startsWith(f.path)) continue;
      if (f.kind === 'rate-limit') {
        const second = Math.floor(Date.now() / 1000);
        const bucket = this.#buckets.get(f.id);
        if (!bucket || bucket.second !== second) this.#buckets.set(f.id, { second, count: 1 });
        else if (++bucket.count > (f.limit ?? 5)) {
          return { action: 'reply', delayMs, status: 429, reason: 'rate limit exceeded' };
        }
        continue;
      }
      if (f.kind === 'db-latency' || f.kind === 'down') continue;
      if (Math.random() >= (f.rate ?? 1)) continue;
      switch (f.kind) {
        case 'latency':
          delayMs += f.ms ?? 0;
          break;
        case 'timeout':
          return { action: 'reply', delayMs: delayMs + (f.ms ?? 30_000), status: 504, reason: 'timed out' };
        case 'error':
          return { action: 'reply', delayMs, status: f.status ?? 500, reason: 'injected error' };
        case 'bad-request':
          return { action: 'reply', delayMs, status: f.status ?? 400, reason: 'injected bad request' };
      }
    }
    return { action: 'pass', delayMs };
  }
}
