// Starts OpenTelemetry tracing for a Node process: auto-instrumentation of common libraries, propagation, sampling,
// resource attributes and an OTLP exporter pointed at `aiops serve`, plus flushing when the process ends.
import { register as registerLoader } from 'node:module';
import { workerData } from 'node:worker_threads';
import { diag, trace } from '@opentelemetry/api';
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import {
  type InstrumentationConfig,
  type InstrumentationOptions,
  resolveInstrumentationConfig,
} from './instrumentation-config.ts';
import {
  autoInstrumentationSettings,
  leanHttpWanted,
  metricsExporterConfigured,
} from './internal/auto-instrumentation-settings.ts';
import { BaggageSpanProcessor } from './internal/baggage-span-processor.ts';
import { otlpExporter } from './internal/otlp-exporter.ts';
import { EXPORT_WORKER_MARK } from './internal/worker-protocol.ts';
import { NodeHttpInstrumentation } from './node-http-instrumentation.ts';
import { propagatorFromNames } from './propagator-from-names.ts';
import { WorkerSpanExporter } from './worker-span-exporter.ts';

/** Options of {@link start}: the settings of {@link InstrumentationOptions} plus code-only hooks. */
export interface StartOptions extends InstrumentationOptions {
  /**
   * Replaces the auto-instrumentations (default: `getNodeAutoInstrumentations()` without fs, dns, net, runtime
   * metrics and OpenTelemetry's http, plus {@link NodeHttpInstrumentation}).
   */
  readonly instrumentations?: readonly (Instrumentation | Instrumentation[])[];
  /** Replaces the OTLP exporter (e.g. an in-memory exporter in tests). */
  readonly exporter?: SpanExporter;
  /** Extra span processors, run before the exporting one. */
  readonly spanProcessors?: readonly SpanProcessor[];
  /** Register the ESM loader hook so that `import`ed libraries are instrumented too. Default true. */
  readonly esmHook?: boolean;
  /** Environment to read `OTEL_*` from (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

let loaderReady: Promise<void> | undefined;

/** Waits until the ESM loader hook has acknowledged every module the instrumentations want to patch. */
export function esmHookReady(): Promise<void> {
  return loaderReady ?? Promise.resolve();
}

function registerEsmHook(): (() => Promise<void>) | undefined {
  if (loaderReady) return undefined;
  try {
    const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
    registerLoader('@opentelemetry/instrumentation/hook.mjs', import.meta.url, registerOptions as never);
    return waitForAllMessagesAcknowledged;
  } catch (err) {
    diag.warn('instrumentation: ESM loader hook not registered; imported modules will not be instrumented', err);
    return undefined;
  }
}

function exporterFor(cfg: InstrumentationConfig): SpanExporter {
  return cfg.exportThread === 'worker'
    ? new WorkerSpanExporter({ protocol: cfg.protocol, url: cfg.tracesUrl })
    : otlpExporter(cfg.protocol, cfg.tracesUrl);
}

function samplerFor(cfg: InstrumentationConfig): Sampler {
  const root = new TraceIdRatioBasedSampler(cfg.sampler.ratio);
  return cfg.sampler.kind === 'parentbased' ? new ParentBasedSampler({ root }) : root;
}

function installExitHooks(shutdown: () => Promise<void>): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
    void shutdown().finally(() => {
      // With our listener gone, re-raising gives the app's own handlers or Node's default (exit) the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      else process.emit(signal, signal);
    });
  };
  const onBeforeExit = (): void => {
    void shutdown();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.once('beforeExit', onBeforeExit);
  return () => {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('beforeExit', onBeforeExit);
  };
}

