// Trace formats aiops reads, and their detection from the first bytes of an input.

/** The formats aiops decodes. */
export const TRACE_FORMATS = ['otlp-proto', 'otlp-json', 'jaeger', 'zipkin'] as const;
/**
 * A trace format: `otlp-proto` (ExportTraceServiceRequest protobuf), `otlp-json` (its JSON mapping, one document or
 * JSON lines), `jaeger` (Jaeger UI / query API JSON), `zipkin` (Zipkin v2 JSON).
 */
export type TraceFormat = (typeof TRACE_FORMATS)[number];

/**
 * True when `value` names a {@link TraceFormat} (for validating a `--format` flag).
 *
 * @example
 * ```ts
 * isTraceFormat('zipkin'); // true
 * ```
 */
export function isTraceFormat(value: string): value is TraceFormat {
  return (TRACE_FORMATS as readonly string[]).includes(value);
}

const SNIFF_CHARS = 64 * 1024;

function firstNonSpace(input: Uint8Array | string): number {
  const n = Math.min(input.length, SNIFF_CHARS);
  for (let i = 0; i < n; i++) {
    const c = typeof input === 'string' ? input.charCodeAt(i) : input[i]!;
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 0xfeff && c !== 0xef && c !== 0xbb && c !== 0xbf) return i;
  }
  return -1;
}

function looksLikeProtobuf(bytes: Uint8Array): boolean {
  // ExportTraceServiceRequest: field 1 (resource_spans), wire type 2 → tag byte 0x0a, then a varint length.
  return bytes.length >= 2 && bytes[0] === 0x0a;
}

/**
 * Detects the trace format of an input from its first 64 KiB.
 *
 * **Details**
 * - Bytes that do not start (after whitespace) with `{` or `[` are OTLP protobuf when they start like an
 *   `ExportTraceServiceRequest` (tag 0x0a); anything else is `undefined`.
 * - JSON: `resourceSpans` (or `resource_spans`) → `otlp-json`; `traceID` (capital D, Jaeger's spelling) → `jaeger`;
 *   an array of objects with `traceId` → `zipkin`.
 *
 * **Complexity** O(min(input, 64 KiB)).
 *
 * **Gotchas** Detection only looks at the start: a file that starts like a format but is broken later is reported
 * by the decoder, with its position. Gzip input must be decompressed first (`readTraceFile` does it).
 *
 * @example
 * ```ts
 * detectTraceFormat('{"resourceSpans":[]}'); // 'otlp-json'
 * detectTraceFormat('[{"traceId":"a","id":"b"}]'); // 'zipkin'
 * ```
 */
export function detectTraceFormat(input: Uint8Array | string): TraceFormat | undefined {
  const i = firstNonSpace(input);
  if (i < 0) return undefined;
  const first = typeof input === 'string' ? input.charCodeAt(i) : input[i]!;
  if (first !== 0x7b && first !== 0x5b) {
    return typeof input !== 'string' && looksLikeProtobuf(input) ? 'otlp-proto' : undefined;
  }
  const head =
    typeof input === 'string'
      ? input.slice(i, i + SNIFF_CHARS)
      : new TextDecoder().decode(input.subarray(i, i + SNIFF_CHARS));
  if (/"resource_?[sS]pans"\s*:/.test(head)) return 'otlp-json';
  if (/"traceID"\s*:/.test(head)) return 'jaeger';
  if (first === 0x5b && /"traceId"\s*:/.test(head)) return 'zipkin';
  if (first === 0x5b && /^\[\s*\]\s*$/.test(head)) return 'zipkin';
  return undefined;
}
