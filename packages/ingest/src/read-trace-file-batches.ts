// Streaming a large trace file in batches: JSON-lines OTLP files (the Collector's file exporter) are read line by line
// with bounded memory; other files are decoded whole and yielded as one batch.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { appendOtlpJsonLine } from './decode-otlp-json.ts';
import type { DecodeResult } from './decode-result.ts';
import { decodeTraces } from './decode-traces.ts';
import { IngestError, IngestErrorCode } from './ingest-error.ts';
import { DecodeContext } from './internal/decode-context.ts';
import { readFileBytes } from './read-trace-file.ts';
import { detectTraceFormat, type TraceFormat } from './trace-format.ts';

/** Options of {@link readTraceFileBatches}. */
export interface ReadTraceFileBatchesOptions {
  /** Skip detection and decode as this format. */
  readonly format?: TraceFormat;
  /** Spans per batch (JSON-lines files); a batch ends at a line boundary once it holds this many. Default 100,000. */
  readonly batchSpans?: number;
  /** Called as the file is read: bytes of the file read so far and its size (both of the file on disk). */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

const DEFAULTS = { batchSpans: 100_000 } as const;

async function* fileChunks(path: string, onRaw: (n: number) => void): AsyncGenerator<Buffer> {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  raw.on('data', (c) => onRaw(c.length));
  if (path.endsWith('.gz')) {
    const gunzip = createGunzip();
    raw.on('error', (e) => gunzip.destroy(e));
    raw.pipe(gunzip);
    for await (const c of gunzip) yield c as Buffer;
  } else for await (const c of raw) yield c as Buffer;
}

/**
 * Reads a trace file in batches of spans, reporting progress: for importing files larger than memory.
 *
 * **Details**
 * - OTLP JSON-lines files (one `ExportTraceServiceRequest` per line, `.gz` or not) are streamed: each yielded
 *   {@link DecodeResult} holds about `batchSpans` spans with its own `rejected` and `warnings`. An unreadable line
 *   (e.g. the truncated last line of a file still being written) is counted as rejected (`invalid JSON line`).
 * - Any other file (one JSON document, protobuf) is decoded whole and yielded as one batch.
 * - `onProgress(bytesRead, totalBytes)` counts bytes of the file on disk, so a progress bar works for `.gz` too.
 *
 * **Complexity** O(file size) time; memory O(batch) for JSON lines.
 *
 * **Gotchas** Errors are {@link IngestError}s; `NO_VALID_SPANS` is thrown at the end only when the whole file had no
 * valid span. Span tables of different batches have their own dictionaries (`concatSpanTables` merges them).
 *
 * @example
 * ```ts
 * for await (const batch of readTraceFileBatches('spans.jsonl.gz', { onProgress: (r, t) => bar.update(r / t) })) {
 *   await store.append(batch.spans);
 * }
 * ```
 */
export async function* readTraceFileBatches(
  path: string,
  options: ReadTraceFileBatchesOptions = {},
): AsyncGenerator<DecodeResult, void, undefined> {
  let total: number;
  try {
    total = (await stat(path)).size;
  } catch (e) {
    throw new IngestError({
      code: IngestErrorCode.FileNotReadable,
      file: path,
      position: '',
      detail: `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    });
  }
  const batchSpans = Math.max(1, options.batchSpans ?? DEFAULTS.batchSpans);
  let read = 0;
  const progress = (n: number): void => {
    read += n;
    options.onProgress?.(read, total);
  };
  const whole = async function* (): AsyncGenerator<DecodeResult> {
    const bytes = await readFileBytes(path);
    options.onProgress?.(total, total);
    yield decodeTraces(bytes, options.format ? { source: path, format: options.format } : { source: path });
  };
  if (options.format !== undefined && options.format !== 'otlp-json') {
    yield* whole();
    return;
  }
  const decoder = new TextDecoder();
  let pending = '';
  let lineNo = 0;
  let ctx = new DecodeContext(path);
  let accepted = 0;
  let rejected = 0;
  let sawContent = false;
  let streaming = false;
  for await (const chunk of fileChunks(path, progress)) {
    pending += decoder.decode(chunk, { stream: true });
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      lineNo++;
      nl = pending.indexOf('\n');
      if (line.trim() === '') continue;
      if (!streaming) {
        // Decide on the first non-empty line: a complete OTLP request on one line means JSON lines.
        sawContent = true;
        if (!isOtlpLine(line)) {
          yield* whole();
          return;
        }
        streaming = true;
      }
      appendOtlpJsonLine(line, lineNo, ctx);
      if (ctx.builder.length >= batchSpans) {
        accepted += ctx.builder.length;
        rejected += ctx.rejectedTotal;
        yield ctx.result('otlp-json', true);
        ctx = new DecodeContext(path);
      }
    }
    if (!streaming && pending.length > 64 * 1024 * 1024) break; // one huge line: not JSON lines, decode whole
  }
  pending += decoder.decode();
  if (!streaming) {
    if (pending.trim() === '' && !sawContent)
      throw new IngestError({
        code: IngestErrorCode.EmptyInput,
        file: path,
        position: '',
        detail: 'the input is empty',
      });
    yield* whole();
    return;
  }
  if (pending.trim() !== '') appendOtlpJsonLine(pending, lineNo + 1, ctx);
  accepted += ctx.builder.length;
  rejected += ctx.rejectedTotal;
  if (accepted === 0 && rejected > 0) {
    ctx.result('otlp-json'); // throws NO_VALID_SPANS with this batch's reasons
    return;
  }
  if (ctx.builder.length > 0 || ctx.rejectedTotal > 0) yield ctx.result('otlp-json', true);
}

function isOtlpLine(line: string): boolean {
  if (detectTraceFormat(line) !== 'otlp-json') return false;
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}
