// aiops analyze-errors: failed traces, error types, where errors start and how they propagate, hypotheses.
import { type ErrorPropagationResult, errorPropagation, failedSpans } from '@aiops/error-propagation';
import { buildTraceTree } from '@aiops/span-model';
import type { Command, CommandContext } from '../command.ts';
import { ExitCode } from '../errors.ts';
import { bar, chain, loadWindow, round, rule, WINDOW_HELP, windowJson } from '../internal/analysis/common.ts';
import { analysisTranslator } from '../internal/analysis/i18n.ts';
import { formatCount, formatShare, padEnd, truncate } from '../internal/format.ts';

const DEFAULTS = { rootCauses: 6, paths: 8, hypotheses: 4, evidence: 4 } as const;

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
): void {
  const { c } = ctx;
  const t = analysisTranslator(ctx);
  ctx.print(rule(ctx));
  ctx.print(`${c.bold(t('Failed traces'))}  ${c.dim(`${t('Window')}: ${windowLabel}`)}`);
  ctx.print(
    `  ${t('Traces analysed')} ${formatCount(r.traces)}   ${t('Failed traces')} ${c.bold(c.red(formatCount(r.failedTraces)))}   ${t('error rate')} ${formatShare(r.errorRate)}   ${c.dim(`${t('handled errors only')}: ${formatCount(r.tracesWithHandledErrors)}`)}`,
  );
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
  usage: 'aiops analyze-errors [--service S] [--time-range 1h]',
  description: [
    'A trace failed when an error went unhandled up to its root (errors absorbed by a retry or a fallback are',
    'counted as handled). Each failed trace is followed from the deepest span that failed first (the origin) up',
    'through the callers that failed because of it; origins are ranked by the failed traces they explain, and',
    'the error type of each chain is classified (timeout, http5xx, http4xx, unavailable, business, other).',
    'With --service, only the traces that touch that service are analysed.',
    WINDOW_HELP,
  ].join('\n'),
  readsTraces: true,
  options: {
    service: { type: 'string', valueName: '<name>', description: 'only traces that touch this service' },
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
    '  nextCommands[], warnings[], timing { loadMs, analysisMs } }',
    'Exit code 0 when the analysis ran (with or without failures); 1 when the window holds no traces.',
  ].join('\n'),
  async run(ctx) {
    const service = ctx.str('service');
    const { table, window, loadMs } = await loadWindow(ctx, service);
    const t = analysisTranslator(ctx);
    if (table.numSpans === 0) {
      if (ctx.jsonMode)
        ctx.json({ window: windowJson(window), traces: 0, failedTraces: 0, error: 'no traces in the window' });
      else ctx.print(`${t('No traces in the window.')} (${window.label})`);
      return ExitCode.NotFound;
    }
    const t0 = performance.now();
    const tree = buildTraceTree(table);
    const r = errorPropagation(table, { tree, failed: failedSpans(table), ...(service ? { service } : {}) });
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
        warnings: r.warnings,
        timing: { loadMs: round(loadMs, 1), analysisMs: round(analysisMs, 1) },
      });
    } else {
      printReport(ctx, r, window.label, ex);
    }
    return r.traces > 0 ? ExitCode.Ok : ExitCode.NotFound;
  },
};
