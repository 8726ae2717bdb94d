// @aiops/instrumentation: One-line OpenTelemetry auto-instrumentation for Node apps, exporting to aiops serve.
export {};
