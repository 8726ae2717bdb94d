// Which of `getNodeAutoInstrumentations()`'s instrumentations start() turns off by default, and why.

/** Instrumentations that make one span per fs call, DNS lookup or socket: noise for latency analysis, and costly. */
const NOISY = {
  '@opentelemetry/instrumentation-fs': { enabled: false },
  '@opentelemetry/instrumentation-dns': { enabled: false },
  '@opentelemetry/instrumentation-net': { enabled: false },
} as const;

/** True when `OTEL_METRICS_EXPORTER` asks for metrics (set, and not `none`). */
export function metricsExporterConfigured(env: NodeJS.ProcessEnv): boolean {
  const v = env.OTEL_METRICS_EXPORTER?.trim();
  return v !== undefined && v !== '' && v !== 'none';
}

/** True when `OTEL_NODE_ENABLED_INSTRUMENTATIONS` names `short` (e.g. `runtime-node`). */
function namedInEnabledList(env: NodeJS.ProcessEnv, short: string): boolean {
  return (env.OTEL_NODE_ENABLED_INSTRUMENTATIONS ?? '').split(',').some((s) => s.trim() === short);
}

/**
 * The per-instrumentation settings passed to `getNodeAutoInstrumentations`: fs, dns and net off; and, unless a
 * metrics exporter is configured or `OTEL_NODE_ENABLED_INSTRUMENTATIONS` names it, the metrics-only runtime
 * instrumentation off as well — it wakes every process 100 times a second (event-loop delay histogram at 10 ms
 * resolution) and observes every GC, for metrics that nobody reads when only traces leave the process.
 */
export function autoInstrumentationSettings(env: NodeJS.ProcessEnv): Record<string, { readonly enabled: boolean }> {
  return metricsExporterConfigured(env) || namedInEnabledList(env, 'runtime-node')
    ? { ...NOISY }
    : { ...NOISY, '@opentelemetry/instrumentation-runtime-node': { enabled: false } };
}
