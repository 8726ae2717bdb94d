// A SpanExporter that moves OTLP serialization and the export HTTP requests off the application's event loop: the
// batch is flattened into plain data (span-transfer.ts), posted to a worker thread, and exported there by
// OpenTelemetry's own OTLP exporter. Measured effect: benchmarks/overhead/RESULTS.md.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { ExportThread, OtlpProtocol } from './instrumentation-config.ts';
import { otlpExporter } from './internal/otlp-exporter.ts';
import { SpanBatchEncoder } from './internal/span-transfer.ts';
import { EXPORT_WORKER_MARK, type ToMain, type ToWorker } from './internal/worker-protocol.ts';

function resultMessage(r: ExportResult): { code: number; error?: string } {
  return r.error === undefined ? { code: r.code } : { code: r.code, error: r.error.message };
}

/** Options of {@link WorkerSpanExporter}. */
export interface WorkerSpanExporterOptions {
  /** OTLP wire protocol (default `http/protobuf`). */
  readonly protocol?: OtlpProtocol;
  /** Traces URL, used as given (default `http://127.0.0.1:4318/v1/traces`). */
  readonly url?: string;
}

/** A request in flight: how to finish it, and for exports the spans (re-exported in-thread if the worker dies). */
interface Pending {
  readonly done: (msg: ToMain) => void;
  readonly spans?: ReadableSpan[];
}

const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** True for `--import`/`--require` values that load this package's register entry (not wanted in the worker). */
function loadsRegister(value: string | undefined): boolean {
  return (
    value !== undefined &&
    (value === '@aiops/instrumentation/register' || /instrumentation\/(src|dist)\/register\.[jt]s$/.test(value))
  );
}

/** The parent's node flags for the worker, minus our own register preload. */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if ((arg === '--import' || arg === '--require' || arg === '-r') && loadsRegister(argv[i + 1])) {
      i++;
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0 && (arg.startsWith('--import=') || arg.startsWith('--require=')) && loadsRegister(arg.slice(eq + 1)))
      continue;
    out.push(arg);
  }
  return out;
}

/**
 * Worker code that loads export-worker.ts through tsx's API: tests and `--conditions=@aiops/source` runs use this
 * file as TypeScript, and on Node 20 a worker's `--import tsx` does not make `.ts` entry files loadable.
 */
