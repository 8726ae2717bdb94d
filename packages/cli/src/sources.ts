// Opens the source a command reads from: the embedded store (default), another store dir, or files.
import fs from 'node:fs';
import { expandTracePaths, readTraceFile } from '@aiops/ingest';
import { concatSpanTables, type SpanTable, type TraceSource } from '@aiops/span-model';
import { defaultStoreDir, openStore, type TraceStore } from '@aiops/store';
import type { Io, OptionValues } from './command.ts';
import { inputError, notFoundError, usageError } from './errors.ts';
import { MemorySource } from './internal/memory-source.ts';

const REMOTE = /^(clickhouse|jaeger|jaeger\+https|tempo|zipkin|https?):\/\//;

/** The store directory the user chose (--store, else $AIOPS_HOME or ~/.aiops). */
export function storeDir(values: OptionValues, io: Io): string {
  const dir = typeof values.store === 'string' ? values.store : undefined;
  void io;
  return dir ?? defaultStoreDir();
}

/** Opens the embedded store for writing. */
export async function openWritableStore(values: OptionValues, io: Io): Promise<TraceStore> {
  return openStore({ dir: storeDir(values, io) });
}

/** Opens the source for reading: --source / AIOPS_SOURCE, else the store. */
export async function openSource(values: OptionValues, io: Io): Promise<TraceSource> {
  const uri = (typeof values.source === 'string' ? values.source : undefined) ?? io.env.AIOPS_SOURCE;
  if (uri) {
    if (uri.startsWith('file:')) return fileSource(uri.slice('file:'.length));
    if (REMOTE.test(uri)) {
      throw usageError(
        `--source ${uri.replace(/\/\/[^@/]*@/, '//***@')}: remote sources are not available in this version; use a store directory or file:<path>`,
      );
    }
    return openExistingStore(uri.startsWith('duckdb:') ? uri.slice('duckdb:'.length) : uri);
  }
  return openExistingStore(storeDir(values, io));
}

async function openExistingStore(dir: string): Promise<TraceSource> {
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
