// aiops detect-trace-anomaly: anomalies of a window against a baseline — latency, errors, timeouts, volume, call
// paths — with severity, hypotheses and the services most likely at the origin.
import { ANOMALY_COLUMNS, type Anomaly, type AnomalyReport, detectAnomalies } from '@aiops/anomaly';
import type { SpanQuery, SpanTable } from '@aiops/span-model';
import type { Command, CommandContext } from '../command.ts';
import { ExitCode, notFoundError, usageError } from '../errors.ts';
import { formatShare, padEnd, truncate } from '../internal/format.ts';
import { parseDurationMs } from '../internal/time.ts';

// The series pass reads ids, names, kinds, timings, status, failure signals and the derived columns anomaly
// declares: the store's lean read gives all of these exactly and skips the generic attribute list, links, most
// events and the other derived columns.
const LEAN: Pick<SpanQuery, 'detail' | 'analysisColumns'> = { detail: 'analysis', analysisColumns: ANOMALY_COLUMNS };

const DEFAULTS = { window: '1h', baseline: '7d' } as const;
const NANO_PER_MS = 1_000_000n;

function parseInstantNano(text: string, option: string): bigint {
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw usageError(`${option}: "${text}" is not an ISO-8601 time (example: 2026-11-24T09:30:00Z)`);
  return BigInt(ms) * NANO_PER_MS;
}

/** The analysed window and its baseline, in ns since the epoch. */
interface Windows {
  readonly from: bigint;
  readonly to: bigint;
  readonly baselineFrom: bigint;
  readonly baselineTo: bigint;
}

async function windows(ctx: CommandContext, dataEnd: bigint, dataStart: bigint): Promise<Windows> {
  const hasExplicit = ctx.str('from') || ctx.str('to') || ctx.str('time-range') || ctx.str('until');
  let from: bigint;
  let to: bigint;
  if (hasExplicit) {
    const w = ctx.timeWindow(DEFAULTS.window);
    to = w.toUnixNano ?? dataEnd;
    from = w.fromUnixNano ?? dataStart;
  } else {
    // Default: the last hour of the data (not of the wall clock, so imported history works too).
    to = dataEnd;
    from = to - BigInt(Math.round(parseDurationMs(DEFAULTS.window, '--time-range'))) * NANO_PER_MS;
    if (from < dataStart) from = dataStart;
  }
  const bf = ctx.str('baseline-from');
  const bt = ctx.str('baseline-to');
  if ((bf && !bt) || (!bf && bt)) throw usageError('give both --baseline-from and --baseline-to, or neither');
  if (bf && bt) {
    const baselineFrom = parseInstantNano(bf, '--baseline-from');
    const baselineTo = parseInstantNano(bt, '--baseline-to');
    if (baselineTo <= baselineFrom) throw usageError('--baseline-to must be after --baseline-from');
    return { from, to, baselineFrom, baselineTo };
  }
  const len = BigInt(Math.round(parseDurationMs(ctx.str('baseline') ?? DEFAULTS.baseline, '--baseline'))) * NANO_PER_MS;
  return { from, to, baselineFrom: from - len, baselineTo: from };
}

function fmtValue(a: Anomaly, v: number): string {
  if (a.unit === 'ms') return `${v.toFixed(v >= 100 ? 0 : 1)}ms`;
  if (a.unit === 'ratio') return formatShare(v);
  return `${v.toFixed(v >= 100 ? 0 : 1)}/bucket`;
}

