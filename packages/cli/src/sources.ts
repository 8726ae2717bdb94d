// Opens the source a command reads from: the embedded store (default), another store dir, or files. When an
// `aiops serve` owns the store (server.json names a live process), reads go through its query API instead.
import fs from 'node:fs';
import path from 'node:path';
import { expandTracePaths, readTraceFile } from '@aiops/ingest';
import { concatSpanTables, type SpanTable, type TraceSource } from '@aiops/span-model';
import { defaultStoreDir, openStore, type TraceStore } from '@aiops/store';
import type { Io, OptionValues } from './command.ts';
import { inputError, notFoundError, usageError } from './errors.ts';
import { MemorySource } from './internal/memory-source.ts';
import { RemoteSource } from './serve/remote-source.ts';
import { liveServerInfo, queryUrl } from './serve/server-info.ts';
import { isRemoteSourceUri, loadAiopsConfig, openRemoteSource } from './source-config.ts';

/** The store directory the user chose (--store, else $AIOPS_HOME or ~/.aiops). */
export function storeDir(values: OptionValues, io: Io): string {
  const dir = typeof values.store === 'string' ? values.store : undefined;
  void io;
  return dir ?? defaultStoreDir();
}

/** Opens the embedded store for writing (refused with a clear message while `aiops serve` owns it). */
export async function openWritableStore(values: OptionValues, io: Io): Promise<TraceStore> {
  const dir = storeDir(values, io);
  const server = liveServerInfo(path.resolve(dir));
  if (server) {
    const h = server.host;
    throw inputError(
      `the store ${path.resolve(dir)} is owned by aiops serve (pid ${server.pid}); send the spans to it instead ` +
        `(OTLP http://${h}:${server.otlpHttpPort}/v1/traces${server.zipkinPort ? `, Zipkin http://${h}:${server.zipkinPort}/api/v2/spans` : ''}), or stop it first`,
    );
  }
  return openStore({ dir });
}

/** Opens the source for reading: --source / AIOPS_SOURCE, else the store. */
export async function openSource(values: OptionValues, io: Io): Promise<TraceSource> {
  const config = loadAiopsConfig(io.cwd, io.env);
  const explicit = (typeof values.source === 'string' ? values.source : undefined) ?? io.env.AIOPS_SOURCE;
  // A --store given on the command line wins over the config file's default source.
  const uri = explicit ?? (typeof values.store === 'string' ? undefined : config.defaultSource);
  if (uri) {
    if (isRemoteSourceUri(uri) || config.sources.some((s) => s.name === uri)) {
      return openRemoteSource(uri, io.env, config);
    }
    if (uri.startsWith('file:')) return fileSource(uri.slice('file:'.length));
    if (/^[a-z][a-z0-9+]*:\/\//.test(uri)) {
      throw usageError(
        `--source ${uri.replace(/\/\/[^@/]*@/, '//***@')}: unknown kind of source; use clickhouse://, jaeger://, jaeger+https://, tempo://, zipkin://, file:<path> or a store directory`,
      );
    }
    return openExistingStore(uri.startsWith('duckdb:') ? uri.slice('duckdb:'.length) : uri);
  }
  return openExistingStore(storeDir(values, io));
}

async function openExistingStore(dir: string): Promise<TraceSource> {
  const server = liveServerInfo(path.resolve(dir));
  if (server) {
    const remote = new RemoteSource(queryUrl(server));
    // A live pid that does not answer as this server is a reused pid: the file is stale, open the store.
    if (await remote.answersAs(server.pid)) return remote;
  }
  if (!fs.existsSync(dir)) {
    throw notFoundError(`no trace store at ${dir}. Import traces first: aiops import <files> --store ${dir}`);
  }
  return openStore({ dir, readOnly: true });
}

async function fileSource(pattern: string): Promise<TraceSource> {
  const files = await expandTracePaths([pattern]);
  if (files.length === 0) throw inputError(`--source file:${pattern}: no trace files found`);
  const tables: SpanTable[] = [];
  for (const f of files) tables.push((await readTraceFile(f)).spans);
  return new MemorySource(concatSpanTables(tables), 'file');
}
