// aiops analyze-slow-traces: which traces are slow, which services make them slow, what they share, what to do.
import { analyzeSlowTraces, type SlowTraceAnalysis } from '@aiops/critical-path';
import { buildTraceTree, type SpanTable, type TraceTree, traceIdAt } from '@aiops/span-model';
import type { Command, CommandContext } from '../command.ts';
import { ExitCode, usageError } from '../errors.ts';
import { bar, loadWindow, round, rule, WINDOW_HELP, wholeNumber, windowJson } from '../internal/analysis/common.ts';
import { analysisTranslator } from '../internal/analysis/i18n.ts';
import { formatCount, formatMs, formatShare, padEnd, table as textTable, truncate } from '../internal/format.ts';
import { parseDurationMs } from '../internal/time.ts';

const DEFAULTS = { examples: 10, traits: 8, suggestions: 6, bottlenecks: 8 } as const;

/**
 * A trace of the endpoint whose analysed span lasted closest to the endpoint's median and that is not slow: the
 * "normal" side for `aiops compare-traces`.
 */
function typicalTraceId(
  table: SpanTable,
  tree: TraceTree,
  report: SlowTraceAnalysis,
  service: string,
  operation: string,
): string | undefined {
  const endpoint = report.endpoints.find((e) => e.service === service && e.operation === operation);
  if (!endpoint) return undefined;
  const target = endpoint.durations.p50Ms * 1e6;
  const slow = new Uint8Array(tree.traces.traceCount);
  for (const s of report.slowTraces) slow[s.trace] = 1;
  const svc = table.dict('service');
  const op = table.dict('operation');
  const svcOk = svc.values.map((v) => v === service || (v.startsWith(`${service}-`) && /-[a-z0-9]{5}$/.test(v)));
  const opCode = op.values.indexOf(operation);
  if (opCode < 0) return undefined;
  const { durationNano } = table.times;
  const { traceOfRow } = tree.traces;
  let best = -1;
  let bestGap = Number.POSITIVE_INFINITY;
  for (let r = 0; r < table.numSpans; r++) {
    if (op.codes[r] !== opCode || !svcOk[svc.codes[r]!] || slow[traceOfRow[r]!]) continue;
    const gap = Math.abs(durationNano[r]! - target);
    if (gap < bestGap) {
      bestGap = gap;
      best = r;
    }
  }
  return best < 0 ? undefined : traceIdAt(table, best);
}

function reportJson(report: SlowTraceAnalysis, limit: number | undefined) {
  const slowTraces = limit === undefined ? report.slowTraces : report.slowTraces.slice(0, limit);
  return {
    rule: report.rule,
    traces: report.traces,
    slowCount: report.slowCount,
    slowShare: round(report.slowShare, 6),
    durations: report.durations,
    endpoints: report.endpoints,
    slowTraces: slowTraces.map((s) => ({
      traceId: s.traceId,
      durationMs: round(s.durationMs, 6),
      thresholdMs: round(s.thresholdMs, 6),
      service: s.service,
      operation: s.operation,
      bottleneck: {
        service: s.bottleneck.service,
        operation: s.bottleneck.operation,
        exclusiveMs: round(s.bottleneck.exclusiveMs, 6),
        share: round(s.bottleneck.share, 6),
        isDependency: s.bottleneck.isDependency,
        spanService: s.bottleneck.spanService,
        spanId: s.bottleneck.spanId,
      },
    })),
    bottlenecks: report.bottlenecks.map((b) => ({
      service: b.service,
      operation: b.operation,
      traces: b.traces,
      meanShare: round(b.meanShare, 6),
      traceShare: round(b.traceShare, 6),
      meanExclusiveMs: round(b.meanExclusiveMs, 6),
      isDependency: b.isDependency,
    })),
    traits: report.traits,
    suggestions: report.suggestions,
  };
}

