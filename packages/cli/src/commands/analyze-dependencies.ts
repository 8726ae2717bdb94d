// aiops analyze-dependencies: the service dependency graph of a window with critical paths, single points of
// failure, busiest services, anomalies against a baseline and recommendations; exports JSON, DOT, Mermaid, HTML.
import fs from 'node:fs';
import path from 'node:path';
import { criticalPaths } from '@aiops/critical-path';
import {
  type ColumnarCriticalPaths,
  DEPENDENCY_GRAPH_COLUMNS,
  type DependencyGraph,
  dependencyGraph,
  type EndpointCriticalPath,
  subgraph,
  toDot,
  toJson,
  toMermaid,
} from '@aiops/dependency-graph';
import { buildTraceTree, type SpanTable, spanTableFromColumns, type TraceTree } from '@aiops/span-model';
import { renderDependencyHtml } from '@aiops/viz';
import type { Command, CommandContext } from '../command.ts';
import { ExitCode, inputError, usageError } from '../errors.ts';
import { chain, loadWindow, rangeWindow, round, rule, WINDOW_HELP, windowJson } from '../internal/analysis/common.ts';
import { drawBoxes, drawTree } from '../internal/analysis/graph-text.ts';
import { analysisTranslator } from '../internal/analysis/i18n.ts';
import { formatCount, formatMs, formatShare, table as textTable, truncate } from '../internal/format.ts';
import { parseDurationMs, type TimeWindow } from '../internal/time.ts';

const DEFAULTS = { boxesUpTo: 12, topServices: 10, criticalPaths: 8, spofs: 8, errorEdge: 0.05 } as const;

const FORMATS = ['text', 'json', 'dot', 'mermaid'] as const;

type Direction = 'downstream' | 'upstream' | 'both';

/** The graph restricted around `service`; with 'both', the union of its upstream and downstream parts. */
function around(g: DependencyGraph, service: string, direction: Direction): DependencyGraph {
  if (direction !== 'both') return subgraph(g, { service, direction });
  const down = subgraph(g, { service, direction: 'downstream' });
  const up = subgraph(g, { service, direction: 'upstream' });
  const union = <T>(a: readonly T[], b: readonly T[], key: (x: T) => string): T[] => {
    const seen = new Set(a.map(key));
    return [...a, ...b.filter((x) => !seen.has(key(x)))];
  };
  return {
    ...down,
    services: union(down.services, up.services, (s) => s.name).sort((a, b) => (a.name < b.name ? -1 : 1)),
    edges: union(down.edges, up.edges, (e) => `${e.from}\u0000${e.to}`).sort((a, b) =>
      a.from === b.from ? (a.to < b.to ? -1 : 1) : a.from < b.from ? -1 : 1,
    ),
    endpoints: union(down.endpoints, up.endpoints, (e) => e.entry),
    criticalPaths: union(down.criticalPaths, up.criticalPaths, (p) => p.entry).sort((a, b) => b.p99Ms - a.p99Ms),
    singlePointsOfFailure: union(down.singlePointsOfFailure, up.singlePointsOfFailure, (s) => s.service).sort(
      (a, b) => b.endpointsAffected - a.endpointsAffected || b.dependents - a.dependents,
    ),
    anomalies: union(down.anomalies, up.anomalies, (a) => a.service),
    warnings: [...new Set([...down.warnings, ...up.warnings])],
  };
}

/**
 * The critical paths of the traces `traces` of `tree` only (what dependencyGraph asks for: each endpoint's tail and
 * a sample): their spans' ids, parent links, times and db.system are copied into a small table, whose tree and
 * paths are computed, and the segments are mapped back to rows of the big table. A trace's path depends on its own
 * spans only, and rows keep their order within a trace, so each path equals the one computed on the whole table.
 * When half the traces or more are asked for, every path is computed on the whole table instead.
 */
