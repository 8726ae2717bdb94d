// @aiops/anomaly: Anomaly detection over trace-derived time series.
export {};
