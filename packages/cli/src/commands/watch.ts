// aiops watch: follow the spans arriving in `aiops serve` and print anomalies as they are detected (optionally
// posting them to a webhook) — the streaming detectors of @aiops/anomaly, fed incrementally.
import { ANOMALY_COLUMNS, type Anomaly, createAnomalyStream } from '@aiops/anomaly';
import type { Command } from '../command.ts';
import { ExitCode, usageError } from '../errors.ts';
import { formatShare } from '../internal/format.ts';
import { parseDurationMs } from '../internal/time.ts';

const DEFAULTS = { intervalMs: 10_000, bucketSeconds: 60, baseline: '1h' } as const;
const NANO_PER_MS = 1_000_000n;

export const watchCommand: Command = {
  name: 'watch',
  summary: 'print anomalies as they happen, from the spans arriving in aiops serve (and post them to a webhook)',
  usage: 'aiops watch [--service S] [--interval 10s] [--bucket 1m] [--webhook URL] [--once]',
  description:
    'Reads the store through the running `aiops serve` (or the store itself), learns the baseline from the hour\nbefore it starts, then polls for new spans every --interval and feeds the streaming detectors. Stop it with\nCtrl-C. With --json each anomaly is printed as one JSON line (NDJSON) instead of one document.',
  readsTraces: true,
  options: {
    service: { type: 'string', valueName: '<name>', description: 'only anomalies of this service' },
    interval: { type: 'string', valueName: '<dur>', description: 'how often to poll (default 10s)' },
    bucket: { type: 'string', valueName: '<dur>', description: 'time bucket of the detectors (default 1m)' },
    baseline: { type: 'string', valueName: '<dur>', description: 'history to learn from at start (default 1h)' },
    webhook: { type: 'string', valueName: '<url>', description: 'POST each anomaly as JSON to this URL' },
    once: { type: 'boolean', description: 'poll once, print what is found, and exit (exit 1 if anything was found)' },
  },
  examples: [
    'aiops serve &  aiops watch                              # anomalies of every service as they happen',
    'aiops watch --service checkout --webhook http://alerts.local/hook',
    'aiops watch --json | jq .kind',
  ],
  jsonDoc: 'one JSON line per anomaly: the `anomalies[]` entries of `aiops detect-trace-anomaly --json`',
  async run(ctx) {
    const intervalMs = parseDurationMs(ctx.str('interval') ?? '10s', '--interval');
    if (intervalMs < 100) throw usageError('--interval must be at least 100ms');
    const bucketSeconds = parseDurationMs(ctx.str('bucket') ?? `${DEFAULTS.bucketSeconds}s`, '--bucket') / 1000;
    const baselineMs = parseDurationMs(ctx.str('baseline') ?? DEFAULTS.baseline, '--baseline');
    const webhook = ctx.str('webhook');
    if (webhook && !/^https?:\/\//.test(webhook)) throw usageError(`--webhook: "${webhook}" is not an http(s) URL`);
    const service = ctx.str('service');
    const source = await ctx.openSource();
    let cursor = BigInt(Date.now()) * NANO_PER_MS;
    const bounds = await source.bounds();
    if (bounds && bounds.toUnixNano < cursor - BigInt(Math.round(baselineMs)) * NANO_PER_MS) {
      // Historical data only (nothing recent): follow from the end of the data.
      cursor = bounds.toUnixNano;
    }
    const baseline = await source.spans({
      fromUnixNano: cursor - BigInt(Math.round(baselineMs)) * NANO_PER_MS,
      toUnixNano: cursor,
      detail: 'analysis',
      analysisColumns: ANOMALY_COLUMNS,
    });
    const stream = createAnomalyStream({ bucketSeconds, ...(baseline.numSpans > 0 ? { baseline } : {}) });
    const { c } = ctx;
    if (!ctx.jsonMode) {
      ctx.io.stderr.write(
        `aiops watch: ${source.kind} source, baseline ${baseline.numSpans.toLocaleString('en-US')} spans, polling every ${intervalMs / 1000}s (Ctrl-C to stop)\n`,
      );
    }
    let found = 0;
    const emit = async (a: Anomaly): Promise<void> => {
      if (service && a.service !== service) return;
      found++;
      if (ctx.jsonMode) ctx.io.stdout.write(`${JSON.stringify(a)}\n`);
      else {
        const sev = a.severity === 'critical' || a.severity === 'high' ? c.red(a.severity) : c.yellow(a.severity);
        ctx.print(
          `${a.start} ${sev} ${c.bold(a.kind)} ${c.bold(a.service)} ${a.operation} — ${a.baseline.toFixed(1)} → ${a.observed.toFixed(1)} ${a.unit} (${a.change >= 0 ? '+' : ''}${(a.change * 100).toFixed(0)}%), ${a.affectedRequests} requests${a.hypotheses[0] ? ` · ${a.hypotheses[0].description} (${formatShare(a.hypotheses[0].confidence)})` : ''}`,
        );
      }
      if (webhook) {
        try {
          const res = await fetch(webhook, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(a),
            signal: AbortSignal.timeout(5000),
          });
          if (!res.ok) ctx.io.stderr.write(`aiops watch: webhook answered HTTP ${res.status}\n`);
        } catch (err) {
          ctx.io.stderr.write(`aiops watch: webhook ${webhook} failed: ${(err as Error).message}\n`);
        }
      }
    };
    let stopped = false;
    const stop = () => {
      stopped = true;
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      for (;;) {
        const now = BigInt(Date.now()) * NANO_PER_MS;
        const until =
          bounds && bounds.toUnixNano === cursor && now > cursor
            ? ((await source.bounds())?.toUnixNano ?? cursor) + 1n
            : now;
        if (until > cursor) {
          const spans = await source.spans({
            fromUnixNano: cursor,
            toUnixNano: until,
            detail: 'analysis',
            analysisColumns: ANOMALY_COLUMNS,
          });
          cursor = until;
          for (const a of stream.push(spans)) await emit(a);
        }
        if (ctx.flag('once') || stopped) {
          for (const a of stream.flush()) await emit(a);
          break;
        }
        await new Promise((r) => setTimeout(r, intervalMs));
        if (stopped) {
          for (const a of stream.flush()) await emit(a);
          break;
        }
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return ctx.flag('once') && found > 0 ? ExitCode.Findings : ExitCode.Ok;
  },
};
