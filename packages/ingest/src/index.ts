// @aiops/ingest: Decoders for OTLP (JSON, protobuf), Jaeger and Zipkin traces into the aiops span model.
export {};
