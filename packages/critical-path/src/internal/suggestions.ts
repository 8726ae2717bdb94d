// Optimisation suggestions drawn from what the critical paths of slow traces show, each with its measured figures.
import {
  FailureSignal,
  isCacheSystem,
  type SpanTable,
  spanFailureSignals,
  spanIdAt,
  traceIdAt,
} from '@aiops/span-model';
import type { CriticalPaths } from '../critical-paths.ts';
import type { Attribution } from './attribution.ts';

/** What a suggestion is about. */
export type SuggestionKind =
  | 'slow-db-statement'
  | 'n-plus-one'
  | 'retry-storm'
  | 'sequential-calls'
  | 'slow-external'
  | 'cache-miss'
  | 'slow-operation';

/** An optimisation suggestion tied to the evidence that produced it. */
export interface SlowTraceSuggestion {
  /** What was found. */
  readonly kind: SuggestionKind;
  /** Service or dependency concerned. */
  readonly service: string;
  /** Operation concerned. */
  readonly operation: string;
  /** The database statement concerned ('' when none). */
  readonly statement: string;
  /** The advice, in words, with the measured figures. */
  readonly text: string;
  /** The figures behind it, one per line. */
  readonly evidence: readonly string[];
  /** Slow traces where the pattern is on the critical path. */
  readonly slowTraces: number;
  /** Fast traces where it is. */
  readonly fastTraces: number;
  /** slowTraces / slow traces. */
  readonly slowSupport: number;
  /** The pattern's cost per slow trace where present, ms (critical-path time, or time saved for parallel calls). */
  readonly meanMs: number;
  /** The same in the fast traces where present, ms (0 when absent). */
  readonly fastMeanMs: number;
  /** A slow trace that shows it. */
  readonly exampleTraceId: string;
  /** The span (or parent span) that shows it. */
  readonly exampleSpanId: string;
}

interface Ev {
  kind: SuggestionKind;
  service: string;
  operation: string;
  statement: string;
  traces: number;
  sum: number;
  extra: number;
  extra2: number;
  last: number;
  exampleRow: number;
}

const SQL = /^\s*(select|insert|update|delete|with|replace|merge|upsert)\b/i;
const CACHE = /redis|memcache|cache/i;

/** Options of the detectors. */
export interface SuggestOptions {
  readonly nPlusOneMin: number;
  readonly minShare: number;
}

