// @aiops/instrumentation: one-line OpenTelemetry auto-instrumentation for Node apps, exporting to aiops serve.
export { type DbSpanOptions, withDbSpan } from './db-span.ts';
export {
  DEFAULTS,
  type ExportThread,
  type InstrumentationConfig,
  type InstrumentationOptions,
  type OtlpProtocol,
  type PropagatorName,
  resolveInstrumentationConfig,
  type SamplerConfig,
} from './instrumentation-config.ts';
export {
  JaegerPropagator,
  spanContextFromUberTraceId,
  UBER_BAGGAGE_PREFIX,
  UBER_TRACE_ID_HEADER,
} from './jaeger-propagator.ts';
export { NodeHttpInstrumentation, type NodeHttpInstrumentationConfig } from './node-http-instrumentation.ts';
export { propagatorFromNames } from './propagator-from-names.ts';
export { esmHookReady, type StartOptions, start } from './start.ts';
export { WorkerSpanExporter, type WorkerSpanExporterOptions } from './worker-span-exporter.ts';