function printReport(ctx: CommandContext, r: AnomalyReport, spanCounts: { target: number; baseline: number }): void {
  const { c } = ctx;
  const sev = (s: string) =>
    s === 'critical' ? c.red(c.bold(s)) : s === 'high' ? c.red(s) : s === 'medium' ? c.yellow(s) : c.dim(s);
  ctx.print(c.bold('Anomaly detection'));
  ctx.print(`  window    ${r.from} → ${r.to} (${spanCounts.target.toLocaleString('en-US')} spans)`);
  ctx.print(
    spanCounts.baseline > 0
      ? `  baseline  ${r.baselineFrom} → ${r.baselineTo} (${spanCounts.baseline.toLocaleString('en-US')} spans, seasonality: ${r.seasonality})`
      : '  baseline  none in the store before the window: learned from the window itself (robust to a minority of bad buckets)',
  );
  ctx.print(`  algorithm ${r.algorithm}, buckets of ${r.bucketSeconds}s`);
  ctx.print('');
  if (r.anomalies.length === 0) ctx.print(c.green('No anomalies: the window behaves like its baseline.'));
  else ctx.print(c.bold(`${r.anomalies.length} anomalous period(s)`));
  r.anomalies.forEach((a, i) => {
    ctx.print('');
    ctx.print(
      `${c.bold(`${i + 1}.`)} ${sev(a.severity)} ${c.bold(a.kind)} ${c.bold(a.service)}${a.operation ? ` ${a.operation}` : ''}  ${c.dim(`score ${a.score.toFixed(2)}, confidence ${formatShare(a.confidence)}`)}`,
    );
    ctx.print(`   ${a.start} → ${a.end}   ${a.affectedRequests.toLocaleString('en-US')} requests affected`);
    const change = Number.isFinite(a.change) ? ` (${a.change >= 0 ? '+' : ''}${(a.change * 100).toFixed(0)}%)` : '';
    ctx.print(`   baseline ${fmtValue(a, a.baseline)} → observed ${fmtValue(a, a.observed)}${change}`);
    if (a.callPath)
      ctx.print(`   call path ${a.callPath.change}: → ${a.callPath.callee} (${a.callPath.endpoints.join(', ')})`);
    if (a.affectedOperations.length > 1) {
      ctx.print(c.dim(`   operations: ${truncate(a.affectedOperations.join(', '), ctx.width - 16)}`));
    }
    const fired = a.evidence.filter((e) => e.fired).map((e) => e.detector);
    if (fired.length) ctx.print(c.dim(`   detectors: ${fired.join(', ')}`));
    ctx.print(
      c.dim(
        `   pattern: ${a.pattern.onset}, ${a.pattern.periodic ? 'periodic' : 'not periodic'}, ${a.pattern.propagation}${a.pattern.correlatedServices.length ? `, with ${a.pattern.correlatedServices.join(', ')}` : ''}`,
      ),
    );
    for (const h of a.hypotheses.slice(0, 3)) {
      ctx.print(`   ${c.cyan('?')} ${h.description} ${c.dim(`(${formatShare(h.confidence)})`)}`);
      for (const e of h.evidence.slice(0, 3)) ctx.print(c.dim(`       · ${e}`));
      for (const v of h.verify.slice(0, 2)) ctx.print(c.dim(`       $ ${v}`));
    }
  });
  if (r.rootCauseCandidates.length) {
    ctx.print('');
    ctx.print(c.bold('Most likely origin'));
    for (const rc of r.rootCauseCandidates.slice(0, 5)) {
      ctx.print(
        `  ${padEnd(c.bold(`${rc.service}${rc.operation ? ` ${rc.operation}` : ''}`), 40)} score ${rc.score.toFixed(2)}  ${c.dim(truncate(rc.evidence[0] ?? '', ctx.width - 60))}`,
      );
    }
  }
  for (const w of r.warnings.slice(0, 5)) ctx.print(c.gray(`! ${w}`));
}