function printReport(
  ctx: CommandContext,
  report: SlowTraceAnalysis,
  windowLabel: string,
  typical: string | undefined,
  limit: number,
): void {
  const { c } = ctx;
  const t = analysisTranslator(ctx);
  ctx.print(rule(ctx));
  ctx.print(`${c.bold(t('Slow traces'))}  ${c.dim(`${t('Window')}: ${windowLabel}`)}`);
  ctx.print(
    `  ${t('Traces analysed')} ${formatCount(report.traces)}   ${t('Slow traces')} ${c.bold(c.yellow(formatCount(report.slowCount)))} (${formatShare(report.slowShare)})`,
  );
  ctx.print(c.dim(`  ${t('Slowness rule')}: ${report.rule}`));
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Duration distribution')));
  const d = report.durations;
  const row = (name: string, s: typeof d.all) => [
    name,
    formatCount(s.count),
    formatMs(s.p50Ms),
    formatMs(s.p90Ms),
    formatMs(s.p95Ms),
    formatMs(s.p99Ms),
    formatMs(s.maxMs),
  ];
  for (const line of textTable([
    ['', 'COUNT', 'P50', 'P90', 'P95', 'P99', 'MAX'].map((h) => c.dim(h)),
    row(t('all traces'), d.all),
    row(t('slow traces'), d.slow),
  ]))
    ctx.print(line);
  const judged = report.endpoints.filter((e) => e.slowTraces > 0).slice(0, 6);
  if (judged.length) {
    ctx.print('');
    for (const line of textTable([
      ['ENDPOINT', 'TRACES', 'SLOW', 'THRESHOLD', 'P50', 'P99'].map((h) => c.dim(h)),
      ...judged.map((e) => [
        truncate(`${e.service} ${e.operation}`, 48),
        formatCount(e.traces),
        formatCount(e.slowTraces),
        e.thresholdMs === undefined ? '-' : formatMs(e.thresholdMs),
        formatMs(e.durations.p50Ms),
        formatMs(e.durations.p99Ms),
      ]),
    ]))
      ctx.print(line);
  }
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Bottleneck services')));
  report.bottlenecks.slice(0, DEFAULTS.bottlenecks).forEach((b, i) => {
    ctx.print(
      `  ${i + 1}. ${c.bold(c.yellow(b.service))} ${c.dim(truncate(b.operation, 40))}  ${b.traces}/${report.slowCount} ${t('of slow traces')} (${formatShare(b.traceShare)})`,
    );
    ctx.print(
      `     ${c.yellow(padEnd(bar(b.meanShare, 20), 20))} ${formatShare(b.meanShare)} ${t('mean share of the critical path')}, ${formatMs(b.meanExclusiveMs)}`,
    );
  });
  if (report.traits.length) {
    ctx.print(rule(ctx));
    ctx.print(c.bold(t('Common traits of slow traces')));
    for (const line of textTable([
      ['TRAIT', 'SLOW', 'FAST', 'LIFT', 'PATH TIME SLOW/FAST'].map((h) => c.dim(h)),
      ...report.traits
        .slice(0, DEFAULTS.traits)
        .map((tr) => [
          truncate(
            tr.kind === 'attribute'
              ? `${tr.key}=${tr.value}`
              : tr.kind === 'operation'
                ? `${tr.service} ${tr.key}`
                : tr.kind === 'instance'
                  ? `${tr.service} pod ${tr.value}`
                  : `${tr.service}`,
            60,
          ),
          formatShare(tr.slowSupport),
          formatShare(tr.fastSupport),
          Number.isFinite(tr.lift) ? `${tr.lift.toFixed(1)}×` : '∞',
          `${formatMs(tr.slowMeanExclusiveMs)} / ${formatMs(tr.fastMeanExclusiveMs)}`,
        ]),
    ]))
      ctx.print(line);
  }
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Example slow traces')));
  for (const line of textTable([
    ['TRACE ID', 'DURATION', 'BOTTLENECK', 'SHARE'].map((h) => c.dim(h)),
    ...report.slowTraces
      .slice(0, limit)
      .map((s) => [
        s.traceId,
        formatMs(s.durationMs),
        truncate(`${s.bottleneck.service} ${s.bottleneck.operation}`, 50),
        formatShare(s.bottleneck.share),
      ]),
  ]))
    ctx.print(line);
  if (report.slowTraces.length > limit)
    ctx.print(c.dim(`  … ${report.slowTraces.length - limit} more (--limit N, or --json for all)`));
  if (report.suggestions.length) {
    ctx.print(rule(ctx));
    ctx.print(c.bold(t('Suggestions')));
    for (const s of report.suggestions.slice(0, DEFAULTS.suggestions)) {
      ctx.print(`  • ${s.text}`);
      for (const e of s.evidence.slice(0, 4)) ctx.print(c.dim(`      ${truncate(e, ctx.width - 8)}`));
    }
  }
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Next steps')));
  const first = report.slowTraces[0];
  if (first) {
    ctx.print(`  aiops trace --trace-id ${first.traceId} --waterfall`);
    if (typical) ctx.print(`  aiops compare-traces --normal ${typical} --abnormal ${first.traceId}`);
  }
}

