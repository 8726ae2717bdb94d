// aiops stats traces: request count, success rate, latency percentiles, per-operation table, a time series drawn in
// the terminal, periodicity and trend — computed on typed arrays over the requests of a window.
import { failedSpans } from '@aiops/error-propagation';
import { buildChildrenIndex, ParentRefType, type SpanTable } from '@aiops/span-model';
import type { Command, CommandContext } from '../command.ts';
import { ExitCode, usageError } from '../errors.ts';
import {
  fitSeries,
  loadRequests,
  round,
  rule,
  sparkline,
  wholeNumber,
  windowJson,
} from '../internal/analysis/common.ts';
import { analysisTranslator } from '../internal/analysis/i18n.ts';
import { autocorrelationAt, groupSorted, nearestRank, type Trend, trendOf } from '../internal/analysis/series.ts';
import {
  formatCount,
  formatMs,
  formatShare,
  isoFromUnixNano,
  table as textTable,
  truncate,
} from '../internal/format.ts';
import { parseDurationMs, parseTimeWindow, type TimeWindow } from '../internal/time.ts';

const DEFAULTS = {
  maxAutoBuckets: 120,
  maxBuckets: 100_000,
  operations: 15,
  periodicityThreshold: 0.6,
  trendMinChange: 0.1,
  trendMaxPoints: 1500,
} as const;

const NICE_BUCKETS_MS = [
  1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000,
  43_200_000, 86_400_000,
];

/** Rows of the requests: root spans, or with a service the spans entering it (parent absent or in another service). */
function requestRows(table: SpanTable, service: string | undefined, operation: string | undefined): Int32Array {
  const n = table.numSpans;
  const svc = table.dict('service');
  const op = table.dict('operation');
  const opCode = operation === undefined ? -1 : op.values.indexOf(operation);
  if (operation !== undefined && opCode < 0) return new Int32Array(0);
  const svcCode = service === undefined ? -1 : svc.values.indexOf(service);
  if (service !== undefined && svcCode < 0) return new Int32Array(0);
  const out = new Int32Array(n);
  let k = 0;
  if (service === undefined) {
    const ref = table.columns.parentRefType;
    for (let r = 0; r < n; r++) {
      if (ref[r] === ParentRefType.None && (opCode < 0 || op.codes[r] === opCode)) out[k++] = r;
    }
  } else {
    const { parent } = buildChildrenIndex(table);
    for (let r = 0; r < n; r++) {
      if (svc.codes[r] !== svcCode || (opCode >= 0 && op.codes[r] !== opCode)) continue;
      const p = parent[r]!;
      if (p < 0 || svc.codes[p] !== svcCode) out[k++] = r;
    }
  }
  return out.subarray(0, k);
}

interface Periodicity {
  readonly period: 'daily' | 'hourly';
  readonly lagBuckets: number;
  readonly autocorrelation: number | null;
  readonly detected: boolean;
  readonly note: string;
}

function periodicity(counts: Float64Array, bucketMs: number, period: 'daily' | 'hourly'): Periodicity {
  const periodMs = period === 'daily' ? 86_400_000 : 3_600_000;
  const lag = periodMs / bucketMs;
  if (!Number.isInteger(lag) || lag < 2) {
    return {
      period,
      lagBuckets: lag,
      autocorrelation: null,
      detected: false,
      note: `the bucket must divide the ${period === 'daily' ? 'day' : 'hour'} into at least 2 parts`,
    };
  }
  if (counts.length < 2 * lag) {
    return {
      period,
      lagBuckets: lag,
      autocorrelation: null,
      detected: false,
      note: `needs two full periods (${2 * lag} buckets), has ${counts.length}`,
    };
  }
  const acf = autocorrelationAt(counts, lag);
  const detected = acf >= DEFAULTS.periodicityThreshold;
  return {
    period,
    lagBuckets: lag,
    autocorrelation: Number.isNaN(acf) ? null : round(acf, 4),
    detected,
    note: Number.isNaN(acf)
      ? 'constant series'
      : `autocorrelation of detrended requests per bucket at a lag of one ${period === 'daily' ? 'day' : 'hour'}: ${acf.toFixed(2)} (${detected ? '≥' : '<'} ${DEFAULTS.periodicityThreshold})`,
  };
}