export function criticalPathsOfTraces(tree: TraceTree, traces: Int32Array): ColumnarCriticalPaths {
  const { offsets, rows, traceCount } = tree.traces;
  // Small windows need most traces: copying them would cost more than computing every path.
  if (traces.length * 2 >= traceCount) return criticalPaths(tree);
  const c = tree.table.columns;
  let m = 0;
  for (let k = 0; k < traces.length; k++) m += offsets[traces[k]! + 1]! - offsets[traces[k]!]!;
  const rowOf = new Int32Array(m);
  const traceId = new Uint8Array(m * 16);
  const spanId = new Uint8Array(m * 8);
  const parentSpanId = new Uint8Array(m * 8);
  const parentRefType = new Uint8Array(m);
  const startUnixNano = new BigInt64Array(m);
  const durationNano = new BigInt64Array(m);
  // Orphan grafting never picks a database call as the new parent: db.system comes along.
  const db = tree.table.dict('dbSystem');
  const hasDb = db.codes.length > 0;
  const dbShift = db.values[0] === '' ? 0 : 1;
  const dbCodes = new Int32Array(hasDb ? m : 0);
  // Runs of consecutive rows (a whole trace, in a table grouped by trace as the store returns it) are copied with
  // one typed-array set per column: no per-byte loop, and no BigInt made per time value.
  const copy = (r0: number, len: number, w0: number): void => {
    traceId.set(c.traceId.subarray(r0 * 16, (r0 + len) * 16), w0 * 16);
    spanId.set(c.spanId.subarray(r0 * 8, (r0 + len) * 8), w0 * 8);
    parentSpanId.set(c.parentSpanId.subarray(r0 * 8, (r0 + len) * 8), w0 * 8);
    parentRefType.set(c.parentRefType.subarray(r0, r0 + len), w0);
    startUnixNano.set(c.startUnixNano.subarray(r0, r0 + len), w0);
    durationNano.set(c.durationNano.subarray(r0, r0 + len), w0);
    for (let x = 0; x < len; x++) {
      rowOf[w0 + x] = r0 + x;
      if (hasDb) dbCodes[w0 + x] = db.codes[r0 + x]! + dbShift;
    }
  };
  let w = 0;
  for (let k = 0; k < traces.length; k++) {
    const end = offsets[traces[k]! + 1]!;
    for (let j = offsets[traces[k]!]!; j < end; ) {
      const r0 = rows[j]!;
      let len = 1;
      while (j + len < end && rows[j + len] === r0 + len) len++;
      copy(r0, len, w);
      w += len;
      j += len;
    }
  }
  const sub = spanTableFromColumns({
    length: m,
    traceId,
    spanId,
    parentSpanId,
    parentRefType,
    startUnixNano,
    durationNano,
    ...(hasDb ? { dicts: { dbSystem: { codes: dbCodes, values: dbShift ? ['', ...db.values] : db.values } } } : {}),
  });
  const paths = criticalPaths(buildTraceTree(sub));
  // Sub-table trace k is traces[k] (traces arrive ascending, each one's rows together), so the segments are already
  // in trace order: only the offsets are spread over every trace ordinal, and rows and times mapped back.
  const segmentOffsets = new Int32Array(traceCount + 1);
  for (let k = 0; k < traces.length; k++) {
    segmentOffsets[traces[k]! + 1] = paths.segmentOffsets[k + 1]! - paths.segmentOffsets[k]!;
  }
  for (let t = 0; t < traceCount; t++) segmentOffsets[t + 1]! += segmentOffsets[t]!;
  const segmentRow = new Int32Array(paths.segmentRow.length);
  for (let s = 0; s < segmentRow.length; s++) segmentRow[s] = rowOf[paths.segmentRow[s]!]!;
  const shift = Number(sub.times.baseUnixNano - tree.table.times.baseUnixNano);
  return {
    segmentOffsets,
    segmentRow,
    segmentStartNano: paths.segmentStartNano.map((x) => x + shift),
    segmentEndNano: paths.segmentEndNano.map((x) => x + shift),
  };
}

