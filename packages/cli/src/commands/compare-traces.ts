// aiops compare-traces: a normal and an abnormal trace side by side (what differs, how much of the latency each
// difference explains, why), or two groups of traces of an endpoint (two windows, before and after a deploy).
import fs from 'node:fs';
import path from 'node:path';
import { criticalPath } from '@aiops/critical-path';
import { compareTraceGroups, diffTraces, type TraceDiff, type TraceGroupComparison } from '@aiops/diff';
import type { SpanTable } from '@aiops/span-model';
import { renderComparisonHtml } from '@aiops/viz';
import type { Command, CommandContext } from '../command.ts';
import { ExitCode, inputError, usageError } from '../errors.ts';
import {
  bar,
  instantsWindow,
  loadWindow,
  rangeWindow,
  round,
  rule,
  wholeNumber,
  windowJson,
} from '../internal/analysis/common.ts';
import { analysisTranslator } from '../internal/analysis/i18n.ts';
import { tracesWithSpan } from '../internal/analysis/select-traces.ts';
import { formatCount, formatMs, formatShare, padEnd, table as textTable, truncate } from '../internal/format.ts';
import type { TimeWindow } from '../internal/time.ts';
import { loadTrace, traceIdArg } from '../internal/trace-input.ts';

const DEFAULTS = { maxSpans: 80, contributors: 8, changes: 10, shifts: 10 } as const;

const signedMs = (ms: number): string => `${ms >= 0 ? '+' : '−'}${formatMs(Math.abs(ms))}`;

interface Contributor {
  readonly kind: 'changed' | 'added' | 'removed';
  readonly service: string;
  readonly operation: string;
  readonly contributionMs: number;
  readonly share: number;
  readonly detail: string;
}

function contributors(d: TraceDiff): Contributor[] {
  return [
    ...d.changed.map((x) => ({
      kind: 'changed' as const,
      service: x.service,
      operation: x.operation,
      contributionMs: x.contributionMs,
      share: x.share,
      detail: `${formatMs(x.normalMs)} → ${formatMs(x.abnormalMs)}`,
    })),
    ...d.added.map((x) => ({
      kind: 'added' as const,
      service: x.service,
      operation: x.operation,
      contributionMs: x.contributionMs,
      share: x.share,
      detail: `new, ${formatMs(x.durationMs)}${x.spanCount > 1 ? `, ${x.spanCount} spans` : ''}${x.status === 'error' ? ', failed' : ''}`,
    })),
    ...d.removed.map((x) => ({
      kind: 'removed' as const,
      service: x.service,
      operation: x.operation,
      contributionMs: x.contributionMs,
      share: x.share,
      detail: `missing, was ${formatMs(x.durationMs)}`,
    })),
  ].sort((a, b) => Math.abs(b.contributionMs) - Math.abs(a.contributionMs));
}

