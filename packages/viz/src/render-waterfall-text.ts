// The terminal waterfall: each trace as an indented call tree with bars on a shared time axis, in Unicode blocks.
//
//   trace 4bf92f3577b34da6a3ce929d0e0e4736 · 5 spans · 5 services · 100.00 ms
//                                  0                            100.00 ms
//   * ~ api GET /checkout         │██████████████████████████████████████│ 100.00 ms
//     ~ ├─ cart GetCart           │   ▕███████████▎                      │  30.00 ms
//       │  └─ redis GET           │    ▐▊                                │   3.00 ms
//   *!~ └─ payment Charge         │                 ███████████████████▏ │  50.00 ms
//       ? lost orphan             │       ▐███▌                          │  10.00 ms
//
// Bars are placed in eighths of a character cell (▏▎▍▌▋▊▉█) so short spans stay visible and ordered.
import { type CriticalPathSegment, type SpanTable, traceIdAt } from '@aiops/span-model';
import { formatDurationNano } from './internal/format.ts';
import { layoutTrace, SpanFlag } from './internal/trace-layout.ts';

/** Options of {@link renderWaterfallText}. */
export interface WaterfallTextOptions {
  /** Total line width in characters (e.g. `process.stdout.columns`). Default 100, at least 40. */
  readonly width?: number;
  /** Colour with ANSI escapes (service colours, red errors, bold critical path). Default false. */
  readonly color?: boolean;
  /** Critical path of the table (from `@aiops/critical-path`): its spans are flagged `*` and drawn bold. */
  readonly criticalPath?: readonly CriticalPathSegment[];
  /** At most this many span lines; the rest is counted in a final line. Default 500. */
  readonly maxSpans?: number;
  /** Spans at least this long are flagged slow (`~`). Default: exclusive time ≥ 20% of the trace. */
  readonly slowThresholdMs?: number;
}

const DEFAULTS = { width: 100, color: false, maxSpans: 500 } as const;

const LEFT_EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
const SERVICE_COLORS = [36, 33, 35, 32, 34, 96, 93, 95, 92, 94];
const ESC = '\x1b[';

