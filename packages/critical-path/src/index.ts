// @aiops/critical-path: critical path, exclusive time and bottlenecks of traces, and why slow traces are slow.

export {
  type AggregatedCriticalPath,
  type AggregatedPathRow,
  type AggregateOptions,
  aggregateCriticalPath,
  type PathPresence,
} from './aggregate-critical-path.ts';
export {
  analyzeSlowTraces,
  type DurationStats,
  type SlowBottleneck,
  type SlowEndpoint,
  type SlowTrace,
  type SlowTraceAnalysis,
  type SlowTraceOptions,
  type SlowTraceSuggestion,
  type SlowTrait,
  type TraitBaseline,
} from './analyze-slow-traces.ts';
export {
  type CriticalPathHead,
  type CriticalPathOptions,
  type CriticalPathResult,
  type CriticalPathService,
  type CriticalPathSpan,
  type CriticalPathWarning,
  criticalPath,
} from './critical-path.ts';
export { type CriticalPaths, type CriticalPathsOptions, criticalPaths, HeadKind } from './critical-paths.ts';
export {
  type TopDownCriticalPath,
  type TopDownNode,
  type TopDownOptions,
  type TopDownStats,
  topDownCriticalPath,
} from './top-down-critical-path.ts';
export {
  type BottleneckSpan,
  type TraceBottleneck,
  type TraceBottleneckOptions,
  traceBottleneck,
} from './trace-bottleneck.ts';