function printPair(ctx: CommandContext, d: TraceDiff, maxSpans: number): void {
  const { c } = ctx;
  const t = analysisTranslator(ctx);
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Comparison')));
  const side = (name: string, s: TraceDiff['normal']) =>
    `  ${padEnd(name, 10)} ${c.cyan(s.traceId)}  ${c.bold(formatMs(s.durationMs).padStart(8))}  ${s.spanCount} spans  ${s.serviceCount} services  ${c.dim(`${s.rootService} ${s.rootOperation}`)}`;
  ctx.print(side(t('Normal'), d.normal));
  ctx.print(side(t('Abnormal'), d.abnormal));
  const rel = d.normal.durationMs > 0 ? ` (${(d.abnormal.durationMs / d.normal.durationMs).toFixed(1)}×)` : '';
  ctx.print(
    `  ${padEnd(t('Difference'), 10)} ${c.bold(d.durationDiffMs >= 0 ? c.red(signedMs(d.durationDiffMs)) : c.green(signedMs(d.durationDiffMs)))}${rel}   spans ${d.abnormal.spanCount - d.normal.spanCount >= 0 ? '+' : ''}${d.abnormal.spanCount - d.normal.spanCount}   ${c.dim(`attribution: ${d.attribution}`)}`,
  );
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Aligned call tree')));
  let lines = d.aligned;
  let note = '';
  if (lines.length > maxSpans) {
    lines = lines.filter((a) => a.mark !== 'same' || a.depth <= 1).slice(0, maxSpans);
    note = `  … ${d.aligned.length - lines.length} unchanged or further spans left out (--max-spans N, or --json)`;
  }
  const labelW = Math.max(30, Math.min(60, ctx.width - 46));
  ctx.print(
    c.dim(
      `  ${padEnd('   SPAN', labelW + 2)}${'NORMAL'.padStart(9)}${'ABNORMAL'.padStart(10)}${'DIFF'.padStart(10)}${'EXPLAINS'.padStart(10)}`,
    ),
  );
  for (const a of lines) {
    const mark = { same: ' ', changed: '~', added: '+', removed: '−' }[a.mark];
    const paint =
      a.mark === 'added' ? c.red : a.mark === 'removed' ? c.blue : a.mark === 'changed' ? c.yellow : (s: string) => s;
    const label = truncate(`${'  '.repeat(a.depth)}${a.service} ${a.operation}`, labelW);
    const diff = a.normalMs !== null && a.abnormalMs !== null ? signedMs(a.abnormalMs - a.normalMs) : '';
    ctx.print(
      `  ${paint(mark)} ${padEnd(label, labelW)}${(a.normalMs === null ? '—' : formatMs(a.normalMs)).padStart(9)}${(a.abnormalMs === null ? '—' : formatMs(a.abnormalMs)).padStart(10)}${diff.padStart(10)}${(Math.abs(a.contributionMs) >= 0.0005 ? signedMs(a.contributionMs) : '').padStart(10)}`,
    );
  }
  if (note) ctx.print(c.dim(note));
  ctx.print(c.dim('  ~ changed   + only in the abnormal trace   − only in the normal trace'));
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('What changed, most important first')));
  for (const f of d.findings.slice(0, DEFAULTS.contributors)) {
    const noise = f.signal === 'noise' ? c.dim(' (within noise)') : '';
    ctx.print(
      `  ${String(f.rank).padStart(2)}. ${c.yellow(f.kind)} ${c.bold(truncate(`${f.service} ${f.operation}${f.peer ? ` → ${f.peer}` : ''}`, 60))} ${signedMs(f.contributionMs)} (${formatShare(Math.abs(f.share))})${noise}`,
    );
    if (f.evidence[0]) ctx.print(c.dim(`      ${truncate(f.evidence[0], ctx.width - 8)}`));
  }
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Top contributors')));
  for (const k of contributors(d).slice(0, DEFAULTS.contributors)) {
    ctx.print(
      `  ${signedMs(k.contributionMs).padStart(9)} ${padEnd(`${k.share < 0 ? '−' : ''}${formatShare(Math.abs(k.share))}`, 6)} ${c.yellow(padEnd(bar(Math.abs(k.share), 16), 16))} ${c.bold(truncate(`${k.service} ${k.operation}`, 50))} ${c.dim(`(${k.kind}: ${k.detail})`)}`,
    );
  }
  if (d.statusChanges.length) {
    ctx.print(rule(ctx));
    ctx.print(c.bold(t('Status changes')));
    for (const s of d.statusChanges.slice(0, DEFAULTS.changes)) {
      const code = (h: number, g: number) => `${h ? ` HTTP ${h}` : ''}${g >= 0 ? ` gRPC ${g}` : ''}`;
      ctx.print(
        `  ${c.bold(`${s.service} ${s.operation}`)}: ${s.normalStatus}${code(s.normalHttpStatus, s.normalRpcStatus)} → ${c.red(`${s.abnormalStatus}${code(s.abnormalHttpStatus, s.abnormalRpcStatus)}`)}${s.message ? c.dim(` "${truncate(s.message, 80)}"`) : ''}`,
      );
    }
  }
  if (d.attributeChanges.length) {
    ctx.print(rule(ctx));
    ctx.print(c.bold(t('Attribute changes')));
    for (const a of d.attributeChanges.slice(0, DEFAULTS.changes)) {
      ctx.print(
        `  ${c.bold(`${a.service} ${a.operation}`)} ${a.key}: ${truncate(a.normalValue ?? '(absent)', 50)} → ${c.yellow(truncate(a.abnormalValue ?? '(absent)', 50))}`,
      );
    }
    if (d.attributeChanges.length > DEFAULTS.changes)
      ctx.print(c.dim(`  … ${d.attributeChanges.length - DEFAULTS.changes} more (--json)`));
  }
  printHypotheses(ctx, d.hypotheses);
  if (d.warnings.length) {
    ctx.print(rule(ctx));
    for (const w of d.warnings.slice(0, 5)) ctx.print(c.gray(`  ! ${w}`));
  }
}

