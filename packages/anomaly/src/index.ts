// @aiops/anomaly: anomaly detection over trace-derived time series — latency, errors, timeouts, volume and call
// paths per service, with severity, hypotheses, root-cause candidates and a streaming mode.
export {
  ANOMALY_KINDS,
  type Anomaly,
  type AnomalyKind,
  type AnomalyReport,
  type DetectorEvidence,
  type DetectorName,
  type Hypothesis,
  type PatternAnalysis,
  type RootCauseCandidate,
  type SeverityLevel,
  severityLevel,
} from './anomaly-report.ts';
export { type AnomalyStream, type AnomalyStreamOptions, createAnomalyStream } from './anomaly-stream.ts';
export { ANOMALY_COLUMNS } from './columns.ts';
export { type DetectAnomaliesOptions, detectAnomalies } from './detect-anomalies.ts';
export {
  type CallPathSeries,
  type MetricSeries,
  type SeriesLevel,
  TRACE_FEATURE_NAMES,
  type TraceFeatureSample,
  type TraceSeries,
  type TraceSeriesOptions,
  traceSeries,
  type VersionSpan,
} from './trace-series.ts';