export const analyzeSlowTracesCommand: Command = {
  name: 'analyze-slow-traces',
  summary: 'find slow traces and explain them: bottleneck services, shared traits, suggestions',
  usage:
    'aiops analyze-slow-traces [--service S] [--operation O] [--threshold 3s | --percentile 95] [--limit N] [--time-range 1h]',
  description: [
    'A trace is judged by its analysed span: the root span, or with --service the topmost span of that service',
    '(with --operation, of that operation). Slow = at least --threshold long; with --percentile, above that',
    'percentile of its endpoint; with neither, a robust per-endpoint outlier rule (about 2.5× the median, endpoints',
    'with ≥ 20 traces). The bottleneck of a slow trace is the service/operation with the most exclusive time on its',
    'critical path; traits compare slow traces with the fast traces of the same endpoints.',
    WINDOW_HELP,
  ].join('\n'),
  readsTraces: true,
  options: {
    service: { type: 'string', valueName: '<name>', description: "analyse this service's requests" },
    operation: { type: 'string', valueName: '<name>', description: 'only requests of this operation' },
    threshold: { type: 'string', valueName: '<dur>', description: 'slow = at least this long (e.g. 500ms, 3s)' },
    percentile: {
      type: 'string',
      valueName: '<p>',
      description: 'slow = above this percentile of the endpoint (0 < p < 100)',
    },
    limit: {
      type: 'string',
      valueName: '<n>',
      description: `slow traces listed (default ${DEFAULTS.examples}; --json lists all unless given)`,
    },
  },
  examples: [
    'aiops analyze-slow-traces --threshold 3s                         # every trace of 3 s or more, all data',
    'aiops analyze-slow-traces --service checkout --percentile 99 --time-range 1h',
    'aiops analyze-slow-traces --json | jq ".bottlenecks[0]"',
  ],
  jsonDoc: [
    '{ window {label, from?, to?}, rule, traces, slowCount, slowShare,',
    '  durations { all, slow } each { count, meanMs, p50Ms, p90Ms, p95Ms, p99Ms, maxMs },',
    '  endpoints[] { service, operation, traces, slowTraces, thresholdMs, durations },',
    '  slowTraces[] { traceId, durationMs, thresholdMs, service, operation,',
    '                bottleneck { service, operation, exclusiveMs, share, isDependency, spanService, spanId } }',
    '                (slowest first; every slow trace unless --limit),',
    '  bottlenecks[] { service, operation, traces, meanShare, traceShare, meanExclusiveMs, isDependency },',
    '  traits[] { kind, service, key, value, slowTraces, fastTraces, slowSupport, fastSupport, lift,',
    '             slowMeanExclusiveMs, fastMeanExclusiveMs, score },',
    '  suggestions[] { kind, service, operation, statement, text, evidence[], slowTraces, fastTraces, slowSupport,',
    '                  meanMs, fastMeanMs, exampleTraceId, ... },',
    '  typicalTraceId (a non-slow trace of the top endpoint near its median, or null),',
    '  timing { loadMs, analysisMs } }',
    'Exit code 1 when no trace in the window is slow.',
  ].join('\n'),
  async run(ctx) {
    const thresholdText = ctx.str('threshold');
    const percentileText = ctx.str('percentile');
    if (thresholdText && percentileText) throw usageError('use either --threshold or --percentile, not both');
    const thresholdMs = thresholdText ? parseDurationMs(thresholdText, '--threshold') : undefined;
    let percentile: number | undefined;
    if (percentileText !== undefined) {
      percentile = Number(percentileText);
      if (!(percentile > 0 && percentile < 100))
        throw usageError(`--percentile: "${percentileText}" is not a number between 0 and 100`);
    }
    const limitGiven = ctx.str('limit') !== undefined;
    const limit = wholeNumber(ctx, 'limit', 1, DEFAULTS.examples);
    const service = ctx.str('service');
    const operation = ctx.str('operation');
    const { table, window, loadMs } = await loadWindow(ctx, service);
    const t0 = performance.now();
    const tree = buildTraceTree(table);
    const report = analyzeSlowTraces(table, {
      tree,
      ...(thresholdMs !== undefined ? { thresholdNano: Math.round(thresholdMs * 1e6) } : {}),
      ...(percentile !== undefined ? { percentile } : {}),
      ...(service ? { service } : {}),
      ...(operation ? { operation } : {}),
    });
    const top = report.slowTraces[0];
    const typical = top ? typicalTraceId(table, tree, report, top.service, top.operation) : undefined;
    const analysisMs = performance.now() - t0;
    const t = analysisTranslator(ctx);
    if (ctx.jsonMode) {
      ctx.json({
        window: windowJson(window),
        ...reportJson(report, limitGiven ? limit : undefined),
        typicalTraceId: typical ?? null,
        timing: { loadMs: round(loadMs, 1), analysisMs: round(analysisMs, 1) },
      });
    } else if (table.numSpans === 0) {
      ctx.print(`${t('No traces in the window.')} (${window.label})`);
    } else if (report.slowCount === 0) {
      ctx.print(`${t('No slow traces in the window.')} (${window.label})`);
      ctx.print(ctx.c.dim(`  ${t('Traces analysed')} ${formatCount(report.traces)} · ${report.rule}`));
    } else {
      printReport(ctx, report, window.label, typical, limit);
    }
    return report.slowCount > 0 ? ExitCode.Ok : ExitCode.Findings;
  },
};
