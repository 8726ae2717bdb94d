// Human formatting of durations, counts, times and colours for terminal output.

/** ANSI colour helpers; identity functions when colour is off. */
export interface Colors {
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly blue: (s: string) => string;
  readonly cyan: (s: string) => string;
  readonly magenta: (s: string) => string;
  readonly gray: (s: string) => string;
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
}

const wrap =
  (open: number, close: number) =>
  (s: string): string =>
    `\u001b[${open}m${s}\u001b[${close}m`;
const id = (s: string): string => s;

/** Colour helpers, on or off. */
export function colors(enabled: boolean): Colors {
  if (!enabled) return { red: id, green: id, yellow: id, blue: id, cyan: id, magenta: id, gray: id, bold: id, dim: id };
  return {
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    blue: wrap(34, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
    gray: wrap(90, 39),
    bold: wrap(1, 22),
    dim: wrap(2, 22),
  };
}

/** `1234.5` ms → '1.23s'; 12.3 → '12.3ms'; 0.0123 → '12µs'. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const a = Math.abs(ms);
  if (a >= 60_000) return `${(ms / 60_000).toFixed(a >= 600_000 ? 0 : 1)}min`;
  if (a >= 1000) return `${(ms / 1000).toFixed(a >= 10_000 ? 1 : 2)}s`;
  if (a >= 100) return `${ms.toFixed(0)}ms`;
  if (a >= 1) return `${ms.toFixed(a >= 10 ? 1 : 2)}ms`;
  if (a === 0) return '0ms';
  return `${(ms * 1000).toFixed(0)}µs`;
}

/** Nanoseconds (number) → ms as a number with µs precision. */
export function nanoToMs(nano: number | bigint): number {
  return Math.round(Number(nano) / 1000) / 1000;
}

/** 0.4567 → '45.7%'. */
export function formatShare(share: number): string {
  return `${(share * 100).toFixed(share >= 0.1 ? 0 : 1)}%`;
}

/** ns since the epoch → ISO-8601 with milliseconds (UTC). */
export function isoFromUnixNano(nano: bigint): string {
  return new Date(Number(nano / 1_000_000n)).toISOString();
}

/** Pads/truncates to a display width (ASCII-width approximation; CJK counted as 2). */
export function padEnd(s: string, width: number): string {
  const w = displayWidth(s);
  if (w > width) return truncate(s, width);
  return s + ' '.repeat(width - w);
}

/** Approximate terminal width of a string (ANSI codes ignored, wide CJK as 2). */
export function displayWidth(s: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
  const plain = s.replace(/\u001b\[[0-9;]*m/g, '');
  let w = 0;
  for (const ch of plain)
    w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch)
      ? 2
      : 1;
  return w;
}

/** Truncates to `width` columns with an ellipsis. */
export function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  let out = '';
  for (const ch of s) {
    if (displayWidth(out + ch) > width - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/** Thousands separators. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** A simple table: rows of cells, left-aligned, padded to the widest cell per column. */
export function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, displayWidth(c));
    });
  }
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : padEnd(c, widths[i]!))).join('  '));
}
