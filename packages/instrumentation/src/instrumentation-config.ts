// Resolves the settings of the instrumentation: explicit options, then the standard OTEL_* environment variables on
// top (they win, so that one binary can be pointed elsewhere without a code change), then the defaults.
import { hostname } from 'node:os';
import { basename, extname } from 'node:path';

/** Names of the trace-context propagators `start()` understands (the values of `OTEL_PROPAGATORS`). */
export type PropagatorName = 'tracecontext' | 'baggage' | 'b3' | 'b3multi' | 'jaeger';

/** Wire protocol of the OTLP trace exporter (the values of `OTEL_EXPORTER_OTLP_PROTOCOL`). */
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** Options of {@link start} and {@link resolveInstrumentationConfig}; every field is optional. */
export interface InstrumentationOptions {
  /** `service.name` (env `OTEL_SERVICE_NAME`; default: the main script's file name, else `unknown_service:node`). */
  readonly serviceName?: string;
  /** `service.version` (default: `npm_package_version`, else none). */
  readonly serviceVersion?: string;
  /** `deployment.environment.name` (default: `NODE_ENV`, else `development`). */
  readonly environment?: string;
  /**
   * OTLP endpoint: a base URL (`/v1/traces` is appended for HTTP) (env `OTEL_EXPORTER_OTLP_ENDPOINT`; a full
   * traces URL in `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`). Default `http://127.0.0.1:4318` (4317 for grpc).
   */
  readonly endpoint?: string;
  /** Exporter protocol (env `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`). */
  readonly protocol?: OtlpProtocol;
  /** Root sampling ratio in [0, 1], parent-based (env `OTEL_TRACES_SAMPLER` + `OTEL_TRACES_SAMPLER_ARG`). */
  readonly sampleRatio?: number;
  /** Propagators, in order (env `OTEL_PROPAGATORS`). Default `['tracecontext', 'baggage']`. */
  readonly propagators?: readonly (PropagatorName | 'none')[];
  /** Extra resource attributes (env `OTEL_RESOURCE_ATTRIBUTES` entries win over these). */
  readonly resourceAttributes?: Readonly<Record<string, string>>;
  /** Baggage keys copied onto every span as attributes (env `AIOPS_BAGGAGE_KEYS`, comma-separated, `*` = all). */
  readonly baggageKeys?: readonly string[];
  /** Install SIGTERM/SIGINT/beforeExit handlers that flush spans before the process ends. Default true. */
  readonly flushOnExit?: boolean;
  /**
   * Where OTLP serialization and export requests run: `main` (the application's thread, as plain OpenTelemetry
   * does) or `worker` (a worker thread, `WorkerSpanExporter`: less event-loop time, a little more CPU) (env
   * `AIOPS_EXPORT_THREAD`). Default `main`.
   */
  readonly exportThread?: ExportThread;
}

/** Where the OTLP exporter runs (the values of `AIOPS_EXPORT_THREAD`). */
export type ExportThread = 'worker' | 'main';

/** The sampler `start()` installs: parent-based unless the environment asks for a plain one. */
export interface SamplerConfig {
  /** `parentbased` follows the caller's sampled flag and samples new roots at `ratio`. */
  readonly kind: 'parentbased' | 'plain';
  /** Probability that a new root trace is sampled. */
  readonly ratio: number;
}

/** Fully resolved settings (what {@link start} wires). */
export interface InstrumentationConfig {
  readonly serviceName: string;
  readonly serviceVersion: string | undefined;
  readonly environment: string;
  /** Full URL of the traces endpoint (for grpc: the server URL). */
  readonly tracesUrl: string;
  readonly protocol: OtlpProtocol;
  readonly sampler: SamplerConfig;
  /** Propagators in order; empty means none. */
  readonly propagators: readonly PropagatorName[];
  /** Resource attributes, environment entries applied last. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** Baggage keys copied to span attributes; `['*']` means all. */
  readonly baggageKeys: readonly string[];
  readonly flushOnExit: boolean;
  /** Thread of the OTLP exporter. */
  readonly exportThread: ExportThread;
  /** Settings from the environment that could not be used, with the reason (for a diagnostic). */
  readonly warnings: readonly string[];
}

