// `aiops serve` as a library: opens the store, starts the OTLP/gRPC, OTLP/HTTP, Zipkin and query listeners, writes
// server.json, and shuts everything down in order (stop accepting, flush the queue, close the store).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import { ingestRequestListener } from './ingest-http.ts';
import { IngestQueue, type IngestQueueOptions, QUEUE_DEFAULTS } from './ingest-queue.ts';
import { IngestStats } from './ingest-stats.ts';
import { LiveSource } from './live-source.ts';
import { queryRequestListener } from './query-api.ts';
import { liveServerInfo, removeServerInfo, type ServerInfo, writeServerInfo } from './server-info.ts';
import { type IngestLimits, LIMIT_DEFAULTS, SpanIngestor } from './span-ingestor.ts';
import { openServerStore, type StoreBackend } from './store-client.ts';
import { WriteAheadLog } from './wal.ts';
import { replayWal, type WalReplay } from './wal-replay.ts';

/** Options of {@link startServer}. Ports: a number to listen on (0 = any free port), or null to disable. */
export interface ServeOptions {
  /** Store directory (created when missing). */
  readonly store: string;
  /** Interface to listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** OTLP/gRPC port. Default 4317. */
  readonly otlpGrpcPort?: number | null;
  /** OTLP/HTTP port. Default 4318. */
  readonly otlpHttpPort?: number | null;
  /** Zipkin port. Default 9411. */
  readonly zipkinPort?: number | null;
  /** Query API port. Default 16686. */
  readonly queryPort?: number;
  /** Request size and in-flight limits. */
  readonly limits?: Partial<IngestLimits>;
  /** Queue bound and batching. */
  readonly queue?: IngestQueueOptions;
  /** Compact the store's recent spans after this many (see the store's `compactSpans`). Default 1,000,000. */
  readonly compactSpans?: number;
  /** The aiops version written to server.json and /api/health. */
  readonly version?: string;
  /**
   * Run the store (DuckDB appends and reads) in its own worker thread. Default false: on the 2-core benchmark
   * machine the in-thread store sustained 49.6k vs 27.3k spans/s (HTTP) with queryable p99 51 vs 152 ms, because
   * the worker's DuckDB writes delay the WAL fsyncs on the same disk (benchmarks/serve/RESULTS.md).
   */
  readonly storeThread?: boolean;
  /**
   * DuckDB threads of the store. Default: DuckDB's own (one per core). One thread costs less CPU per ingested span
   * (DuckDB's parallel appends and checkpoints spend more CPU than they save on a busy 2-core machine) but makes large
   * reads (dependencies over millions of spans) slower.
   */
  readonly storeThreads?: number;
}

/** Defaults of {@link ServeOptions}. */
export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  otlpGrpcPort: 4317,
  otlpHttpPort: 4318,
  zipkinPort: 9411,
  queryPort: 16686,
  compactSpans: 1_000_000,
  storeThread: false,
} as const;

/** Name of the write-ahead log directory inside the store directory. */
export const WAL_DIR = 'wal';

/** A running server. */
export interface RunningServer {
  /** Bound ports (0 when disabled). */
  readonly ports: {
    readonly otlpGrpc: number;
    readonly otlpHttp: number;
    readonly zipkin: number;
    readonly query: number;
  };
  /** The host the listeners use. */
  readonly host: string;
  /** The store directory (absolute). */
  readonly storeDir: string;
  /** Ingest counters. */
  readonly stats: IngestStats;
  /** The write path: WAL, head block and background flush (queue depth, spans written). */
  readonly queue: IngestQueue;
  /** What was recovered from the WAL at start. */
  readonly replayed: WalReplay;
  /** The line that tells the user where to point exporters. */
  readonly startupLine: string;
  /** Stops accepting, writes everything acknowledged-to-be, closes the store and removes server.json. */
  close(): Promise<void>;
}

/** Thrown when the server cannot start (port in use, store owned by another server). */
export class ServeError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ServeError';
    this.code = code;
  }
}

