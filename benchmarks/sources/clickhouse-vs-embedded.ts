// ClickHouse (chdb, in-process) vs the embedded DuckDB store on the same generated spans: load rate, bytes on disk,
// trace by id (p50/p99), search, spans() of a time window, and the operation-stats / service-edges aggregations.
// Run: cd /work/main/benchmarks && npx tsx --conditions=@aiops/source sources/clickhouse-vs-embedded.ts [spans]
//        [--ch-only] [--no-dedupe] [--trace-projection]
// Chunks of 250k spans (seeds 1..) follow each other in time, 10 minutes apiece, as a stream of traffic would.
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { traceIdAt } from '@aiops/span-model';
import { chdbExecutor, openClickHouseStore, openStore } from '@aiops/store';
import { generateScenario, SCENARIO_DEFAULTS } from '../scenarios/index.ts';

const require = createRequire(join(import.meta.dirname, '../../packages/store/package.json'));
const { Session } = require('chdb') as { Session: new (dir: string) => never };

const target = Number(process.argv[2] ?? 1_000_000);
const chOnly = process.argv.includes('--ch-only');
const chunk = 250_000;
const chunkSeconds = 600;
const du = (dir: string): number => Number(execSync(`du -sb ${dir}`).toString().split('\t')[0]);
const time = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await f();
  return [r, performance.now() - t];
};
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const round = (x: number): number => Math.round(x * 10) / 10;
const log = (...a: unknown[]): void => console.error(new Date().toISOString().slice(11, 19), ...a);

const chDir = mkdtempSync(join(tmpdir(), 'bench-ch-'));
const duckDir = mkdtempSync(join(tmpdir(), 'bench-duck-'));
const ch = await openClickHouseStore(chdbExecutor(new Session(chDir)), {
  database: 'otel',
  createSchema: true,
  dedupe: !process.argv.includes('--no-dedupe'),
  traceIdProjection: process.argv.includes('--trace-projection'),
  batchSpans: 125_000,
});
const duck = chOnly ? undefined : await openStore({ dir: duckDir });
let loaded = 0;
let chLoadMs = 0;
let duckLoadMs = 0;
const ids: string[] = [];
// The generator lands near, not on, its span target: the last chunk takes the remainder (no 10-minute slivers with a
// few spans at the end, which would make the "last 10 min" queries measure nothing), and a remainder below 1% of a
// chunk is dropped.
for (let seed = 1; target - loaded > chunk / 100; seed++) {
  const { table } = generateScenario({
    seed,
    spans: target - loaded < chunk * 1.5 ? target - loaded : chunk,
    durationSeconds: chunkSeconds,
    startUnixNano: SCENARIO_DEFAULTS.startUnixNano + BigInt(seed - 1) * BigInt(chunkSeconds) * 1_000_000_000n,
  });
  for (let i = 0; i < table.numSpans; i += Math.max(1, Math.floor(table.numSpans / 20))) ids.push(traceIdAt(table, i));
  chLoadMs += (await time(() => ch.append(table)))[1];
  if (duck) duckLoadMs += (await time(() => duck.append(table)))[1];
  loaded += table.numSpans;
  log(
    `loaded ${loaded}: CH ${Math.round((loaded / chLoadMs) * 1000)} spans/s, embedded ${Math.round((loaded / duckLoadMs) * 1000)} spans/s`,
  );
}
if (duck) await duck.checkpoint();

const results: Record<string, { ch: unknown; embedded: unknown }> = {};
const bench = async (name: string, fc: () => Promise<unknown>, fd: (() => Promise<unknown>) | undefined, runs = 5) => {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push((await time(fc))[1]);
    if (fd && duck) b.push((await time(fd))[1]);
  }
  results[name] = { ch: round(quantile(a, 0.5)), embedded: b.length ? round(quantile(b, 0.5)) : '—' };
  log(name, results[name]);
};

// Trace by id: every sampled id once per store, interleaved; p50 and p99.
{
  const a: number[] = [];
  const b: number[] = [];
  let mismatches = 0;
  for (const id of ids.slice(0, 400)) {
    const [tc, ms] = await time(() => ch.getTrace(id));
    a.push(ms);
    if (duck) {
      const [td, md] = await time(() => duck.getTrace(id));
      b.push(md);
      if (tc?.numSpans !== td?.numSpans) mismatches++;
    }
  }
  results['trace by id p50 (ms)'] = { ch: round(quantile(a, 0.5)), embedded: b.length ? round(quantile(b, 0.5)) : '—' };
  results['trace by id p99 (ms)'] = {
    ch: round(quantile(a, 0.99)),
    embedded: b.length ? round(quantile(b, 0.99)) : '—',
  };
  results['trace by id: lookups, span-count mismatches'] = { ch: a.length, embedded: mismatches };
  log('trace by id', results['trace by id p50 (ms)'], results['trace by id p99 (ms)']);
}
const bounds = (await ch.bounds())!;
const service = (await ch.services())[1]!;
const q = { service, minDurationNano: 1_000_000n, limit: 20 };
await bench(
  'search (service, min duration, 20 newest)',
  () => ch.searchTraces(q),
  duck && (() => duck.searchTraces(q)),
);
const recent = { fromUnixNano: bounds.toUnixNano - BigInt(chunkSeconds) * 1_000_000_000n };
await bench(
  'search (last 10 min, failed, 20 newest)',
  () => ch.searchTraces({ ...recent, failed: true, limit: 20 }),
  duck && (() => duck.searchTraces({ ...recent, failed: true, limit: 20 })),
);
await bench('operations (all, with counts)', () => ch.operations(), duck && (() => duck.operations()));
await bench('spans() of the last 10 min', () => ch.spans(recent), duck && (() => duck.spans(recent)), 3);
await bench(
  'last-10-min operation stats (CH: SQL quantiles; embedded: spans() + JS count)',
  () => ch.operationStats(recent),
  duck &&
    (async () => {
      const t = await duck.spans(recent);
      const op = t.dict('operation').codes;
      const counts = new Map<number, number>();
      for (let i = 0; i < t.numSpans; i++) counts.set(op[i]!, (counts.get(op[i]!) ?? 0) + 1);
      return counts;
    }),
  3,
);
await bench('operation stats, all spans (CH SQL)', () => ch.operationStats(), undefined, 3);
await bench('service edges, last 10 min (CH SQL join)', () => ch.serviceEdges(recent), undefined, 3);
await bench('service edges, all spans (CH SQL join)', () => ch.serviceEdges(), undefined, 3);
await ch.close();
if (duck) await duck.close();
console.log(
  JSON.stringify(
    {
      spans: loaded,
      traces: bounds.traceCount,
      chLoadSpansPerS: Math.round((loaded / chLoadMs) * 1000),
      duckLoadSpansPerS: duck ? Math.round((loaded / duckLoadMs) * 1000) : undefined,
      chLoadS: round(chLoadMs / 1000),
      duckLoadS: round(duckLoadMs / 1000),
      chBytes: du(chDir),
      duckBytes: duck ? du(duckDir) : undefined,
      results,
    },
    null,
    2,
  ),
);
rmSync(chDir, { recursive: true, force: true });
rmSync(duckDir, { recursive: true, force: true });