/** Defaults of {@link resolveInstrumentationConfig}. */
export const DEFAULTS: {
  readonly endpoint: string;
  readonly grpcEndpoint: string;
  readonly protocol: OtlpProtocol;
  readonly sampleRatio: number;
  readonly propagators: readonly PropagatorName[];
  readonly environment: string;
  readonly exportThread: ExportThread;
} = {
  endpoint: 'http://127.0.0.1:4318',
  grpcEndpoint: 'http://127.0.0.1:4317',
  protocol: 'http/protobuf',
  sampleRatio: 1,
  propagators: ['tracecontext', 'baggage'],
  environment: 'development',
  exportThread: 'main',
};

const PROTOCOLS: ReadonlySet<string> = new Set(['http/protobuf', 'http/json', 'grpc']);
const PROPAGATORS: ReadonlySet<string> = new Set(['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger']);

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

function list(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Parses `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`, values percent-encoded). */
function parseResourceAttributes(raw: string, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of list(raw)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      warnings.push(`OTEL_RESOURCE_ATTRIBUTES: ignored "${pair}" (expected key=value)`);
      continue;
    }
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      out[key] = value;
    }
  }
  return out;
}

function samplerFromEnv(env: NodeJS.ProcessEnv, fallback: SamplerConfig, warnings: string[]): SamplerConfig {
  const name = nonEmpty(env.OTEL_TRACES_SAMPLER);
  const argRaw = nonEmpty(env.OTEL_TRACES_SAMPLER_ARG);
  let ratio = fallback.ratio;
  if (argRaw !== undefined) {
    const n = Number(argRaw);
    if (Number.isFinite(n) && n >= 0 && n <= 1) ratio = n;
    else warnings.push(`OTEL_TRACES_SAMPLER_ARG=${argRaw} is not a ratio in [0, 1]; using ${ratio}`);
  }
  switch (name) {
    case undefined:
      return { kind: fallback.kind, ratio };
    case 'always_on':
      return { kind: 'plain', ratio: 1 };
    case 'always_off':
      return { kind: 'plain', ratio: 0 };
    case 'parentbased_always_on':
      return { kind: 'parentbased', ratio: 1 };
    case 'parentbased_always_off':
      return { kind: 'parentbased', ratio: 0 };
    case 'traceidratio':
      return { kind: 'plain', ratio };
    case 'parentbased_traceidratio':
      return { kind: 'parentbased', ratio };
    default:
      warnings.push(`OTEL_TRACES_SAMPLER=${name} is not supported; using parentbased_traceidratio`);
      return { kind: fallback.kind, ratio };
  }
}

function defaultServiceName(argv: readonly string[]): string {
  const main = argv[1];
  if (!main) return 'unknown_service:node';
  const file = basename(main);
  const stem = file.slice(0, file.length - extname(file).length);
  return stem === 'index' || stem === 'main' || stem === 'server' ? `unknown_service:node:${stem}` : stem;
}

