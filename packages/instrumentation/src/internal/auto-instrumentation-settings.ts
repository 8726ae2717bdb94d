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
 * resolution) and observes every GC, for metrics that nobody reads when only traces leave the process. And the
 * OpenTelemetry `http` instrumentation off when our lean one replaces it ({@link leanHttpWanted}).
 */
export function autoInstrumentationSettings(env: NodeJS.ProcessEnv): Record<string, { readonly enabled: boolean }> {
  const settings: Record<string, { readonly enabled: boolean }> = { ...NOISY };
  if (!metricsExporterConfigured(env) && !namedInEnabledList(env, 'runtime-node')) {
    settings['@opentelemetry/instrumentation-runtime-node'] = { enabled: false };
  }
  // Our NodeHttpInstrumentation replaces it (see leanHttpWanted).
  if (leanHttpWanted(env)) settings['@opentelemetry/instrumentation-http'] = { enabled: false };
  return settings;
}

function listed(value: string | undefined, short: string): boolean {
  return (value ?? '').split(',').some((s) => s.trim() === short);
}

/**
 * True when `start()` should trace HTTP with our lean `NodeHttpInstrumentation` instead of
 * `@opentelemetry/instrumentation-http`: by default, unless `AIOPS_HTTP_INSTRUMENTATION=opentelemetry`, and never
 * when the environment turns HTTP tracing off (`OTEL_NODE_DISABLED_INSTRUMENTATIONS` names `http`, or
 * `OTEL_NODE_ENABLED_INSTRUMENTATIONS` is set without it).
 */
export function leanHttpWanted(env: NodeJS.ProcessEnv): boolean {
  if (env.AIOPS_HTTP_INSTRUMENTATION?.trim() === 'opentelemetry') return false;
  if (listed(env.OTEL_NODE_DISABLED_INSTRUMENTATIONS, 'http')) return false;
  const enabled = env.OTEL_NODE_ENABLED_INSTRUMENTATIONS?.trim();
  return !enabled || listed(enabled, 'http');
}
