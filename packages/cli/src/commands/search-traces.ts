// aiops search-traces: find traces by service, operation, duration and status.
import type { TraceSummary } from '@aiops/span-model';
import type { Command } from '../command.ts';
import { ExitCode, usageError } from '../errors.ts';
import { formatCount, formatMs, isoFromUnixNano, nanoToMs, table } from '../internal/format.ts';
import { parseDurationMs } from '../internal/time.ts';

/** JSON form of one trace summary (documented in the README). */
export function traceSummaryJson(s: TraceSummary): Record<string, unknown> {
  return {
    traceId: s.traceId,
    rootService: s.rootService,
    rootOperation: s.rootOperation,
    startTime: isoFromUnixNano(s.startUnixNano),
    startTimeUnixNano: s.startUnixNano.toString(),
    durationMs: nanoToMs(s.durationNano),
    spanCount: s.spanCount,
    serviceCount: s.services.length,
    services: s.services,
    errorCount: s.errorCount,
    status: s.errorCount > 0 ? 'error' : 'ok',
  };
}

export const searchTracesCommand: Command = {
  name: 'search-traces',
  summary: 'find traces by service, operation, duration and status',
  usage: 'aiops search-traces [--service S] [--operation O] [--min-duration 3s] [--failed] [--limit 20]',
  readsTraces: true,
  options: {
    service: { type: 'string', valueName: '<name>', description: 'traces that touch this service' },
    operation: { type: 'string', valueName: '<name>', description: 'traces with a span of this operation' },
    'min-duration': { type: 'string', valueName: '<dur>', description: 'at least this long (e.g. 500ms, 3s)' },
    'max-duration': { type: 'string', valueName: '<dur>', description: 'at most this long' },
    failed: { type: 'boolean', description: 'only traces with a failed span' },
    ok: { type: 'boolean', description: 'only traces without a failed span' },
    limit: { type: 'string', valueName: '<n>', description: 'at most n traces, newest first (default 20; 0 = all)' },
  },
  examples: [
    'aiops search-traces --service checkout --min-duration 3s     # slow checkout traces',
    'aiops search-traces --failed --time-range 1h                 # failed traces of the last hour',
    'aiops search-traces --operation "GET /cart" --limit 5 --json',
  ],
  jsonDoc:
    '{ query, window, traces[] { traceId, rootService, rootOperation, startTime (ISO-8601), startTimeUnixNano,\n  durationMs, spanCount, serviceCount, services[], errorCount, status ("ok"|"error") } }',
  async run(ctx) {
    const limitText = ctx.str('limit') ?? '20';
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0) throw usageError(`--limit: "${limitText}" is not a whole number ≥ 0`);
    if (ctx.flag('failed') && ctx.flag('ok')) throw usageError('use either --failed or --ok, not both');
    const min = ctx.str('min-duration');
    const max = ctx.str('max-duration');
    const window = ctx.timeWindow('all');
    const query = {
      ...(ctx.str('service') ? { service: ctx.str('service')! } : {}),
      ...(ctx.str('operation') ? { operation: ctx.str('operation')! } : {}),
      ...(window.fromUnixNano !== undefined ? { fromUnixNano: window.fromUnixNano } : {}),
      ...(window.toUnixNano !== undefined ? { toUnixNano: window.toUnixNano } : {}),
      ...(min ? { minDurationNano: BigInt(Math.round(parseDurationMs(min, '--min-duration') * 1e6)) } : {}),
      ...(max ? { maxDurationNano: BigInt(Math.round(parseDurationMs(max, '--max-duration') * 1e6)) } : {}),
      ...(ctx.flag('failed') ? { failed: true } : ctx.flag('ok') ? { failed: false } : {}),
      ...(limit > 0 ? { limit } : {}),
    };
    const source = await ctx.openSource();
    const traces = await source.searchTraces(query);
    if (ctx.jsonMode) {
      ctx.json({
        query: {
          ...query,
          minDurationNano: query.minDurationNano?.toString(),
          maxDurationNano: query.maxDurationNano?.toString(),
        },
        window: window.label,
        traces: traces.map(traceSummaryJson),
      });
      return traces.length ? ExitCode.Ok : ExitCode.NotFound;
    }
    const { c, t } = ctx;
    if (traces.length === 0) {
      ctx.print(t('No traces match.'));
      return ExitCode.NotFound;
    }
    ctx.print(c.bold(`${t('Found')} ${formatCount(traces.length)} ${t('traces')} (${window.label})`));
    const rows = [
      ['TRACE ID', 'START', 'DURATION', 'SPANS', 'SVC', 'STATUS', 'ROOT'].map((h) => c.dim(h)),
      ...traces.map((s) => [
        s.traceId,
        isoFromUnixNano(s.startUnixNano).replace('T', ' ').replace('Z', ''),
        formatMs(nanoToMs(s.durationNano)),
        String(s.spanCount),
        String(s.services.length),
        s.errorCount > 0 ? c.red(`✗ ${s.errorCount}`) : c.green('✓'),
        `${s.rootService || '?'} ${c.dim(s.rootOperation)}`,
      ]),
    ];
    for (const line of table(rows)) ctx.print(line);
    return ExitCode.Ok;
  },
};
