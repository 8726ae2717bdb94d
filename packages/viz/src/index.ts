// @aiops/viz: Self-contained interactive HTML and terminal renderings of traces.
export {
  type ComparisonInput,
  type DiffChangeInput,
  type DiffHypothesisInput,
  type DiffSpanRefInput,
  renderComparisonHtml,
  type TraceDiffInput,
} from './render-comparison-html.ts';
export {
  type DependencyCriticalPathInput,
  type DependencyEdgeInput,
  type DependencyGraphInput,
  type DependencyHtmlOptions,
  type DependencyServiceInput,
  renderDependencyHtml,
  type SinglePointOfFailureInput,
} from './render-dependency-html.ts';
export {
  renderTraceHtml,
  type TraceAnalysisInput,
  type TraceBottleneckInput,
  type TraceHtmlOptions,
} from './render-trace-html.ts';
export { renderWaterfallText, type WaterfallTextOptions } from './render-waterfall-text.ts';
