// The list of commands, in the order `aiops --help` shows them. Each command's module (and the analyzers, viz,
// DuckDB bindings and parsers it pulls in) is loaded only when that command runs: `aiops trace` does not pay for
// parsing the anomaly detector or the HTML renderer. `test/commands.test.ts` checks that each entry's name and summary
// are the loaded command's own.
import type { Command } from '../command.ts';

/** A command as the dispatcher sees it before it is loaded: enough for `aiops --help` and for matching argv. */
export interface CommandEntry {
  /** The command's words, e.g. `stats traces`. */
  readonly name: string;
  /** The one-line summary `aiops --help` shows. */
  readonly summary: string;
  /** Loads the command's module. */
  load(): Promise<Command>;
}

/** Every command of the cli. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'import',
    summary: 'import trace files (OTLP JSON/protobuf, Jaeger JSON, Zipkin JSON) into the store',
    load: async () => (await import('./import.ts')).importCommand,
  },
  {
    name: 'serve',
    summary: 'receive OTLP (gRPC, HTTP) and Zipkin spans into the store and answer queries over HTTP',
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  {
    name: 'trace',
    summary: 'show one trace: span tree, slow and failed spans, bottleneck and suggestions',
    load: async () => (await import('./trace.ts')).traceCommand,
  },
  {
    name: 'search-traces',
    summary: 'find traces by service, operation, duration and status',
    load: async () => (await import('./search-traces.ts')).searchTracesCommand,
  },
  {
    name: 'visualize-trace',
    summary: 'write one trace as an interactive HTML page (waterfall, service graph, heat view)',
    load: async () => (await import('./visualize-trace.ts')).visualizeTraceCommand,
  },
  {
    name: 'analyze-slow-traces',
    summary: 'find slow traces and explain them: bottleneck services, shared traits, suggestions',
    load: async () => (await import('./analyze-slow-traces.ts')).analyzeSlowTracesCommand,
  },
  {
    name: 'analyze-errors',
    summary: 'where errors start and how they spread: error types, root-cause services, propagation paths',
    load: async () => (await import('./analyze-errors.ts')).analyzeErrorsCommand,
  },
  {
    name: 'stats traces',
    summary: 'request count, success rate, latency percentiles, time series, periodicity and trend',
    load: async () => (await import('./stats-traces.ts')).statsTracesCommand,
  },
  {
    name: 'analyze-dependencies',
    summary: 'service dependency graph: critical paths, single points of failure, busiest services',
    load: async () => (await import('./analyze-dependencies.ts')).analyzeDependenciesCommand,
  },
  {
    name: 'compare-traces',
    summary: 'compare a normal and an abnormal trace (or two windows of an endpoint): what differs and why',
    load: async () => (await import('./compare-traces.ts')).compareTracesCommand,
  },
  {
    name: 'detect-trace-anomaly',
    summary: 'is this normal? latency, error, timeout, volume and call-path anomalies against a baseline',
    load: async () => (await import('./detect-trace-anomaly.ts')).detectTraceAnomalyCommand,
  },
  {
    name: 'watch',
    summary: 'print anomalies as they happen, from the spans arriving in aiops serve (and post them to a webhook)',
    load: async () => (await import('./watch.ts')).watchCommand,
  },
  {
    name: 'sources test',
    summary: 'check that configured trace sources answer (kind, version, span count, time range)',
    load: async () => (await import('./sources-test.ts')).sourcesTestCommand,
  },
  {
    name: 'demo',
    summary: 'run the example shop under load, inject a slow DB query, and find it (about a minute)',
    load: async () => (await import('./demo.ts')).demoCommand,
  },
];
