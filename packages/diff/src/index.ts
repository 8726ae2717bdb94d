// @aiops/diff: Structural and timing comparison of traces and groups of traces.
export {
  type AttributeShift,
  type CompareTraceGroupsOptions,
  compareTraceGroups,
  type GroupHypothesis,
  type OperationShift,
  type TraceGroupComparison,
  type TraceGroupSummary,
} from './compare-trace-groups.ts';
export {
  type AlignedSpan,
  type AttributeChange,
  type AttributionMode,
  type ChangedSpan,
  type DiffNoise,
  type DiffTraceSummary,
  type DiffTracesOptions,
  diffTraces,
  type Finding,
  type FindingKind,
  type FindingSignal,
  type Hypothesis,
  type OneSidedSpan,
  type StatusChange,
  type TraceDiff,
} from './diff-traces.ts';
