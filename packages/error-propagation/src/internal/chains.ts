// The per-span pass behind errorPropagation: which failed child explains each failed span, retries, origins.
import {
  SpanKind,
  type SpanTable,
  StatusCode,
  spanFailureSignals,
  type TraceTree,
  workloadName,
} from '@aiops/span-model';
import { type CallSites, callSites, type SoleFailures, soleFailures } from './call-sites.ts';
import {
  calleeOf,
  classifyRow,
  type ErrorContext,
  looksLikeClient,
  outlivingChild,
  roundLimitOf,
  T_BUSINESS,
  T_HTTP5XX,
  T_OTHER,
  T_TIMEOUT,
  T_UNAVAILABLE,
} from './error-context.ts';

/** err[] values: why a span takes part in an error chain. */
export const E_NONE = 0;
/** Marked failed by failedSpans. */
export const E_FAILED = 1;
/**
 * Not failed by OTel rules, but answered with an error code (a server span with 404) to a failed caller, because of a
 * failed callee, or as the entry of the trace.
 */
export const E_ANSWERED = 2;
/** No mark of its own, but sits between a failed caller and a failed callee (messy data: the mark is missing). */
export const E_IMPLIED = 3;

/**
 * No mark of its own, but its timing says it failed (data without status): a call that gave up on a callee still
 * running (timeout), or a call that left no server span where that call normally has one (unreachable callee).
 */
export const E_INFERRED = 4;

/**
 * No mark of its own on tag-only data, but the only call its failed caller made went to it and nothing failed below
 * it: the server whose error mark is missing raised the error (a server error).
 */
export const E_UNMARKED = 5;

/** handled[] values. */
export const H_NONE = 0;
/** The same parent called the same service and operation again after this call failed (a retry). */
export const H_RETRY = 1;
/**
 * The caller carried on past this call: it made another call after this one failed, which failed and explains its
 * failure; or (data with status) this call sits at a call site its callers survive when it fails alone, beside
 * another failed call that explains the caller's failure.
 */
export const H_MOVED_ON = 2;

/** Per-span state of the chain pass. */
export interface ChainState {
  readonly err: Uint8Array;
  /** Error type index per span with err ≠ 0, else -1. */
  readonly type: Int8Array;
  /** The child that explains each span's failure, or -1 (origin). */
  readonly cause: Int32Array;
  /** Origin (deepest failed span of the chain) of each span with err ≠ 0. */
  readonly origin: Int32Array;
  readonly handled: Uint8Array;
  /** For a retried span, the sibling that succeeded; else -1. */
  readonly retriedBy: Int32Array;
}

const RETRY_KEY_SCALE = 4194304;

function hasCode(table: SpanTable, row: number): boolean {
  const codes = spanFailureSignals(table);
  return codes.httpStatus[row]! > 0 || codes.rpcStatus[row]! >= 0;
}

/**
 * Runs the chain pass over the traces whose ordinals are flagged in `traceMask`; call-site statistics (tag-only
 * data) are learnt over the traces flagged in `scope`, each counted `weights[t]` times when given.
 */
