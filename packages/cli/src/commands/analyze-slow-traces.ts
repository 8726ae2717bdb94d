// aiops analyze-slow-traces: which traces are slow, which services make them slow, what they share, what to do.
import {
  analyzeSlowTraces,
  type SlowTraceAnalysis,
  type TopDownCriticalPath,
  type TopDownStats,
} from '@aiops/critical-path';
import { buildTraceTree, type SpanTable, type TraceTree, traceIdAt } from '@aiops/span-model';
import type { Command, CommandContext } from '../command.ts';
import { ExitCode, usageError } from '../errors.ts';
import {
  bar,
  instantsWindow,
  loadWindow,
  round,
  rule,
  WINDOW_HELP,
  wholeNumber,
  windowJson,
} from '../internal/analysis/common.ts';
import { analysisTranslator } from '../internal/analysis/i18n.ts';
import { hasSummaries, loadTracesById, stratifiedSample } from '../internal/analysis/trace-selection.ts';
import { formatCount, formatMs, formatShare, padEnd, table as textTable, truncate } from '../internal/format.ts';
import { parseDurationMs, type TimeWindow } from '../internal/time.ts';

const DEFAULTS = {
  examples: 10,
  traits: 8,
  suggestions: 6,
  bottlenecks: 8,
  topDownDepth: 10,
  fastSample: 1000,
} as const;

/** How the traces of the window were chosen. */
interface Selection {
  /** 'window': every trace loaded; 'threshold+sample': the possibly slow traces plus a sample of the others. */
  readonly mode: 'window' | 'threshold+sample';
  /** Traces in the window (from the trace summaries; with 'window', those analysed). */
  readonly tracesInWindow: number;
  /** Traces whose extent reaches the threshold, all loaded (null with 'window'). */
  readonly candidates: number | null;
  /** Other traces in the window (null with 'window'). */
  readonly fastInWindow: number | null;
  /** Of those, loaded as the fast-side sample (null with 'window'). */
  readonly fastLoaded: number | null;
  /** Whether the fast side is a sample (distributions, traits and the top-down view are then estimates). */
  readonly sampled: boolean;
}

/** Trace-id → weight for the trees of a selection: 1 unless the id is in `weights`. */
function weightsOf(table: SpanTable, tree: TraceTree, weights: ReadonlyMap<string, number>): Float64Array {
  const { traces } = tree;
  const out = new Float64Array(traces.traceCount).fill(1);
  for (let t = 0; t < traces.traceCount; t++) {
    const w = weights.get(traceIdAt(table, traces.rows[traces.offsets[t]!]!));
    if (w !== undefined) out[t] = w;
  }
  return out;
}

/** The baseline window: --baseline-from/--baseline-to, or --baseline <dur> right before the window; none by default. */
function baselineWindow(ctx: CommandContext, window: TimeWindow): TimeWindow | undefined {
  const rel = ctx.str('baseline');
  const bf = ctx.str('baseline-from');
  const bt = ctx.str('baseline-to');
  if ((bf && !bt) || (!bf && bt)) throw usageError('give both --baseline-from and --baseline-to, or neither');
  if (rel && bf) throw usageError('use either --baseline or --baseline-from/--baseline-to, not both');
  if (bf && bt) return instantsWindow(bf, bt, '--baseline-from/--baseline-to');
  if (!rel) return undefined;
  if (window.fromUnixNano === undefined)
    throw usageError(
      '--baseline <dur> is the period right before the window, so the window needs a start: add --time-range (e.g. --time-range 15m --baseline 1h) or give --baseline-from/--baseline-to',
    );
  const len = BigInt(Math.round(parseDurationMs(rel, '--baseline'))) * 1_000_000n;
  const from = window.fromUnixNano - len;
  const to = window.fromUnixNano;
  return {
    fromUnixNano: from,
    toUnixNano: to,
    label: `${new Date(Number(from / 1_000_000n)).toISOString()} → ${new Date(Number(to / 1_000_000n)).toISOString()}`,
  };
}

const ms = (nano: number) => round(nano / 1e6, 6);

function topDownStatsJson(st: TopDownStats) {
  return {
    traces: st.traces,
    onPathTraces: st.onPathTraces,
    frequency: round(st.frequency, 6),
    calls: st.calls,
    meanCalls: round(st.meanCalls, 6),
    meanExclusiveMs: ms(st.meanExclusiveNano),
    p50ExclusiveMs: ms(st.p50ExclusiveNano),
    p90ExclusiveMs: ms(st.p90ExclusiveNano),
    p99ExclusiveMs: ms(st.p99ExclusiveNano),
    maxExclusiveMs: ms(st.maxExclusiveNano),
    meanSubtreeMs: ms(st.meanSubtreeNano),
    meanSelfMs: ms(st.meanSelfNano),
  };
}