function listen(server: http.Server, host: string, port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        new ServeError(
          'input',
          err.code === 'EADDRINUSE'
            ? `${what} port ${port} on ${host} is already in use (choose another with its option, or 0 for any free port)`
            : `${what}: cannot listen on ${host}:${port}: ${err.message}`,
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeHttp(server: http.Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/**
 * Starts `aiops serve` in this process.
 *
 * **Details** Opens the store for writing (DuckDB locks it to this process), starts the listeners, then writes
 * `server.json` into the store directory so other aiops commands read through the query API.
 *
 * **Gotchas** Rejects with a {@link ServeError} when a live server already owns the store or a port is taken.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const storeDir = path.resolve(options.store);
  const host = options.host ?? SERVE_DEFAULTS.host;
  const other = liveServerInfo(storeDir);
  if (other && other.pid !== process.pid) {
    throw new ServeError(
      'input',
      `the store ${storeDir} is already served by aiops serve (pid ${other.pid}, query http://${other.host}:${other.queryPort})`,
    );
  }
  const store: StoreBackend = await openServerStore(
    {
      dir: storeDir,
      compactSpans: options.compactSpans ?? SERVE_DEFAULTS.compactSpans,
      ...(options.storeThreads !== undefined ? { threads: options.storeThreads } : {}),
    },
    options.storeThread ?? SERVE_DEFAULTS.storeThread,
  );
  const walDir = path.join(storeDir, WAL_DIR);
  let replayed: WalReplay;
  let wal: WriteAheadLog;
  try {
    replayed = await replayWal(walDir, store);
    wal = await WriteAheadLog.create(walDir);
  } catch (err) {
    await store.close();
    throw err;
  }
  const stats = new IngestStats();
  wal.onGroup = (writeMs, syncMs) => {
    stats.stages.add('walWrite', writeMs);
    stats.stages.add('fsync', syncMs);
  };
  const queue = new IngestQueue(store, wal, { ...QUEUE_DEFAULTS, ...options.queue });
  // An empty store at start (after the replay) spares the query API a store lookup per new trace; see LiveSource.
  const live = new LiveSource(store, queue.head, queue.recent, (await store.bounds()) === undefined, () =>
    queue.settled(),
  );
  const limits: IngestLimits = { ...LIMIT_DEFAULTS, ...options.limits };
  const ingestor = new SpanIngestor(queue, stats, limits);
  const listener = ingestRequestListener(ingestor);
  const servers: http.Server[] = [];
  let grpc: GrpcServer | undefined;
  const ports = { otlpGrpc: 0, otlpHttp: 0, zipkin: 0, query: 0 };
  const version = options.version ?? '0.0.0';
  const clientHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  try {
    const otlpHttpPort = options.otlpHttpPort === undefined ? SERVE_DEFAULTS.otlpHttpPort : options.otlpHttpPort;
    if (otlpHttpPort !== null) {
      const s = http.createServer({ keepAliveTimeout: 30_000 }, listener);
      servers.push(s);
      ports.otlpHttp = await listen(s, host, otlpHttpPort, 'OTLP/HTTP (--otlp-http)');
    }
    const zipkinPort = options.zipkinPort === undefined ? SERVE_DEFAULTS.zipkinPort : options.zipkinPort;
    if (zipkinPort !== null) {
      const s = http.createServer({ keepAliveTimeout: 30_000 }, listener);
      servers.push(s);
      ports.zipkin = await listen(s, host, zipkinPort, 'Zipkin (--zipkin)');
    }
    const grpcPort = options.otlpGrpcPort === undefined ? SERVE_DEFAULTS.otlpGrpcPort : options.otlpGrpcPort;
    if (grpcPort !== null) {
      try {
        // Loaded only when a gRPC receiver starts: @grpc/grpc-js is not paid for by every other command.
        const { startOtlpGrpc } = await import('./otlp-grpc.ts');
        const g = await startOtlpGrpc(ingestor, host, grpcPort);
        grpc = g.server;
        ports.otlpGrpc = g.port;
      } catch (err) {
        throw new ServeError(
          'input',
          `OTLP/gRPC (--otlp-grpc): cannot listen on ${host}:${grpcPort}: ${(err as Error).message}`,
        );
      }
    }
    const startedAt = new Date().toISOString();
    const query = http.createServer(
      queryRequestListener(live, {
        health: () => ({
          version,
          pid: process.pid,
          store: storeDir,
          startedAt,
          uptimeSeconds: Math.round(stats.uptimeSeconds),
          ports,
          ingest: {
            requests: stats.requests,
            spansAccepted: stats.spansAccepted,
            spansRejected: stats.spansRejected,
            requestsInvalid: stats.requestsInvalid,
            requestsThrottled: stats.requestsThrottled,
            queueSpans: queue.depthSpans,
            headSpans: queue.headSpans,
            maxQueueSpans: queue.maxQueuedSpans,
            walBytes: queue.walBytes,
            flushErrors: queue.flushErrors,
            inflightBytes: ingestor.inflightBytes,
            duplicatesSkipped: queue.duplicates,
            batches: queue.batches,
            walSyncs: wal.syncs,
            timingsMs: stats.stages.summary(),
          },
        }),
      }),
    );
    servers.push(query);
    ports.query = await listen(query, host, options.queryPort ?? SERVE_DEFAULTS.queryPort, 'query API (--query)');
    const info: ServerInfo = {
      pid: process.pid,
      host: clientHost,
      queryPort: ports.query,
      otlpHttpPort: ports.otlpHttp,
      otlpGrpcPort: ports.otlpGrpc,
      zipkinPort: ports.zipkin,
      store: storeDir,
      startedAt,
      version,
    };
    writeServerInfo(storeDir, info);
  } catch (err) {
    for (const s of servers) await closeHttp(s);
    grpc?.forceShutdown();
    await queue.close();
    await store.close();
    throw err;
  }
  const parts = [
    ports.otlpGrpc ? `gRPC ${clientHost}:${ports.otlpGrpc}` : '',
    ports.zipkin ? `Zipkin http://${clientHost}:${ports.zipkin}/api/v2/spans` : '',
    `query http://${clientHost}:${ports.query}`,
  ].filter(Boolean);
  const startupLine = ports.otlpHttp
    ? `aiops serve: listening — point exporters at OTEL_EXPORTER_OTLP_ENDPOINT=http://${clientHost}:${ports.otlpHttp} (${parts.join(', ')})`
    : `aiops serve: listening (${parts.join(', ')})`;
  let closing: Promise<void> | undefined;
  return {
    ports,
    host,
    storeDir,
    stats,
    queue,
    replayed,
    startupLine,
    close() {
      closing ??= (async () => {
        // Stop accepting; requests already being read or written finish (bounded wait), then the queue drains.
        const stopped = Promise.all([
          ...servers.slice(0, -1).map((s) => closeHttp(s)),
          grpc ? new Promise<void>((r) => grpc!.tryShutdown(() => r())) : Promise.resolve(),
        ]);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([stopped, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
        clearTimeout(timer);
        await queue.close();
        for (const s of servers.slice(0, -1)) s.closeAllConnections();
        grpc?.forceShutdown();
        const q = servers[servers.length - 1]!;
        const qClosed = closeHttp(q);
        q.closeAllConnections();
        await qClosed;
        await store.close();
        removeServerInfo(storeDir, process.pid);
      })();
      return closing;
    },
  };
}
