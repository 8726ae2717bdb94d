// aiops trace: one trace as a panel — header, span tree with slow/failed markers, bottleneck, suggestions, statistics.
import { criticalPath, traceBottleneck } from '@aiops/critical-path';
import {
  buildTraceTree,
  FailureSignal,
  SpanKind,
  type SpanTable,
  StatusCode,
  spanFailureSignals,
  spanIdAt,
  spanRecord,
  type TraceTree,
} from '@aiops/span-model';
import { renderWaterfallText } from '@aiops/viz';
import type { Command, CommandContext } from '../command.ts';
import { ExitCode, usageError } from '../errors.ts';
import { formatMs, formatShare, isoFromUnixNano, nanoToMs, padEnd, truncate } from '../internal/format.ts';
import { callKind, suggestionsFor } from '../internal/span-facts.ts';
import { parseDurationMs } from '../internal/time.ts';
import { loadTrace, TRACE_ID_OPTION, traceIdArg } from '../internal/trace-input.ts';

const DEFAULTS = { slowShare: 0.15, maxSpans: 500 } as const;

/** A span shown as failed (unless its status is OK): these signals on any span, HTTP 4xx on a client span. */
const FAILED_ANY_KIND =
  FailureSignal.Status | FailureSignal.Http5xx | FailureSignal.GrpcServer | FailureSignal.ErrorTag;

/** Everything the trace panel and its JSON show, computed once. */
interface TraceView {
  readonly table: SpanTable;
  readonly tree: TraceTree;
  readonly cp: ReturnType<typeof criticalPath>;
  readonly onPath: Float64Array;
  readonly slow: Uint8Array;
  readonly failed: Uint8Array;
  readonly startNano: number;
  readonly endNano: number;
}

function analyse(table: SpanTable, slowThresholdMs: number | undefined): TraceView {
  const tree = buildTraceTree(table);
  const cp = criticalPath(table, { tree });
  const n = table.numSpans;
  const onPath = new Float64Array(n).fill(-1);
  for (const s of cp.spans) onPath[s.row] = s.exclusiveNano;
  const { startNano: st, endNano: en, durationNano: du } = table.times;
  let startNano = Number.POSITIVE_INFINITY;
  let endNano = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (st[i]! < startNano) startNano = st[i]!;
    if (en[i]! > endNano) endNano = en[i]!;
  }
  const total = cp.totalNano || endNano - startNano;
  const slow = new Uint8Array(n);
  const failed = new Uint8Array(n);
  const { statusCode, kind } = table.columns;
  const { signals } = spanFailureSignals(table);
  for (let i = 0; i < n; i++) {
    if (slowThresholdMs !== undefined) slow[i] = du[i]! >= slowThresholdMs * 1e6 ? 1 : 0;
    else slow[i] = onPath[i]! > 0 && onPath[i]! >= DEFAULTS.slowShare * total ? 1 : 0;
    const sig = signals[i]!;
    failed[i] =
      statusCode[i] !== StatusCode.Ok &&
      (sig & FAILED_ANY_KIND || (sig & FailureSignal.Http4xx && kind[i] === SpanKind.Client))
        ? 1
        : 0;
  }
  return { table, tree, cp, onPath, slow, failed, startNano, endNano };
}

function statistics(v: TraceView) {
  const { table, tree } = v;
  const n = table.numSpans;
  const du = table.times.durationNano;
  let ok = 0;
  let bad = 0;
  let sum = 0;
  let max = 0;
  let min = Number.POSITIVE_INFINITY;
  const calls = { db: 0, cache: 0, external: 0, messaging: 0 };
  const services = new Set<string>();
  for (let i = 0; i < n; i++) {
    if (v.failed[i]) bad++;
    else ok++;
    sum += du[i]!;
    if (du[i]! > max) max = du[i]!;
    if (du[i]! < min) min = du[i]!;
    services.add(table.stringAt('service', i));
    const k = callKind(table, tree, i);
    if (k in calls) calls[k as keyof typeof calls]++;
  }
  return {
    services: services.size,
    spans: n,
    successfulCalls: ok,
    failedCalls: bad,
    averageMs: n ? nanoToMs(sum / n) : 0,
    maxMs: nanoToMs(max),
    minMs: n ? nanoToMs(min) : 0,
    databaseCalls: calls.db,
    cacheCalls: calls.cache,
    externalCalls: calls.external,
    messagingCalls: calls.messaging,
  };
}