/**
 * Starts tracing for this process and returns the function that flushes and stops it.
 *
 * **Details** Wires `NodeSDK` with `getNodeAutoInstrumentations()` (undici/fetch, express, pg, redis, …; fs, dns
 * and net are off, runtime metrics too unless metrics are exported) and {@link NodeHttpInstrumentation} for
 * `node:http`/`https` (`AIOPS_HTTP_INSTRUMENTATION=opentelemetry` picks `@opentelemetry/instrumentation-http`), a parent-based ratio sampler, the propagators of {@link InstrumentationOptions.propagators}
 * (W3C tracecontext + baggage by default; b3, b3multi, jaeger on request), resource attributes (service.name,
 * service.version, deployment.environment.name, host.name, `OTEL_RESOURCE_ATTRIBUTES`) and a batching OTLP exporter
 * to `aiops serve` (`http://127.0.0.1:4318/v1/traces`, protobuf; in a worker thread with `AIOPS_EXPORT_THREAD=worker`). Standard `OTEL_*` variables override the options
 * (see {@link resolveInstrumentationConfig}). Metrics and logs are off unless `OTEL_METRICS_EXPORTER` /
 * `OTEL_LOGS_EXPORTER` ask for them. With `flushOnExit` (default), SIGTERM/SIGINT/beforeExit flush the queue first,
 * then the signal is handled as it would have been without us. `OTEL_SDK_DISABLED=true` makes this a no-op.
 *
 * **Complexity** One-time setup; per request the cost measured in benchmarks/overhead/RESULTS.md.
 *
 * **Gotchas** Libraries are patched when they are loaded, so call this before importing them — which is what
 * `node --import @aiops/instrumentation/register app.js` does. Calling `start` twice starts a second SDK; don't.
 *
 * @example
 * ```ts
 * import { start } from '@aiops/instrumentation';
 * const shutdown = start({ serviceName: 'cart-service', sampleRatio: 0.25, propagators: ['tracecontext', 'b3multi'] });
 * // ... later
 * await shutdown();
 * ```
 */
export function start(options: StartOptions = {}): () => Promise<void> {
  // Our export worker inherits the app's --import flags; tracing the exporter itself would loop.
  if ((workerData as Record<string, unknown> | null)?.[EXPORT_WORKER_MARK] === true) return () => Promise.resolve();
  const env = options.env ?? process.env;
  const cfg = resolveInstrumentationConfig(options, env);

  const waitForHook = options.esmHook === false ? undefined : registerEsmHook();
  const instrumentations = options.instrumentations
    ? [...options.instrumentations]
    : [
        getNodeAutoInstrumentations(autoInstrumentationSettings(env)),
        ...(leanHttpWanted(env) ? [new NodeHttpInstrumentation()] : []),
      ];

  const processors: SpanProcessor[] = [];
  if (cfg.baggageKeys.length > 0) processors.push(new BaggageSpanProcessor(cfg.baggageKeys));
  if (options.spanProcessors) processors.push(...options.spanProcessors);
  processors.push(new BatchSpanProcessor({ exporter: options.exporter ?? exporterFor(cfg) }));

  const sdk = new NodeSDK({
    instrumentations,
    resource: resourceFromAttributes(cfg.resourceAttributes),
    // Our resource already holds what the env/host detectors would add, with the precedence we document.
    autoDetectResources: false,
    sampler: samplerFor(cfg),
    textMapPropagator: propagatorFromNames(cfg.propagators),
    spanProcessors: processors,
    ...(metricsExporterConfigured(env) ? {} : { metricReaders: [] }),
    ...(env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
  });
  sdk.start();
  // NodeSDK registers the instrumentations before it sets the tracer provider, so each holds a ProxyTracer that
  // looks its delegate up on every span. Hand them the provider's own tracers now (public Instrumentation API).
  const provider = trace.getTracerProvider();
  for (const i of instrumentations.flat()) i.setTracerProvider(provider);
  // NodeSDK installed the OTEL_LOG_LEVEL logger in its constructor; report our config warnings through it.
  for (const w of cfg.warnings) diag.warn(`instrumentation: ${w}`);
  if (waitForHook) loaderReady = waitForHook();

  let stopping: Promise<void> | undefined;
  let removeExitHooks: (() => void) | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      removeExitHooks?.();
      try {
        await sdk.shutdown();
      } catch (err) {
        diag.error('instrumentation: shutdown failed', err);
      }
    })();
    return stopping;
  };
  if (cfg.flushOnExit) removeExitHooks = installExitHooks(shutdown);
  return shutdown;
}
