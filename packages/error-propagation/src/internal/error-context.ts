// Per-table facts the classifier needs, computed once: text flags per dictionary value and column views.
import {
  FailureSignal,
  SpanKind,
  type SpanTable,
  spanAttributeText,
  spanEvents,
  spanFailureSignals,
  type TraceTree,
  workloadName,
} from '@aiops/span-model';
import { TextFlag, textFlags } from './text-rules.ts';

/** Error types as small integers, in the order of `ERROR_TYPE_NAMES`. */
export const T_TIMEOUT = 0;
export const T_HTTP5XX = 1;
export const T_HTTP4XX = 2;
export const T_UNAVAILABLE = 3;
export const T_BUSINESS = 4;
export const T_OTHER = 5;
export const ERROR_TYPE_NAMES = ['timeout', 'http5xx', 'http4xx', 'unavailable', 'business', 'other'] as const;

export const GRPC_CODE_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];
/** gRPC codes that mean "the caller asked for something wrong", the gRPC counterpart of HTTP 4xx. */
const GRPC_CLIENT_ERRORS = new Set([3, 5, 6, 7, 8, 9, 11, 16]);

/** Round client-side limits (seconds) that timeouts are configured to. */
const ROUND_LIMITS_S = [0.2, 0.25, 0.5, 1, 2, 3, 5, 10, 15, 20, 30, 60, 120];

/** Cached per-table state. */
export interface ErrorContext {
  readonly table: SpanTable;
  readonly statusMessageFlags: Uint8Array;
  readonly errorTypeFlags: Uint8Array;
  readonly exceptionMessageFlags: Uint8Array;
  /** HTTP code per span (0: none), from every spelling. */
  readonly http: Int16Array;
  /** gRPC code per span (-1: none), from every spelling. */
  readonly rpc: Int16Array;
  /** Failure signal bits per span (span-model). */
  readonly signals: Uint8Array;
  /** OpenTracing error-log text per row, read when first needed. */
  readonly logTexts: Map<number, string>;
  /** Text flags per distinct error-log text. */
  readonly logFlags: Map<string, number>;
}

/** Fields of an OpenTracing `event: error` log (Jaeger, Zipkin exports) that say what failed, in reading order. */
const ERROR_LOG_KEYS = [
  'error.kind',
  'error.object',
  'error.message',
  'message',
  'exception.type',
  'exception.message',
];

/**
 * The text of the span's OpenTracing error logs (`error.kind: message`), '' when it has none. The span model fills
 * `errorType` / `exceptionMessage` from OTel `exception` events only; Jaeger and Zipkin exports of OpenTracing
 * clients carry the same facts as `event: error` logs.
 */
export function errorLogText(ctx: ErrorContext, row: number): string {
  if (!(ctx.signals[row]! & FailureSignal.Exception)) return '';
  let text = ctx.logTexts.get(row);
  if (text !== undefined) return text;
  const parts: string[] = [];
  for (const e of spanEvents(ctx.table, row)) {
    if (e.name !== 'error' && e.name !== 'exception') continue;
    for (const k of ERROR_LOG_KEYS) {
      const v = e.attributes[k];
      if (typeof v === 'string' && v !== '' && !parts.includes(v)) parts.push(v);
    }
    if (parts.length > 0) break;
  }
  text = parts.join(': ');
  ctx.logTexts.set(row, text);
  return text;
}

function logFlagsOf(ctx: ErrorContext, text: string): number {
  let f = ctx.logFlags.get(text);
  if (f === undefined) {
    f = textFlags([text])[0]!;
    ctx.logFlags.set(text, f);
  }
  return f;
}

const cache = new WeakMap<SpanTable, ErrorContext>();

export function errorContext(table: SpanTable): ErrorContext {
  let ctx = cache.get(table);
  if (ctx) return ctx;
  const sm = table.dict('statusMessage').values;
  const signals = spanFailureSignals(table);
  ctx = {
    table,
    statusMessageFlags: textFlags(sm),
    errorTypeFlags: textFlags(table.dict('errorType').values),
    exceptionMessageFlags: textFlags(table.dict('exceptionMessage').values),
    http: signals.httpStatus,
    rpc: signals.rpcStatus,
    signals: signals.signals,
    logTexts: new Map(),
    logFlags: new Map(),
  };
  cache.set(table, ctx);
  return ctx;
}

/** The round limit (s) a duration sits at, or 0. */
export function roundLimitOf(durationNano: number): number {
  for (const s of ROUND_LIMITS_S) {
    const l = s * 1e9;
    if (durationNano >= l && durationNano <= l * 1.01 + 2e6) return s;
  }
  return 0;
}