function topDownJson(td: TopDownCriticalPath) {
  return {
    traces: td.traces,
    baselineTraces: td.baselineTraces,
    meanTotalMs: ms(td.meanTotalNano),
    baselineMeanTotalMs: ms(td.baselineMeanTotalNano),
    roots: td.roots,
    nodes: td.nodes.map((n) => ({
      id: n.id,
      parent: n.parent,
      depth: n.depth,
      service: n.service,
      operation: n.operation,
      isDependency: n.isDependency,
      path: n.path,
      children: n.children,
      recursiveCalls: n.recursiveCalls,
      slow: topDownStatsJson(n.stats),
      fast: n.baseline ? topDownStatsJson(n.baseline) : null,
      delta: {
        meanExclusiveMs: ms(n.delta.meanExclusiveNano),
        meanSubtreeMs: ms(n.delta.meanSubtreeNano),
        frequency: round(n.delta.frequency, 6),
        meanCalls: round(n.delta.meanCalls, 6),
        p50ExclusiveMs: ms(n.delta.p50ExclusiveNano),
      },
    })),
  };
}

/**
 * The top-down rows worth reading: depth-first from each endpoint, nodes whose subtree time grew by ≥ 2% of the
 * endpoint's or that are on the critical path of at least half the slow traces, to depth 10.
 */
