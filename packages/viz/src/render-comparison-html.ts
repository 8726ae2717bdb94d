// Two traces side by side (normal and abnormal) with their differences marked, as a self-contained HTML page.
import type { SpanTable } from '@aiops/span-model';
import { escapeHtml } from './internal/escape.ts';
import { htmlPage } from './internal/page.ts';
import { type TracePayload, tracePayload } from './internal/payload.ts';
import { layoutTrace } from './internal/trace-layout.ts';

/** A span present in only one of the traces, or any diff entry that names a span. */
export interface DiffSpanRefInput {
  readonly service?: string;
  readonly operation?: string;
  readonly spanId?: string;
  readonly [key: string]: unknown;
}

/** A matched (service, operation) whose duration changed. */
export interface DiffChangeInput {
  readonly service: string;
  readonly operation: string;
  readonly normalMs: number;
  readonly abnormalMs: number;
  readonly diffMs: number;
  /** Share of the total difference explained, 0..1. */
  readonly share: number;
}

/** A root-cause hypothesis. */
export interface DiffHypothesisInput {
  readonly text: string;
  /** 0..1 */
  readonly confidence: number;
  readonly evidence: readonly string[];
}

/** The diff between the two traces (the JSON of `aiops compare-traces --json`). */
export interface TraceDiffInput {
  readonly durationDiffMs: number;
  readonly added: readonly DiffSpanRefInput[];
  readonly removed: readonly DiffSpanRefInput[];
  readonly changed: readonly DiffChangeInput[];
  readonly statusChanges: readonly DiffSpanRefInput[];
  readonly attributeChanges: readonly DiffSpanRefInput[];
  readonly hypotheses: readonly DiffHypothesisInput[];
}

/** Input of {@link renderComparisonHtml}. */
export interface ComparisonInput {
  readonly normal: SpanTable;
  readonly abnormal: SpanTable;
  readonly diff: TraceDiffInput;
  /** Page title. Default "Trace comparison". */
  readonly title?: string;
}

const MARK = { added: 1, removed: 2, changed: 3 } as const;

function fmtDiff(ms: number): string {
  return `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(2)} ms`;
}

/** Marks the spans of one side that the diff names: by span id when given, else by (service, operation). */
function markSide(
  data: TracePayload,
  refs: readonly DiffSpanRefInput[],
  mark: number,
  text: string,
  changed: readonly DiffChangeInput[],
): void {
  const n = data.svc.length;
  const marks = new Array<number>(n).fill(0);
  const markText = new Array<string>(n).fill('');
  const ids = new Set<string>();
  const pairs = new Set<string>();
  for (const r of refs) {
    if (typeof r.spanId === 'string' && r.spanId) ids.add(r.spanId.toLowerCase().padStart(16, '0'));
    else if (typeof r.service === 'string') pairs.add(`${r.service}\u0000${r.operation ?? ''}`);
  }
  const change = new Map(changed.map((c) => [`${c.service}\u0000${c.operation}`, c]));
  for (let i = 0; i < n; i++) {
    const key = `${data.services[data.svc[i]!]}\u0000${data.operations[data.op[i]!]}`;
    if (ids.has(data.spanId[i]!) || pairs.has(key)) {
      marks[i] = mark;
      markText[i] = text;
      continue;
    }
    const c = change.get(key);
    if (c && c.diffMs !== 0) {
      marks[i] = MARK.changed;
      markText[i] = `${fmtDiff(c.diffMs)} (${(c.share * 100).toFixed(0)}% of the difference)`;
    }
  }
  data.marks = marks;
  data.markText = markText;
}

