// @aiops/diff: Structural and timing comparison of traces and groups of traces.
export {
  type AlignedSpan,
  type AttributeChange,
  type ChangedSpan,
  type DiffTraceSummary,
  type DiffTracesOptions,
  diffTraces,
  type Hypothesis,
  type OneSidedSpan,
  type StatusChange,
  type TraceDiff,
} from './diff-traces.ts';
export type { AttributionMode } from './internal/attribution.ts';
