// Where the CPU of each analysis command goes on a store: loading the spans (store.spans, whole traces) versus the
// analysis the command runs on them (the same analyzer calls as the command), each step timed with process.cpuUsage
// (all threads, DuckDB's included) and wall clock. The spans are loaded once and shared by the analyses.
// Usage: npx tsx --conditions=@aiops/source cli/where-time.ts <store-dir> [minutes]
// With `minutes`, only the traces that start in the first that many minutes of the data (a slice of a store too large
// to hold in memory whole; the per-span cost is what matters).
import os from 'node:os';
import { detectAnomalies } from '@aiops/anomaly';
import { analyzeSlowTraces, criticalPaths } from '@aiops/critical-path';
import { dependencyGraph } from '@aiops/dependency-graph';
import { errorPropagation, failedSpans } from '@aiops/error-propagation';
import { buildTraceTree } from '@aiops/span-model';
import { openStore } from '@aiops/store';

const dir = process.argv[2];
if (!dir) throw new Error('usage: where-time.ts <store-dir>');

async function step<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fn();
  const c = process.cpuUsage(c0);
  console.log(
    `${name.padEnd(44)} cpu ${((c.user + c.system) / 1e6).toFixed(2).padStart(6)} s  wall ${((performance.now() - t0) / 1000).toFixed(2).padStart(6)} s`,
  );
  return r;
}

const minutes = process.argv[3] ? Number(process.argv[3]) : undefined;
const store = await openStore({ dir, readOnly: true });
const bounds = await store.bounds();
if (!bounds) throw new Error(`no spans in ${dir}`);
const window =
  minutes === undefined
    ? {}
    : { fromUnixNano: bounds.fromUnixNano, toUnixNano: bounds.fromUnixNano + BigInt(minutes * 60) * 1_000_000_000n };
const table = await step('load: store.spans (whole traces)', () => store.spans(window));
await step('load: store.requestSpans (roots only)', () => store.requestSpans(window));
await store.close();
console.log(`${table.numSpans} spans; load average ${os.loadavg()[0]!.toFixed(1)}`);
// Each command builds its own tree; so does each step here (the tree is cached per table inside span-model only
// for some indices, so the first step pays for the shared ones).
const tree = await step('trace tree (buildTraceTree)', () => buildTraceTree(table));
await step('analyze-dependencies: critical paths + graph', () =>
  dependencyGraph(table, { tree, criticalPaths: criticalPaths(tree) }),
);
await step('analyze-errors: failedSpans + errorPropagation', () =>
  errorPropagation(table, { tree, failed: failedSpans(table) }),
);
await step('analyze-slow-traces: analyzeSlowTraces p99', () => analyzeSlowTraces(table, { tree, percentile: 99 }));
await step('detect-trace-anomaly: detectAnomalies (no baseline)', () => detectAnomalies(table, { algorithm: 'auto' }));
