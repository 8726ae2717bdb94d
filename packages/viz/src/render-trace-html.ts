// One trace as a self-contained interactive HTML page: waterfall, service graph and a heat view of exclusive time.
import type { CriticalPathSegment, SpanTable } from '@aiops/span-model';
import { escapeHtml } from './internal/escape.ts';
import { formatDurationNano } from './internal/format.ts';
import { htmlPage } from './internal/page.ts';
import { tracePayload } from './internal/payload.ts';
import { layoutTrace, SpanFlag } from './internal/trace-layout.ts';

/** The bottleneck span of a trace, as the critical-path analysis reports it. */
export interface TraceBottleneckInput {
  readonly spanId: string;
  readonly service: string;
  readonly operation: string;
  readonly exclusiveMs: number;
  /** Share of the trace's duration, 0..1. */
  readonly share: number;
}

/** Analysis results shown with the trace (computed by other packages; the cli passes them in). */
export interface TraceAnalysisInput {
  /** Critical path of the table (span rows of the same table). */
  readonly criticalPath?: readonly CriticalPathSegment[];
  /** The bottleneck span, marked in the waterfall and named in the summary. */
  readonly bottleneck?: TraceBottleneckInput;
  /** Spans at least this long are marked slow. Default: exclusive time ≥ 20% of the trace. */
  readonly slowThresholdMs?: number;
  /** Free-form findings shown under the title (e.g. error-propagation or anomaly verdicts). */
  readonly notes?: readonly string[];
}

/** Options of {@link renderTraceHtml}. */
export interface TraceHtmlOptions {
  /** Page title. Default `Trace <id>`. */
  readonly title?: string;
  /** Rows of the heat view (operations by exclusive time; the rest are summed in one row). Default 30. */
  readonly maxHeatOperations?: number;
}

const DEFAULTS = { maxHeatOperations: 30 } as const;

/**
 * Renders the spans of `table` (normally one trace) as one self-contained, interactive HTML page.
 *
 * **Details**
 * - Waterfall: indented call tree on a shared time axis, bars coloured by service; errors (red outline), slow spans
 *   (dashed outline) and the critical path (highlighted row, dark strip for the time on the path, ◆) are marked.
 *   Click a bar for its attributes, events and exception; click a name to collapse or expand its subtree;
 *   zoom and pan the time axis with the slider, Ctrl+wheel, drag, or the toolbar; search filters by service or
 *   operation (matches and their ancestors stay).
 * - Service graph (nodes = services sized by exclusive time, edges = calls with counts and time) and a heat view of
 *   exclusive time by service × operation; clicking either filters the waterfall.
 * - The page embeds echarts and its data (column arrays): it opens without network access.
 * - Data problems (orphans, clock skew, duplicate ids, several traces in one table) are listed on the page.
 *
 * **Complexity** O(n + attributes) to build; the page draws only the rows in view, so 5,000 spans open in well under
 * a second in headless Chromium (see the package RESULTS.md).
 *
 * **Gotchas** The page is ~1.2 MB before data because echarts is inlined. All user-controlled text is escaped.
 *
 * @example
 * ```ts
 * writeFileSync('trace.html', renderTraceHtml(table, { criticalPath: criticalPath(table).segments }));
 * ```
 */
export function renderTraceHtml(
  table: SpanTable,
  analysis: TraceAnalysisInput = {},
  options: TraceHtmlOptions = {},
): string {
  const layout = layoutTrace(table, {
    criticalPath: analysis.criticalPath,
    slowThresholdMs: analysis.slowThresholdMs,
    bottleneckSpanId: analysis.bottleneck?.spanId,
  });
  const data = tracePayload(table, layout, options.maxHeatOperations ?? DEFAULTS.maxHeatOperations);
  const n = table.numSpans;
  let errors = 0;
  let criticalNano = 0;
  for (let r = 0; r < n; r++) if (layout.flags[r]! & SpanFlag.Error) errors++;
  for (let k = 0; k < layout.segments.length; k += 2) criticalNano += layout.segments[k + 1]! - layout.segments[k]!;
  const traceLabel = data.traceIds.length === 1 ? data.traceIds[0]! : `${data.traceIds.length} traces`;
  const title = options.title ?? `Trace ${traceLabel}`;
  const b = analysis.bottleneck;
  const stats = [
    `<span>duration <b>${escapeHtml(formatDurationNano(layout.maxEndNano - layout.minStartNano))}</b></span>`,
    `<span><b>${n}</b> spans</span>`,
    `<span><b>${data.services.length}</b> services</span>`,
    `<span><b>${errors}</b> with errors</span>`,
    analysis.criticalPath ? `<span>critical path <b>${escapeHtml(formatDurationNano(criticalNano))}</b></span>` : '',
    b
      ? `<span>bottleneck <b>${escapeHtml(b.service)} · ${escapeHtml(b.operation)}</b> ${escapeHtml(b.exclusiveMs.toFixed(2))} ms exclusive (${escapeHtml((b.share * 100).toFixed(1))}%)</span>`
      : '',
  ].join('');
  const list = (cls: string, items: readonly string[]): string =>
    items.length ? `<ul class="${cls}">${items.map((t) => `<li>${escapeHtml(t)}</li>`).join('')}</ul>` : '';
  const body = `
<header>
  <h1>${escapeHtml(title)}</h1>
  <div class="stats">${stats}</div>
  ${list('notes', analysis.notes ?? [])}
  ${list('warnings', layout.warnings)}
</header>
<section class="card">
  <div class="toolbar">
    <input id="search" type="search" placeholder="Search service or operation" aria-label="Search spans">
    <span id="search-count" class="muted"></span>
    <button id="zoom-in" type="button">Zoom in</button>
    <button id="zoom-out" type="button">Zoom out</button>
    <button id="zoom-reset" type="button">Reset zoom</button>
    <button id="expand-all" type="button">Expand all</button>
    <button id="collapse-all" type="button">Collapse all</button>
    <span id="range" class="muted"></span>
  </div>
  <div id="legend"></div>
  <div class="split">
    <div class="grow"><div id="waterfall" style="width:100%;height:400px"></div></div>
    <aside id="details"><p class="muted">Click a span for its attributes, events and exception. Click a name to collapse or expand it. Ctrl+wheel or the slider zooms time; drag pans.</p></aside>
  </div>
</section>
<div class="grid2">
  <section class="card"><h2>Service graph</h2><p class="muted">Edges: calls × and total time of the callee spans. Click a service to filter.</p><div id="graph" style="width:100%;height:420px"></div></section>
  <section class="card"><h2>Where the time goes</h2><p class="muted">Exclusive (self) time by service × operation. Click a cell to filter.</p><div id="heat" style="width:100%;height:420px"></div></section>
</div>`;
  return htmlPage({ title, body, data: { kind: 'trace', trace: data } });
}
