import { describe, expect, it } from 'vitest';
import { autoInstrumentationSettings, metricsExporterConfigured } from './auto-instrumentation-settings.ts';

const RUNTIME = '@opentelemetry/instrumentation-runtime-node';

describe('autoInstrumentationSettings', () => {
  it('turns fs, dns, net and (with metrics off) the runtime-metrics instrumentation off', () => {
    expect(autoInstrumentationSettings({})).toEqual({
      '@opentelemetry/instrumentation-fs': { enabled: false },
      '@opentelemetry/instrumentation-dns': { enabled: false },
      '@opentelemetry/instrumentation-net': { enabled: false },
      [RUNTIME]: { enabled: false },
    });
    expect(autoInstrumentationSettings({ OTEL_METRICS_EXPORTER: 'none' })[RUNTIME]).toEqual({ enabled: false });
    expect(autoInstrumentationSettings({ OTEL_METRICS_EXPORTER: ' ' })[RUNTIME]).toEqual({ enabled: false });
  });

  it('leaves the runtime metrics to the defaults when a metrics exporter is configured', () => {
    const settings = autoInstrumentationSettings({ OTEL_METRICS_EXPORTER: 'otlp' });
    expect(settings[RUNTIME]).toBeUndefined();
    expect(
      autoInstrumentationSettings({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http, runtime-node' })[RUNTIME],
    ).toBeUndefined();
    expect(autoInstrumentationSettings({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,runtime' })[RUNTIME]).toEqual({
      enabled: false,
    });
    expect(Object.keys(settings).sort()).toEqual([
      '@opentelemetry/instrumentation-dns',
      '@opentelemetry/instrumentation-fs',
      '@opentelemetry/instrumentation-net',
    ]);
  });
});

describe('metricsExporterConfigured', () => {
  it('is true only for a named exporter', () => {
    expect(metricsExporterConfigured({})).toBe(false);
    expect(metricsExporterConfigured({ OTEL_METRICS_EXPORTER: 'none' })).toBe(false);
    expect(metricsExporterConfigured({ OTEL_METRICS_EXPORTER: 'otlp,prometheus' })).toBe(true);
  });
});