function topDownRows(td: TopDownCriticalPath, maxRows: number) {
  const rows: { node: TopDownCriticalPath['nodes'][number]; indent: number }[] = [];
  for (const rootId of td.roots.slice(0, 3)) {
    const root = td.nodes[rootId]!;
    const floor = 0.02 * Math.max(root.stats.meanSubtreeNano, 1);
    const walk = (id: number, indent: number) => {
      if (rows.length >= maxRows) return;
      const n = td.nodes[id]!;
      if (id !== rootId && !(n.delta.meanSubtreeNano >= floor || n.stats.frequency >= 0.5)) return;
      rows.push({ node: n, indent });
      if (indent < DEFAULTS.topDownDepth) for (const c of n.children) walk(c, indent + 1);
    };
    walk(rootId, 0);
  }
  return rows;
}

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
      cause: s.cause
        ? { service: s.cause.service, operation: s.cause.operation, excessMs: round(s.cause.excessMs, 6) }
        : null,
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
    topDown: topDownJson(report.topDown),
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
  selection: Selection,
): void {
  const { c } = ctx;
  const t = analysisTranslator(ctx);
  ctx.print(rule(ctx));
  ctx.print(`${c.bold(t('Slow traces'))}  ${c.dim(`${t('Window')}: ${windowLabel}`)}`);
  ctx.print(
    `  ${t('Traces analysed')} ${formatCount(report.traces)}   ${t('Slow traces')} ${c.bold(c.yellow(formatCount(report.slowCount)))} (${formatShare(report.slowShare)})`,
  );
  if (selection.sampled) {
    ctx.print(
      c.dim(
        `  loaded whole: the ${formatCount(selection.candidates ?? 0)} traces as long as the threshold or longer + a sample of ${formatCount(selection.fastLoaded ?? 0)} of the ${formatCount(selection.fastInWindow ?? 0)} others (stratified by root endpoint and error spans): distributions, traits and the top-down view are estimated from the sample`,
      ),
    );
  }
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
  const rows = topDownRows(report.topDown, 24);
  if (rows.length > 1) {
    ctx.print(rule(ctx));
    ctx.print(
      `${c.bold(t('Critical path, top-down (slow vs fast)'))}  ${c.dim(`${report.topDown.traces} slow / ${report.topDown.baselineTraces} fast traces`)}`,
    );
    const pair = (a: string, b: string) => `${a} / ${b}`;
    for (const line of textTable([
      ['CALL', 'ON PATH', 'EXCLUSIVE', 'Δ SUBTREE', 'CALLS/TRACE'].map((h) => c.dim(h)),
      ...rows.map(({ node: n, indent }) => [
        truncate(`${'  '.repeat(indent)}${n.service}:${n.operation}`, 56),
        pair(formatShare(n.stats.frequency), n.baseline ? formatShare(n.baseline.frequency) : '-'),
        pair(
          formatMs(n.stats.meanExclusiveNano / 1e6),
          n.baseline ? formatMs(n.baseline.meanExclusiveNano / 1e6) : '-',
        ),
        `${n.delta.meanSubtreeNano >= 0 ? '+' : '−'}${formatMs(Math.abs(n.delta.meanSubtreeNano) / 1e6)}`,
        pair(n.stats.meanCalls.toFixed(1), n.baseline ? n.baseline.meanCalls.toFixed(1) : '-'),
      ]),
    ]))
      ctx.print(line);
  }
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
    ['TRACE ID', 'DURATION', 'BOTTLENECK', 'SHARE', 'CAUSE'].map((h) => c.dim(h)),
    ...report.slowTraces
      .slice(0, limit)
      .map((s) => [
        s.traceId,
        formatMs(s.durationMs),
        truncate(`${s.bottleneck.service} ${s.bottleneck.operation}`, 44),
        formatShare(s.bottleneck.share),
        s.cause ? truncate(`${s.cause.service} +${formatMs(s.cause.excessMs)}`, 36) : '-',
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
    'aiops analyze-slow-traces [--service S] [--operation O] [--threshold 3s | --percentile 95 | --baseline 1h] [--limit N] [--time-range 1h]',
  description: [
    'A trace is judged by its analysed span: the root span, or with --service the topmost span of that service',
    '(with --operation, of that operation). Slow = at least --threshold long; with --percentile, above that',
    'percentile of its endpoint; with neither, a robust per-endpoint outlier rule (about 2.5× the median, endpoints',
    'with ≥ 20 traces). The bottleneck of a slow trace is the service/operation with the most exclusive time on its',
    'critical path; traits compare slow traces with the fast traces of the same endpoints.',
    'Without --threshold, "normal" is learned from the window itself, so a window where most requests are slowed',
    '(an incident) flags few of them: give a baseline window (--baseline 1h = the hour before the window, or',
    '--baseline-from/--baseline-to) to learn it from there instead; endpoints the baseline lacks are judged on',
    'their own traces (endpoints[].baselineTraces = 0). The top-down view merges the critical paths of the slow',
    'traces into one call tree per endpoint against the fast ones: which calls sit on the path, how often, how long.',
    `With --threshold on a store (embedded or ClickHouse), only the traces whose extent (first start to last end, from`,
    `the trace summaries) reaches the threshold are loaded whole — no shorter trace can be slow — plus a sample of`,
    `${DEFAULTS.fastSample} others stratified by root endpoint and error spans: the slow traces and counts are exact, distributions and traits`,
    'are estimated from the sample (the report says so; --all-traces loads everything).',
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
    baseline: {
      type: 'string',
      valueName: '<dur>',
      description: 'learn normal durations from this period right before the window (e.g. 1h; needs --time-range)',
    },
    'baseline-from': { type: 'string', valueName: '<time>', description: 'baseline window start (ISO-8601)' },
    'baseline-to': { type: 'string', valueName: '<time>', description: 'baseline window end (ISO-8601)' },
    'all-traces': {
      type: 'boolean',
      description:
        'with --threshold on a store: load every trace of the window, not only the possibly slow ones and a sample',
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
    'aiops analyze-slow-traces --time-range 15m --baseline 1h                # an incident against the hour before',
    'aiops analyze-slow-traces --json | jq ".bottlenecks[0]"',
  ],
  jsonDoc: [
    '{ window {label, from?, to?}, rule, traces, slowCount, slowShare,',
    '  durations { all, slow } each { count, meanMs, p50Ms, p90Ms, p95Ms, p99Ms, maxMs },',
    '  baselineWindow ({label, from?, to?} or null), baselineSpans,',
    '  endpoints[] { service, operation, traces, slowTraces, thresholdMs, baselineTraces, durations },',
    '  slowTraces[] { traceId, durationMs, thresholdMs, service, operation,',
    '                cause { service, operation, excessMs } | null (the part furthest beyond its normal range),',
    '                bottleneck { service, operation, exclusiveMs, share, isDependency, spanService, spanId } }',
    '                (slowest first; every slow trace unless --limit),',
    '  bottlenecks[] { service, operation, traces, meanShare, traceShare, meanExclusiveMs, isDependency },',
    '  topDown { traces, baselineTraces, meanTotalMs, baselineMeanTotalMs, roots[] (node ids),',
    '            nodes[] { id, parent, depth, service, operation, isDependency, path[], children[], recursiveCalls,',
    '                      slow, fast (null without fast traces) each { traces, onPathTraces, frequency, calls, meanCalls,',
    '                      meanExclusiveMs, p50ExclusiveMs, p90ExclusiveMs, p99ExclusiveMs, maxExclusiveMs, meanSubtreeMs,',
    '                      meanSelfMs }, delta { meanExclusiveMs, meanSubtreeMs, frequency, meanCalls, p50ExclusiveMs } } },',
    '  traits[] { kind, service, key, value, slowTraces, fastTraces, slowSupport, fastSupport, lift,',
    '             slowMeanExclusiveMs, fastMeanExclusiveMs, score },',
    '  suggestions[] { kind, service, operation, statement, text, evidence[], slowTraces, fastTraces, slowSupport,',
    '                  meanMs, fastMeanMs, exampleTraceId, ... },',
    '  typicalTraceId (a non-slow trace of the top endpoint near its median, or null),',
    '  selection { mode (window | threshold+sample), tracesInWindow, candidates, fastInWindow, fastLoaded, sampled },',
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
    const window0 = ctx.timeWindow('all');
    const baseWin = thresholdMs === undefined ? baselineWindow(ctx, window0) : undefined;
    if (thresholdMs !== undefined && (ctx.str('baseline') || ctx.str('baseline-from')))
      throw usageError('--threshold fixes what slow means, so a baseline has no effect: drop one of them');
    if (ctx.flag('all-traces') && thresholdMs === undefined)
      throw usageError('--all-traces applies to --threshold (the other rules always read every trace)');
    const source = await ctx.openSource();
    let table: SpanTable;
    let loadMs: number;
    let fastWeights: ReadonlyMap<string, number> | undefined;
    let selection: Selection | undefined;
    if (thresholdMs !== undefined && hasSummaries(source) && !ctx.flag('all-traces')) {
      const t1 = performance.now();
      ctx.status('reading trace summaries…');
      const summaries = await source.searchTraces({
        ...(window0.fromUnixNano !== undefined ? { fromUnixNano: window0.fromUnixNano } : {}),
        ...(window0.toUnixNano !== undefined ? { toUnixNano: window0.toUnixNano } : {}),
        ...(service ? { service } : {}),
        ...(operation ? { operation } : {}),
      });
      // The analysed span lies inside its trace, so a trace shorter than the threshold cannot be slow.
      const limitNano = BigInt(Math.round(thresholdMs * 1e6));
      const candidates = summaries.filter((s) => s.durationNano >= limitNano);
      const others = summaries.filter((s) => s.durationNano < limitNano);
      const sample = stratifiedSample(others, DEFAULTS.fastSample);
      ctx.status('loading traces…');
      table = await loadTracesById(source, [...candidates, ...sample.traces], window0);
      ctx.status('');
      loadMs = performance.now() - t1;
      if (sample.sampled) fastWeights = sample.weights;
      selection = {
        mode: 'threshold+sample',
        tracesInWindow: summaries.length,
        candidates: candidates.length,
        fastInWindow: others.length,
        fastLoaded: sample.traces.length,
        sampled: sample.sampled,
      };
    } else {
      ({ table, loadMs } = await loadWindow(ctx, service, window0));
    }
    const window = window0;
    const base = baseWin ? await loadWindow(ctx, service, baseWin) : undefined;
    const t0 = performance.now();
    const tree = buildTraceTree(table);
    const baseline =
      base && base.table.numSpans > 0 ? { table: base.table, tree: buildTraceTree(base.table) } : undefined;
    const report = analyzeSlowTraces(table, {
      tree,
      ...(baseline ? { baseline } : {}),
      ...(thresholdMs !== undefined ? { thresholdNano: Math.round(thresholdMs * 1e6) } : {}),
      ...(percentile !== undefined ? { percentile } : {}),
      ...(service ? { service } : {}),
      ...(operation ? { operation } : {}),
      ...(fastWeights ? { traceWeights: weightsOf(table, tree, fastWeights) } : {}),
    });
    selection ??= {
      mode: 'window',
      tracesInWindow: report.traces,
      candidates: null,
      fastInWindow: null,
      fastLoaded: null,
      sampled: false,
    };
    const top = report.slowTraces[0];
    const typical = top ? typicalTraceId(table, tree, report, top.service, top.operation) : undefined;
    const analysisMs = performance.now() - t0;
    const t = analysisTranslator(ctx);
    if (ctx.jsonMode) {
      ctx.json({
        window: windowJson(window),
        baselineWindow: baseWin ? windowJson(baseWin) : null,
        baselineSpans: base?.table.numSpans ?? 0,
        ...reportJson(report, limitGiven ? limit : undefined),
        typicalTraceId: typical ?? null,
        selection,
        timing: { loadMs: round(loadMs + (base?.loadMs ?? 0), 1), analysisMs: round(analysisMs, 1) },
      });
    } else if (table.numSpans === 0) {
      ctx.print(`${t('No traces in the window.')} (${window.label})`);
    } else if (report.slowCount === 0) {
      ctx.print(`${t('No slow traces in the window.')} (${window.label})`);
      ctx.print(ctx.c.dim(`  ${t('Traces analysed')} ${formatCount(report.traces)} · ${report.rule}`));
    } else {
      printReport(ctx, report, window.label, typical, limit, selection);
    }
    return report.slowCount > 0 ? ExitCode.Ok : ExitCode.Findings;
  },
};
