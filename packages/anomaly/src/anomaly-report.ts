// The vocabulary of anomaly reports: kinds, severity levels, per-detector evidence, hypotheses and root-cause
// candidates. Plain JSON-ready objects (times as ISO-8601 strings), shared by detectAnomalies and the stream.

/** What changed. */
export type AnomalyKind =
  | 'latency_spike'
  | 'latency_drop'
  | 'error_rate_spike'
  | 'timeout_spike'
  | 'volume_spike'
  | 'volume_drop'
  | 'call_path_change';

/** All anomaly kinds, in report order. */
export const ANOMALY_KINDS: readonly AnomalyKind[] = [
  'latency_spike',
  'latency_drop',
  'error_rate_spike',
  'timeout_spike',
  'volume_spike',
  'volume_drop',
  'call_path_change',
];

/** Severity level from the 0–1 severity score: ≥ 0.8 critical, ≥ 0.6 high, ≥ 0.35 medium, else low. */
export type SeverityLevel = 'critical' | 'high' | 'medium' | 'low';

/** Which detector produced a piece of evidence. */
export type DetectorName = 'robust-seasonal' | 'changepoint' | 'isolation-forest' | 'poisson' | 'call-path';

/** What one detector saw for an anomaly. */
export interface DetectorEvidence {
  /** The detector. */
  readonly detector: DetectorName;
  /** Whether it flagged the anomaly (false: it was consulted and disagreed, or had too little data). */
  readonly fired: boolean;
  /** Its score: a robust z (robust-seasonal, poisson, changepoint), an anomaly score 0–1 (isolation-forest). */
  readonly score: number;
  /** One sentence a human can check. */
  readonly detail: string;
}

/** A possible cause of an anomaly. */
export interface Hypothesis {
  /** Machine-readable cause. */
  readonly cause:
    | 'own-slowness'
    | 'shared-resource'
    | 'propagated'
    | 'slow-dependency'
    | 'rate-limiting'
    | 'own-errors'
    | 'deploy-or-config-change'
    | 'traffic-change'
    | 'retry-storm'
    | 'downstream-timeout';
  /** One sentence. */
  readonly description: string;
  /** 0–1. */
  readonly confidence: number;
  /** The service the hypothesis points at (the suspected origin). */
  readonly service: string;
  /** Facts supporting it. */
  readonly evidence: readonly string[];
  /** Commands to verify it. */
  readonly verify: readonly string[];
}

/** How an anomaly unfolded. */
export interface PatternAnalysis {
  /** Whether it recurs at regular intervals in the analysed window. */
  readonly periodic: boolean;
  /** Sudden (level shift within one or two buckets) or gradual (ramp). */
  readonly onset: 'sudden' | 'gradual';
  /** Other services with an anomaly overlapping this one. */
  readonly correlatedServices: readonly string[];
  /**
   * `upstream` when callers of the service are anomalous too (the problem travels up from here),
   * `downstream` when its callees are anomalous and started no later (it came from below), `isolated` otherwise.
   */
  readonly propagation: 'upstream' | 'downstream' | 'isolated';
}

/** One detected anomaly. */
export interface Anomaly {
  /** Logical service. */
  readonly service: string;
  /** The most affected operation ('' when none stands out). */
  readonly operation: string;
  /** What changed. */
  readonly kind: AnomalyKind;
  /** Start of the first anomalous bucket, ISO-8601. */
  readonly start: string;
  /** End of the last anomalous bucket, ISO-8601. */
  readonly end: string;
  /** Severity level. */
  readonly severity: SeverityLevel;
  /** Severity score 0–1 (a ×5 latency spike scores above a ×1.5 one). */
  readonly score: number;
  /** Confidence 0–1 (agreement of the detectors, traffic behind the numbers). */
  readonly confidence: number;
  /** Requests affected (see kind: all requests in the window for latency/volume, excess failures for errors). */
  readonly affectedRequests: number;
  /** Operations of the service that show the same anomaly (endpoints for call-path changes). */
  readonly affectedOperations: readonly string[];
  /** Baseline value: ms (latency), share 0–1 (error/timeout rate, call-path presence), requests/bucket (volume). */
  readonly baseline: number;
  /** Observed value, same unit. */
  readonly observed: number;
  /** Relative change (observed / baseline − 1); for rates from 0 a large finite number. */
  readonly change: number;
  /** Unit of `baseline` and `observed`. */
  readonly unit: 'ms' | 'ratio' | 'requests/bucket';
  /** Call-path changes: the callee that appeared ('added') or disappeared ('removed'). */
  readonly callPath?: {
    readonly callee: string;
    readonly change: 'added' | 'removed';
    readonly endpoints: readonly string[];
  };
  /** What each detector saw. */
  readonly evidence: readonly DetectorEvidence[];
  /** Possible causes, most likely first. */
  readonly hypotheses: readonly Hypothesis[];
  /** How it unfolded. */
  readonly pattern: PatternAnalysis;
}

/** A service likely to be the origin of what was detected. */
export interface RootCauseCandidate {
  /** Logical service. */
  readonly service: string;
  /** Its most implicated operation ('' when unknown). */
  readonly operation: string;
  /** 0–1, higher first. */
  readonly score: number;
  /** Why. */
  readonly evidence: readonly string[];
}

/** Result of anomaly detection. */
export interface AnomalyReport {
  /** Analysed window, ISO-8601. */
  readonly from: string;
  /** End of the analysed window. */
  readonly to: string;
  /** Baseline window ('' when the target served as its own baseline). */
  readonly baselineFrom: string;
  /** End of the baseline window. */
  readonly baselineTo: string;
  /** Seasonality the baseline supported. */
  readonly seasonality: 'weekly' | 'daily' | 'none';
  /** Algorithm used. */
  readonly algorithm: 'stat' | 'ml' | 'auto';
  /** Bucket width, seconds. */
  readonly bucketSeconds: number;
  /** Anomalies, most severe first. */
  readonly anomalies: readonly Anomaly[];
  /** Likely origins, best first. */
  readonly rootCauseCandidates: readonly RootCauseCandidate[];
  /** Data problems and limits met. */
  readonly warnings: readonly string[];
}

/**
 * The level of a severity score.
 *
 * **Details** ≥ 0.8 critical, ≥ 0.6 high, ≥ 0.35 medium, else low. Scores grow with the size of the change (a
 * ×5 latency spike scores ≈ 0.94, a ×1.5 one ≈ 0.5) and a little with its statistical significance.
 *
 * **Complexity** O(1).
 *
 * **Gotchas** Levels are comparable across kinds only roughly: each kind maps its own change to 0–1.
 *
 * @example
 * ```ts
 * severityLevel(0.94); // 'critical'
 * ```
 */
export function severityLevel(score: number): SeverityLevel {
  return score >= 0.8 ? 'critical' : score >= 0.6 ? 'high' : score >= 0.35 ? 'medium' : 'low';
}
