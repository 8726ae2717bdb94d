// The store thread of `aiops serve`: a worker_threads entry that owns the DuckDB store (DuckDB locks the file to
// one instance) and serves the calls of `store-client.ts` — appends of head-block tables and the query API's
// reads. Span tables cross the thread boundary as Arrow IPC streams with their buffers transferred.
import { parentPort, workerData } from 'node:worker_threads';
import { type SpanTable, spanTableFromArrow } from '@aiops/span-model';
import { type OpenStoreOptions, openStore, type TraceStore } from '@aiops/store';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import type { StoreCall, StoreReply } from './store-client.ts';

const port = parentPort!;

function toIpc(table: SpanTable): Uint8Array {
  return tableToIPC(table.table, 'stream');
}

function errorReply(id: number, err: unknown): StoreReply {
  const e = err as { message?: string; code?: string; name?: string };
  return {
    id,
    ok: false,
    error: { message: e?.message ?? String(err), code: e?.code ?? '', name: e?.name ?? 'Error' },
  };
}

let store: TraceStore;
try {
  store = await openStore(workerData as OpenStoreOptions);
  port.postMessage({ id: 0, ok: true, value: null } satisfies StoreReply);
} catch (err) {
  port.postMessage(errorReply(0, err));
  process.exit(0);
}

async function handle(m: StoreCall): Promise<StoreReply> {
  switch (m.op) {
    case 'append': {
      const tables = m.tables.map((b) => spanTableFromArrow(tableFromIPC(b)));
      const r = await store.appendAll(tables);
      return { id: m.id, ok: true, value: r };
    }
    case 'getTrace': {
      const t = await store.getTrace(m.traceId);
      if (!t) return { id: m.id, ok: true, value: null };
      const ipc = toIpc(t);
      return { id: m.id, ok: true, value: null, ipc };
    }
    case 'spans': {
      const ipc = toIpc(await store.spans(m.query));
      return { id: m.id, ok: true, value: null, ipc };
    }
    case 'searchTraces':
      return { id: m.id, ok: true, value: await store.searchTraces(m.query) };
    case 'services':
      return { id: m.id, ok: true, value: await store.services() };
    case 'operations':
      return { id: m.id, ok: true, value: await store.operations(m.service) };
    case 'bounds':
      return { id: m.id, ok: true, value: (await store.bounds()) ?? null };
    case 'close':
      await store.close();
      return { id: m.id, ok: true, value: null };
  }
}

port.on('message', (m: StoreCall) => {
  handle(m).then(
    (reply) => {
      if (reply.ok && reply.ipc) port.postMessage(reply, [reply.ipc.buffer as ArrayBuffer]);
      else port.postMessage(reply);
      if (m.op === 'close') port.close();
    },
    (err: unknown) => port.postMessage(errorReply(m.id, err)),
  );
});