function printHypotheses(
  ctx: CommandContext,
  hs: readonly { text: string; confidence: number; evidence: readonly string[] }[],
): void {
  if (!hs.length) return;
  const { c } = ctx;
  const t = analysisTranslator(ctx);
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Hypotheses')));
  hs.forEach((h, i) => {
    ctx.print(`  ${i + 1}. ${h.text} ${c.dim(`(${t('confidence')} ${formatShare(h.confidence)})`)}`);
    for (const e of h.evidence.slice(0, 4)) ctx.print(c.dim(`       • ${truncate(e, ctx.width - 12)}`));
  });
}

function printGroups(ctx: CommandContext, g: TraceGroupComparison, base: string, target: string): void {
  const { c } = ctx;
  const t = analysisTranslator(ctx);
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Comparison')));
  const side = (name: string, s: TraceGroupComparison['baseline'], label: string) =>
    `  ${padEnd(name, 10)} ${formatCount(s.traceCount).padStart(7)} traces  mean ${formatMs(s.meanMs)}  P50 ${formatMs(s.p50Ms)}  P95 ${formatMs(s.p95Ms)}  ${c.dim(label)}`;
  ctx.print(side(t('Baseline'), g.baseline, base));
  ctx.print(side(t('Target'), g.target, target));
  ctx.print(`  ${padEnd(t('Difference'), 10)} ${c.bold(signedMs(g.meanDiffMs))} in the mean trace duration`);
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Operations that changed most')));
  for (const line of textTable([
    ['OPERATION', 'SELF/TRACE', 'Δ', 'SHARE', 'P50', 'IN TRACES'].map((h) => c.dim(h)),
    ...g.operations
      .slice(0, DEFAULTS.shifts)
      .map((o) => [
        truncate(`${o.service} ${o.operation}`, 48),
        `${formatMs(o.baselineSelfMsPerTrace)} → ${formatMs(o.targetSelfMsPerTrace)}`,
        signedMs(o.deltaSelfMsPerTrace),
        formatShare(o.shareOfDelta),
        `${formatMs(o.baselineP50Ms)} → ${formatMs(o.targetP50Ms)}`,
        `${formatShare(o.baselineFrequency)} → ${formatShare(o.targetFrequency)}`,
      ]),
  ]))
    ctx.print(line);
  if (g.attributes.length) {
    ctx.print(rule(ctx));
    ctx.print(c.bold(t('Attribute values that changed most')));
    for (const line of textTable([
      ['ATTRIBUTE', 'BASELINE', 'TARGET', 'Δ'].map((h) => c.dim(h)),
      ...g.attributes
        .slice(0, DEFAULTS.shifts)
        .map((a) => [
          truncate(`${a.key}=${a.value}`, 60),
          formatShare(a.baselineFrequency),
          formatShare(a.targetFrequency),
          `${a.delta >= 0 ? '+' : ''}${(a.delta * 100).toFixed(0)} pts`,
        ]),
    ]))
      ctx.print(line);
  }
  printHypotheses(ctx, g.hypotheses);
  if (g.warnings.length) {
    ctx.print(rule(ctx));
    for (const w of g.warnings.slice(0, 5)) ctx.print(c.gray(`  ! ${w}`));
  }
}

function pairJson(d: TraceDiff) {
  return {
    mode: 'pair',
    normal: d.normal,
    abnormal: d.abnormal,
    durationDiffMs: d.durationDiffMs,
    durationDiffNano: d.durationDiffNano,
    attribution: d.attribution,
    added: d.added,
    removed: d.removed,
    changed: d.changed,
    statusChanges: d.statusChanges,
    attributeChanges: d.attributeChanges,
    hypotheses: d.hypotheses.map((h) => ({ ...h, confidence: round(h.confidence, 4) })),
    findings: d.findings.map((f) => ({ ...f, contributionMs: round(f.contributionMs, 6), share: round(f.share, 6) })),
    contributors: contributors(d).map((k) => ({
      ...k,
      contributionMs: round(k.contributionMs, 6),
      share: round(k.share, 6),
    })),
    aligned: d.aligned,
    warnings: d.warnings,
  };
}

async function runPair(ctx: CommandContext): Promise<number> {
  const normalId = traceIdArg(ctx.str('normal'), 'compare-traces --normal');
  const abnormalId = traceIdArg(ctx.str('abnormal'), 'compare-traces --abnormal');
  const maxSpans = wholeNumber(ctx, 'max-spans', 1, DEFAULTS.maxSpans);
  const normal = await loadTrace(ctx, normalId);
  const abnormal = await loadTrace(ctx, abnormalId);
  const d = diffTraces(normal, abnormal, {
    criticalPath: criticalPath(abnormal).segments,
    normalCriticalPath: criticalPath(normal).segments,
  });
  const written = writeHtml(ctx, normal, abnormal, d);
  if (ctx.jsonMode) {
    ctx.json({ ...pairJson(d), output: written });
    return ExitCode.Ok;
  }
  printPair(ctx, d, maxSpans);
  if (written) ctx.print(`${analysisTranslator(ctx)('wrote')} ${written}`);
  return ExitCode.Ok;
}

