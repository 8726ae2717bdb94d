// @aiops/dependency-graph: Service dependency graph, critical paths and single points of failure from traces.
export {};
