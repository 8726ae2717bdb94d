// @aiops/critical-path: Critical path, exclusive time and bottlenecks of traces.
export {};
