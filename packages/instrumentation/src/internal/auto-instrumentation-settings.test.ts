import { describe, expect, it } from 'vitest';
import {
  autoInstrumentationSettings,
  leanHttpWanted,
  metricsExporterConfigured,
} from './auto-instrumentation-settings.ts';

const RUNTIME = '@opentelemetry/instrumentation-runtime-node';
const HTTP = '@opentelemetry/instrumentation-http';

describe('autoInstrumentationSettings', () => {
  it('turns fs, dns, net, OpenTelemetry http (ours replaces it) and, with metrics off, runtime metrics off', () => {
    expect(autoInstrumentationSettings({})).toEqual({
      '@opentelemetry/instrumentation-fs': { enabled: false },
      '@opentelemetry/instrumentation-dns': { enabled: false },
      '@opentelemetry/instrumentation-net': { enabled: false },
      [HTTP]: { enabled: false },
      [RUNTIME]: { enabled: false },
    });
    expect(autoInstrumentationSettings({ OTEL_METRICS_EXPORTER: 'none' })[RUNTIME]).toEqual({ enabled: false });
    expect(autoInstrumentationSettings({ OTEL_METRICS_EXPORTER: ' ' })[RUNTIME]).toEqual({ enabled: false });
  });

  it('leaves runtime metrics and the OpenTelemetry http instrumentation on when asked for', () => {
    const settings = autoInstrumentationSettings({
      OTEL_METRICS_EXPORTER: 'otlp',
      AIOPS_HTTP_INSTRUMENTATION: 'opentelemetry',
    });
    expect(Object.keys(settings).sort()).toEqual([
      '@opentelemetry/instrumentation-dns',
      '@opentelemetry/instrumentation-fs',
      '@opentelemetry/instrumentation-net',
    ]);
    expect(
      autoInstrumentationSettings({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http, runtime-node' })[RUNTIME],
    ).toBeUndefined();
    expect(autoInstrumentationSettings({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,runtime' })[RUNTIME]).toEqual({
      enabled: false,
    });
  });
});

describe('leanHttpWanted', () => {
  it('is the default, and off when the environment turns HTTP tracing off or picks the OpenTelemetry one', () => {
    expect(leanHttpWanted({})).toBe(true);
    expect(leanHttpWanted({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg, http' })).toBe(true);
    expect(leanHttpWanted({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg,undici' })).toBe(false);
    expect(leanHttpWanted({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http' })).toBe(false);
    expect(leanHttpWanted({ AIOPS_HTTP_INSTRUMENTATION: 'opentelemetry' })).toBe(false);
    expect(leanHttpWanted({ AIOPS_HTTP_INSTRUMENTATION: 'aiops' })).toBe(true);
  });
});

describe('metricsExporterConfigured', () => {
  it('is true only for a named exporter', () => {
    expect(metricsExporterConfigured({})).toBe(false);
    expect(metricsExporterConfigured({ OTEL_METRICS_EXPORTER: 'none' })).toBe(false);
    expect(metricsExporterConfigured({ OTEL_METRICS_EXPORTER: 'otlp,prometheus' })).toBe(true);
  });
});
