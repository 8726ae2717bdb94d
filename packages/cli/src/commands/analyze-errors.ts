// aiops analyze-errors: failed traces, error types, where errors start and how they propagate, hypotheses.
import { type ErrorPropagationResult, errorPropagation, failedSpans } from '@aiops/error-propagation';
import { buildTraceTree, type SpanTable, type TraceIndex, type TraceSource, traceIdAt } from '@aiops/span-model';
import type { Command, CommandContext } from '../command.ts';
import { ExitCode, usageError } from '../errors.ts';
import { bar, chain, loadWindow, round, rule, WINDOW_HELP, windowJson } from '../internal/analysis/common.ts';
import { analysisTranslator } from '../internal/analysis/i18n.ts';
import { hashSample, hasSummaries, loadTracesById, stratifiedSample } from '../internal/analysis/trace-selection.ts';
import { formatCount, formatShare, padEnd, truncate } from '../internal/format.ts';
import type { TimeWindow } from '../internal/time.ts';

const DEFAULTS = { rootCauses: 6, paths: 8, hypotheses: 4, evidence: 4, maxFailed: 1000, baseline: 300 } as const;

/** How the traces of the window were chosen for the analysis. */
interface Selection {
  /** 'window': every trace loaded; 'failed+baseline': traces with an error status plus a baseline sample. */
  readonly mode: 'window' | 'failed+baseline';
  /** Traces in the window (in scope). */
  readonly tracesInWindow: number;
  /** Traces of the window with an error status (from the store's trace summaries); null when all were loaded. */
  readonly failedInWindow: number | null;
  /** Of those, loaded and analysed; null when all were loaded. */
  readonly failedLoaded: number | null;
  /** Whether failed traces were sampled (counts scaled). */
  readonly sampled: boolean;
  /** Strata (root service and operation, error-span count) of the failed traces. */
  readonly strata: number;
  /** 95% margin of shares estimated from the sample (0 when not sampled). */
  readonly shareMargin95: number;
  /** Traces without an error status loaded as a baseline. */
  readonly baselineTraces: number;
  /** Why the whole window was loaded after all, or ''. */
  readonly fallback: string;
}

interface Loaded {
  readonly table: SpanTable;
  readonly loadMs: number;
  readonly selection: Selection;
  readonly baselineIds?: ReadonlySet<string>;
  readonly weights?: ReadonlyMap<string, number>;
}