function trendJson(tr: Trend, unit: string) {
  return {
    direction: tr.direction,
    [`slope${unit}PerHour`]: round(tr.slope, 6),
    relativeChange: round(tr.relativeChange, 4),
    mannKendallZ: round(tr.z, 3),
    points: tr.points,
  };
}

function chooseBucketMs(spanMs: number): number {
  for (const b of NICE_BUCKETS_MS) if (spanMs / b <= DEFAULTS.maxAutoBuckets) return b;
  return Math.ceil(spanMs / DEFAULTS.maxAutoBuckets / 86_400_000) * 86_400_000;
}

function bucketLabel(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function windowOf(ctx: CommandContext): TimeWindow {
  const period = ctx.str('period');
  if (period && ctx.str('time-range')) throw usageError('--period is an alias of --time-range: give one of them');
  if (period && (ctx.str('from') || ctx.str('to'))) throw usageError('use either --period or --from/--to, not both');
  return parseTimeWindow(
    {
      'time-range': period ?? ctx.str('time-range'),
      until: ctx.str('until'),
      from: ctx.str('from'),
      to: ctx.str('to'),
    },
    'all',
  );
}

export const statsTracesCommand: Command = {
  name: 'stats traces',
  summary: 'request count, success rate, latency percentiles, time series, periodicity and trend',
  usage: 'aiops stats traces [--service S] [--operation O] [--period 1d] [--bucket 5m]',
  description: [
    'Requests are root spans; with --service, the spans entering that service (no parent, or a parent in another',
    'service); --operation keeps the requests of one operation. A request succeeded unless its span failed (status',
    'error, HTTP ≥ 500, an error tag, an exception or error.type). Percentiles are nearest-rank (observed values).',
    'Periodicity: Pearson autocorrelation of the detrended requests per bucket at a lag of one day / one hour,',
    `detected at ≥ ${DEFAULTS.periodicityThreshold} (needs two full periods of data). Trend: Theil–Sen slope of the P95 per bucket and of`,
    'the requests per bucket with the Mann–Kendall test: rising/falling when |z| ≥ 1.96 and the fitted change over',
    `the window is ≥ ${DEFAULTS.trendMinChange * 100}% of the median; flat otherwise.`,
    'Time window: --period 1d (alias of --time-range, ending at --until, default now) or --from/--to; with neither,',
    'all data. The bucket defaults to a round width giving at most 120 buckets.',
  ].join('\n'),
  readsTraces: true,
  options: {
    service: { type: 'string', valueName: '<name>', description: 'requests entering this service' },
    operation: { type: 'string', valueName: '<name>', description: 'only requests of this operation' },
    period: {
      type: 'string',
      valueName: '<dur>',
      description: 'window length ending at --until (alias of --time-range)',
    },
    bucket: { type: 'string', valueName: '<dur>', description: 'width of the time-series buckets (e.g. 1m, 5m, 1h)' },
    'top-operations': {
      type: 'string',
      valueName: '<n>',
      description: `operations shown in the table (default ${DEFAULTS.operations}; --json has all)`,
    },
  },
  examples: [
    'aiops stats traces --period 1d --bucket 5m                    # the last day in 5-minute buckets',
    'aiops stats traces --service checkout --operation "POST /order" --period 7d --bucket 1h',
    'aiops stats traces --json | jq ".latency"',
  ],
  jsonDoc: [
    '{ window {label, from?, to?}, query { service, operation }, bucketSeconds,',
    '  requests, failed, successRate, latency { meanMs, p50Ms, p95Ms, p99Ms, maxMs },',
    '  operations[] { service, operation, requests, failed, successRate, p50Ms, p95Ms, p99Ms, maxMs } (most requests first),',
    '  buckets[] { start (ISO-8601), requests, failed, p50Ms, p95Ms, p99Ms, maxMs } (latencies null when empty),',
    '  periodicity { daily, hourly } each { period, lagBuckets, autocorrelation (null when not computed), detected, note },',
    '  trend { latencyP95 { direction, slopeMsPerHour, relativeChange, mannKendallZ, points },',
    '          requests { direction, slopeRequestsPerHour, relativeChange, mannKendallZ, points } },',
    '  timing { loadMs, analysisMs } }',
    'Exit code 1 when the window holds no request.',
  ].join('\n'),
  async run(ctx) {
    const service = ctx.str('service');
    const operation = ctx.str('operation');
    const window = windowOf(ctx);
    const bucketText = ctx.str('bucket');
    const bucketGiven = bucketText ? parseDurationMs(bucketText, '--bucket') : undefined;
    if (bucketGiven !== undefined && bucketGiven < 1) throw usageError('--bucket must be at least 1ms');
    const topOps = wholeNumber(ctx, 'top-operations', 1, DEFAULTS.operations);
    // From the embedded store, only the request spans are read (requestRows then keeps them all).
    const { table, loadMs } = await loadRequests(ctx, service, operation, window);
    const t0 = performance.now();
    const rows = requestRows(table, service, operation);
    const m = rows.length;
    const t = analysisTranslator(ctx);
    if (m === 0) {
      if (ctx.jsonMode) ctx.json({ window: windowJson(window), requests: 0, error: 'no requests in the window' });
      else ctx.print(`${t('No traces in the window.')} (${window.label})`);
      return ExitCode.NotFound;
    }
    const base = table.times.baseUnixNano;
    const { startNano, durationNano } = table.times;
    const failedMarks = failedSpans(table);
    const dur = new Float64Array(m);
    const failed = new Uint8Array(m);
    let minStart = Number.POSITIVE_INFINITY;
    let maxStart = Number.NEGATIVE_INFINITY;
    let sum = 0;
    let failedCount = 0;
    for (let i = 0; i < m; i++) {
      const r = rows[i]!;
      dur[i] = durationNano[r]!;
      sum += dur[i]!;
      failed[i] = failedMarks[r] ? 1 : 0;
      failedCount += failed[i]!;
      if (startNano[r]! < minStart) minStart = startNano[r]!;
      if (startNano[r]! > maxStart) maxStart = startNano[r]!;
    }
    const sortedAll = Float64Array.from(dur).sort();
    // Buckets cover the window, or the requests' span when the window is open.
    const fromRel = window.fromUnixNano !== undefined ? Number(window.fromUnixNano - base) : minStart;
    const toRel = window.toUnixNano !== undefined ? Number(window.toUnixNano - base) : maxStart + 1;
    const spanMs = Math.max(1, (toRel - fromRel) / 1e6);
    const bucketMs = bucketGiven ?? chooseBucketMs(spanMs);
    const bucketNano = bucketMs * 1e6;
    const nb = Math.max(1, Math.ceil((toRel - fromRel) / bucketNano));
    if (nb > DEFAULTS.maxBuckets)
      throw usageError(
        `--bucket ${bucketText}: ${formatCount(nb)} buckets; use a wider bucket (at most ${DEFAULTS.maxBuckets})`,
      );
    const bucketOf = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      const b = Math.floor((startNano[rows[i]!]! - fromRel) / bucketNano);
      bucketOf[i] = b >= 0 && b < nb ? b : -1;
    }
    const byBucket = groupSorted(bucketOf, dur, nb);
    const bucketFailed = new Int32Array(nb);
    for (let i = 0; i < m; i++) if (bucketOf[i]! >= 0 && failed[i]) bucketFailed[bucketOf[i]!]!++;
    const counts = new Float64Array(nb);
    const p95 = new Float64Array(nb);
    for (let b = 0; b < nb; b++) {
      const a = byBucket.offsets[b]!;
      const e = byBucket.offsets[b + 1]!;
      counts[b] = e - a;
      p95[b] = nearestRank(byBucket.values, 0.95, a, e);
    }
    // Per operation (service + operation of the request span).
    const svc = table.dict('service');
    const op = table.dict('operation');
    const nOps = op.values.length;
    const keyIds = new Map<number, number>();
    const keyOf = new Int32Array(m);
    const keyNames: [string, string][] = [];
    for (let i = 0; i < m; i++) {
      const r = rows[i]!;
      const key = svc.codes[r]! * nOps + op.codes[r]!;
      let id = keyIds.get(key);
      if (id === undefined) {
        id = keyNames.length;
        keyIds.set(key, id);
        keyNames.push([svc.values[svc.codes[r]!]!, op.values[op.codes[r]!]!]);
      }
      keyOf[i] = id;
    }
    const byOp = groupSorted(keyOf, dur, keyNames.length);
    const opFailed = new Int32Array(keyNames.length);
    for (let i = 0; i < m; i++) if (failed[i]) opFailed[keyOf[i]!]!++;
    const ms = (x: number): number => round(x / 1e6, 3);
    const msOrNull = (x: number): number | null => (Number.isNaN(x) ? null : ms(x));
    const operations = keyNames
      .map(([s, o], k) => {
        const a = byOp.offsets[k]!;
        const e = byOp.offsets[k + 1]!;
        return {
          service: s,
          operation: o,
          requests: e - a,
          failed: opFailed[k]!,
          successRate: round(1 - opFailed[k]! / (e - a), 6),
          p50Ms: ms(nearestRank(byOp.values, 0.5, a, e)),
          p95Ms: ms(nearestRank(byOp.values, 0.95, a, e)),
          p99Ms: ms(nearestRank(byOp.values, 0.99, a, e)),
          maxMs: ms(byOp.values[e - 1]!),
        };
      })
      .sort((x, y) => y.requests - x.requests || (x.service + x.operation < y.service + y.operation ? -1 : 1));
    // Trend and periodicity.
    const hours = new Float64Array(nb);
    for (let b = 0; b < nb; b++) hours[b] = ((b + 0.5) * bucketMs) / 3_600_000;
    const fitLen = Math.min(nb, DEFAULTS.trendMaxPoints);
    const p95Ms = p95.map((x) => x / 1e6);
    const latencyTrend = trendOf(fitSeries(hours, fitLen), fitSeries(p95Ms, fitLen), DEFAULTS.trendMinChange);
    const trafficTrend = trendOf(fitSeries(hours, fitLen), fitSeries(counts, fitLen), DEFAULTS.trendMinChange);
    const daily = periodicity(counts, bucketMs, 'daily');
    const hourly = periodicity(counts, bucketMs, 'hourly');
    const buckets = Array.from({ length: nb }, (_, b) => {
      const a = byBucket.offsets[b]!;
      const e = byBucket.offsets[b + 1]!;
      return {
        start: isoFromUnixNano(base + BigInt(Math.round(fromRel + b * bucketNano))),
        requests: e - a,
        failed: bucketFailed[b]!,
        p50Ms: msOrNull(nearestRank(byBucket.values, 0.5, a, e)),
        p95Ms: msOrNull(p95[b]!),
        p99Ms: msOrNull(nearestRank(byBucket.values, 0.99, a, e)),
        maxMs: e > a ? ms(byBucket.values[e - 1]!) : null,
      };
    });
    const latency = {
      meanMs: ms(sum / m),
      p50Ms: ms(nearestRank(sortedAll, 0.5)),
      p95Ms: ms(nearestRank(sortedAll, 0.95)),
      p99Ms: ms(nearestRank(sortedAll, 0.99)),
      maxMs: ms(sortedAll[m - 1]!),
    };
    const analysisMs = performance.now() - t0;
    const doc = {
      window: windowJson(window),
      query: { service: service ?? null, operation: operation ?? null },
      bucketSeconds: bucketMs / 1000,
      requests: m,
      failed: failedCount,
      successRate: round(1 - failedCount / m, 6),
      latency,
      operations,
      buckets,
      periodicity: { daily, hourly },
      trend: { latencyP95: trendJson(latencyTrend, 'Ms'), requests: trendJson(trafficTrend, 'Requests') },
      timing: { loadMs: round(loadMs, 1), analysisMs: round(analysisMs, 1) },
    };
    if (ctx.jsonMode) {
      ctx.json(doc);
      return ExitCode.Ok;
    }
    const { c } = ctx;
    ctx.print(rule(ctx));
    ctx.print(
      `${c.bold(t('Requests'))} ${c.dim(`${service ?? 'all services'}${operation ? ` · ${operation}` : ''} · ${t('Window')}: ${window.label}`)}`,
    );
    ctx.print(
      `  ${t('Requests')} ${c.bold(formatCount(m))}   ${t('Success rate')} ${failedCount ? c.yellow(formatShare(1 - failedCount / m)) : c.green('100%')} (${formatCount(failedCount)} failed)`,
    );
    ctx.print(
      `  ${t('Latency')}  P50 ${formatMs(latency.p50Ms)}  P95 ${formatMs(latency.p95Ms)}  P99 ${formatMs(latency.p99Ms)}  max ${formatMs(latency.maxMs)}  ${c.dim(`mean ${formatMs(latency.meanMs)}`)}`,
    );
    ctx.print(rule(ctx));
    ctx.print(c.bold(t('Per operation')));
    for (const line of textTable([
      ['OPERATION', 'REQUESTS', 'SUCCESS', 'P50', 'P95', 'P99', 'MAX'].map((h) => c.dim(h)),
      ...operations
        .slice(0, topOps)
        .map((o) => [
          truncate(`${o.service} ${o.operation}`, 50),
          formatCount(o.requests),
          formatShare(o.successRate),
          formatMs(o.p50Ms),
          formatMs(o.p95Ms),
          formatMs(o.p99Ms),
          formatMs(o.maxMs),
        ]),
    ]))
      ctx.print(line);
    if (operations.length > topOps) ctx.print(c.dim(`  … ${operations.length - topOps} more (--top-operations N)`));
    ctx.print(rule(ctx));
    const w = Math.max(20, Math.min(ctx.width - 24, 100));
    const countSeries = fitSeries(counts, w);
    const p95Series = fitSeries(p95, w, 'max');
    let maxCount = 0;
    for (const v of counts) if (v > maxCount) maxCount = v;
    let maxP95 = 0;
    for (const v of p95) if (v > maxP95) maxP95 = v;
    ctx.print(`${c.bold(t('Requests per bucket'))} ${c.dim(`(${bucketLabel(bucketMs)} buckets, ${formatCount(nb)})`)}`);
    ctx.print(`  ${c.cyan(sparkline(countSeries))}  ${c.dim(`max ${formatCount(maxCount)}`)}`);
    ctx.print(c.bold(t('P95 latency per bucket')));
    ctx.print(`  ${c.magenta(sparkline(p95Series))}  ${c.dim(`max ${formatMs(maxP95 / 1e6)}`)}`);
    const first = buckets[0]!.start.replace('T', ' ').replace('.000Z', 'Z');
    const last = isoFromUnixNano(base + BigInt(Math.round(fromRel + nb * bucketNano)))
      .replace('T', ' ')
      .replace('.000Z', 'Z');
    const axisW = Math.min(w, countSeries.length);
    ctx.print(c.dim(`  ${first}${' '.repeat(Math.max(1, axisW - first.length - last.length))}${last}`));
    ctx.print(rule(ctx));
    ctx.print(c.bold(t('Periodicity')));
    for (const p of [daily, hourly]) {
      ctx.print(
        `  ${p.period.padEnd(7)} ${p.detected ? c.green(t('detected')) : p.autocorrelation === null ? c.dim(t('not enough data')) : t('not detected')}  ${c.dim(p.note)}`,
      );
    }
    ctx.print(c.bold(t('Trend')));
    const trendLine = (name: string, tr: Trend, fmt: (x: number) => string) =>
      `  ${name.padEnd(12)} ${tr.direction === 'rising' ? c.red(t('rising')) : tr.direction === 'falling' ? c.green(t('falling')) : t('flat')}  ${c.dim(`slope ${fmt(tr.slope)}/h, ${tr.relativeChange >= 0 ? '+' : ''}${(tr.relativeChange * 100).toFixed(0)}% over the window, Mann–Kendall z ${tr.z.toFixed(2)}`)}`;
    ctx.print(trendLine('P95 latency', latencyTrend, (x) => formatMs(x)));
    ctx.print(trendLine('requests', trafficTrend, (x) => `${x.toFixed(1)} req/bucket`));
    return ExitCode.Ok;
  },
};