function fit(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text + ' '.repeat(width - chars.length);
  return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** One bar of `cells` characters for [s8, e8) measured in eighths of a cell. */
function bar(cells: number, s8: number, e8: number): string {
  let out = '';
  for (let cell = 0; cell < cells; cell++) {
    const a = cell * 8;
    const from = Math.max(s8, a);
    const to = Math.min(e8, a + 8);
    if (to <= from) out += ' ';
    else if (from === a) out += LEFT_EIGHTHS[to - a];
    else if (to === a + 8) out += to - from >= 6 ? '█' : to - from >= 3 ? '▐' : '▕';
    else out += LEFT_EIGHTHS[Math.max(1, to - from)];
  }
  return out;
}

/**
 * Renders the spans of `table` as a text waterfall: an indented call tree with bars on a shared time axis.
 *
 * **Details**
 * - One block per trace, each with its own axis from the trace's first start to its last end.
 * - A three-character flag column before each span: `*` on the critical path (when `criticalPath` is given), `!`
 *   error (status error, HTTP ≥ 500, client HTTP ≥ 400, gRPC server-error codes, an `exception` event or
 *   `error.type`), `~` slow. Orphans (parent missing) are prefixed with `?` and listed under the tree, as are clock
 *   skew and other data problems.
 * - ANSI escapes only when `color: true`; without colour the output is plain text fit for logs and tests.
 *
 * **Complexity** O(n · width).
 *
 * **Gotchas** Labels are truncated with `…` to the label column (about 40% of the width); very deep trees lose
 * their names before their bars. Widths assume a monospace terminal where box and block characters are one cell.
 *
 * @example
 * ```ts
 * process.stdout.write(renderWaterfallText(table, { width: process.stdout.columns, color: process.stdout.isTTY }));
 * ```
 */
export function renderWaterfallText(table: SpanTable, options: WaterfallTextOptions = {}): string {
  const width = Math.max(40, Math.floor(options.width ?? DEFAULTS.width));
  const color = options.color ?? DEFAULTS.color;
  const maxSpans = Math.max(0, Math.floor(options.maxSpans ?? DEFAULTS.maxSpans));
  if (table.numSpans === 0) return 'no spans\n';
  const layout = layoutTrace(table, {
    criticalPath: options.criticalPath,
    slowThresholdMs: options.slowThresholdMs,
  });
  const { tree, flags, lastChild } = layout;
  const { startNano, endNano, durationNano } = table.times;
  const service = table.dict('service');
  const operation = table.dict('operation');
  const labelWidth = Math.max(12, Math.round((width - 17) * 0.4));
  const cells = width - 17 - labelWidth;
  const paint = (codes: string, text: string): string => (color ? `${ESC}${codes}m${text}${ESC}0m` : text);
  const serviceColor = new Map<number, number>();
  const colorOf = (code: number): number => {
    let v = serviceColor.get(code);
    if (v === undefined) {
      v = SERVICE_COLORS[serviceColor.size % SERVICE_COLORS.length]!;
      serviceColor.set(code, v);
    }
    return v;
  };

  const lines: string[] = [];
  let shown = 0;
  let hidden = 0;
  const present = { critical: false, error: false, slow: false };
  for (let t = 0; t < tree.traces.traceCount; t++) {
    const a = tree.orderOffsets[t]!;
    const b = tree.orderOffsets[t + 1]!;
    if (shown >= maxSpans) {
      hidden += b - a;
      continue;
    }
    let t0 = Number.POSITIVE_INFINITY;
    let t1 = Number.NEGATIVE_INFINITY;
    const services = new Set<number>();
    for (let k = a; k < b; k++) {
      const r = tree.order[k]!;
      if (startNano[r]! < t0) t0 = startNano[r]!;
      if (endNano[r]! > t1) t1 = endNano[r]!;
      services.add(service.codes[r]!);
    }
    const total = t1 - t0;
    const count = b - a;
    if (lines.length > 0) lines.push('');
    lines.push(
      paint(
        '1',
        `trace ${traceIdAt(table, tree.order[a]!)} · ${count} span${count === 1 ? '' : 's'} · ${services.size} service${services.size === 1 ? '' : 's'} · ${formatDurationNano(total)}`,
      ),
    );
    const end = formatDurationNano(total);
    lines.push(`${' '.repeat(labelWidth + 6)}0${' '.repeat(Math.max(1, cells - 1 - end.length))}${end}`);
    const more: boolean[] = [];
    for (let k = a; k < b; k++) {
      const r = tree.order[k]!;
      const d = tree.depth[r]!;
      more[d] = !lastChild[r];
      if (shown >= maxSpans) {
        hidden++;
        continue;
      }
      shown++;
      let prefix = '';
      for (let j = 1; j < d; j++) prefix += more[j] ? '│  ' : '   ';
      if (d > 0) prefix += lastChild[r] ? '└─ ' : '├─ ';
      const f = flags[r]!;
      const critical = (f & SpanFlag.Critical) !== 0;
      const error = (f & SpanFlag.Error) !== 0;
      const slow = (f & SpanFlag.Slow) !== 0;
      present.critical ||= critical;
      present.error ||= error;
      present.slow ||= slow;
      const flagText = `${critical ? '*' : ' '}${error ? '!' : ' '}${slow ? '~' : ' '}`;
      const orphan = (f & SpanFlag.Orphan) !== 0 ? '? ' : '';
      const svc = service.values[service.codes[r]!] ?? '';
      const op = operation.values[operation.codes[r]!] ?? '';
      const label = fit(`${prefix}${orphan}${svc} ${op}`, labelWidth);
      const scale = total > 0 ? (cells * 8) / total : 0;
      let s8 = Math.floor((startNano[r]! - t0) * scale);
      let e8 = total > 0 ? Math.ceil((endNano[r]! - t0) * scale) : cells * 8;
      s8 = Math.min(Math.max(0, s8), cells * 8 - 1);
      e8 = Math.min(Math.max(e8, s8 + 1), cells * 8);
      const barText = bar(cells, s8, e8);
      const styleCodes = error ? '31' : String(colorOf(service.codes[r]!));
      const dur = formatDurationNano(durationNano[r]!).padStart(10);
      lines.push(
        `${error ? paint('31', flagText) : flagText} ${critical ? paint('1', label) : label} │${paint(critical ? `1;${styleCodes}` : styleCodes, barText)}│${dur}`,
      );
    }
  }
  if (hidden > 0) lines.push(`… ${hidden} more span${hidden === 1 ? '' : 's'} not shown (maxSpans ${maxSpans})`);
  const legend: string[] = [];
  if (present.critical) legend.push('* critical path');
  if (present.error) legend.push('! error');
  if (present.slow) {
    legend.push(
      layout.slowThresholdNano === undefined
        ? '~ slow (exclusive time ≥ 20% of the trace)'
        : `~ slow (≥ ${formatDurationNano(layout.slowThresholdNano)})`,
    );
  }
  if (legend.length > 0) lines.push(legend.join('  '));
  for (const w of layout.warnings) lines.push(paint('33', `warning: ${w}`));
  return `${lines.join('\n')}\n`;
}