/** The child of `row` that is still running when `row` ends (the callee a caller gave up on), or -1. */
export function outlivingChild(tree: TraceTree, row: number): number {
  const { startNano, endNano, durationNano } = tree.table.times;
  const { childOffsets, children } = tree.links;
  const end = endNano[row]!;
  // Wide enough that clock skew between hosts (a few ms) does not look like a callee outliving its caller.
  const slack = Math.max(10e6, durationNano[row]! * 0.05);
  let best = -1;
  for (let k = childOffsets[row]!; k < childOffsets[row + 1]!; k++) {
    const c = children[k]!;
    if (tree.table.columns.parentRefType[c] === 2 || startNano[c]! > end) continue;
    if (endNano[c]! > end + slack && (best < 0 || endNano[c]! > endNano[best]!)) best = c;
  }
  return best;
}

function quote(text: string): string {
  const t = text.length > 120 ? `${text.slice(0, 117)}...` : text;
  return `"${t}"`;
}

function secs(ns: number): string {
  return `${(ns / 1e9).toFixed(3)} s`;
}

const IP = /^\[?[0-9a-f:.]+\]?$/i;

/** The host of a URL attribute of the span (`url.full`, `http.url`), without port; '' when absent or an IP. */
function urlHost(table: SpanTable, row: number): string {
  const url = spanAttributeText(table, row, 'url.full') ?? spanAttributeText(table, row, 'http.url') ?? '';
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/:?#]+)/i.exec(url);
  const host = m?.[1] ?? '';
  return IP.test(host) ? '' : host.toLowerCase();
}

/**
 * The callee an outgoing span names: `peer.service`, else the host of its URL, else `server.address` (IPs are
 * no names). '' when it names none, or names the span's own service (then it is a server span, not a call).
 */
export function calleeOf(table: SpanTable, row: number): string {
  const own = workloadName(table.stringAt('service', row));
  const peer = table.stringAt('peerService', row);
  if (peer) return peer === own ? '' : peer;
  const host = urlHost(table, row) || table.stringAt('serverAddress', row);
  if (!host || IP.test(host)) return '';
  const name = host.split('.')[0]!;
  return name === own || host === own ? '' : host;
}

/** Whether a span looks like an outgoing call (client kind, or unknown kind naming another service). */
export function looksLikeClient(table: SpanTable, row: number): boolean {
  const k = table.columns.kind[row]!;
  if (k === SpanKind.Client || k === SpanKind.Producer) return true;
  if (k !== SpanKind.Unspecified) return false;
  return table.dict('dbSystem').codes[row] !== 0 || calleeOf(table, row) !== '';
}

/**
 * The error type of span `row` (an index into ERROR_TYPE_NAMES); pushes the evidence into `evidence` when given.
 * `serverError`: the caller knows the span served a call and raised the error itself (tag-only data), so a bare
 * failure is a server error (5xx) rather than `other`.
 */
