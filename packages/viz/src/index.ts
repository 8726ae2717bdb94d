// @aiops/viz: Self-contained interactive HTML and terminal renderings of traces.
export {};