function tracesUrlFrom(base: string, protocol: OtlpProtocol): string {
  if (protocol === 'grpc') return base;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Resolves the instrumentation settings from options and environment.
 *
 * **Details** Precedence per setting: standard `OTEL_*` environment variable, then the option, then {@link DEFAULTS}.
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is used as given; `OTEL_EXPORTER_OTLP_ENDPOINT` and `options.endpoint` are base
 * URLs that get `/v1/traces` appended (HTTP). Unknown propagator, protocol or sampler names are reported in
 * `warnings` and skipped. Resource attributes: `service.name`, `service.version`, `deployment.environment.name`
 * (and the older `deployment.environment`), `host.name`, then `options.resourceAttributes`, then
 * `OTEL_RESOURCE_ATTRIBUTES`.
 *
 * **Complexity** O(size of the environment values).
 *
 * **Gotchas** Pure: reads only `env` and `argv`, so tests can pass their own.
 *
 * @example
 * ```ts
 * const cfg = resolveInstrumentationConfig({ serviceName: 'cart' }, { OTEL_PROPAGATORS: 'b3multi' });
 * cfg.propagators; // ['b3multi']
 * ```
 */
export function resolveInstrumentationConfig(
  options: InstrumentationOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv,
): InstrumentationConfig {
  const warnings: string[] = [];

  const serviceName = nonEmpty(env.OTEL_SERVICE_NAME) ?? options.serviceName ?? defaultServiceName(argv);
  const serviceVersion = options.serviceVersion ?? nonEmpty(env.npm_package_version);
  const environment = options.environment ?? nonEmpty(env.NODE_ENV) ?? DEFAULTS.environment;

  let protocol: OtlpProtocol = options.protocol ?? DEFAULTS.protocol;
  const envProtocol = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL);
  if (envProtocol !== undefined) {
    if (PROTOCOLS.has(envProtocol)) protocol = envProtocol as OtlpProtocol;
    else warnings.push(`OTLP protocol "${envProtocol}" is not supported; using ${protocol}`);
  }

  const tracesEndpoint = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const baseEndpoint =
    nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT) ??
    options.endpoint ??
    (protocol === 'grpc' ? DEFAULTS.grpcEndpoint : DEFAULTS.endpoint);
  const tracesUrl = tracesEndpoint ?? tracesUrlFrom(baseEndpoint, protocol);

  if (options.sampleRatio !== undefined && !(options.sampleRatio >= 0 && options.sampleRatio <= 1)) {
    throw new RangeError(`instrumentation: sampleRatio must be in [0, 1], got ${options.sampleRatio}`);
  }
  const sampler = samplerFromEnv(
    env,
    { kind: 'parentbased', ratio: options.sampleRatio ?? DEFAULTS.sampleRatio },
    warnings,
  );

  const propagatorNames = nonEmpty(env.OTEL_PROPAGATORS)
    ? list(env.OTEL_PROPAGATORS as string)
    : [...(options.propagators ?? DEFAULTS.propagators)];
  const propagators: PropagatorName[] = [];
  if (!propagatorNames.includes('none')) {
    for (const name of propagatorNames) {
      if (!PROPAGATORS.has(name)) warnings.push(`propagator "${name}" is not supported; skipped`);
      else if (!propagators.includes(name as PropagatorName)) propagators.push(name as PropagatorName);
    }
  }

  const resourceAttributes: Record<string, string> = {
    'service.name': serviceName,
    'deployment.environment.name': environment,
    'deployment.environment': environment,
    'host.name': hostname(),
    ...(serviceVersion !== undefined ? { 'service.version': serviceVersion } : {}),
    ...options.resourceAttributes,
    ...(env.OTEL_RESOURCE_ATTRIBUTES ? parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES, warnings) : {}),
  };
  // OTEL_SERVICE_NAME wins over a service.name inside OTEL_RESOURCE_ATTRIBUTES (OpenTelemetry SDK spec).
  if (nonEmpty(env.OTEL_SERVICE_NAME)) resourceAttributes['service.name'] = serviceName;

  const baggageKeys = nonEmpty(env.AIOPS_BAGGAGE_KEYS)
    ? list(env.AIOPS_BAGGAGE_KEYS as string)
    : [...(options.baggageKeys ?? [])];

  let exportThread: ExportThread = options.exportThread ?? DEFAULTS.exportThread;
  const envThread = nonEmpty(env.AIOPS_EXPORT_THREAD);
  if (envThread === 'worker' || envThread === 'main') exportThread = envThread;
  else if (envThread !== undefined)
    warnings.push(`AIOPS_EXPORT_THREAD=${envThread} is not "worker" or "main"; using ${exportThread}`);

  return {
    serviceName: resourceAttributes['service.name'] as string,
    serviceVersion: resourceAttributes['service.version'],
    environment: resourceAttributes['deployment.environment.name'] ?? environment,
    tracesUrl,
    protocol,
    sampler,
    propagators,
    resourceAttributes,
    baggageKeys,
    flushOnExit: options.flushOnExit ?? true,
    exportThread,
    warnings,
  };
}