export function classifyRow(
  ctx: ErrorContext,
  row: number,
  tree: TraceTree | undefined,
  evidence: string[] | undefined,
  serverError = false,
): number {
  const t = ctx.table;
  const http = ctx.http[row]!;
  const rpc = ctx.rpc[row]!;
  const smCode = t.dict('statusMessage').codes[row]!;
  const etCode = t.dict('errorType').codes[row]!;
  const emCode = t.dict('exceptionMessage').codes[row]!;
  const smF = ctx.statusMessageFlags[smCode]!;
  const etF = ctx.errorTypeFlags[etCode]!;
  // No OTel exception fields: an OpenTracing error log may say the same (its text counts as the exception).
  const log = etCode === 0 && emCode === 0 ? errorLogText(ctx, row) : '';
  const emF = log ? logFlagsOf(ctx, log) : ctx.exceptionMessageFlags[emCode]!;
  const any = smF | etF | emF;
  const ev = evidence;
  const sm = (): string => t.dict('statusMessage').values[smCode]!;
  const et = (): string => t.dict('errorType').values[etCode]!;
  const em = (): string => (log ? log : t.dict('exceptionMessage').values[emCode]!);
  const emLabel = log ? 'error log' : 'exception';
  const textEvidence = (flag: number): void => {
    if (!ev) return;
    if (smF & flag) ev.push(`status message ${quote(sm())}`);
    if (etF & flag) ev.push(`error.type ${quote(et())}`);
    if (emF & flag) ev.push(`${emLabel} ${quote(em())}`);
  };
  const codeEvidence = (): void => {
    if (!ev) return;
    if (http > 0) ev.push(`HTTP ${http}`);
    if (rpc > 0) ev.push(`gRPC ${GRPC_CODE_NAMES[rpc] ?? 'code'} (${rpc})`);
  };

  // 1. Timeout: explicit codes and words first, then a callee that outlived its caller.
  // A response code that names another failure outranks the timing: the callee answered.
  const otherCode = (http > 0 && http !== 504 && http !== 408) || (rpc > 0 && rpc !== 4);
  const outlived = tree && !otherCode ? outlivingChild(tree, row) : -1;
  if (rpc === 4 || http === 504 || http === 408 || any & TextFlag.Timeout || outlived >= 0) {
    if (ev) {
      codeEvidence();
      textEvidence(TextFlag.Timeout);
      const limit = roundLimitOf(t.times.durationNano[row]!);
      if (limit) ev.push(`duration at the ${limit} s limit (${secs(t.times.durationNano[row]!)})`);
      if (outlived >= 0) {
        const after = t.times.endNano[outlived]! - t.times.endNano[row]!;
        ev.push(
          `callee ${t.stringAt('service', outlived)} ${quote(t.stringAt('operation', outlived))} still running after the caller gave up (+${secs(after)})`,
        );
      }
    }
    return T_TIMEOUT;
  }
  // 2. The dependency could not be reached.
  if (rpc === 14 || any & TextFlag.Unavailable) {
    if (ev) {
      codeEvidence();
      textEvidence(TextFlag.Unavailable);
    }
    return T_UNAVAILABLE;
  }
  const appText = etF & TextFlag.Application || emF & TextFlag.Application;
  const appStatus = smF & TextFlag.Application;
  const application = appText || appStatus;
  const appEvidence = (): void => {
    if (!ev) return;
    if (etF & TextFlag.Application) ev.push(`error.type ${quote(et())}`);
    if (emCode || log) ev.push(`${emLabel} ${quote(em())}`);
    if (!appText && appStatus) ev.push(`status message ${quote(sm())}`);
  };
  // 3. Server errors: an application exception makes it a business-logic error.
  const grpcServer = rpc > 0 && rpc !== 1 && !GRPC_CLIENT_ERRORS.has(rpc);
  if (http >= 500 || grpcServer) {
    codeEvidence();
    if (application) {
      appEvidence();
      return T_BUSINESS;
    }
    return T_HTTP5XX;
  }
  // A failed database or cache call with no timeout or connection words: the dependency's server error.
  if (http === 0 && rpc <= 0 && t.dict('dbSystem').codes[row] !== 0 && !application) {
    const limit = smCode || etCode || emCode || log ? 0 : roundLimitOf(t.times.durationNano[row]!);
    if (limit) {
      ev?.push(`duration at the ${limit} s limit (${secs(t.times.durationNano[row]!)})`);
      return T_TIMEOUT;
    }
    if (ev) {
      ev.push(`${t.stringAt('dbSystem', row)} call failed`);
      if (smCode) ev.push(`status message ${quote(sm())}`);
      if (etCode) ev.push(`error.type ${quote(et())}`);
    }
    return T_HTTP5XX;
  }
  // 4. Client errors.
  if ((http >= 400 && http < 500) || GRPC_CLIENT_ERRORS.has(rpc)) {
    codeEvidence();
    return T_HTTP4XX;
  }
  // 5. No response code: an outgoing call with no server span under it never reached its callee.
  if (tree && http === 0 && rpc <= 0 && looksLikeClient(t, row)) {
    const kids = tree.links.childOffsets[row + 1]! - tree.links.childOffsets[row]!;
    if (kids === 0 && !application) {
      if (ev) {
        const peer = t.stringAt('peerService', row) || t.stringAt('serverAddress', row);
        ev.push(`client call${peer ? ` to ${peer}` : ''} failed with no server span and no response code`);
      }
      return T_UNAVAILABLE;
    }
  }
  // 6. A failure at a round duration with nothing else to say is a timeout.
  const limit = roundLimitOf(t.times.durationNano[row]!);
  if (limit && !application && !(smF | etF | emF)) {
    ev?.push(`duration at the ${limit} s limit (${secs(t.times.durationNano[row]!)})`);
    return T_TIMEOUT;
  }
  if (application) {
    appEvidence();
    return T_BUSINESS;
  }
  if (serverError && http === 0 && rpc <= 0) {
    ev?.push('error mark on a server span with no failed callee and no status code recorded: a server error');
    return T_HTTP5XX;
  }
  if (ev) {
    codeEvidence();
    if (smCode) ev.push(`status message ${quote(sm())}`);
    if (etCode) ev.push(`error.type ${quote(et())}`);
    if (emCode || log) ev.push(`${emLabel} ${quote(em())}`);
  }
  return T_OTHER;
}
