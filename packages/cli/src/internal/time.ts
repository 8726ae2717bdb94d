// Parsing of durations ('3s', '250ms') and time windows (--time-range, --until, --from, --to).
import { usageError } from '../errors.ts';

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses a duration like '3s', '250ms', '1.5h', '7d' into milliseconds; throws a usage error naming the option. */
export function parseDurationMs(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|min|m|h|d|w)?\s*$/.exec(text);
  if (!m) throw usageError(`${option}: "${text}" is not a duration (examples: 250ms, 3s, 30m, 1h, 7d)`);
  return Number(m[1]) * UNITS[m[2] ?? 'ms']!;
}

/** A time window in ns since the epoch; undefined ends are open. */
export interface TimeWindow {
  readonly fromUnixNano?: bigint;
  readonly toUnixNano?: bigint;
  /** Human description, e.g. 'last 1h until 2026-11-24T10:00:00Z' or 'all data'. */
  readonly label: string;
}

function parseInstant(text: string, option: string): bigint {
  if (text === 'now') return BigInt(Date.now()) * 1_000_000n;
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw usageError(`${option}: "${text}" is not an ISO-8601 time (example: 2026-11-24T09:30:00Z)`);
  return BigInt(ms) * 1_000_000n;
}

/**
 * The window of --time-range/--until or --from/--to. `defaultRange` applies when none is given
 * ('all' = no bounds).
 */
export function parseTimeWindow(
  values: {
    'time-range'?: string | undefined;
    until?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
  },
  defaultRange = 'all',
): TimeWindow {
  if ((values.from || values.to) && values['time-range']) {
    throw usageError('use either --time-range (with --until) or --from/--to, not both');
  }
  if (values.from || values.to) {
    const from = values.from ? parseInstant(values.from, '--from') : undefined;
    const to = values.to ? parseInstant(values.to, '--to') : undefined;
    if (from !== undefined && to !== undefined && to <= from) throw usageError('--to must be after --from');
    return {
      ...(from !== undefined ? { fromUnixNano: from } : {}),
      ...(to !== undefined ? { toUnixNano: to } : {}),
      label: `${values.from ?? '…'} → ${values.to ?? 'now'}`,
    };
  }
  const range = values['time-range'] ?? defaultRange;
  if (range === 'all') return { label: 'all data' };
  const until = values.until ? parseInstant(values.until, '--until') : BigInt(Date.now()) * 1_000_000n;
  const ms = parseDurationMs(range, '--time-range');
  return {
    fromUnixNano: until - BigInt(Math.round(ms)) * 1_000_000n,
    toUnixNano: until,
    label: `last ${range} until ${new Date(Number(until / 1_000_000n)).toISOString()}`,
  };
}