export function chainPass(
  ctx: ErrorContext,
  tree: TraceTree,
  failed: Uint8Array,
  traceMask: Uint8Array,
  tagOnly: boolean,
  scope: Uint8Array = traceMask,
  weights?: Float64Array,
): ChainState {
  const table = tree.table;
  const n = table.numSpans;
  const c = table.columns;
  const { parent, childOffsets, children } = tree.links;
  const { startNano, endNano, durationNano } = table.times;
  const svc = table.dict('service').codes;
  const op = table.dict('operation').codes;
  const host = table.dict('host').codes;
  const { httpStatus: httpCode, rpcStatus: rpcCode } = spanFailureSignals(table);
  const err = new Uint8Array(n);
  const type = new Int8Array(n).fill(-1);
  const cause = new Int32Array(n).fill(-1);
  const origin = new Int32Array(n).fill(-1);
  const handled = new Uint8Array(n);
  const retriedBy = new Int32Array(n).fill(-1);
  // The attempt a retry repeated, so that a retry loop is seen as one call.
  const prevAttempt = new Int32Array(n).fill(-1);
  const { order, orderOffsets } = tree;
  let sitesMemo: CallSites | null = null;
  // Learnt once, when a rule first needs them (never on clean data, where every call carries its own status).
  const sites = (): CallSites => {
    sitesMemo ??= callSites(tree, failed, scope, weights);
    return sitesMemo;
  };
  let soleMemo: SoleFailures | null = null;
  /** Whether the callers at the call site of `s` → `ch` carry on when that call alone fails (data with status). */
  const absorbedSite = (s: number, ch: number): boolean => {
    if (tagOnly) return false;
    soleMemo ??= soleFailures(
      tree,
      failed,
      scope,
      (p) => failed[p] !== 0 || ((httpCode[p]! >= 400 || rpcCode[p]! > 0) && c.statusCode[p] !== StatusCode.Ok),
      weights,
    );
    return soleMemo.absorbed(s, ch);
  };

  for (let t = 0; t < tree.traces.traceCount; t++) {
    if (!traceMask[t]) continue;
    const a = orderOffsets[t]!;
    const b = orderOffsets[t + 1]!;
    // Marks: failed spans, and spans that answered a failed caller with an error code.
    for (let k = a; k < b; k++) {
      const r = order[k]!;
      if (failed[r]) err[r] = E_FAILED;
    }
    for (let k = a; k < b; k++) {
      const r = order[k]!;
      const p = parent[r]!;
      if (err[r] || p < 0 || !err[p] || c.statusCode[r] === StatusCode.Ok) continue;
      if (httpCode[r]! >= 400 || rpcCode[r]! > 0) err[r] = E_ANSWERED;
    }
    // Retries: a failed call followed by a successful call to the same service and operation from the same parent.
    for (let k = a; k < b; k++) {
      const p = order[k]!;
      const ca = childOffsets[p]!;
      const cb = childOffsets[p + 1]!;
      if (cb - ca < 2) continue;
      let anyErr = false;
      for (let j = ca; j < cb; j++) if (err[children[j]!]) anyErr = true;
      if (!anyErr) continue;
      // Backwards: for each call, the nearest later call to the same service and operation, and the nearest ok one.
      const laterOk = new Map<number, number>();
      const laterAny = new Map<number, number>();
      for (let j = cb - 1; j >= ca; j--) {
        const ch = children[j]!;
        const key = svc[ch]! * RETRY_KEY_SCALE + op[ch]!;
        if (err[ch]) {
          // A retry starts after the failed attempt ended; identical calls running side by side are a fan-out.
          const ok = laterOk.get(key);
          const next = laterAny.get(key);
          if (ok !== undefined && startNano[ok]! >= endNano[ch]! - 1e6) {
            handled[ch] = H_RETRY;
            retriedBy[ch] = ok;
            prevAttempt[ok] = ch;
          } else if (next !== undefined && startNano[next]! >= endNano[ch]! - 1e6) {
            // Retried, and the retry failed too: the last attempt carries the failure upwards.
            handled[ch] = H_RETRY;
            retriedBy[ch] = next;
            prevAttempt[next] = ch;
          }
        } else laterOk.set(key, ch);
        laterAny.set(key, ch);
      }
    }
    // Children before parents: reverse pre-order.
    for (let k = b - 1; k >= a; k--) {
      const s = order[k]!;
      if (!err[s] && c.statusCode[s] !== StatusCode.Ok && (httpCode[s]! >= 400 || rpcCode[s]! > 0)) {
        // Answered with an error code because a callee failed, or as the entry of the trace: part of the chain.
        if (parent[s] < 0 && c.parentRefType[s] === 0) err[s] = E_ANSWERED;
        for (let j = childOffsets[s]!; j < childOffsets[s + 1]! && !err[s]; j++) {
          if (err[children[j]!]) err[s] = E_ANSWERED;
        }
      }
      if (!err[s] && tagOnly && roundLimitOf(durationNano[s]!) > 0 && outlivingChild(tree, s) >= 0) {
        // Ended at a round limit while its callee kept running: it gave up (a timeout), mark or no mark.
        err[s] = E_INFERRED;
        type[s] = T_TIMEOUT;
        origin[s] = s;
        continue;
      }
      if (!err[s] && tagOnly && c.kind[s] !== SpanKind.Consumer) {
        // No status, code or kind anywhere: a span without a mark is unknown, not successful. A failed child it
        // did not retry carried the failure up, unless the caller went on with other calls after it (a fallback)
        // or its call site absorbs failures in the other traces.
        const inner = bestCause(s);
        if (inner >= 0 && c.parentRefType[inner] !== 2 && !carriedOn(s, inner) && !sites().absorbs(s, inner)) {
          err[s] = E_IMPLIED;
          type[s] = T_OTHER;
          cause[s] = inner;
          origin[s] = origin[inner]!;
        }
        continue;
      }
      if (!err[s]) continue;
      type[s] = classifyRow(ctx, s, tree, undefined);
      let best = bestCause(s);
      if (best < 0 && err[s] === E_FAILED) best = impliedCause(s);
      if (best < 0 && err[s] === E_FAILED) best = inferredCause(s);
      if (best < 0 && err[s] === E_FAILED && tagOnly) best = unmarkedServer(s);
      if (best >= 0) {
        cause[s] = best;
        origin[s] = origin[best]!;
        for (let j = childOffsets[s]!; j < childOffsets[s + 1]!; j++) {
          const ch = children[j]!;
          if (ch === best || !err[ch] || handled[ch]) continue;
          if (movedOnFrom(s, ch) || (isCandidate(s, ch, endNano[s]!) && absorbedSite(s, ch))) handled[ch] = H_MOVED_ON;
        }
      } else origin[s] = s;
    }
  }
  return { err, type, cause, origin, handled, retriedBy };

  /**
   * The failed, unhandled child that explains `s`. Candidates ended before `s` did (a child still running when
   * its caller answered did not cause the answer). Among them, by rank:
   *   1. the child the caller's own message names (its callee host, service or route: `POST /charge to payment
   *      failed`), when exactly one does;
   *   2. the children whose error agrees with the code or type `s` reports (a 504 comes from a timed-out call, a
   *      503 from an unreachable one or a 503, a 4xx from the same 4xx; a 500 from a 5xx), before the ones that say
   *      nothing, before the ones that disagree;
   *   3. the first call made: sequential calls stop at the first failure, and callers that wait for concurrent
   *      calls collect their results in the order they issued them.
   */
  function bestCause(s: number): number {
    const end = endNano[s]!;
    let best = -1;
    let bestScore = 99;
    let candidates = 0;
    for (let j = childOffsets[s]!; j < childOffsets[s + 1]!; j++) {
      const ch = children[j]!;
      if (isCandidate(s, ch, end)) candidates++;
    }
    for (let j = childOffsets[s]!; j < childOffsets[s + 1]!; j++) {
      const ch = children[j]!;
      if (!isCandidate(s, ch, end)) continue;
      let score = agreement(s, ch) + (movedOnFrom(s, ch) ? 3 : 0);
      // Beside another failed call, one its callers survive when it fails alone did not fail this caller.
      if (candidates > 1 && absorbedSite(s, ch)) score += 6;
      // Among equals the first call made wins; a retry loop counts from its first attempt.
      if (best < 0 || score < bestScore || (score === bestScore && loopStart(ch) < loopStart(best))) {
        best = ch;
        bestScore = score;
      }
    }
    if (candidates < 2) return best;
    const named = namedChild(s);
    return named >= 0 ? named : best;
  }

  /** Whether the child `ch` may explain the failure of `s`: failed, not handled, ended before `s` did. */
  function isCandidate(s: number, ch: number, end: number): boolean {
    if (!err[ch] || handled[ch] || endNano[ch]! > end + endSlack(s, ch)) return false;
    if (c.parentRefType[ch] === 2 && endNano[ch]! > end) return false;
    // A call that gave up at its deadline with no answer (no response code) was not failed by a callee that ended
    // only as it gave up or later (within the skew slack): that callee was still running, the slow one.
    return !(endNano[ch]! > end - 1e6 && gaveUp(s));
  }

  /**
   * Whether the call `s` timed out by its own clock: a timeout at a round limit with no response code, where codes
   * are recorded (on tag-only data a missing code says nothing).
   */
  function gaveUp(s: number): boolean {
    if (tagOnly || type[s] !== T_TIMEOUT || httpCode[s] !== 0 || rpcCode[s]! >= 0) return false;
    return roundLimitOf(durationNano[s]!) > 0 && looksLikeClient(table, s);
  }

  /**
   * Whether `s` started another call after `ch` had failed (not a retry of `ch`): it went on with its work. On data
   * without status, the sign that a caller absorbed the failure.
   */
  function carriedOn(s: number, ch: number): boolean {
    const after = endNano[ch]!;
    for (let j = childOffsets[s + 1]! - 1; j >= childOffsets[s]!; j--) {
      const other = children[j]!;
      if (startNano[other]! < after) break;
      if (c.parentRefType[other] !== 2 && loopStart(other) >= after) return true;
    }
    return false;
  }

  /**
   * How far past its parent's end a child may end and still count as ended first: 1 ms or 1% of the parent; 5 ms
   * more for a child on another host, whose clock may be skewed (still below the 10 ms that outlivingChild needs).
   */
  function endSlack(s: number, ch: number): number {
    const base = Math.max(1e6, durationNano[s]! * 0.01);
    return host[s] === host[ch] && svc[s] === svc[ch] ? base : base + 5e6;
  }

  /** When the retry loop that `ch` belongs to began (its first attempt's start). */
  function loopStart(ch: number): number {
    let first = ch;
    while (prevAttempt[first]! >= 0) first = prevAttempt[first]!;
    return startNano[first]!;
  }

  /**
   * Whether `s` made another call that failed after `ch` had failed: it carried on past `ch` (a fallback), so the
   * later failure is what stopped it.
   */
  function movedOnFrom(s: number, ch: number): boolean {
    // Calls of one caller share its clock: no skew allowance, a call that started before ch ended ran beside it.
    const after = endNano[ch]!;
    for (let j = childOffsets[s + 1]! - 1; j >= childOffsets[s]!; j--) {
      const other = children[j]!;
      if (startNano[other]! < after) break;
      if (other === ch || !err[other] || handled[other] || c.parentRefType[other] === 2) continue;
      // The last attempt of a retry loop that began beside ch is that concurrent call, not a later one.
      if (loopStart(other) >= after) return true;
    }
    return false;
  }

  /** 0: the child's error agrees with what `s` reports; 1: nothing to compare; 2: it disagrees. */
  function agreement(s: number, ch: number): number {
    const ph = httpCode[s]!;
    const chHttp = httpCode[ch]!;
    const ct = type[ch]!;
    if (ph >= 400) {
      if (chHttp === ph) return 0;
      if (ph === 504 || ph === 408) return ct === T_TIMEOUT ? 0 : 2;
      if (ph === 503) return ct === T_UNAVAILABLE ? 0 : ct === T_TIMEOUT ? 2 : 1;
      if (ph < 500) return chHttp >= 400 ? 2 : 1;
      // 500, 502: a callee's server error; a timeout or refused call often surfaces as a bare 500 too.
      return ct === T_HTTP5XX || ct === T_BUSINESS ? 0 : chHttp > 0 && chHttp < 500 ? 2 : 1;
    }
    const own = err[s] && type[s]! >= 0 && type[s] !== T_OTHER ? type[s]! : -1;
    if (own < 0 || ct < 0 || ct === T_OTHER) return 1;
    return ct === own ? 0 : 2;
  }

  /** The one failed child whose callee, service or route the message of `s` names, or -1 (none, or several). */
  function namedChild(s: number): number {
    const text = messageOf(s);
    if (text.length < 4) return -1;
    let found = -1;
    for (let j = childOffsets[s]!; j < childOffsets[s + 1]!; j++) {
      const ch = children[j]!;
      if (!err[ch] || handled[ch] || endNano[ch]! > endNano[s]! + endSlack(s, ch)) continue;
      if (!mentions(text, s, ch)) continue;
      if (found >= 0) return -1;
      found = ch;
    }
    return found;
  }

  function messageOf(s: number): string {
    const sm = table.stringAt('statusMessage', s);
    const em = table.stringAt('exceptionMessage', s);
    return (sm === em ? sm : `${sm}\n${em}`).toLowerCase();
  }

  function mentions(text: string, s: number, ch: number): boolean {
    const names: string[] = [calleeOf(table, ch), table.stringAt('httpRoute', ch)];
    if (svc[ch] !== svc[s]) names.push(workloadName(table.stringAt('service', ch)));
    for (const name of names) {
      // Short names ("db", "/") match too much to mean anything.
      if (name.length >= 4 && text.includes(name.toLowerCase())) return true;
    }
    return false;
  }

  /**
   * Data without status: a marked span with no failed child may have failed because of a call whose mark is
   * missing. Its timing tells: a child that gave up on a callee still running (timeout), or a call that left no
   * server span where the same call usually has one (it never reached its callee). The last such child to end
   * before `s` did is taken: the caller returned after it.
   */
  function inferredCause(s: number): number {
    let best = -1;
    let bestType = -1;
    for (let j = childOffsets[s]!; j < childOffsets[s + 1]!; j++) {
      const ch = children[j]!;
      if (err[ch] || c.parentRefType[ch] === 2 || endNano[ch]! > endNano[s]! + endSlack(s, ch)) continue;
      // Where status is known, only a kind-less call with no code and no status can be a failure left unmarked.
      if (
        !tagOnly &&
        (c.kind[ch] !== SpanKind.Unspecified ||
          c.statusCode[ch] !== StatusCode.Unset ||
          httpCode[ch]! > 0 ||
          rpcCode[ch]! >= 0)
      ) {
        continue;
      }
      let t = -1;
      if (outlivingChild(tree, ch) >= 0) t = T_TIMEOUT;
      else if (
        childOffsets[ch + 1] === childOffsets[ch] &&
        looksLikeClient(table, ch) &&
        sites().usuallyHasChildren(ch)
      ) {
        t = T_UNAVAILABLE;
      }
      if (t >= 0 && (best < 0 || endNano[ch]! > endNano[best]!)) {
        best = ch;
        bestType = t;
      }
    }
    if (best >= 0) {
      err[best] = E_INFERRED;
      type[best] = bestType;
      origin[best] = best;
    }
    return best;
  }

  /**
   * Tag-only data: the failed span `s` made one call, to another service, whose server span carries no mark, ended
   * in time and has no failed child. The server raised the error and its mark is missing (exporters keep the
   * `error` tag on some failed spans only); the call itself failing with no server error is the rarer reading.
   */
  function unmarkedServer(s: number): number {
    let only = -1;
    for (let j = childOffsets[s]!; j < childOffsets[s + 1]!; j++) {
      const ch = children[j]!;
      if (c.parentRefType[ch] === 2) continue;
      if (only >= 0) return -1;
      only = ch;
    }
    if (only < 0 || err[only] || endNano[only]! > endNano[s]! + endSlack(s, only)) return -1;
    if (workloadName(table.stringAt('service', only)) === workloadName(table.stringAt('service', s))) return -1;
    for (let j = childOffsets[only]!; j < childOffsets[only + 1]!; j++) if (err[children[j]!]) return -1;
    err[only] = E_UNMARKED;
    type[only] = T_HTTP5XX;
    origin[only] = only;
    return only;
  }

  /**
   * A child with no mark and no response code whose own failed child went unhandled: on messy data the mark of
   * the middle span is missing, and the failure passes through it.
   */
  function impliedCause(s: number): number {
    // A timed-out caller whose callee was still running did not fail because of the callee's later failure.
    if (type[s] === T_TIMEOUT && outlivingChild(tree, s) >= 0) return -1;
    let best = -1;
    let bestInner = -1;
    for (let j = childOffsets[s]!; j < childOffsets[s + 1]!; j++) {
      const ch = children[j]!;
      if (err[ch] || c.statusCode[ch] !== StatusCode.Unset || hasCode(table, ch)) continue;
      if (c.kind[ch] !== SpanKind.Unspecified && c.kind[ch] !== SpanKind.Server && c.kind[ch] !== SpanKind.Internal)
        continue;
      if (c.parentRefType[ch] === 2) continue;
      const inner = bestCause(ch);
      if (inner < 0) continue;
      if (best < 0 || endNano[ch]! < endNano[best]!) {
        best = ch;
        bestInner = inner;
      }
    }
    if (best >= 0) {
      cause[best] = bestInner;
      err[best] = E_IMPLIED;
      type[best] = T_OTHER;
      origin[best] = origin[cause[best]!]!;
    }
    return best;
  }
}