function genericRows(items: readonly DiffSpanRefInput[]): string {
  if (items.length === 0) return '<p class="muted">none</p>';
  const keys: string[] = [];
  for (const it of items) for (const k of Object.keys(it)) if (!keys.includes(k)) keys.push(k);
  const cell = (v: unknown): string =>
    escapeHtml(v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return `<table class="list"><tr>${keys.map((k) => `<th>${escapeHtml(k)}</th>`).join('')}</tr>${items
    .map((it) => `<tr>${keys.map((k) => `<td>${cell(it[k])}</td>`).join('')}</tr>`)
    .join('')}</table>`;
}

/**
 * Renders a normal and an abnormal trace side by side with the differences marked, plus the contributors to the
 * latency difference and the root-cause hypotheses, as one self-contained HTML page.
 *
 * **Details**
 * - Two waterfalls with the same interactions as {@link renderTraceHtml} (the search and zoom buttons act on both).
 *   Spans only in the abnormal trace (`added`) are outlined green, spans only in the normal one (`removed`) grey and
 *   dashed, and spans of a `changed` (service, operation) orange with the change in their label.
 * - Diff entries are matched to spans by `spanId` when they carry one, else by service and operation.
 * - The contributor table is sorted by |diffMs| with a bar for the share; status and attribute changes are shown
 *   with whatever fields the diff gives; hypotheses with confidence and evidence.
 *
 * **Complexity** O(n) in the spans of both traces plus the diff.
 *
 * **Gotchas** The two time axes are independent (each trace from its own start), so a 200 ms and a 5 s trace are
 * both readable; compare durations with the header and the contributor table.
 *
 * @example
 * ```ts
 * writeFileSync('diff.html', renderComparisonHtml({ normal, abnormal, diff: diffTraces(normal, abnormal) }));
 * ```
 */
export function renderComparisonHtml(input: ComparisonInput): string {
  const { diff } = input;
  const normal = tracePayload(input.normal, layoutTrace(input.normal));
  const abnormal = tracePayload(input.abnormal, layoutTrace(input.abnormal));
  markSide(normal, diff.removed, MARK.removed, 'only in normal', diff.changed);
  markSide(abnormal, diff.added, MARK.added, 'only in abnormal', diff.changed);
  const title = input.title ?? 'Trace comparison';
  const changed = [...diff.changed].sort((a, b) => Math.abs(b.diffMs) - Math.abs(a.diffMs));
  const maxShare = Math.max(1e-9, ...changed.map((c) => Math.abs(c.share)));
  const contributorRows = changed
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.service)}</td><td>${escapeHtml(c.operation)}</td><td class="num">${c.normalMs.toFixed(2)} ms</td><td class="num">${c.abnormalMs.toFixed(2)} ms</td><td class="num">${escapeHtml(fmtDiff(c.diffMs))}</td><td class="num">${(c.share * 100).toFixed(1)}% <span class="share" style="width:${Math.round((60 * Math.abs(c.share)) / maxShare)}px"></span></td></tr>`,
    )
    .join('');
  const hypotheses = [...diff.hypotheses]
    .sort((a, b) => b.confidence - a.confidence)
    .map(
      (h) =>
        `<li><b>${escapeHtml(h.text)}</b> <span class="conf">(confidence ${(h.confidence * 100).toFixed(0)}%)</span>${h.evidence.length ? `<ul>${h.evidence.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul>` : ''}</li>`,
    )
    .join('');
  const side = (name: string, id: string, d: TracePayload): string =>
    `<section class="card grow" style="margin:0"><h2>${name} <span class="muted">${escapeHtml(d.traceIds.join(', '))} · ${d.totalMs.toFixed(2)} ms · ${d.svc.length} spans</span></h2><div id="range-${id}" class="muted"></div><div id="waterfall-${id}" style="width:100%;height:400px"></div></section>`;
  const body = `
<header>
  <h1>${escapeHtml(title)}</h1>
  <div class="stats"><span>normal <b>${normal.totalMs.toFixed(2)} ms</b></span><span>abnormal <b>${abnormal.totalMs.toFixed(2)} ms</b></span><span>difference <b>${escapeHtml(fmtDiff(diff.durationDiffMs))}</b></span><span><b>${diff.added.length}</b> added · <b>${diff.removed.length}</b> removed · <b>${diff.changed.length}</b> changed</span></div>
  ${[...normal.warnings.map((w) => `normal: ${w}`), ...abnormal.warnings.map((w) => `abnormal: ${w}`)].length ? `<ul class="warnings">${[...normal.warnings.map((w) => `normal: ${w}`), ...abnormal.warnings.map((w) => `abnormal: ${w}`)].map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>` : ''}
</header>
<section class="card"><h2>Hypotheses</h2>${hypotheses ? `<ol>${hypotheses}</ol>` : '<p class="muted">none</p>'}</section>
<section class="card">
  <div class="toolbar">
    <input id="search" type="search" placeholder="Search service or operation" aria-label="Search spans">
    <span id="search-count" class="muted"></span>
    <button id="zoom-in" type="button">Zoom in</button>
    <button id="zoom-out" type="button">Zoom out</button>
    <button id="zoom-reset" type="button">Reset zoom</button>
    <button id="expand-all" type="button">Expand all</button>
    <button id="collapse-all" type="button">Collapse all</button>
  </div>
  <div id="legend"></div>
  <div class="split">${side('Normal', 'normal', normal)}${side('Abnormal', 'abnormal', abnormal)}</div>
  <div id="details" style="width:auto;border:0;padding:8px 0 0"><p class="muted">Click a span for its attributes, events and exception.</p></div>
</section>
<section class="card"><h2>Contributors to the difference</h2>${contributorRows ? `<table class="list"><tr><th>service</th><th>operation</th><th class="num">normal</th><th class="num">abnormal</th><th class="num">difference</th><th class="num">share</th></tr>${contributorRows}</table>` : '<p class="muted">none</p>'}</section>
<div class="grid2">
  <section class="card"><h2>Status changes</h2>${genericRows(diff.statusChanges)}</section>
  <section class="card"><h2>Attribute changes</h2>${genericRows(diff.attributeChanges)}</section>
</div>
<div class="grid2">
  <section class="card"><h2>Only in the abnormal trace</h2>${genericRows(diff.added)}</section>
  <section class="card"><h2>Only in the normal trace</h2>${genericRows(diff.removed)}</section>
</div>`;
  return htmlPage({ title, body, data: { kind: 'compare', normal, abnormal } });
}