/** `--max-failed`: a whole number ≥ 1, or `all`. */
function maxFailedOption(ctx: CommandContext): number {
  const text = ctx.str('max-failed');
  if (text === undefined) return DEFAULTS.maxFailed;
  if (text === 'all') return Number.POSITIVE_INFINITY;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--max-failed: "${text}" is not a whole number ≥ 1 or "all"`);
  return n;
}

/**
 * From a source with trace summaries: the traces with an error status (all of them up to `maxFailed`, else a sample
 * stratified by root endpoint) and a fixed-size baseline sample of the others, loaded by id.
 */
async function loadSelection(
  ctx: CommandContext,
  source: TraceSource,
  window: TimeWindow,
  service: string | undefined,
  maxFailed: number,
): Promise<Loaded> {
  ctx.status('reading trace summaries…');
  const t0 = performance.now();
  const summaries = await source.searchTraces({
    ...(window.fromUnixNano !== undefined ? { fromUnixNano: window.fromUnixNano } : {}),
    ...(window.toUnixNano !== undefined ? { toUnixNano: window.toUnixNano } : {}),
    ...(service ? { service } : {}),
  });
  const failed = summaries.filter((s) => s.errorCount > 0);
  const sample = stratifiedSample(failed, maxFailed);
  const others = summaries.filter((s) => s.errorCount === 0);
  const baseline = hashSample(others, DEFAULTS.baseline);
  // The baseline stands for every trace without an error in what the analysis learns from it (minimum counts).
  const weights = new Map(sample.weights);
  if (baseline.length < others.length) {
    for (const s of baseline) weights.set(s.traceId, others.length / baseline.length);
  }
  ctx.status('loading failed traces…');
  const table = await loadTracesById(source, [...sample.traces, ...baseline], window);
  ctx.status('');
  return {
    table,
    loadMs: performance.now() - t0,
    baselineIds: new Set(baseline.map((s) => s.traceId)),
    weights,
    selection: {
      mode: 'failed+baseline',
      tracesInWindow: summaries.length,
      failedInWindow: failed.length,
      failedLoaded: sample.traces.length,
      sampled: sample.sampled,
      strata: sample.strata,
      shareMargin95: round(sample.shareMargin95, 4),
      baselineTraces: baseline.length,
      fallback: '',
    },
  };
}

/** Flags and weights per trace of `tree.traces` from trace ids. */
function perTrace(
  table: SpanTable,
  traces: TraceIndex,
  loaded: Loaded,
): { baselineTraces: Uint8Array; traceWeights: Float64Array | undefined } {
  const baselineTraces = new Uint8Array(traces.traceCount);
  const weights = loaded.weights && loaded.weights.size > 0 ? new Float64Array(traces.traceCount).fill(1) : undefined;
  for (let t = 0; t < traces.traceCount; t++) {
    const id = traceIdAt(table, traces.rows[traces.offsets[t]!]!);
    if (loaded.baselineIds?.has(id)) baselineTraces[t] = 1;
    if (weights) weights[t] = loaded.weights!.get(id) ?? 1;
  }
  return { baselineTraces, traceWeights: weights };
}

const TYPE_NAMES = ['timeout', 'http5xx', 'http4xx', 'unavailable', 'business', 'other'] as const;

/** Example trace ids: per origin service and per propagation path, the first failed trace that shows it. */
function examples(r: ErrorPropagationResult): { byService: Map<string, string>; byPath: Map<string, string> } {
  const byService = new Map<string, string>();
  const byPath = new Map<string, string>();
  for (const te of r.traceErrors) {
    if (!te.failed) continue;
    const primary = te.chains[0];
    if (!primary) continue;
    const origin = primary.path[0];
    if (origin !== undefined && !byService.has(origin)) byService.set(origin, te.traceId);
    const key = primary.path.join('\u0000');
    if (!byPath.has(key)) byPath.set(key, te.traceId);
    for (const ch of te.chains) {
      const o = ch.path[0];
      if (ch.kind !== 'handled' && o !== undefined && !byService.has(o)) byService.set(o, te.traceId);
    }
  }
  return { byService, byPath };
}

function nextCommands(r: ErrorPropagationResult, ex: ReturnType<typeof examples>): string[] {
  const out: string[] = [];
  const top = r.rootCauses[0];
  if (top) {
    const id = ex.byService.get(top.service);
    if (id) out.push(`aiops trace --trace-id ${id}`);
    out.push(`aiops search-traces --service ${quoteArg(top.service)} --failed`);
    out.push(`aiops analyze-dependencies --service ${quoteArg(top.service)} --upstream`);
  }
  return out;
}

function quoteArg(s: string): string {
  return /^[\w.:/@-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

function printReport(
  ctx: CommandContext,
  r: ErrorPropagationResult,
  windowLabel: string,
  ex: ReturnType<typeof examples>,
  selection: Selection,
): void {
  const { c } = ctx;
  const t = analysisTranslator(ctx);
  ctx.print(rule(ctx));
  ctx.print(`${c.bold(t('Failed traces'))}  ${c.dim(`${t('Window')}: ${windowLabel}`)}`);
  ctx.print(
    `  ${t('Traces analysed')} ${formatCount(r.traces)}   ${t('Failed traces')} ${c.bold(c.red(formatCount(r.failedTraces)))}   ${t('error rate')} ${formatShare(r.errorRate)}   ${c.dim(`${t('handled errors only')}: ${formatCount(r.tracesWithHandledErrors)}`)}`,
  );
  if (selection.mode === 'failed+baseline') {
    ctx.print(
      c.dim(
        selection.sampled
          ? `  loaded whole: a sample of ${formatCount(selection.failedLoaded ?? 0)} of the ${formatCount(selection.failedInWindow ?? 0)} traces with an error status (stratified by root endpoint and error spans, ${selection.strata} strata; counts scaled to the window, shares ±${(selection.shareMargin95 * 100).toFixed(1)} points at 95%) + ${formatCount(selection.baselineTraces)} others as a baseline`
          : `  loaded whole: the ${formatCount(selection.failedInWindow ?? 0)} traces with an error status + ${formatCount(selection.baselineTraces)} others as a baseline`,
      ),
    );
  }
  if (r.failedTraces === 0) {
    ctx.print(`  ${t('No failed traces in the window.')}`);
    return;
  }
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Error types')));
  const maxType = Math.max(1, ...TYPE_NAMES.map((k) => r.byType[k]));
  for (const k of TYPE_NAMES) {
    if (!r.byType[k]) continue;
    ctx.print(
      `  ${padEnd(k, 12)} ${formatCount(r.byType[k]).padStart(8)}  ${c.red(bar(r.byType[k] / maxType, 30))} ${formatShare(r.byType[k] / r.failedTraces)}`,
    );
  }
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Root-cause services')));
  r.rootCauses.slice(0, DEFAULTS.rootCauses).forEach((rc, i) => {
    ctx.print(
      `  ${i + 1}. ${c.bold(c.red(rc.service))} ${c.dim(truncate(rc.operation, 40))}  ${formatCount(rc.traces)} ${t('Failed traces').toLowerCase()} (${formatShare(rc.share)})  ${c.yellow(rc.errorType)}`,
    );
    for (const e of rc.evidence.slice(0, DEFAULTS.evidence)) ctx.print(c.dim(`       ${truncate(e, ctx.width - 10)}`));
    const id = ex.byService.get(rc.service);
    if (id) ctx.print(c.dim(`       e.g. trace ${id}`));
  });
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Propagation paths')));
  for (const p of r.propagationPaths.slice(0, DEFAULTS.paths)) {
    ctx.print(
      `  ${formatCount(p.traces).padStart(7)}×  ${chain(p.path, (s) => c.bold(s))}  ${c.dim(`(${p.errorType})`)}`,
    );
  }
  if (r.hypotheses.length) {
    ctx.print(rule(ctx));
    ctx.print(c.bold(t('Hypotheses')));
    r.hypotheses.slice(0, DEFAULTS.hypotheses).forEach((h, i) => {
      ctx.print(`  ${i + 1}. ${h.text} ${c.dim(`(${t('confidence')} ${formatShare(h.confidence)})`)}`);
      for (const e of h.evidence.slice(0, DEFAULTS.evidence))
        ctx.print(c.dim(`       • ${truncate(e, ctx.width - 12)}`));
    });
  }
  if (r.warnings.length) {
    ctx.print(rule(ctx));
    for (const w of r.warnings.slice(0, 5)) ctx.print(c.gray(`  ! ${w}`));
  }
  const next = nextCommands(r, ex);
  if (next.length) {
    ctx.print(rule(ctx));
    ctx.print(c.bold(t('Next steps')));
    for (const n of next) ctx.print(`  ${n}`);
  }
}

export const analyzeErrorsCommand: Command = {
  name: 'analyze-errors',
  summary: 'where errors start and how they spread: error types, root-cause services, propagation paths',
  usage: 'aiops analyze-errors [--service S] [--time-range 1h] [--max-failed N|all | --all-traces]',
  description: [
    'A trace failed when an error went unhandled up to its root (errors absorbed by a retry or a fallback are',
    'counted as handled). Each failed trace is followed from the deepest span that failed first (the origin) up',
    'through the callers that failed because of it; origins are ranked by the failed traces they explain, and',
    'the error type of each chain is classified (timeout, http5xx, http4xx, unavailable, business, other).',
    'With --service, only the traces that touch that service are analysed.',
    `From a store (embedded or ClickHouse), the trace summaries say which traces have an error status: only those`,
    `are loaded whole, with ${DEFAULTS.baseline} other traces (chosen by trace-id hash) as a baseline for what normal looks`,
    `like; the error rate counts every trace of the window. Above --max-failed failed traces (default ${DEFAULTS.maxFailed}), a`,
    'sample stratified by root service, operation and number of error spans is analysed (each stratum keeps its',
    'share, at least 5) and every count is scaled to the window; the report says so, with the 95% margin of the',
    'shares. When a baseline trace shows failures the error',
    'status missed (HTTP codes or exceptions without status ERROR), the whole window is loaded instead.',
    WINDOW_HELP,
  ].join('\n'),
  readsTraces: true,
  options: {
    service: { type: 'string', valueName: '<name>', description: 'only traces that touch this service' },
    'max-failed': {
      type: 'string',
      valueName: '<n|all>',
      description: `failed traces analysed whole from a store (default ${DEFAULTS.maxFailed}); beyond, a sample per root endpoint with counts scaled`,
    },
    'all-traces': {
      type: 'boolean',
      description: 'load every trace of the window, not only the failed ones and a baseline (slow on a large store)',
    },
  },
  examples: [
    'aiops analyze-errors --time-range 1h                 # the last hour',
    'aiops analyze-errors --service checkout              # all data, traces through checkout',
    'aiops analyze-errors --json | jq ".rootCauses[0]"',
  ],
  jsonDoc: [
    '{ window {label, from?, to?}, traces, failedTraces, errorRate, tracesWithHandledErrors, failedSpans,',
    '  byType { timeout, http5xx, http4xx, unavailable, business, other } (failed traces by primary chain),',
    '  rootCauses[] { service, operation, traces, share, errorType, byType, evidence[], exampleTraceId },',
    '  propagationPaths[] { path[] (origin first), traces, errorType, exampleTraceId },',
    '  hypotheses[] { text, confidence, evidence[], services[] },',
    '  selection { mode (window | failed+baseline), tracesInWindow, failedInWindow, failedLoaded, sampled, strata,',
    '              shareMargin95, baselineTraces, fallback },',
    '  nextCommands[], warnings[], timing { loadMs, analysisMs } }',
    'Exit code 0 when the analysis ran (with or without failures); 1 when the window holds no traces.',
  ].join('\n'),
  async run(ctx) {
    const service = ctx.str('service');
    const maxFailed = maxFailedOption(ctx);
    const window = ctx.timeWindow('all');
    const source = await ctx.openSource();
    const whole = async (fallback: string): Promise<Loaded> => {
      const w = await loadWindow(ctx, service, window);
      return {
        table: w.table,
        loadMs: w.loadMs,
        selection: {
          mode: 'window',
          tracesInWindow: 0,
          failedInWindow: null,
          failedLoaded: null,
          sampled: false,
          strata: 0,
          shareMargin95: 0,
          baselineTraces: 0,
          fallback,
        },
      };
    };
    if (ctx.flag('all-traces') && ctx.str('max-failed') !== undefined)
      throw usageError('--all-traces loads every trace, so --max-failed has no effect: drop one of them');
    let loaded =
      hasSummaries(source) && !ctx.flag('all-traces')
        ? await loadSelection(ctx, source, window, service, maxFailed)
        : await whole('');
    let { table } = loaded;
    const t = analysisTranslator(ctx);
    if (table.numSpans === 0) {
      if (ctx.jsonMode)
        ctx.json({ window: windowJson(window), traces: 0, failedTraces: 0, error: 'no traces in the window' });
      else ctx.print(`${t('No traces in the window.')} (${window.label})`);
      return ExitCode.NotFound;
    }
    let t0 = performance.now();
    let tree = buildTraceTree(table);
    const analyse = (): ErrorPropagationResult => {
      const sel = loaded.selection;
      const picked = sel.mode === 'window' ? undefined : perTrace(table, tree.traces, loaded);
      return errorPropagation(table, {
        tree,
        failed: failedSpans(table),
        ...(service ? { service } : {}),
        ...(picked ? { baselineTraces: picked.baselineTraces, traces: sel.tracesInWindow } : {}),
        ...(picked?.traceWeights ? { traceWeights: picked.traceWeights } : {}),
      });
    };
    let r = analyse();
    if (r.baselineTracesWithErrors > 0) {
      // The error status does not mark every failure in this data: the selection would miss failed traces.
      const why = `${r.baselineTracesWithErrors} of ${loaded.selection.baselineTraces} baseline traces without an error status hold failures (HTTP codes or exceptions without status ERROR): the whole window was loaded`;
      const before = loaded.loadMs;
      loaded = await whole(why);
      loaded = { ...loaded, loadMs: loaded.loadMs + before };
      table = loaded.table;
      t0 = performance.now();
      tree = buildTraceTree(table);
      r = analyse();
    }
    const sel = loaded.selection;
    const selection: Selection = sel.mode === 'window' ? { ...sel, tracesInWindow: r.traces } : sel;
    const ex = examples(r);
    const analysisMs = performance.now() - t0;
    if (ctx.jsonMode) {
      ctx.json({
        window: windowJson(window),
        traces: r.traces,
        failedTraces: r.failedTraces,
        errorRate: round(r.errorRate, 6),
        tracesWithHandledErrors: r.tracesWithHandledErrors,
        failedSpans: r.failedSpans,
        byType: r.byType,
        rootCauses: r.rootCauses.map((rc) => ({
          ...rc,
          share: round(rc.share, 6),
          exampleTraceId: ex.byService.get(rc.service) ?? null,
        })),
        propagationPaths: r.propagationPaths.map((p) => ({
          ...p,
          exampleTraceId: ex.byPath.get(p.path.join('\u0000')) ?? null,
        })),
        hypotheses: r.hypotheses.map((h) => ({ ...h, confidence: round(h.confidence, 4) })),
        nextCommands: nextCommands(r, ex),
        warnings: selection.fallback ? [...r.warnings, selection.fallback] : r.warnings,
        selection,
        timing: { loadMs: round(loaded.loadMs, 1), analysisMs: round(analysisMs, 1) },
      });
    } else {
      printReport(ctx, r, window.label, ex, selection);
    }
    return r.traces > 0 ? ExitCode.Ok : ExitCode.NotFound;
  },
};
