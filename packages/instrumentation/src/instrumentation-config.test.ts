import { describe, expect, it } from 'vitest';
import { resolveInstrumentationConfig } from './instrumentation-config.ts';

const argv = ['/usr/bin/node', '/srv/app/cart-service.js'];

describe('resolveInstrumentationConfig', () => {
  it('defaults to aiops serve over OTLP/HTTP protobuf, parent-based full sampling, W3C propagation', () => {
    const cfg = resolveInstrumentationConfig({}, {}, argv);
    expect(cfg.serviceName).toBe('cart-service');
    expect(cfg.tracesUrl).toBe('http://127.0.0.1:4318/v1/traces');
    expect(cfg.protocol).toBe('http/protobuf');
    expect(cfg.sampler).toEqual({ kind: 'parentbased', ratio: 1 });
    expect(cfg.propagators).toEqual(['tracecontext', 'baggage']);
    expect(cfg.environment).toBe('development');
    expect(cfg.resourceAttributes['deployment.environment.name']).toBe('development');
    expect(typeof cfg.resourceAttributes['host.name']).toBe('string');
    expect(cfg.warnings).toEqual([]);
  });

  it('uses the options when the environment is silent', () => {
    const cfg = resolveInstrumentationConfig(
      {
        serviceName: 'orders',
        serviceVersion: '2.1.0',
        environment: 'staging',
        endpoint: 'http://collector:4318/',
        sampleRatio: 0.25,
        propagators: ['b3multi', 'jaeger'],
      },
      {},
      argv,
    );
    expect(cfg.serviceName).toBe('orders');
    expect(cfg.resourceAttributes['service.version']).toBe('2.1.0');
    expect(cfg.resourceAttributes['deployment.environment']).toBe('staging');
    expect(cfg.tracesUrl).toBe('http://collector:4318/v1/traces');
    expect(cfg.sampler).toEqual({ kind: 'parentbased', ratio: 0.25 });
    expect(cfg.propagators).toEqual(['b3multi', 'jaeger']);
  });

  it('lets the standard OTEL_* variables override the options', () => {
    const cfg = resolveInstrumentationConfig(
      { serviceName: 'orders', endpoint: 'http://a:4318', sampleRatio: 1, propagators: ['tracecontext'] },
      {
        OTEL_SERVICE_NAME: 'orders-eu',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://b:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.1',
        OTEL_PROPAGATORS: 'b3, baggage',
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=ignored,team=payments,deployment.environment.name=prod,note=a%20b',
      },
      argv,
    );
    expect(cfg.serviceName).toBe('orders-eu');
    expect(cfg.tracesUrl).toBe('http://b:4318/v1/traces');
    expect(cfg.protocol).toBe('http/json');
    expect(cfg.sampler).toEqual({ kind: 'plain', ratio: 0.1 });
    expect(cfg.propagators).toEqual(['b3', 'baggage']);
    expect(cfg.resourceAttributes.team).toBe('payments');
    expect(cfg.resourceAttributes.note).toBe('a b');
    expect(cfg.resourceAttributes['service.name']).toBe('orders-eu');
    expect(cfg.environment).toBe('prod');
  });

  it('takes a signal-specific traces endpoint as given and uses port 4317 for grpc', () => {
    expect(
      resolveInstrumentationConfig({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:9999/custom' }, argv).tracesUrl,
    ).toBe('http://c:9999/custom');
    const grpc = resolveInstrumentationConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, argv);
    expect(grpc.tracesUrl).toBe('http://127.0.0.1:4317');
  });

  it('reports unusable settings as warnings and keeps going', () => {
    const cfg = resolveInstrumentationConfig(
      {},
      {
        OTEL_PROPAGATORS: 'tracecontext,xray',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '7',
        OTEL_RESOURCE_ATTRIBUTES: 'novalue',
      },
      argv,
    );
    expect(cfg.propagators).toEqual(['tracecontext']);
    expect(cfg.protocol).toBe('http/protobuf');
    expect(cfg.sampler).toEqual({ kind: 'parentbased', ratio: 1 });
    expect(cfg.warnings).toHaveLength(4);
  });

  it('turns propagation off with OTEL_PROPAGATORS=none', () => {
    expect(resolveInstrumentationConfig({}, { OTEL_PROPAGATORS: 'none' }, argv).propagators).toEqual([]);
  });

  it('rejects a sampling ratio outside [0, 1] given in code', () => {
    expect(() => resolveInstrumentationConfig({ sampleRatio: 2 }, {}, argv)).toThrow(RangeError);
  });

  it('names an index.js service after nothing in particular rather than "index"', () => {
    expect(resolveInstrumentationConfig({}, {}, ['/node', '/srv/index.js']).serviceName).toBe(
      'unknown_service:node:index',
    );
  });

  it('keeps the exporter on the application thread unless told otherwise; AIOPS_EXPORT_THREAD wins', () => {
    expect(resolveInstrumentationConfig({}, {}, argv).exportThread).toBe('main');
    expect(resolveInstrumentationConfig({ exportThread: 'worker' }, {}, argv).exportThread).toBe('worker');
    expect(
      resolveInstrumentationConfig({ exportThread: 'worker' }, { AIOPS_EXPORT_THREAD: 'main' }, argv).exportThread,
    ).toBe('main');
    const odd = resolveInstrumentationConfig({}, { AIOPS_EXPORT_THREAD: 'gpu' }, argv);
    expect(odd.exportThread).toBe('main');
    expect(odd.warnings).toEqual(['AIOPS_EXPORT_THREAD=gpu is not "worker" or "main"; using main']);
  });
});
