// The OTLP span exporter for a protocol and URL: OpenTelemetry's own exporters for JSON and gRPC, and for protobuf
// over HTTP OpenTelemetry's HTTP export stack with our one-pass encoder (OtlpProtoExporter).
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpProtocol } from '../instrumentation-config.ts';
import { OtlpProtoExporter } from './otlp-proto-exporter.ts';

/** The OTLP trace exporter for `protocol`, sending to `url` (other settings from OTEL_EXPORTER_OTLP_*). */
export function otlpExporter(protocol: OtlpProtocol, url: string): SpanExporter {
  switch (protocol) {
    case 'grpc':
      return new OtlpGrpcExporter({ url });
    case 'http/json':
      return new OtlpJsonExporter({ url });
    default:
      return new OtlpProtoExporter(url);
  }
}