function sourceBootstrap(): string {
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./export-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(api)}));`;
}

/**
 * Exports spans over OTLP from a worker thread: the application's thread only flattens each batch into plain data.
 * `start()` uses it with `AIOPS_EXPORT_THREAD=worker` / `exportThread: 'worker'`.
 *
 * **Details** `export()` turns the batch a `BatchSpanProcessor` hands over into one array of primitives (resources
 * and instrumentation scopes are sent once, then referred to by number) and posts it to a worker, which rebuilds the
 * spans and exports them with OpenTelemetry's `OTLPTraceExporter` for the protocol (protobuf, JSON or gRPC) — so
 * the bytes on the wire are exactly what the in-thread exporter would send (tested). `OTEL_EXPORTER_OTLP_*`
 * settings (headers, compression, timeout) apply in the worker as usual. The worker is unreferenced while idle (it
 * never keeps the process alive) and referenced while an export, flush or shutdown is in flight, so a flush on
 * exit completes. If the worker cannot start or dies, exports continue on the application thread.
 *
 * **Complexity** O(spans + attributes) on the application thread per batch (a copy, no encoding); the OTLP
 * encoding and the HTTP request happen in the worker.
 *
 * **Gotchas** One extra thread and ≈ 10 MB of memory per process. The worker's CPU still counts in the process's
 * CPU time; what moves is the time the event loop is blocked. The hand-over (a structured clone in
 * `postMessage`) still costs the application thread about a third of what OTLP encoding and sending did (profile of
 * the example shop: 0.07 vs 0.30 ms per request); with cores to spare and large batches it shortens event-loop stalls, on a CPU-bound machine it adds a few
 * points of CPU per request (benchmarks/overhead/RESULTS.md) — which is why it is opt-in. Span attributes must be structured-cloneable (OTel's
 * attribute values always are).
 *
 * @example
 * ```ts
 * start({ exporter: new WorkerSpanExporter({ url: 'http://aiops.internal:4318/v1/traces' }) });
 * ```
 */
export class WorkerSpanExporter implements SpanExporter {
  readonly #protocol: OtlpProtocol;
  readonly #url: string;
  readonly #encoder = new SpanBatchEncoder();
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #fallback: SpanExporter | undefined;
  #nextId = 1;
  #shutdown: Promise<void> | undefined;

  constructor(options: WorkerSpanExporterOptions = {}) {
    this.#protocol = options.protocol ?? 'http/protobuf';
    this.#url = options.url ?? 'http://127.0.0.1:4318/v1/traces';
    try {
      this.#worker = this.#startWorker();
    } catch (err) {
      this.#useFallback(err);
    }
  }

  #startWorker(): Worker {
    const options = {
      workerData: { protocol: this.#protocol, url: this.#url, [EXPORT_WORKER_MARK]: true },
      execArgv: workerExecArgv(),
    };
    const worker = FROM_SOURCE
      ? new Worker(sourceBootstrap(), { ...options, eval: true })
      : new Worker(new URL('./export-worker.js', import.meta.url), options);
    worker.unref();
    worker.on('message', (msg: ToMain) => {
      const pending = this.#pending.get(msg.id);
      if (!pending) return;
      this.#pending.delete(msg.id);
      if (this.#pending.size === 0) worker.unref();
      pending.done(msg);
    });
    const lost = (err: unknown): void => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#useFallback(err);
      const pending = [...this.#pending.values()];
      this.#pending.clear();
      for (const p of pending) {
        if (p.spans && this.#fallback) this.#fallback.export(p.spans, (r) => p.done({ id: 0, ...resultMessage(r) }));
        else p.done({ id: 0, code: p.spans ? ExportResultCode.FAILED : ExportResultCode.SUCCESS });
      }
    };
    worker.on('error', lost);
    worker.on('exit', (code) => {
      if (!this.#shutdown) lost(new Error(`export worker exited with code ${code}`));
    });
    return worker;
  }

  /** Where exports run now: `worker`, or `main` once the worker could not start or died. */
  get thread(): ExportThread {
    return this.#worker ? 'worker' : 'main';
  }

  #useFallback(err: unknown): void {
    diag.warn('instrumentation: OTLP export worker unavailable; exporting on the application thread', err);
    this.#fallback ??= otlpExporter(this.#protocol, this.#url);
  }

  #request(msg: ToWorker, worker: Worker, spans?: ReadableSpan[]): Promise<ToMain> {
    return new Promise((resolve) => {
      if (this.#pending.size === 0) worker.ref();
      this.#pending.set(msg.id, spans ? { done: resolve, spans } : { done: resolve });
      worker.postMessage(msg);
    });
  }

  /** Posts `spans` to the worker; `resultCallback` gets the OTLP exporter's result from there. */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.#shutdown) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('instrumentation: exporter is shut down') });
      return;
    }
    const worker = this.#worker;
    if (!worker) {
      (this.#fallback as SpanExporter).export(spans, resultCallback);
      return;
    }
    let msg: ToWorker;
    try {
      msg = { t: 'export', id: this.#nextId++, batch: this.#encoder.encode(spans) };
    } catch (err) {
      resultCallback({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
      return;
    }
    this.#request(msg, worker, spans).then(
      (r) => resultCallback(r.error === undefined ? { code: r.code } : { code: r.code, error: new Error(r.error) }),
      () => {},
    );
  }

  /** Resolves when the worker's exporter has sent everything it was given. */
  async forceFlush(): Promise<void> {
    const worker = this.#worker;
    if (worker) await this.#request({ t: 'flush', id: this.#nextId++ }, worker);
    else await this.#fallback?.forceFlush?.();
  }

  /** Shuts the worker's exporter down (pending exports finish first) and ends the thread. */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      const worker = this.#worker;
      if (worker) {
        await this.#request({ t: 'shutdown', id: this.#nextId++ }, worker);
        this.#worker = undefined;
        // The exporter's keep-alive sockets would hold the thread open; everything is sent, so end it.
        await worker.terminate();
      }
      await this.#fallback?.shutdown();
    })();
    return this.#shutdown;
  }
}
