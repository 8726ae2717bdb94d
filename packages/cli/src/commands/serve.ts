// aiops serve: receive OTLP (gRPC, HTTP) and Zipkin spans into the embedded store and answer queries over HTTP.
import type { Command } from '../command.ts';
import { CliError, ExitCode, usageError } from '../errors.ts';
import { parseDurationMs } from '../internal/time.ts';
import { QUEUE_DEFAULTS } from '../serve/ingest-queue.ts';
import { SERVE_DEFAULTS, ServeError, startServer } from '../serve/server.ts';
import { LIMIT_DEFAULTS } from '../serve/span-ingestor.ts';
import { VERSION_TEXT } from '../serve/version.ts';
import { storeDir } from '../sources.ts';

function port(text: string | undefined, fallback: number, option: string): number | null {
  if (text === undefined) return fallback;
  if (text === 'off' || text === 'none') return null;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw usageError(`--${option}: "${text}" is not a port (0-65535, 0 = any free port, off = disabled)`);
  return n;
}

function positive(text: string | undefined, fallback: number, option: string): number {
  if (text === undefined) return fallback;
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw usageError(`--${option}: "${text}" is not a whole number ≥ 1`);
  return n;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export const serveCommand: Command = {
  name: 'serve',
  summary: 'receive OTLP (gRPC, HTTP) and Zipkin spans into the store and answer queries over HTTP',
  usage:
    'aiops serve [--store <dir>] [--otlp-grpc 4317] [--otlp-http 4318] [--zipkin 9411] [--query 16686] [--host 127.0.0.1] [--verbose]',
  description: [
    'Receivers: OTLP/gRPC TraceService/Export; OTLP/HTTP POST /v1/traces (application/x-protobuf or',
    'application/json, gzip or deflate); Zipkin v2 POST /api/v2/spans (JSON). A request is acknowledged once it',
    'is fsynced in the write-ahead log (<store>/wal, group commit) and its spans are queryable; the store',
    'writes them to DuckDB in large batches every second. Acknowledged spans survive kill -9 (replayed at start).',
    `Limits: ${LIMIT_DEFAULTS.maxBodyBytes / 1048576} MiB per request before and after decompression (413 above);`,
    `at most ${LIMIT_DEFAULTS.maxInflightBytes / 1048576} MiB of request bodies in flight and ${fmt(QUEUE_DEFAULTS.maxQueuedSpans)} spans not yet in DuckDB`,
    '(--max-queue-spans): beyond that requests get 429 / gRPC UNAVAILABLE with Retry-After, so memory stays bounded.',
    'Malformed bodies get 400 with the reason; unknown content types 415; rejected spans are reported in',
    'partial_success (rejected_spans, error_message) while the valid spans of the request are stored.',
    'While the server runs, every aiops command on the same --store reads through its query API (server.json in the',
    'store directory). SIGINT/SIGTERM stop accepting, write the head to the store and close it. See SERVE.md.',
  ].join('\n'),
  options: {
    'otlp-grpc': { type: 'string', valueName: '<port>', description: 'OTLP/gRPC port (default 4317; 0 = any, off)' },
    'otlp-http': { type: 'string', valueName: '<port>', description: 'OTLP/HTTP port (default 4318; 0 = any, off)' },
    zipkin: { type: 'string', valueName: '<port>', description: 'Zipkin v2 port (default 9411; 0 = any, off)' },
    query: { type: 'string', valueName: '<port>', description: 'query API port (default 16686; 0 = any)' },
    host: { type: 'string', valueName: '<addr>', description: 'interface to listen on (default 127.0.0.1)' },
    'max-queue-spans': {
      type: 'string',
      valueName: '<n>',
      description: `spans accepted but not yet in DuckDB before requests are refused (default ${fmt(QUEUE_DEFAULTS.maxQueuedSpans)})`,
    },
    'flush-interval': {
      type: 'string',
      valueName: '<dur>',
      description: `how often the head block is written to DuckDB (default ${QUEUE_DEFAULTS.flushIntervalMs / 1000}s)`,
    },
    'store-thread': {
      type: 'boolean',
      description: 'write to DuckDB from a worker thread (default: the main thread, faster on 2 cores)',
    },
    'store-threads': {
      type: 'string',
      valueName: '<n>',
      description: "DuckDB threads of the store (default: DuckDB's, one per core; 1 spends the least CPU per span)",
    },
    verbose: { type: 'boolean', short: 'v', description: 'print ingest statistics every 10 s' },
    'stats-interval': { type: 'string', valueName: '<dur>', description: 'period of the --verbose line (default 10s)' },
  },
  examples: [
    'aiops serve                                   # OTLP on 4317/4318, Zipkin on 9411, query API on 16686',
    'OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node app.js',
    'aiops serve --store /data/aiops --host 0.0.0.0 --verbose',
    'curl -s localhost:16686/api/traces?service=checkout\\&minDuration=500ms | jq .traces[0]',
    'aiops trace 4bf92f3577b34da6a3ce929d0e0e4736   # reads through the running server',
  ],
  async run(ctx) {
    const grpcPort = port(ctx.str('otlp-grpc'), SERVE_DEFAULTS.otlpGrpcPort, 'otlp-grpc');
    const httpPort = port(ctx.str('otlp-http'), SERVE_DEFAULTS.otlpHttpPort, 'otlp-http');
    const zipkinPort = port(ctx.str('zipkin'), SERVE_DEFAULTS.zipkinPort, 'zipkin');
    const queryPort = port(ctx.str('query'), SERVE_DEFAULTS.queryPort, 'query');
    if (queryPort === null) throw usageError('--query: the query API cannot be disabled');
    const maxQueued = positive(ctx.str('max-queue-spans'), QUEUE_DEFAULTS.maxQueuedSpans, 'max-queue-spans');
    const threadsText = ctx.str('store-threads');
    const storeThreads = threadsText === undefined ? undefined : positive(threadsText, 1, 'store-threads');
    const flushText = ctx.str('flush-interval');
    const flushIntervalMs = flushText ? parseDurationMs(flushText, '--flush-interval') : QUEUE_DEFAULTS.flushIntervalMs;
    if (!(flushIntervalMs >= 1)) throw usageError(`--flush-interval: "${flushText}" is shorter than 1 ms`);
    const intervalText = ctx.str('stats-interval');
    const intervalMs = intervalText ? parseDurationMs(intervalText, '--stats-interval') : 10_000;
    const out = (line: string) => ctx.io.stdout.write(`${line}\n`);
    let server: Awaited<ReturnType<typeof startServer>>;
    try {
      server = await startServer({
        store: storeDir(ctx.values, ctx.io),
        host: ctx.str('host') ?? SERVE_DEFAULTS.host,
        otlpGrpcPort: grpcPort,
        otlpHttpPort: httpPort,
        zipkinPort,
        queryPort,
        queue: { maxQueuedSpans: maxQueued, flushIntervalMs },
        version: VERSION_TEXT,
        storeThread: ctx.flag('store-thread'),
        ...(storeThreads !== undefined ? { storeThreads } : {}),
      });
    } catch (err) {
      if (err instanceof ServeError) throw new CliError(err.message, ExitCode.Usage, err.code);
      throw err;
    }
    if (server.replayed.records > 0) {
      out(
        `aiops serve: recovered ${fmt(server.replayed.spans)} spans of ${fmt(server.replayed.records)} requests from the write-ahead log (${fmt(server.replayed.inserted)} were not yet in the store)`,
      );
    }
    out(server.startupLine);
    out(`aiops serve: store ${server.storeDir} — stop with Ctrl-C (SIGINT) or SIGTERM`);
    const timer = ctx.flag('verbose')
      ? setInterval(() => {
          const s = server.stats.takeInterval();
          out(
            `aiops serve: ${fmt(s.spansPerSec)} spans/s · ${fmt(s.rejected)} rejected · head ${fmt(server.queue.headSpans)} spans · ack p50 ${s.ackP50Ms} ms p99 ${s.ackP99Ms} ms · ${fmt(server.stats.spansAccepted)} spans stored, ${fmt(server.stats.requestsThrottled)} throttled, ${fmt(server.stats.requestsInvalid)} invalid`,
          );
        }, intervalMs)
      : undefined;
    const signal = await new Promise<string>((resolve) => {
      const onInt = () => {
        process.off('SIGTERM', onTerm);
        resolve('SIGINT');
      };
      const onTerm = () => {
        process.off('SIGINT', onInt);
        resolve('SIGTERM');
      };
      process.once('SIGINT', onInt);
      process.once('SIGTERM', onTerm);
    });
    if (timer) clearInterval(timer);
    out(
      `aiops serve: ${signal} — flushing ${fmt(server.queue.depthSpans + server.queue.headSpans)} spans to the store and closing it`,
    );
    await server.close();
    out(`aiops serve: stopped (${fmt(server.stats.spansAccepted)} spans acknowledged since start)`);
    return ExitCode.Ok;
  },
};