function traceJson(v: TraceView, lang: 'en' | 'zh') {
  const { table, tree, cp } = v;
  const base = table.times.baseUnixNano;
  const head = cp.head;
  const b = traceBottleneck(table, { tree });
  const services = new Set<string>();
  for (let i = 0; i < table.numSpans; i++) services.add(table.stringAt('service', i));
  const failedCount = v.failed.reduce((s, x) => s + x, 0);
  const order = Array.from(tree.order);
  return {
    traceId: cp.traceId,
    rootService: head?.service ?? '',
    rootOperation: head?.operation ?? '',
    durationMs: nanoToMs(v.endNano - v.startNano),
    spanCount: table.numSpans,
    serviceCount: services.size,
    services: [...services].sort(),
    status: failedCount > 0 ? 'error' : 'ok',
    failedSpanCount: failedCount,
    startTime: isoFromUnixNano(base + BigInt(v.startNano)),
    startTimeUnixNano: (base + BigInt(v.startNano)).toString(),
    spans: order.map((r) => {
      const rec = spanRecord(table, r);
      return {
        ...rec,
        startTimeUnixNano: rec.startTimeUnixNano,
        durationNano: rec.durationNano,
        durationMs: nanoToMs(table.times.durationNano[r]!),
        offsetMs: nanoToMs(table.times.startNano[r]! - v.startNano),
        depth: tree.depth[r],
        exclusiveMs: nanoToMs(tree.selfNano[r]!),
        criticalPathMs: v.onPath[r]! >= 0 ? nanoToMs(v.onPath[r]!) : null,
        slow: v.slow[r] === 1,
        failed: v.failed[r] === 1,
      };
    }),
    bottleneck: b
      ? {
          spanId: b.spanId,
          service: b.service,
          operation: b.operation,
          isDependency: b.isDependency,
          calledBy: b.isDependency ? b.span.service : undefined,
          dbSystem: b.span.dbSystem || undefined,
          exclusiveMs: nanoToMs(b.exclusiveNano),
          share: round(b.share),
          spanExclusiveMs: nanoToMs(b.span.exclusiveNano),
          slowestChild: b.slowestDescendant
            ? {
                spanId: b.slowestDescendant.spanId,
                service: b.slowestDescendant.service,
                operation: b.slowestDescendant.operation,
                durationMs: nanoToMs(b.slowestDescendant.durationNano),
                exclusiveMs: nanoToMs(b.slowestDescendant.exclusiveNano),
                dbStatement: b.slowestDescendant.dbStatement || undefined,
              }
            : null,
          suggestions: suggestionsFor(
            table,
            tree,
            (b.slowestDescendant ?? b.span).row,
            nanoToMs((b.slowestDescendant ?? b.span).exclusiveNano),
            lang,
          ),
        }
      : null,
    criticalPath: cp.segments.map((s) => ({
      spanId: spanIdAt(table, s.row),
      service: table.stringAt('service', s.row),
      operation: table.stringAt('operation', s.row),
      startTimeUnixNano: (base + BigInt(s.startNano)).toString(),
      endTimeUnixNano: (base + BigInt(s.endNano)).toString(),
      exclusiveMs: nanoToMs(s.endNano - s.startNano),
    })),
    statistics: statistics(v),
    issues: {
      orphans: Array.from(tree.issues.orphans, (r) => ({
        spanId: spanIdAt(table, r),
        parentSpanId: spanRecord(table, r).parentSpanId,
      })),
      clockSkew: tree.issues.clockSkew.map((s) => ({
        spanId: spanIdAt(table, s.row),
        parentSpanId: spanIdAt(table, s.parentRow),
        startsBeforeParentMs: nanoToMs(s.startsBeforeParentNano),
        endsAfterParentMs: nanoToMs(s.endsAfterParentNano),
        followsFrom: s.followsFrom,
      })),
      duplicateSpanIds: Array.from(tree.issues.duplicateSpanIds, (r) => spanIdAt(table, r)),
      cycles: Array.from(tree.issues.cycles, (r) => spanIdAt(table, r)),
    },
  };
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;

function printPanel(ctx: CommandContext, v: TraceView, doc: ReturnType<typeof traceJson>, maxSpans: number): void {
  const { c, t } = ctx;
  const { table, tree } = v;
  const rule = c.dim('─'.repeat(Math.min(ctx.width, 100)));
  ctx.print(rule);
  ctx.print(`${c.bold(t('Trace'))} ${c.cyan(doc.traceId)}`);
  ctx.print(`  ${padEnd(t('Root service'), 14)}${c.bold(doc.rootService || '?')} ${c.dim(doc.rootOperation)}`);
  const status =
    doc.status === 'error' ? c.red(`✗ ${t('error')} (${doc.failedSpanCount} ${t('failed')})`) : c.green(`✓ ${t('ok')}`);
  ctx.print(
    `  ${padEnd(t('Duration'), 14)}${c.bold(formatMs(doc.durationMs))}   ${t('Spans')} ${doc.spanCount}   ${t('Services')} ${doc.serviceCount}   ${t('Status')} ${status}`,
  );
  ctx.print(`  ${padEnd(t('Start time'), 14)}${doc.startTime}`);
  ctx.print(rule);
  ctx.print(c.bold(t('Call tree')));
  const { childOffsets, children, parent } = tree.links;
  const isLast = new Uint8Array(table.numSpans).fill(1);
  for (let p = 0; p < table.numSpans; p++) {
    for (let k = childOffsets[p]!; k < childOffsets[p + 1]! - 1; k++) isLast[children[k]!] = 0;
  }
  const labelWidth = Math.max(30, Math.min(70, ctx.width - 40));
  const { httpStatus } = spanFailureSignals(table);
  let shown = 0;
  for (const r of tree.order) {
    if (shown++ >= maxSpans) {
      ctx.print(c.dim(`  … ${table.numSpans - maxSpans} more spans (use --max-spans or --json)`));
      break;
    }
    let prefix = '';
    let a = parent[r]!;
    const chain: number[] = [];
    while (a >= 0) {
      chain.push(a);
      a = parent[a]!;
    }
    for (let i = chain.length - 2; i >= 0; i--) prefix += isLast[chain[i]!] ? '   ' : '│  ';
    if (parent[r]! >= 0) prefix += isLast[r] ? '└─ ' : '├─ ';
    const orphan = parent[r]! < 0 && table.columns.parentRefType[r] !== 0;
    const label = `${prefix}${c.bold(table.stringAt('service', r))} ${table.stringAt('operation', r)}`;
    const marks: string[] = [];
    if (v.failed[r]) marks.push(c.red(`✗ ${t('failed')}${httpStatus[r] ? ` ${httpStatus[r]}` : ''}`));
    if (v.slow[r]) marks.push(c.yellow(`⚠ ${t('slow')}`));
    if (v.onPath[r]! > 0) marks.push(c.magenta('◆'));
    if (orphan) marks.push(c.gray('orphan'));
    const offset = c.dim(`+${formatMs(nanoToMs(table.times.startNano[r]! - v.startNano))}`.padStart(9));
    ctx.print(
      `  ${padEnd(truncate(label, labelWidth), labelWidth)} ${formatMs(nanoToMs(table.times.durationNano[r]!)).padStart(8)} ${offset}  ${marks.join(' ')}`,
    );
  }
  ctx.print(c.dim(`  ◆ = on the critical path   ⚠ = slow   ✗ = failed`));
  ctx.print(rule);
  ctx.print(c.bold(t('Bottleneck')));
  const b = doc.bottleneck;
  if (!b) ctx.print('  -');
  else {
    ctx.print(
      `  ${c.bold(c.yellow(b.service))}${b.calledBy ? c.dim(` (${b.dbSystem ?? 'dependency'} called by ${b.calledBy})`) : ''} ${b.operation} — ${formatMs(b.exclusiveMs)} ${t('exclusive time on the critical path')} (${formatShare(b.share)} ${t('of the trace')})`,
    );
    if (b.slowestChild) {
      const sc = b.slowestChild;
      ctx.print(
        `  ${t('slowest child')}: ${sc.service} ${sc.operation} ${formatMs(sc.durationMs)}${sc.dbStatement ? c.dim(`\n    ${truncate(sc.dbStatement, ctx.width - 6)}`) : ''}`,
      );
    }
    ctx.print(c.bold(t('Suggestions')));
    for (const s of b.suggestions) ctx.print(`  • ${s}`);
  }
  ctx.print(rule);
  const s = doc.statistics;
  ctx.print(c.bold(t('Statistics')));
  ctx.print(
    `  ${t('Services')} ${s.services}   ${t('Successful calls')} ${c.green(String(s.successfulCalls))}   ${t('Failed calls')} ${s.failedCalls ? c.red(String(s.failedCalls)) : '0'}`,
  );
  ctx.print(
    `  ${t('Average')} ${formatMs(s.averageMs)}   ${t('Max')} ${formatMs(s.maxMs)}   ${t('Min')} ${formatMs(s.minMs)}`,
  );
  ctx.print(
    `  ${t('Database calls')} ${s.databaseCalls}   ${t('Cache calls')} ${s.cacheCalls}   ${t('External calls')} ${s.externalCalls}   ${t('Messaging calls')} ${s.messagingCalls}`,
  );
  const is = doc.issues;
  if (is.orphans.length || is.clockSkew.length || is.duplicateSpanIds.length || is.cycles.length) {
    ctx.print(rule);
    ctx.print(c.bold(t('Data issues')));
    if (is.orphans.length)
      ctx.print(
        `  ${is.orphans.length} ${t('orphan spans (parent missing)')}: ${is.orphans.map((o) => o.spanId).join(', ')}`,
      );
    if (is.clockSkew.length) {
      ctx.print(`  ${is.clockSkew.length} ${t('clock skew (child outside its parent)')}:`);
      for (const k of is.clockSkew.slice(0, 10)) {
        ctx.print(
          `    ${k.spanId} in ${k.parentSpanId}: ${k.startsBeforeParentMs ? `starts ${formatMs(k.startsBeforeParentMs)} early ` : ''}${k.endsAfterParentMs ? `ends ${formatMs(k.endsAfterParentMs)} late` : ''}${k.followsFrom ? ' (follows-from)' : ''}`,
        );
      }
    }
    if (is.duplicateSpanIds.length) ctx.print(`  ${t('duplicate span ids')}: ${is.duplicateSpanIds.join(', ')}`);
    if (is.cycles.length) ctx.print(`  parent cycles broken at: ${is.cycles.join(', ')}`);
  }
}

export const traceCommand: Command = {
  name: 'trace',
  summary: 'show one trace: span tree, slow and failed spans, bottleneck and suggestions',
  usage: 'aiops trace --trace-id <id> [--waterfall] [--slow-threshold 500ms]',
  description:
    'Trace ids are accepted as copied: 32 or 16 hex digits, any case; a 64-bit id and its zero-padded\n128-bit form name the same trace. A span is marked slow when it holds ≥ 15% of the trace on the\ncritical path, or, with --slow-threshold, when it lasts at least that long.',
  readsTraces: true,
  options: {
    'trace-id': TRACE_ID_OPTION,
    waterfall: { type: 'boolean', short: 'w', description: 'draw the spans as bars on a time axis' },
    'slow-threshold': { type: 'string', valueName: '<dur>', description: 'mark spans at least this long as slow' },
    'max-spans': { type: 'string', valueName: '<n>', description: 'print at most n spans of the tree (default 500)' },
  },
  examples: [
    'aiops trace --trace-id 4bf92f3577b34da6a3ce929d0e0e4736',
    'aiops trace 4BF92F3577B34DA6 --waterfall            # 64-bit id, any case',
    'aiops trace --trace-id 4bf92f3577b34da6a3ce929d0e0e4736 --json | jq .bottleneck',
  ],
  jsonDoc: [
    '{ traceId, rootService, rootOperation, durationMs, spanCount, serviceCount, services[], status ("ok"|"error"),',
    '  failedSpanCount, startTime (ISO-8601), startTimeUnixNano,',
    '  spans[] { traceId, spanId, parentSpanId, parentRefType, service, operation, kind, startTimeUnixNano, durationNano',
    '           (decimal strings), durationMs, offsetMs, depth, statusCode, statusMessage, attributes, resource, events[],',
    '           links[], exclusiveMs, criticalPathMs (null when off the path), slow, failed },',
    '  bottleneck { spanId, service, operation, exclusiveMs, share, spanExclusiveMs, slowestChild, suggestions[] } | null,',
    '  criticalPath[] { spanId, service, operation, startTimeUnixNano, endTimeUnixNano, exclusiveMs } (latest first),',
    '  statistics { services, spans, successfulCalls, failedCalls, averageMs, maxMs, minMs, databaseCalls, cacheCalls,',
    '               externalCalls, messagingCalls },',
    '  issues { orphans[] {spanId, parentSpanId}, clockSkew[] {spanId, parentSpanId, startsBeforeParentMs,',
    '           endsAfterParentMs, followsFrom}, duplicateSpanIds[], cycles[] } }',
  ].join('\n'),
  async run(ctx) {
    const id = traceIdArg(ctx.str('trace-id') ?? ctx.positionals[0], 'trace --trace-id');
    const slowText = ctx.str('slow-threshold');
    const slowMs = slowText ? parseDurationMs(slowText, '--slow-threshold') : undefined;
    const maxText = ctx.str('max-spans');
    const maxSpans = maxText === undefined ? DEFAULTS.maxSpans : Number(maxText);
    if (!Number.isInteger(maxSpans) || maxSpans < 1)
      throw usageError(`--max-spans: "${maxText}" is not a whole number ≥ 1`);
    const table = await loadTrace(ctx, id);
    const view = analyse(table, slowMs);
    const doc = traceJson(view, ctx.lang);
    if (ctx.jsonMode) {
      ctx.json(doc);
      return ExitCode.Ok;
    }
    printPanel(ctx, view, doc, maxSpans);
    if (ctx.flag('waterfall')) {
      ctx.print(c(ctx));
      ctx.print(
        renderWaterfallText(table, {
          width: ctx.width,
          color: ctx.c.red('x') !== 'x',
          criticalPath: view.cp.segments,
          maxSpans,
          ...(slowMs !== undefined ? { slowThresholdMs: slowMs } : {}),
        }),
      );
    }
    return ExitCode.Ok;
  },
};

function c(ctx: CommandContext): string {
  return ctx.c.dim('─'.repeat(Math.min(ctx.width, 100)));
}