/** `--baseline <from>..<to>`, or a duration: the same window that long earlier (e.g. 1d = yesterday). */
function baselineWindow(text: string, window: TimeWindow): TimeWindow {
  if (text.includes('..')) return rangeWindow(text, '--baseline');
  const ms = parseDurationMs(text, '--baseline');
  if (window.fromUnixNano === undefined || window.toUnixNano === undefined) {
    throw usageError('--baseline <duration> shifts a bounded window: give --time-range or --from/--to as well');
  }
  const shift = BigInt(Math.round(ms)) * 1_000_000n;
  return {
    fromUnixNano: window.fromUnixNano - shift,
    toUnixNano: window.toUnixNano - shift,
    label: `the same window ${text} earlier`,
  };
}

function quoteArg(s: string): string {
  return /^[\w.:/@-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

function recommendations(g: DependencyGraph): string[] {
  const out: string[] = [];
  // One recommendation per bottleneck, over the endpoints whose tail it makes slow (a real excess, not noise).
  const byBottleneck = new Map<string, EndpointCriticalPath[]>();
  for (const p of g.criticalPaths) {
    if (p.priority !== 'high' || p.excessMs < 0.05 * p.p99Ms) continue;
    byBottleneck.set(p.bottleneck, [...(byBottleneck.get(p.bottleneck) ?? []), p]);
  }
  for (const [bottleneck, paths] of [...byBottleneck].slice(0, 3)) {
    const worst = paths[0]!;
    const ep = g.endpoints.find((e) => e.entry === worst.entry);
    const cmd = ep
      ? `aiops analyze-slow-traces --service ${quoteArg(ep.service)} --operation ${quoteArg(ep.operation)} --percentile 99`
      : 'aiops analyze-slow-traces --percentile 99';
    const shares = paths.map((p) => p.share);
    const range =
      Math.min(...shares) === Math.max(...shares)
        ? formatShare(shares[0]!)
        : `${formatShare(Math.min(...shares))}–${formatShare(Math.max(...shares))}`;
    out.push(
      `Speed up ${bottleneck}: it holds ${range} of the critical path of the slowest requests of ${paths.length === 1 ? worst.entry : `${paths.length} endpoints (worst: ${worst.entry})`}, P99 ${formatMs(worst.p99Ms)}, ${formatMs(worst.excessMs)} more than in a typical request; start with \`${cmd}\`.`,
    );
  }
  for (const s of g.singlePointsOfFailure.slice(0, 3)) out.push(`${s.service}: ${s.mitigation}`);
  for (const e of g.edges.filter((x) => x.errorRate >= DEFAULTS.errorEdge && x.calls >= 20).slice(0, 3)) {
    out.push(
      `Calls ${e.from} → ${e.to} fail at ${formatShare(e.errorRate)} (${formatCount(e.errors)} of ${formatCount(e.calls)}): find the origin with \`aiops analyze-errors --service ${e.to}\`; bound them with a timeout, retries with back-off and a circuit breaker.`,
    );
  }
  for (const a of g.anomalies.slice(0, 3)) {
    out.push(
      `${a.service} is anomalous (${a.reasons.join(' and ')}: P95 ${formatMs(a.p95Ms)} vs ${formatMs(a.baselineP95Ms)}, errors ${formatShare(a.errorRate)} vs ${formatShare(a.baselineErrorRate)}): compare the two windows with \`aiops compare-traces --service ${a.service} --normal-window … --abnormal-window …\`.`,
    );
  }
  return out;
}

function printText(
  ctx: CommandContext,
  g: DependencyGraph,
  scope: string,
  windowLabel: string,
  baseline?: string,
): void {
  const { c } = ctx;
  const t = analysisTranslator(ctx);
  ctx.print(rule(ctx));
  ctx.print(`${c.bold(t('Dependency graph'))}`);
  ctx.print(
    `  ${t('Scope')} ${c.bold(scope)}   ${t('Services')} ${g.services.length}   ${t('Edges')} ${g.edges.length}   ${c.dim(`${formatCount(g.traceCount)} traces, ${formatCount(g.spanCount)} spans`)}`,
  );
  ctx.print(c.dim(`  ${t('Window')}: ${windowLabel}${baseline ? ` · baseline: ${baseline}` : ''}`));
  ctx.print(rule(ctx));
  const boxes =
    g.services.length <= DEFAULTS.boxesUpTo ? drawBoxes(g.services, g.edges, Math.min(ctx.width, 160), c) : undefined;
  for (const line of boxes ?? drawTree(g.services, g.edges, c)) ctx.print(line);
  if (g.criticalPaths.length) {
    ctx.print(rule(ctx));
    ctx.print(c.bold(t('Critical paths')));
    for (const p of g.criticalPaths.slice(0, DEFAULTS.criticalPaths)) {
      const pr = p.priority === 'high' ? c.red(t('high')) : p.priority === 'medium' ? c.yellow(t('medium')) : t('low');
      ctx.print(`  ${c.bold(truncate(p.entry, 60))}  P99 ${formatMs(p.p99Ms)}  ${t('priority')} ${pr}`);
      ctx.print(
        `    ${chain(p.path, (s) => (s === p.bottleneck ? c.yellow(c.bold(s)) : s))}  ${c.dim(`bottleneck ${p.bottleneck} ${formatShare(p.share)} of the tail's critical path (+${formatMs(p.excessMs)})`)}`,
      );
    }
  }
  if (g.singlePointsOfFailure.length) {
    ctx.print(rule(ctx));
    ctx.print(c.bold(t('Single points of failure')));
    for (const s of g.singlePointsOfFailure.slice(0, DEFAULTS.spofs)) {
      ctx.print(
        `  ${c.bold(c.red(s.service))} ${c.dim(`[${s.kind}]`)}  ${s.dependents} ${t('dependents')} (${s.directDependents} direct), ${s.endpointsAffected} ${t('endpoints affected')}, ${formatShare(s.traceShare)} of traces${s.articulationPoint ? ', articulation point' : ''}`,
      );
      ctx.print(c.dim(`    → ${s.mitigation}`));
    }
  }
  ctx.print(rule(ctx));
  ctx.print(c.bold(t('Top services by calls')));
  const top = [...g.services].sort((a, b) => b.calls - a.calls).slice(0, DEFAULTS.topServices);
  for (const line of textTable([
    ['SERVICE', 'KIND', 'CALLS', 'RATE/S', 'AVG', 'P95', 'P99', 'ERRORS'].map((h) => c.dim(h)),
    ...top.map((s) => [
      truncate(s.name, 36),
      s.kind,
      formatCount(s.calls),
      s.ratePerSec.toFixed(s.ratePerSec >= 10 ? 0 : 2),
      formatMs(s.meanMs),
      formatMs(s.p95Ms),
      formatMs(s.p99Ms),
      s.errorRate > 0
        ? s.errorRate >= DEFAULTS.errorEdge
          ? c.red(formatShare(s.errorRate))
          : formatShare(s.errorRate)
        : '0',
    ]),
  ]))
    ctx.print(line);
  if (baseline) {
    ctx.print(rule(ctx));
    ctx.print(c.bold(t('Anomalous services')));
    if (g.anomalies.length === 0) ctx.print(c.dim('  none: every node is within its baseline'));
    for (const a of g.anomalies) {
      ctx.print(
        `  ${c.bold(c.yellow(a.service))} ${a.reasons.join(', ')}: P95 ${formatMs(a.p95Ms)} (baseline ${formatMs(a.baselineP95Ms)}, ×${a.latencyRatio.toFixed(1)}), errors ${formatShare(a.errorRate)} (baseline ${formatShare(a.baselineErrorRate)})`,
      );
    }
  }
  const recs = recommendations(g);
  if (recs.length) {
    ctx.print(rule(ctx));
    ctx.print(c.bold(t('Recommendations')));
    recs.forEach((r, i) => {
      ctx.print(`  ${i + 1}. ${r}`);
    });
  }
  if (g.warnings.length) {
    ctx.print(rule(ctx));
    for (const w of g.warnings.slice(0, 5)) ctx.print(c.gray(`  ! ${w}`));
  }
}

export const analyzeDependenciesCommand: Command = {
  name: 'analyze-dependencies',
  summary: 'service dependency graph: critical paths, single points of failure, busiest services',
  usage:
    'aiops analyze-dependencies [--scope cluster|service] [--service S] [--downstream|--upstream] [--format text|json|dot|mermaid] [--output deps.html]',
  description: [
    'Nodes are services and the databases, caches, queues and external systems their client spans name; an edge',
    'is caller → callee with calls, error rate and exact P50/P95/P99 of the calls. Critical paths: for each entry',
    "endpoint, the path to the node that makes its P99 slow, from the traces' critical paths. Single points of",
    'failure: nodes many entry endpoints depend on, or articulation points. With --service (scope service), the',
    'graph around that service: --downstream (what it calls), --upstream (what calls it), or both by default.',
    '--baseline <from>..<to> (or a duration such as 1d: the same window that much earlier) adds anomalous services.',
    WINDOW_HELP,
  ].join('\n'),
  readsTraces: true,
  options: {
    scope: { type: 'string', valueName: '<cluster|service>', description: 'whole cluster (default) or one service' },
    service: { type: 'string', valueName: '<name>', description: 'the service of --scope service' },
    downstream: { type: 'boolean', description: 'only what the service calls, transitively' },
    upstream: { type: 'boolean', description: 'only what calls the service, transitively' },
    format: { type: 'string', valueName: '<fmt>', description: 'text (default), json, dot (Graphviz) or mermaid' },
    output: {
      type: 'string',
      short: 'o',
      valueName: '<file.html>',
      description: 'also write an interactive HTML page',
    },
    baseline: {
      type: 'string',
      valueName: '<from>..<to>|<dur>',
      description: 'baseline window for anomalous services',
    },
  },
  examples: [
    'aiops analyze-dependencies                                         # whole cluster, all data',
    'aiops analyze-dependencies --service checkout --downstream --time-range 1h',
    'aiops analyze-dependencies --format dot | dot -Tsvg > deps.svg',
    'aiops analyze-dependencies --time-range 1h --baseline 1d --output deps.html',
  ],
  jsonDoc: [
    '{ query { scope, service, direction, window {label, from?, to?}, baseline },',
    '  window { fromUnixNano, toUnixNano, seconds }, spanCount, traceCount,',
    '  services[] { name, kind, calls, errorRate, p50Ms, p95Ms, p99Ms, errors, ratePerSec, meanMs, callers[], callees[], traces },',
    '  edges[] { from, to, calls, errorRate, p50Ms, p95Ms, p99Ms, toKind, errors, ratePerSec, share, meanMs, latencyFrom },',
    '  criticalPaths[] { entry, path[], p99Ms, bottleneck, share, bottleneckKind, excessMs, priority, tailTraces, contributions[] },',
    '  singlePointsOfFailure[] { service, dependents, endpointsAffected, kind, directDependents, dependentServices[],',
    '                           endpoints[], traceShare, calls, articulationPoint, mitigation },',
    '  endpoints[] { entry, service, operation, traces, errorRate, p50Ms, p95Ms, p99Ms, reaches[], tree },',
    '  anomalies[] { service, kind, reasons[], calls, baselineCalls, p95Ms, baselineP95Ms, latencyRatio, errorRate,',
    '                baselineErrorRate }, recommendations[], warnings[], output (HTML path or null),',
    '  timing { loadMs, analysisMs } }',
    '--format json prints the same document. Exit code 1 when the window has no spans or the service is unknown.',
  ].join('\n'),
  async run(ctx) {
    const format = ctx.str('format') ?? (ctx.jsonMode ? 'json' : 'text');
    if (!(FORMATS as readonly string[]).includes(format))
      throw usageError(`--format: "${format}" is not one of ${FORMATS.join(', ')}`);
    if (ctx.jsonMode && format !== 'json') throw usageError(`--json prints JSON: drop it or --format ${format}`);
    const service = ctx.str('service');
    const scope = ctx.str('scope') ?? (service ? 'service' : 'cluster');
    if (scope !== 'cluster' && scope !== 'service') throw usageError(`--scope: "${scope}" is not cluster or service`);
    if (scope === 'service' && !service) throw usageError('--scope service needs --service <name>');
    if (scope === 'cluster' && service) throw usageError('--service narrows the graph: use it with --scope service');
    if (ctx.flag('downstream') && ctx.flag('upstream'))
      throw usageError('give --downstream or --upstream, or neither for both directions');
    if (!service && (ctx.flag('downstream') || ctx.flag('upstream')))
      throw usageError('--downstream/--upstream need --service <name>');
    const direction: Direction = ctx.flag('downstream') ? 'downstream' : ctx.flag('upstream') ? 'upstream' : 'both';
    const window = ctx.timeWindow('all');
    const baselineText = ctx.str('baseline');
    const baseWin = baselineText ? baselineWindow(baselineText, window) : undefined;
    const output = ctx.str('output');
    // Every column the graph reads (ids, times, kinds, services, peer and failure columns, messaging.operation) is
    // exact in the store's lean analysis read; of the derived columns only those the graph declares are read.
    const { table, loadMs: mainLoadMs } = await loadWindow(
      ctx,
      undefined,
      window,
      'analysis',
      DEPENDENCY_GRAPH_COLUMNS,
    );
    let loadMs = mainLoadMs;
    let baseline: SpanTable | undefined;
    if (baseWin) {
      const b = await loadWindow(ctx, undefined, baseWin, 'analysis', DEPENDENCY_GRAPH_COLUMNS);
      baseline = b.table;
      loadMs += b.loadMs;
    }
    const t = analysisTranslator(ctx);
    if (table.numSpans === 0) {
      if (format === 'json') ctx.json({ query: { window: windowJson(window) }, error: 'no spans in the window' });
      else ctx.print(`${t('No traces in the window.')} (${window.label})`);
      return ExitCode.NotFound;
    }
    const t0 = performance.now();
    const tree = buildTraceTree(table);
    const full = dependencyGraph(table, {
      tree,
      criticalPathsOf: (traces) => criticalPathsOfTraces(tree, traces),
      ...(baseline && baseline.numSpans > 0 ? { baseline } : {}),
      ...(window.fromUnixNano !== undefined && window.toUnixNano !== undefined
        ? { windowNano: Number(window.toUnixNano - window.fromUnixNano) }
        : {}),
    });
    const g = service ? around(full, service, direction) : full;
    const analysisMs = performance.now() - t0;
    if (service && g.services.length === 0) {
      const known = full.services.map((s) => s.name);
      const hint = known.filter((n) => n.includes(service) || service.includes(n)).slice(0, 5);
      const msg = `service "${service}" is not in the graph of ${window.label}${hint.length ? ` (did you mean ${hint.join(', ')}?)` : ''}`;
      if (format === 'json') ctx.json({ query: { scope, service, window: windowJson(window) }, error: msg });
      else ctx.io.stderr.write(`aiops: ${msg}\n`);
      return ExitCode.NotFound;
    }
    const json = toJson(g);
    let written: string | null = null;
    if (output) {
      written = path.resolve(ctx.io.cwd, output);
      try {
        fs.writeFileSync(
          written,
          renderDependencyHtml(json, {
            title: `Dependencies · ${scope === 'service' ? `${service} (${direction})` : 'cluster'} · ${window.label}`,
          }),
        );
      } catch (err) {
        throw inputError(`--output: cannot write ${written}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const scopeLabel = scope === 'service' ? `service ${service} (${direction})` : 'cluster';
    if (format === 'json') {
      ctx.json({
        query: {
          scope,
          service: service ?? null,
          direction: service ? direction : null,
          window: windowJson(window),
          baseline: baseWin ? windowJson(baseWin) : null,
        },
        ...json,
        recommendations: recommendations(g),
        output: written,
        timing: { loadMs: round(loadMs, 1), analysisMs: round(analysisMs, 1) },
      });
    } else if (format === 'dot') {
      ctx.io.stdout.write(toDot(g));
    } else if (format === 'mermaid') {
      ctx.io.stdout.write(toMermaid(g));
    } else {
      printText(ctx, g, scopeLabel, window.label, baseWin?.label);
    }
    if (written && format === 'text') ctx.print(`${t('wrote')} ${written}`);
    else if (written && format !== 'json') ctx.io.stderr.write(`aiops: wrote ${written}\n`);
    return ExitCode.Ok;
  },
};
