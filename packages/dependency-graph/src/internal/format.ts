// Number formatting shared by the DOT and Mermaid exports.

/** `1520 ms`, `12.3 ms`, `4.25 ms`, `0.015 ms`: about three significant digits, no exponent. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '? ms';
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(3)} ms`;
}

/** `1 call`, `12 calls`. */
export function formatCalls(calls: number): string {
  return calls === 1 ? '1 call' : `${calls} calls`;
}

/** `2.5%`, `0.1%`. */
export function formatPercent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

/** Error rates at or above this are drawn in red. */
export const ERROR_HIGHLIGHT = 0.05;
