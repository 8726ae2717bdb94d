// @aiops/diff: Structural and timing comparison of traces and groups of traces.
export {};
