// The error type of one failed span, with the evidence that decided it.
//
// Algorithm: rules in order, first match wins —
//   1. timeout      gRPC DEADLINE_EXCEEDED (4), HTTP 504/408, timeout words (TimeoutError, DeadlineExceeded,
//                   "timed out"), or a callee still running after the span ended (the caller gave up)
//   2. unavailable  gRPC UNAVAILABLE (14), connection refused / reset / unresolvable host words
//   3. business     HTTP ≥ 500 (or a gRPC server-error code) with an application exception
//      http5xx      HTTP ≥ 500 (or a gRPC server-error code) otherwise
//   4. http4xx      HTTP 400–499, or a gRPC client-error code (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, …)
//   5. unavailable  an outgoing call with no response code and no server span under it
//   6. timeout      nothing else known, duration at a round limit (0.5/1/2/3/5/10/15/20/30/60/120 s, +3%)
//      business     an application exception with no response code
//      other        the rest
// Reference: OpenTelemetry semantic conventions (error.type, exception events, HTTP and gRPC status mapping).
import type { SpanTable, TraceTree } from '@aiops/span-model';
import { classifyRow, ERROR_TYPE_NAMES, errorContext } from './internal/error-context.ts';

/**
 * The error types, as `byType` keys of the `aiops analyze-errors --json` output.
 *
 * @example
 * ```ts
 * classifyError(table, row).type === ErrorType.Timeout;
 * ```
 */
export const ErrorType = {
  Timeout: 'timeout',
  Http5xx: 'http5xx',
  Http4xx: 'http4xx',
  Unavailable: 'unavailable',
  Business: 'business',
  Other: 'other',
} as const;
/** A value of {@link ErrorType}. */
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** The error type of a span and why. */
export interface ErrorClassification {
  /** The type. */
  readonly type: ErrorType;
  /** Human-readable facts that decided it, e.g. `gRPC DEADLINE_EXCEEDED (4)`, `exception "card declined"`. */
  readonly evidence: readonly string[];
}

/** Options of {@link classifyError}. */
export interface ClassifyErrorOptions {
  /**
   * The tree of `table`. With it, two more rules apply: a callee still running after the span ended (timeout), and
   * an outgoing call with no server span under it (unavailable).
   */
  readonly tree?: TraceTree;
}

const DEFAULTS: ClassifyErrorOptions = {};

/**
 * Classifies the error of span `row` as timeout, http5xx, http4xx, unavailable, business or other, with evidence.
 *
 * **Details** Reads the derived columns (`httpStatusCode`, `rpcStatusCode`, `errorType`, `exceptionMessage`,
 * `statusMessage`), the span kind, the duration and, when `options.tree` is given, the span's children. Words are
 * matched once per distinct string of a column (cached per table), not per span. The rules, first match wins:
 * timeout (DEADLINE_EXCEEDED, 504/408, timeout words, a callee outliving the caller) → unavailable (UNAVAILABLE,
 * connection refused/reset, unknown host) → business (5xx with an application exception) / http5xx → http4xx →
 * unavailable (an outgoing call with no response and no server span) → timeout (a bare failure at a round
 * duration) → business (an application exception alone) → other.
 *
 * **Complexity** O(1) per call plus O(children) with a tree; the first call on a table scans its dictionaries.
 *
 * **Gotchas** It classifies whatever row it is given; call it on rows {@link failedSpans} marks. A span whose
 * failure only echoes a failed callee (e.g. a 500 with no message) is http5xx by its own evidence: the chain in
 * {@link errorPropagation} gives the type of the whole error.
 *
 * @example
 * ```ts
 * const { type, evidence } = classifyError(table, row, { tree });
 * // 'timeout', ['gRPC DEADLINE_EXCEEDED (4)', 'duration 1.000 s sits at a 1 s limit']
 * ```
 */
export function classifyError(
  table: SpanTable,
  row: number,
  options: ClassifyErrorOptions = DEFAULTS,
): ErrorClassification {
  if (!Number.isInteger(row) || row < 0 || row >= table.numSpans) {
    throw new RangeError(`error-propagation: row ${row} is outside the table (${table.numSpans} spans)`);
  }
  const evidence: string[] = [];
  const t = classifyRow(errorContext(table), row, options.tree, evidence);
  return { type: ERROR_TYPE_NAMES[t]!, evidence };
}
