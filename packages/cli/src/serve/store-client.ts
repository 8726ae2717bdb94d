// The store of `aiops serve`, either in this thread (TraceStore) or in its own worker thread (store-worker.ts), behind
// one interface. With the worker, decoding and the query API run on the main thread while DuckDB appends run on
// another core; reads are proxied to the worker, span tables coming back as Arrow IPC.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type AppendResult,
  type DataBounds,
  type OperationInfo,
  type SpanQuery,
  type SpanTable,
  spanTableFromArrow,
  type TraceQuery,
  type TraceSink,
  type TraceSource,
  type TraceSummary,
} from '@aiops/span-model';
import { type OpenStoreOptions, openStore, StoreError, type StoreErrorCode } from '@aiops/store';
import { tableFromIPC, tableToIPC } from 'apache-arrow';

/** What the server needs of its store: reads, appends, close. */
export interface StoreBackend extends TraceSource, TraceSink {
  /** Writes several tables as one append (one transaction). */
  appendAll(tables: readonly SpanTable[]): Promise<AppendResult>;
}

/** A call to the store worker. */
export type StoreCall =
  | { readonly id: number; readonly op: 'append'; readonly tables: Uint8Array[] }
  | { readonly id: number; readonly op: 'getTrace'; readonly traceId: string }
  | { readonly id: number; readonly op: 'spans'; readonly query: SpanQuery }
  | { readonly id: number; readonly op: 'searchTraces'; readonly query: TraceQuery }
  | { readonly id: number; readonly op: 'services' }
  | { readonly id: number; readonly op: 'operations'; readonly service: string | undefined }
  | { readonly id: number; readonly op: 'bounds' }
  | { readonly id: number; readonly op: 'close' };

/** The store worker's answer to one call (id 0: the open). */
export type StoreReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown; readonly ipc?: Uint8Array }
  | { readonly id: number; readonly ok: false; readonly error: { message: string; code: string; name: string } };

type Call = StoreCall extends infer C ? (C extends { op: infer O } ? Omit<C, 'id'> & { op: O } : never) : never;

function revive(dir: string, e: { message: string; code: string; name: string }): Error {
  if (e.name === 'StoreError') return new StoreError(e.code as StoreErrorCode, dir, e.message);
  if (e.name === 'RangeError') return new RangeError(e.message);
  if (e.name === 'TypeError') return new TypeError(e.message);
  return new Error(e.message);
}

/** The worker entry: the .ts source under tsx/vitest, the built file next to the bundle otherwise. */
function workerOf(options: OpenStoreOptions): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) {
    return new Worker(new URL('./serve/store-worker.js', here), { workerData: options });
  }
  // From source (tests, benchmarks): tsx's hooks register only on the main thread under Node 20, so the worker
  // registers them itself before importing the TypeScript entry.
  const tsx = pathToFileURL(createRequire(here).resolve('tsx/esm')).href;
  const entry = new URL('./store-worker.ts', here).href;
  const code = `import { register } from 'node:module'; register(${JSON.stringify(tsx)}, { data: { active: true } }); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), {
    workerData: options,
    execArgv: ['--conditions=@aiops/source'],
  });
}

class WorkerStore implements StoreBackend {
  readonly kind: string = 'duckdb';
  readonly #dir: string;
  readonly #worker: Worker;
  #next = 1;
  readonly #calls = new Map<number, { resolve: (r: StoreReply) => void; reject: (e: Error) => void }>();
  #dead: Error | undefined;

  constructor(dir: string, worker: Worker) {
    this.#dir = dir;
    this.#worker = worker;
    worker.on('message', (r: StoreReply) => {
      const c = this.#calls.get(r.id);
      if (!c) return;
      this.#calls.delete(r.id);
      if (r.ok) c.resolve(r);
      else c.reject(revive(this.#dir, r.error));
    });
    const fail = (err: Error) => {
      this.#dead ??= err;
      for (const c of this.#calls.values()) c.reject(err);
      this.#calls.clear();
    };
    worker.on('error', (err) => fail(new Error(`store thread failed: ${err.message}`)));
    worker.on('exit', (code) => fail(new Error(`store thread exited (code ${code})`)));
  }

  #call(call: Call, transfer: ArrayBuffer[] = []): Promise<StoreReply & { ok: true }> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve: resolve as (r: StoreReply) => void, reject });
      this.#worker.postMessage({ ...call, id }, transfer);
    });
  }

  async appendAll(tables: readonly SpanTable[]): Promise<AppendResult> {
    const ipc = tables.map((t) => tableToIPC(t.table, 'stream'));
    const r = await this.#call(
      { op: 'append', tables: ipc },
      ipc.map((b) => b.buffer as ArrayBuffer),
    );
    return r.value as AppendResult;
  }

  append(spans: SpanTable): Promise<AppendResult> {
    return this.appendAll([spans]);
  }

  async getTrace(traceId: string): Promise<SpanTable | undefined> {
    const r = await this.#call({ op: 'getTrace', traceId });
    return r.ipc ? spanTableFromArrow(tableFromIPC(r.ipc)) : undefined;
  }

  async spans(query: SpanQuery): Promise<SpanTable> {
    const r = await this.#call({ op: 'spans', query });
    return spanTableFromArrow(tableFromIPC(r.ipc!));
  }

  async searchTraces(query: TraceQuery): Promise<TraceSummary[]> {
    return (await this.#call({ op: 'searchTraces', query })).value as TraceSummary[];
  }

  async services(): Promise<string[]> {
    return (await this.#call({ op: 'services' })).value as string[];
  }

  async operations(service?: string): Promise<OperationInfo[]> {
    return (await this.#call({ op: 'operations', service })).value as OperationInfo[];
  }

  async bounds(): Promise<DataBounds | undefined> {
    return ((await this.#call({ op: 'bounds' })).value as DataBounds | null) ?? undefined;
  }

  async close(): Promise<void> {
    if (this.#dead) return;
    await this.#call({ op: 'close' });
    await this.#worker.terminate();
  }
}

/**
 * Opens the server's store, in a worker thread (`thread: true`) or in this one.
 *
 * **Details** The worker owns the DuckDB instance; its open errors (locked, corrupt, version) come back as the
 * store's own `StoreError`s.
 *
 * **Gotchas** From source (a `.ts` module URL) the worker needs tsx, which the repository's dev setup has.
 */
export async function openServerStore(
  options: OpenStoreOptions & { dir: string },
  thread: boolean,
): Promise<StoreBackend> {
  if (!thread) {
    // TraceStore.appendAll joins the tables column by column (no span-by-span concatSpanTables).
    return openStore(options);
  }
  const worker = workerOf(options);
  const opened = await new Promise<StoreReply>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`store thread exited during start (code ${code})`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (r: StoreReply) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      resolve(r);
    });
  });
  if (!opened.ok) {
    await worker.terminate();
    throw revive(options.dir, opened.error);
  }
  return new WorkerStore(options.dir, worker);
}