export const detectTraceAnomalyCommand: Command = {
  name: 'detect-trace-anomaly',
  summary: 'is this normal? latency, error, timeout, volume and call-path anomalies against a baseline',
  usage:
    'aiops detect-trace-anomaly [--service S] [--algorithm auto|stat|ml] [--time-range 1h | --from --to]\n         [--baseline 7d | --baseline-from --baseline-to] [--sensitivity 0.5] [--bucket 1m]',
  description:
    'The window defaults to the last hour of the data; the baseline to the 7 days before the window (daily and\nweekly seasonality are used when the baseline covers them). Exit 1 when anomalies were found, 0 when none.',
  readsTraces: true,
  options: {
    service: {
      type: 'string',
      valueName: '<name>',
      description: 'only anomalies of this service (root causes still searched everywhere)',
    },
    algorithm: {
      type: 'string',
      valueName: '<auto|stat|ml>',
      description: 'detectors to use (default auto: all, combined)',
    },
    baseline: {
      type: 'string',
      valueName: '<dur>',
      description: 'baseline length just before the window (default 7d)',
    },
    'baseline-from': { type: 'string', valueName: '<time>', description: 'explicit baseline start (ISO-8601)' },
    'baseline-to': { type: 'string', valueName: '<time>', description: 'explicit baseline end (ISO-8601)' },
    sensitivity: {
      type: 'string',
      valueName: '<0..1>',
      description: 'higher finds more, lower alarms less (default 0.5: robust z ≥ 5)',
    },
    bucket: {
      type: 'string',
      valueName: '<dur>',
      description: 'time bucket of the series (default chosen from the window)',
    },
  },
  examples: [
    'aiops detect-trace-anomaly                                  # last hour of data vs the week before',
    'aiops detect-trace-anomaly --service checkout --time-range 30m --baseline 1d',
    'aiops detect-trace-anomaly --from 2026-11-24T09:00:00Z --to 2026-11-24T10:00:00Z \\\n      --baseline-from 2026-11-17T09:00:00Z --baseline-to 2026-11-17T10:00:00Z --json',
  ],
  jsonDoc: [
    '{ from, to, baselineFrom, baselineTo (ISO-8601), seasonality, algorithm, bucketSeconds,',
    '  anomalies[] { service, operation, kind (latency_spike, latency_drop, error_rate_spike, timeout_spike, volume_spike,',
    '    volume_drop, call_path_change), start, end, severity (critical|high|medium|low), score, confidence,',
    '    affectedRequests, affectedOperations[], baseline, observed, change, unit, callPath?, evidence[] { detector,',
    '    fired, score, detail }, hypotheses[] { cause, description, confidence, service, evidence[], verify[] },',
    '    pattern { periodic, onset, correlatedServices[], propagation } },',
    '  rootCauseCandidates[] { service, operation, score, evidence[] }, warnings[], spans { target, baseline } }',
  ].join('\n'),
  async run(ctx) {
    const algorithm = ctx.str('algorithm') ?? 'auto';
    if (algorithm !== 'auto' && algorithm !== 'stat' && algorithm !== 'ml') {
      throw usageError(`--algorithm: "${algorithm}" is not one of auto, stat, ml`);
    }
    const sensText = ctx.str('sensitivity');
    const sensitivity = sensText === undefined ? undefined : Number(sensText);
    if (sensitivity !== undefined && !(sensitivity > 0 && sensitivity <= 1)) {
      throw usageError(`--sensitivity: "${sensText}" is not a number in (0, 1]`);
    }
    const bucketText = ctx.str('bucket');
    const bucketSeconds = bucketText ? parseDurationMs(bucketText, '--bucket') / 1000 : undefined;
    const source = await ctx.openSource();
    const bounds = await source.bounds();
    if (!bounds) throw notFoundError(`no spans in the ${source.kind} source`);
    const w = await windows(ctx, bounds.toUnixNano, bounds.fromUnixNano);
    const target = await source.spans({ fromUnixNano: w.from, toUnixNano: w.to, ...LEAN });
    if (target.numSpans === 0) throw notFoundError('no spans in the window; widen it with --time-range or --from/--to');
    // A baseline needs a few buckets of data (series with fewer than 4 active buckets are not modelled). When the
    // default baseline reaches back past the first span, it may hold only seconds of data: then nothing could be
    // detected at all, and the window is its own baseline instead (as without any data before it).
    const bucketNano = BigInt(Math.round((bucketSeconds ?? 30) * 1e9));
    const lo = w.baselineFrom > bounds.fromUnixNano ? w.baselineFrom : bounds.fromUnixNano;
    const hi = w.baselineTo < bounds.toUnixNano ? w.baselineTo : bounds.toUnixNano;
    const baselineWarnings: string[] = [];
    let baseline: SpanTable | undefined;
    if (hi - lo >= 4n * bucketNano) {
      baseline = await source.spans({ fromUnixNano: w.baselineFrom, toUnixNano: w.baselineTo, ...LEAN });
    } else if (hi > lo) {
      baselineWarnings.push(
        `the baseline window holds only ${(Number(hi - lo) / 1e9).toFixed(1)} s of data (less than 4 buckets): not used`,
      );
    }
    const service = ctx.str('service');
    const detected = detectAnomalies(target, {
      algorithm,
      ...(baseline && baseline.numSpans > 0 ? { baseline } : {}),
      ...(service ? { service } : {}),
      ...(sensitivity !== undefined ? { sensitivity } : {}),
      ...(bucketSeconds !== undefined ? { bucketSeconds } : {}),
    });
    const report = { ...detected, warnings: [...baselineWarnings, ...detected.warnings] };
    const counts = { target: target.numSpans, baseline: baseline?.numSpans ?? 0 };
    if (ctx.jsonMode) ctx.json({ ...report, spans: counts });
    else printReport(ctx, report, counts);
    return report.anomalies.length > 0 ? ExitCode.Findings : ExitCode.Ok;
  },
};
