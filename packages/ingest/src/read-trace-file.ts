// Reading trace files: whole files (gzip handled) into one DecodeResult.
import { readFile } from 'node:fs/promises';
import type { DecodeResult } from './decode-result.ts';
import { decodeTraces } from './decode-traces.ts';
import { IngestError, IngestErrorCode } from './ingest-error.ts';
import type { TraceFormat } from './trace-format.ts';

/** Options of {@link readTraceFile}. */
export interface ReadTraceFileOptions {
  /** Skip detection and decode as this format. */
  readonly format?: TraceFormat;
}

/** Reads a file, turning a missing or unreadable file into an IngestError. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new IngestError({
      code: IngestErrorCode.FileNotReadable,
      file: path,
      position: '',
      detail: `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    });
  }
}

/**
 * Reads and decodes one trace file of any supported format.
 *
 * **Details** Gzip files (`.gz`, or any file starting with the gzip magic bytes) are decompressed. The file name is
 * the `source` of errors and rejected-span positions.
 *
 * **Complexity** O(file size); the whole file is held in memory. For large JSON-lines files use
 * {@link readTraceFileBatches}.
 *
 * **Gotchas** Rejects with {@link IngestError} (`FILE_NOT_READABLE`, or any decode error).
 *
 * @example
 * ```ts
 * const { spans, rejected } = await readTraceFile('traces.json.gz');
 * ```
 */
export async function readTraceFile(path: string, options: ReadTraceFileOptions = {}): Promise<DecodeResult> {
  const bytes = await readFileBytes(path);
  return decodeTraces(bytes, options.format ? { source: path, format: options.format } : { source: path });
}
