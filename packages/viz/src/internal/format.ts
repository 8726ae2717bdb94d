// Human-readable durations shared by the terminal and HTML renderings.

/** `ns` as "850 µs", "12.35 ms" or "1.24 s". */
export function formatDurationNano(ns: number): string {
  if (!Number.isFinite(ns)) return '?';
  const abs = Math.abs(ns);
  if (abs < 1e6) return `${Math.round(ns / 1e3)} µs`;
  if (abs < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}
