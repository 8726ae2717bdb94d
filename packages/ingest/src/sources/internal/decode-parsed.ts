// Decodes an API response that is already parsed JSON, with the same appenders the text decoders use, so sources
// do not serialise a document back to text only to parse it again.
import type { SpanTable } from '@aiops/span-model';
import { appendJaegerDocument } from '../../decode-jaeger-json.ts';
import { appendOtlpJsonDocument } from '../../decode-otlp-json.ts';
import { appendZipkinDocument } from '../../decode-zipkin-json.ts';
import { DecodeContext } from '../../internal/decode-context.ts';
import type { TraceFormat } from '../../trace-format.ts';

/** The spans of a parsed Jaeger, OTLP JSON or Zipkin document; throws IngestError like the text decoders. */
export function spansFromParsed(doc: unknown, format: Exclude<TraceFormat, 'otlp-proto'>, source: string): SpanTable {
  const ctx = new DecodeContext(source);
  if (format === 'jaeger') appendJaegerDocument(doc, ctx);
  else if (format === 'zipkin') appendZipkinDocument(doc, ctx);
  else appendOtlpJsonDocument(doc, ctx);
  return ctx.result(format).spans;
}