/** Finds patterns on the critical paths of `slow` and `fast` traces and turns those typical of slow ones into advice. */
export function suggest(
  table: SpanTable,
  paths: CriticalPaths,
  attribution: Attribution,
  slow: readonly number[],
  fast: readonly number[],
  options: SuggestOptions,
): SlowTraceSuggestion[] {
  const { startNano, endNano, durationNano } = table.times;
  const ops = table.dict('operation');
  const stmt = table.dict('dbStatement');
  const dbSystem = table.dict('dbSystem');
  const { traces, links } = paths.tree;
  const { childOffsets, children } = links;
  const name = (r: number): string => attribution.names[attribution.code[r]!]!;
  const op = (r: number): string => ops.values[ops.codes[r]!]!;
  const statement = (r: number): string => stmt.values[stmt.codes[r]!]!;
  const cacheSystem = dbSystem.values.map((v) => isCacheSystem(v));
  const isCache = (r: number): boolean => {
    const sys = dbSystem.codes[r]!;
    return dbSystem.values[sys] ? cacheSystem[sys]! : CACHE.test(name(r)) || CACHE.test(op(r));
  };
  const isDb = (r: number): boolean =>
    !isCache(r) && (dbSystem.codes[r] !== 0 || stmt.codes[r] !== 0 || SQL.test(op(r)));
  const { signals, httpStatus } = spanFailureSignals(table);
  const FAILED =
    FailureSignal.Status |
    FailureSignal.Http5xx |
    FailureSignal.Grpc |
    FailureSignal.ErrorTag |
    FailureSignal.ErrorType;
  const failed = (r: number): boolean => (signals[r]! & FAILED) !== 0 || httpStatus[r] === 429;

  const run = (list: readonly number[]): Map<string, Ev> => {
    const found = new Map<string, Ev>();
    const hit = (
      t: number,
      kind: SuggestionKind,
      service: string,
      operation: string,
      st: string,
      value: number,
      row: number,
      extra = 0,
      extra2 = 0,
    ): void => {
      const key = `${kind}\u0000${service}\u0000${operation}\u0000${st}`;
      let e = found.get(key);
      if (!e) {
        e = {
          kind,
          service,
          operation,
          statement: st,
          traces: 0,
          sum: 0,
          extra: 0,
          extra2: 0,
          last: -1,
          exampleRow: row,
        };
        found.set(key, e);
      }
      if (e.last !== t) {
        e.last = t;
        e.traces++;
      }
      e.sum += value;
      e.extra += extra;
      e.extra2 += extra2;
    };
    for (const t of list) {
      const total = paths.totalNano[t]!;
      if (total <= 0) continue;
      for (let k = traces.offsets[t]!; k < traces.offsets[t + 1]!; k++) {
        const p = traces.rows[k]!;
        if (!paths.onPath[p]) continue;
        const excl = paths.exclusiveNano[p]!;
        if (excl / total >= options.minShare) {
          if (isDb(p)) hit(t, 'slow-db-statement', name(p), op(p), statement(p), excl, p, durationNano[p]!);
          else if (attribution.isDependency[p] && !isCache(p))
            hit(t, 'slow-external', name(p), op(p), '', excl, p, durationNano[p]!);
          else if (!attribution.isDependency[p])
            hit(t, 'slow-operation', name(p), op(p), '', excl, p, durationNano[p]!);
        }
        const a = childOffsets[p]!;
        const b = childOffsets[p + 1]!;
        if (b - a < 2) continue;
        // Repeated calls of the same thing under one parent: N+1 or retries.
        const groups = new Map<string, number[]>();
        for (let i = a; i < b; i++) {
          const r = children[i]!;
          const g = `${attribution.code[r]}\u0000${ops.codes[r]}\u0000${stmt.codes[r]}`;
          let list2 = groups.get(g);
          if (!list2) groups.set(g, (list2 = []));
          list2.push(r);
        }
        for (const rows of groups.values()) {
          if (rows.length < 2) continue;
          let sum = 0;
          let failedCount = 0;
          let failedNano = 0;
          for (let i = 0; i < rows.length; i++) {
            const r = rows[i]!;
            sum += durationNano[r]!;
            if (i < rows.length - 1 && failed(r)) {
              failedCount++;
              failedNano += durationNano[r]!;
            }
          }
          const span = endNano[rows[rows.length - 1]!]! - startNano[rows[0]!]!;
          const sequential = sum >= 0.8 * span;
          const r0 = rows[0]!;
          if (failedCount > 0 && rows.length <= options.nPlusOneMin * 4) {
            hit(t, 'retry-storm', name(r0), op(r0), statement(r0), failedNano, p, rows.length, failedCount);
          } else if (rows.length >= options.nPlusOneMin && sequential) {
            hit(t, 'n-plus-one', name(r0), op(r0), statement(r0), span, p, rows.length);
          }
        }
        // On-path children in sequence: independent calls run one after another, and cache misses.
        const seq: number[] = [];
        for (let i = a; i < b; i++) {
          const r = children[i]!;
          if (paths.onPath[r] && durationNano[r]! > 0) seq.push(r);
        }
        if (seq.length >= 2) {
          seq.sort((x, y) => startNano[x]! - startNano[y]!);
          const targets = new Set<number>();
          let sum = 0;
          let max = 0;
          let calls = 0;
          for (let i = 0; i < seq.length; i++) {
            const r = seq[i]!;
            if (i > 0 && isCache(seq[i - 1]!) && isDb(r)) {
              hit(t, 'cache-miss', name(seq[i - 1]!), op(seq[i - 1]!), statement(r), durationNano[r]!, p, 0, 0);
            }
            if (attribution.code[r] === attribution.code[p] || targets.has(attribution.code[r]!)) continue;
            targets.add(attribution.code[r]!);
            sum += durationNano[r]!;
            max = Math.max(max, durationNano[r]!);
            calls++;
          }
          if (calls >= 2 && sum - max >= options.minShare * total) {
            hit(t, 'sequential-calls', name(p), op(p), '', sum - max, p, calls, sum);
          }
        }
      }
    }
    return found;
  };

  const slowFound = run(slow);
  const fastFound = run(fast);
  const S = slow.length;
  const F = fast.length;
  const ms = (x: number): number => x / 1e6;
  const fmt = (x: number): string => `${ms(x).toFixed(1)} ms`;
  const out: SlowTraceSuggestion[] = [];
  for (const [key, e] of slowFound) {
    const f = fastFound.get(key);
    const slowSupport = e.traces / S;
    const fastSupport = f && F > 0 ? f.traces / F : 0;
    const meanNano = e.sum / e.traces;
    const fastMeanNano = f ? f.sum / f.traces : 0;
    // Keep what is typical of slow traces: more frequent, or clearly costlier, than in fast ones.
    if (e.traces < Math.max(2, Math.ceil(0.05 * S)) && S >= 2) continue;
    if (slowSupport < fastSupport * 1.5 && meanNano < fastMeanNano * 1.5) continue;
    const where = e.statement ? `\`${e.statement}\`` : `${e.service} ${e.operation}`;
    const seen = `${e.traces}/${S} slow traces (${(slowSupport * 100).toFixed(0)}%) vs ${f?.traces ?? 0}/${F} fast (${(fastSupport * 100).toFixed(0)}%)`;
    const evidence = [seen];
    let text: string;
    switch (e.kind) {
      case 'slow-db-statement':
        evidence.push(`critical-path time ${fmt(meanNano)} per slow trace vs ${fmt(fastMeanNano)} in fast traces`);
        evidence.push(`mean call duration ${fmt(e.extra / e.traces)}`);
        text = `Database call ${where} on ${e.service} takes ${fmt(meanNano)} of the critical path in slow traces (${fmt(fastMeanNano)} in fast ones): run EXPLAIN on it, check its indexes, add a LIMIT or cache the result.`;
        break;
      case 'slow-external':
        evidence.push(`critical-path time ${fmt(meanNano)} per slow trace vs ${fmt(fastMeanNano)} in fast traces`);
        text = `External dependency ${e.service} (${e.operation}) holds ${fmt(meanNano)} of the critical path in slow traces: set a timeout and a circuit breaker on the call, and cache or fall back when it is slow.`;
        break;
      case 'slow-operation':
        evidence.push(
          `exclusive critical-path time ${fmt(meanNano)} per slow trace vs ${fmt(fastMeanNano)} in fast traces`,
        );
        text = `${e.service} ${e.operation} spends ${fmt(meanNano)} in its own code on the critical path of slow traces (${fmt(fastMeanNano)} in fast ones): profile it (CPU, locks, GC, pool waits) — the time is not in any traced call.`;
        break;
      case 'n-plus-one': {
        const calls = e.extra / e.traces;
        evidence.push(`${calls.toFixed(1)} sequential calls per parent, ${fmt(meanNano)} from first to last`);
        text = `N+1: ${where} is called ${calls.toFixed(0)} times in sequence under one ${e.service} parent (${fmt(meanNano)} per slow trace): batch the calls into one (IN list, bulk endpoint) or load them eagerly.`;
        break;
      }
      case 'retry-storm':
        evidence.push(
          `${(e.extra / e.traces).toFixed(1)} attempts, ${(e.extra2 / e.traces).toFixed(1)} failed, ${fmt(meanNano)} spent in failed attempts per slow trace`,
        );
        text = `Retries of ${where}: failed attempts cost ${fmt(meanNano)} per slow trace. Fix the failing callee, cap retries with exponential backoff and jitter, and keep the total within the caller's deadline.`;
        break;
      case 'sequential-calls':
        evidence.push(
          `${(e.extra / e.traces).toFixed(1)} calls to different services one after another; ${fmt(e.extra2 / e.traces)} in total`,
        );
        text = `${e.service} ${e.operation} calls ${(e.extra / e.traces).toFixed(0)} services one after another: if they are independent, run them in parallel to save up to ${fmt(meanNano)} per slow trace.`;
        break;
      case 'cache-miss':
        evidence.push(
          `database call after the cache lookup: ${fmt(meanNano)} per slow trace vs ${fmt(fastMeanNano)} in fast traces`,
        );
        text = `Cache miss path: after ${e.service} ${e.operation} the request falls through to the database${e.statement ? ` (\`${e.statement}\`)` : ''}, ${fmt(meanNano)} per slow trace: check the hit ratio, TTLs and key design, and warm the cache for hot keys.`;
        break;
    }
    out.push({
      kind: e.kind,
      service: e.service,
      operation: e.operation,
      statement: e.statement,
      text,
      evidence,
      slowTraces: e.traces,
      fastTraces: f?.traces ?? 0,
      slowSupport,
      meanMs: ms(meanNano),
      fastMeanMs: ms(fastMeanNano),
      exampleTraceId: traceIdAt(table, e.exampleRow),
      exampleSpanId: spanIdAt(table, e.exampleRow),
    });
  }
  out.sort((a, b) => b.slowTraces * b.meanMs - a.slowTraces * a.meanMs);
  return out;
}
