// decodeTraces: one entry point for any supported input, with format detection (or a forced format).
import { gunzipSync } from 'node:zlib';
import { decodeJaegerJson } from './decode-jaeger-json.ts';
import { decodeOtlpJson } from './decode-otlp-json.ts';
import { decodeOtlpProtobuf } from './decode-otlp-protobuf.ts';
import type { DecodeResult } from './decode-result.ts';
import { decodeZipkinJson } from './decode-zipkin-json.ts';
import { IngestError, IngestErrorCode } from './ingest-error.ts';
import { detectTraceFormat, type TraceFormat } from './trace-format.ts';

/** Options of {@link decodeTraces}. */
export interface DecodeTracesOptions {
  /** Skip detection and decode as this format (the CLI's `--format`). */
  readonly format?: TraceFormat;
  /** File name (or any label) used in errors and rejected-span positions. Default `'<input>'`. */
  readonly source?: string;
}

const DEFAULTS = { source: '<input>' } as const;

/** True when `bytes` start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function describeStart(input: Uint8Array | string): string {
  if (typeof input === 'string') return JSON.stringify(input.trimStart().slice(0, 24));
  const head = Buffer.from(input.subarray(0, 12));
  const printable = head.every((c) => c >= 32 && c < 127);
  return printable
    ? JSON.stringify(head.toString('latin1'))
    : `bytes ${head.toString('hex').replace(/(..)/g, '$1 ').trim()}`;
}

/**
 * Decodes trace data in any supported format into a span table.
 *
 * **Details**
 * - The format is detected with {@link detectTraceFormat} unless `options.format` forces it.
 * - Gzip input (magic bytes 1f 8b) is decompressed first.
 * - Strings are treated as JSON; bytes may be JSON (UTF-8) or OTLP protobuf.
 *
 * **Complexity** O(input).
 *
 * **Gotchas** Throws {@link IngestError}: `EMPTY_INPUT`, `UNKNOWN_FORMAT` (with what the input starts with), or the
 * decoder's own error naming the position. Individual bad spans are not errors: see `result.rejected`.
 *
 * @example
 * ```ts
 * const r = decodeTraces(fs.readFileSync('trace.json'), { source: 'trace.json' });
 * console.log(r.format, r.spans.numSpans, r.rejected, r.warnings);
 * ```
 */
export function decodeTraces(input: Uint8Array | string, options: DecodeTracesOptions = {}): DecodeResult {
  const source = options.source ?? DEFAULTS.source;
  let data = input;
  if (typeof data !== 'string' && isGzip(data)) {
    try {
      data = gunzipSync(data);
    } catch (e) {
      throw new IngestError({
        code: IngestErrorCode.InvalidGzip,
        file: source,
        position: '',
        detail: `broken gzip data: ${(e as Error).message}`,
      });
    }
  }
  const empty =
    typeof data === 'string' ? data.trim() === '' : data.every((c) => c === 32 || c === 9 || c === 10 || c === 13);
  if (empty)
    throw new IngestError({
      code: IngestErrorCode.EmptyInput,
      file: source,
      position: '',
      detail: 'the input is empty',
    });
  const format = options.format ?? detectTraceFormat(data);
  switch (format) {
    case 'otlp-proto':
      if (typeof data === 'string')
        throw new TypeError('ingest: OTLP protobuf must be given as bytes (Uint8Array), not a string');
      return decodeOtlpProtobuf(data, { source });
    case 'otlp-json':
      return decodeOtlpJson(data, { source });
    case 'jaeger':
      return decodeJaegerJson(data, { source });
    case 'zipkin':
      return decodeZipkinJson(data, { source });
    default:
      throw new IngestError({
        code: IngestErrorCode.UnknownFormat,
        file: source,
        position: 'byte 0',
        detail: `not a trace format aiops reads (input starts with ${describeStart(data)}): expected OTLP JSON ({"resourceSpans":[...]}), OTLP protobuf, Jaeger JSON ({"data":[{"traceID":...}]}) or Zipkin v2 JSON ([{"traceId":...}]); use --format to force one`,
      });
  }
}
