// @aiops/store: Embedded DuckDB trace store and the TraceSource interface.
export {};
