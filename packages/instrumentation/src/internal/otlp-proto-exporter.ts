// OTLP/HTTP protobuf span exporter: OpenTelemetry's HTTP export stack (transport, retries, timeouts, the
// OTEL_EXPORTER_OTLP_* settings, response handling), as `@opentelemetry/exporter-trace-otlp-proto` builds it, with our
// one-pass encoder in place of ProtobufTraceSerializer's two passes — the same bytes, about half the CPU per span
// (benchmarks/overhead/encode.ts). Used on the application thread and inside the export worker.
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { encodeTraceExportRequest } from './otlp-proto-encoder.ts';

/** What `@opentelemetry/exporter-trace-otlp-proto` names its exporter in the SDK's self-metrics. */
const COMPONENT_TYPE = 'otlp_http_span_exporter';

/** OTLP/HTTP protobuf, as `@opentelemetry/exporter-trace-otlp-proto`'s exporter but encoding in one pass. */
export class OtlpProtoExporter extends OTLPExporterBase<ReadableSpan[]> implements SpanExporter {
  constructor(url: string) {
    super(
      createOtlpHttpExportDelegate(
        convertLegacyHttpOptions({ url }, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
        {
          serializeRequest: encodeTraceExportRequest,
          deserializeResponse: ProtobufTraceSerializer.deserializeResponse,
        },
        COMPONENT_TYPE,
        TraceExporterMetricsHelper,
        undefined,
      ),
    );
  }
}