function writeHtml(ctx: CommandContext, normal: SpanTable, abnormal: SpanTable, d: TraceDiff): string | null {
  const output = ctx.str('output');
  if (!output) return null;
  const file = path.resolve(ctx.io.cwd, output);
  try {
    fs.writeFileSync(
      file,
      renderComparisonHtml({
        normal,
        abnormal,
        // Interfaces carry no index signature; plain copies satisfy the renderer's open span-ref type.
        diff: {
          ...d,
          added: d.added.map((x) => ({ ...x })),
          removed: d.removed.map((x) => ({ ...x })),
          statusChanges: d.statusChanges.map((x) => ({ ...x })),
          attributeChanges: d.attributeChanges.map((x) => ({ ...x })),
        },
        title: `Trace comparison · ${d.normal.traceId} vs ${d.abnormal.traceId}`,
      }),
    );
  } catch (err) {
    throw inputError(`--output: cannot write ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return file;
}

async function runGroups(ctx: CommandContext): Promise<number> {
  if (ctx.str('output')) throw usageError('--output draws a pair of traces: use it with --normal/--abnormal');
  const service = ctx.str('service');
  const operation = ctx.str('operation');
  if (!service && !operation) throw usageError('group comparison needs --service (and optionally --operation)');
  const nw = ctx.str('normal-window');
  const aw = ctx.str('abnormal-window');
  const bf = ctx.str('baseline-from');
  const bt = ctx.str('baseline-to');
  let baseWin: TimeWindow;
  let targetWin: TimeWindow;
  if (nw || aw) {
    if (!nw || !aw) throw usageError('give both --normal-window and --abnormal-window (<from>..<to>)');
    if (bf || bt) throw usageError('use either --normal-window/--abnormal-window or --baseline-from/--baseline-to');
    baseWin = rangeWindow(nw, '--normal-window');
    targetWin = rangeWindow(aw, '--abnormal-window');
  } else {
    if (!bf || !bt)
      throw usageError(
        'compare two traces (--normal <id> --abnormal <id>) or two windows (--normal-window/--abnormal-window, or --baseline-from/--baseline-to with --time-range or --from/--to as the target)',
      );
    baseWin = instantsWindow(bf, bt, '--baseline-from/--baseline-to');
    targetWin = ctx.timeWindow('all');
  }
  const base = tracesWithSpan((await loadWindow(ctx, service, baseWin)).table, service, operation);
  const target = tracesWithSpan((await loadWindow(ctx, service, targetWin)).table, service, operation);
  const what = `${service ?? ''}${operation ? ` ${operation}` : ''}`.trim();
  const t = analysisTranslator(ctx);
  if (base.numSpans === 0 || target.numSpans === 0) {
    const empty = base.numSpans === 0 ? `baseline (${baseWin.label})` : `target (${targetWin.label})`;
    const msg = `no traces of ${what} in the ${empty}`;
    if (ctx.jsonMode) ctx.json({ mode: 'group', error: msg });
    else ctx.print(`${t('No traces in the window.')} ${msg}`);
    return ExitCode.NotFound;
  }
  const g = compareTraceGroups(base, target);
  if (ctx.jsonMode) {
    ctx.json({
      mode: 'group',
      query: {
        service: service ?? null,
        operation: operation ?? null,
        baselineWindow: windowJson(baseWin),
        targetWindow: windowJson(targetWin),
      },
      ...g,
    });
    return ExitCode.Ok;
  }
  ctx.print(ctx.c.dim(`Endpoint: ${what}`));
  printGroups(ctx, g, baseWin.label, targetWin.label);
  return ExitCode.Ok;
}

export const compareTracesCommand: Command = {
  name: 'compare-traces',
  summary: 'compare a normal and an abnormal trace (or two windows of an endpoint): what differs and why',
  usage: [
    'aiops compare-traces --normal <id> --abnormal <id> [--output diff.html]',
    '  aiops compare-traces --service S [--operation O] --normal-window <from>..<to> --abnormal-window <from>..<to>',
    '  aiops compare-traces --service S [--operation O] --baseline-from <t> --baseline-to <t> [--time-range 1h]',
  ].join('\n'),
  description: [
    'Two traces: spans are aligned by call structure (service, operation, position among siblings; span ids play no',
    "part), and the end-to-end difference is split over the spans along both traces' critical paths — the parts",
    'sum to the difference. Hypotheses name the span, the measured change and the evidence.',
    'Two groups: the traces of the endpoint in each window (whole traces with a span of --service/--operation);',
    'operations ranked by the exclusive time they add to an average trace, attribute values by how much more',
    'often they occur. With --baseline-from/--baseline-to, the target is --time-range or --from/--to (default all data).',
  ].join('\n'),
  readsTraces: true,
  options: {
    normal: { type: 'string', valueName: '<id>', description: 'the normal (reference) trace' },
    abnormal: { type: 'string', valueName: '<id>', description: 'the abnormal trace' },
    output: {
      type: 'string',
      short: 'o',
      valueName: '<file.html>',
      description: 'also write an interactive HTML page',
    },
    'max-spans': {
      type: 'string',
      valueName: '<n>',
      description: `aligned spans printed (default ${DEFAULTS.maxSpans}; unchanged ones go first)`,
    },
    service: { type: 'string', valueName: '<name>', description: 'group mode: traces through this service' },
    operation: { type: 'string', valueName: '<name>', description: 'group mode: ... with a span of this operation' },
    'normal-window': { type: 'string', valueName: '<from>..<to>', description: 'group mode: the baseline window' },
    'abnormal-window': { type: 'string', valueName: '<from>..<to>', description: 'group mode: the target window' },
    'baseline-from': { type: 'string', valueName: '<time>', description: 'group mode: baseline window start' },
    'baseline-to': { type: 'string', valueName: '<time>', description: 'group mode: baseline window end' },
  },
  examples: [
    'aiops compare-traces --normal 4bf92f3577b34da6a3ce929d0e0e4736 --abnormal 5c0a1e2b3d4f5a6b7c8d9e0f1a2b3c4d',
    'aiops compare-traces --normal <id> --abnormal <id> --output diff.html',
    'aiops compare-traces --service checkout --operation "POST /order" \\',
    '    --normal-window 2026-11-24T09:00Z..2026-11-24T10:00Z --abnormal-window 2026-11-24T10:00Z..2026-11-24T11:00Z',
  ],
  jsonDoc: [
    'Two traces: { mode: "pair", normal { traceId, durationMs, durationNano, spanCount, serviceCount, rootService,',
    '  rootOperation }, abnormal { ... }, durationDiffMs, durationDiffNano, attribution,',
    '  added[] / removed[] { service, operation, spanId, parentService, parentOperation, durationMs, spanCount, status,',
    '                        contributionMs, share },',
    '  changed[] { service, operation, normalMs, abnormalMs, diffMs, share, contributionMs, relativeChange,',
    '              normalSelfMs, abnormalSelfMs, selfDiffMs, criticalPathMs, normalSpanId, abnormalSpanId },',
    '  statusChanges[] { service, operation, normalStatus, abnormalStatus, normalHttpStatus, abnormalHttpStatus, message },',
    '  attributeChanges[] { service, operation, key, normalValue, abnormalValue },',
    '  hypotheses[] { text, confidence, evidence[], kind, service, operation, contributionMs, share },',
    '  findings[] { rank, kind, signal, service, operation, peer, normalSpanId, abnormalSpanId, normalMs, abnormalMs,',
    '    selfDiffMs, noiseRatio, contributionMs, share, evidence[] } (the ranked explanation, most important first),',
    '  contributors[] { kind, service, operation, contributionMs, share, detail } (changed+added+removed by |contribution|),',
    '  aligned[] { depth, service, operation, normalMs, abnormalMs, contributionMs, mark }, warnings[], output }',
    'Two groups: { mode: "group", query { service, operation, baselineWindow, targetWindow },',
    '  baseline / target { traceCount, spanCount, meanMs, p50Ms, p95Ms }, meanDiffMs, operations[], services[],',
    '  attributes[], hypotheses[] { text, confidence, evidence[] }, warnings[] }',
    'Exit code 1 when a trace is not found or a window holds no trace of the endpoint.',
  ].join('\n'),
  async run(ctx) {
    const pair = ctx.str('normal') !== undefined || ctx.str('abnormal') !== undefined;
    if (pair) {
      if (ctx.str('normal-window') || ctx.str('abnormal-window') || ctx.str('baseline-from'))
        throw usageError('compare either two traces (--normal/--abnormal) or two windows, not both');
      return runPair(ctx);
    }
    return runGroups(ctx);
  },
};
