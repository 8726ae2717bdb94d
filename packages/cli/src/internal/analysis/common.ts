// Shared pieces of the analysis commands: loading a window of spans, option parsing, rounding, terminal drawing.
import type { SpanQuery, SpanTable } from '@aiops/span-model';
import type { CommandContext } from '../../command.ts';
import { usageError } from '../../errors.ts';
import { isoFromUnixNano } from '../format.ts';
import type { TimeWindow } from '../time.ts';

/** The help sentence every analysis command shows about its default window. */
export const WINDOW_HELP: string =
  'Time window: --time-range 1h (ending at --until, default now) or --from/--to; with neither, all data is analysed.';

/** Spans of the window and how long loading took. */
export interface LoadedWindow {
  readonly table: SpanTable;
  readonly window: TimeWindow;
  /** Wall time of the source query, ms. */
  readonly loadMs: number;
}

/**
 * Loads whole traces starting in the window (default: all data), optionally only those touching `service`.
 *
 * `detail` is passed to the source (`SpanQuery.detail`): `'analysis'` lets the embedded store skip the generic
 * attribute list (all but the failure-signal and messaging-operation keys), the non-error events and the links,
 * reading 18M spans several times faster; every column the failure, dependency and anomaly analyses read stays
 * exact. Commands whose analysis counts arbitrary attributes (slow-trace traits, trace comparison) keep `'full'`.
 * `analysisColumns` narrows the derived columns read to those the analysis declares (e.g. `DEPENDENCY_GRAPH_COLUMNS`).
 */
export async function loadWindow(
  ctx: CommandContext,
  service?: string,
  window?: TimeWindow,
  detail: SpanQuery['detail'] = 'full',
  analysisColumns?: SpanQuery['analysisColumns'],
): Promise<LoadedWindow> {
  const w = window ?? ctx.timeWindow('all');
  const source = await ctx.openSource();
  ctx.status('loading spans…');
  const t0 = performance.now();
  const table = await source.spans({
    ...(w.fromUnixNano !== undefined ? { fromUnixNano: w.fromUnixNano } : {}),
    ...(w.toUnixNano !== undefined ? { toUnixNano: w.toUnixNano } : {}),
    ...(service ? { service } : {}),
    ...(detail === 'analysis' ? { detail, ...(analysisColumns ? { analysisColumns } : {}) } : {}),
  });
  const loadMs = performance.now() - t0;
  ctx.status('');
  return { table, window: w, loadMs };
}

/**
 * The requests of a window: root spans, or with `service` the spans entering it (parent absent or in another
 * service), optionally of one operation. From a source with `TraceSource.requestSpans` (the embedded store) the table holds
 * only those spans; from any other source it holds the whole traces (those touching `service`), and the caller picks
 * the request spans out of them: the same spans either way.
 */
export async function loadRequests(
  ctx: CommandContext,
  service: string | undefined,
  operation: string | undefined,
  window: TimeWindow,
): Promise<LoadedWindow> {
  const source = await ctx.openSource();
  if (!source.requestSpans) return loadWindow(ctx, service, window);
  ctx.status('loading requests…');
  const t0 = performance.now();
  const table = await source.requestSpans({
    ...(window.fromUnixNano !== undefined ? { fromUnixNano: window.fromUnixNano } : {}),
    ...(window.toUnixNano !== undefined ? { toUnixNano: window.toUnixNano } : {}),
    ...(service ? { service } : {}),
    ...(operation !== undefined ? { operation } : {}),
  });
  const loadMs = performance.now() - t0;
  ctx.status('');
  return { table, window, loadMs };
}

/** JSON form of a window: its label and ISO ends (absent when open). */
export function windowJson(w: TimeWindow): { label: string; from?: string; to?: string } {
  return {
    label: w.label,
    ...(w.fromUnixNano !== undefined ? { from: isoFromUnixNano(w.fromUnixNano) } : {}),
    ...(w.toUnixNano !== undefined ? { to: isoFromUnixNano(w.toUnixNano) } : {}),
  };
}

/** A whole-number option ≥ `min`, or `fallback` when absent; usage error otherwise. */
export function wholeNumber(ctx: CommandContext, option: string, min: number, fallback: number): number {
  const text = ctx.str(option);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw usageError(`--${option}: "${text}" is not a whole number ≥ ${min}`);
  return n;
}

/** Rounds to `digits` decimals (ms to the µs by default); non-finite numbers become 0. */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return 0;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** `a ──▶ b ──▶ c` */
export function chain(path: readonly string[], paint: (s: string) => string = (s) => s): string {
  return path.map(paint).join(' ──▶ ');
}

/** A horizontal bar of `share` (0..1) over `width` cells, with eighth-block resolution. */
export function bar(share: number, width: number): string {
  const eighths = Math.round(Math.max(0, Math.min(1, share)) * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  return '█'.repeat(full) + (rest ? '▏▎▍▌▋▊▉'[rest - 1] : '');
}

const SPARKS = '▁▂▃▄▅▆▇█';

/** One character per value, scaled between the minimum (or 0) and the maximum; NaN is a blank. */
export function sparkline(values: ArrayLike<number>, fromZero = true): string {
  let lo = fromZero ? 0 : Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) out += ' ';
    else out += SPARKS[hi > lo ? Math.min(7, Math.floor(((v - lo) / (hi - lo)) * 8)) : 0];
  }
  return out;
}

/** Averages consecutive values so that a series fits in `width` columns (NaN ignored; all-NaN stays NaN). */
export function fitSeries(values: Float64Array, width: number, combine: 'mean' | 'max' = 'mean'): Float64Array {
  if (values.length <= width) return values;
  const out = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    const a = Math.floor((i * values.length) / width);
    const b = Math.floor(((i + 1) * values.length) / width);
    let s = 0;
    let n = 0;
    let m = Number.NaN;
    for (let k = a; k < b; k++) {
      const v = values[k]!;
      if (Number.isNaN(v)) continue;
      s += v;
      n++;
      if (!(m >= v)) m = v;
    }
    out[i] = n === 0 ? Number.NaN : combine === 'max' ? m : s / n;
  }
  return out;
}

/** The rule line under a section. */
export function rule(ctx: CommandContext): string {
  return ctx.c.dim('─'.repeat(Math.min(ctx.width, 100)));
}

/** Parses `<from>..<to>` (ISO-8601 instants) into a window; `option` names the flag in messages. */
export function rangeWindow(text: string, option: string): TimeWindow {
  const m = /^(.+?)\.\.(.+)$/.exec(text.trim());
  if (!m)
    throw usageError(
      `${option}: "${text}" is not a window <from>..<to> (example: 2026-11-24T09:00Z..2026-11-24T10:00Z)`,
    );
  return instantsWindow(m[1]!, m[2]!, option);
}

/** A window from two ISO-8601 instants. */
export function instantsWindow(fromText: string, toText: string, option: string): TimeWindow {
  const from = Date.parse(fromText);
  const to = Date.parse(toText);
  if (Number.isNaN(from)) throw usageError(`${option}: "${fromText}" is not an ISO-8601 time`);
  if (Number.isNaN(to)) throw usageError(`${option}: "${toText}" is not an ISO-8601 time`);
  if (to <= from) throw usageError(`${option}: the end must be after the start`);
  return {
    fromUnixNano: BigInt(from) * 1_000_000n,
    toUnixNano: BigInt(to) * 1_000_000n,
    label: `${new Date(from).toISOString()} → ${new Date(to).toISOString()}`,
  };
}
