// @aiops/ingest: Decoders for OTLP (JSON, protobuf), Jaeger and Zipkin traces into the aiops span model.
export { decodeJaegerJson } from './decode-jaeger-json.ts';
export { type DecodeOptions, decodeOtlpJson } from './decode-otlp-json.ts';
export { decodeOtlpProtobuf } from './decode-otlp-protobuf.ts';
export {
  type DecodeResult,
  type RejectedSpanExample,
  type RejectedSpans,
  rejectedCount,
} from './decode-result.ts';
export { type DecodeTracesOptions, decodeTraces } from './decode-traces.ts';
export { decodeZipkinJson } from './decode-zipkin-json.ts';
export { type ExpandTracePathsOptions, expandTracePaths, TRACE_FILE_EXTENSIONS } from './expand-trace-paths.ts';
export { IngestError, IngestErrorCode, type IngestErrorInit, isIngestError } from './ingest-error.ts';
export { type ReadTraceFileOptions, readTraceFile } from './read-trace-file.ts';
export { type ReadTraceFileBatchesOptions, readTraceFileBatches } from './read-trace-file-batches.ts';
export type { DependencyLink } from './sources/dependency-link.ts';
export { JaegerSource, type JaegerSourceOptions, jaegerSource } from './sources/jaeger-source.ts';
export { isSourceError, SourceError, type SourceErrorCode } from './sources/source-error.ts';
export { TempoSource, type TempoSourceOptions, tempoSource, traceQlFromQuery } from './sources/tempo-source.ts';
export { ZipkinSource, type ZipkinSourceOptions, zipkinSource } from './sources/zipkin-source.ts';
export { detectTraceFormat, isTraceFormat, TRACE_FORMATS, type TraceFormat } from './trace-format.ts';
