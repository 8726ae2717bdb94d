// ClickHouse (chdb, in-process) vs the embedded DuckDB store on the same generated spans: load time, bytes on disk,
// trace by id, search, and the operations / service-edges aggregations.
// Run: cd /work/main/benchmarks && npx tsx --conditions=@aiops/source sources/clickhouse-vs-embedded.ts [spans]
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { traceIdAt } from '@aiops/span-model';
import { chdbExecutor, openClickHouseStore, openStore } from '@aiops/store';
import { generateScenario } from '../scenarios/index.ts';

const require = createRequire(join(import.meta.dirname, '../../packages/store/package.json'));
const { Session } = require('chdb') as { Session: new (dir: string) => never };

const target = Number(process.argv[2] ?? 1_000_000);
const chunk = 250_000;
const du = (dir: string): number => Number(execSync(`du -sb ${dir}`).toString().split('\t')[0]);
const time = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await f();
  return [r, performance.now() - t];
};
const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const chDir = mkdtempSync(join(tmpdir(), 'bench-ch-'));
const duckDir = mkdtempSync(join(tmpdir(), 'bench-duck-'));
const ch = await openClickHouseStore(chdbExecutor(new Session(chDir)), {
  database: 'otel',
  createSchema: true,
  dedupe: false,
  batchSpans: 100_000,
});
const duck = await openStore({ dir: duckDir });
let loaded = 0;
let chLoadMs = 0;
let duckLoadMs = 0;
const ids: string[] = [];
for (let seed = 1; loaded < target; seed++) {
  const { table } = generateScenario({ seed, spans: Math.min(chunk, target - loaded) });
  for (let i = 0; i < table.numSpans; i += Math.max(1, Math.floor(table.numSpans / 20))) ids.push(traceIdAt(table, i));
  chLoadMs += (await time(() => ch.append(table)))[1];
  duckLoadMs += (await time(() => duck.append(table)))[1];
  loaded += table.numSpans;
}
await duck.checkpoint();
const results: Record<string, [number, number]> = {};
const bench = async (name: string, fc: () => Promise<unknown>, fd: () => Promise<unknown>, runs = 5) => {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push((await time(fc))[1]);
    b.push((await time(fd))[1]);
  }
  results[name] = [median(a), median(b)];
};
await bench(
  'trace by id',
  () => ch.getTrace(ids[7]!),
  () => duck.getTrace(ids[7]!),
  9,
);
const b = (await ch.bounds())!;
const q = { service: (await ch.services())[1]!, minDurationNano: 1_000_000n, limit: 20 };
await bench(
  'search (service, min duration, 20 newest)',
  () => ch.searchTraces(q),
  () => duck.searchTraces(q),
);
await bench(
  'operations (all, with counts)',
  () => ch.operations(),
  () => duck.operations(),
);
const lastHour = { fromUnixNano: b.toUnixNano - 3_600_000_000_000n };
await bench(
  'last-hour spans → operation stats (CH: SQL; embedded: spans() + JS)',
  () => ch.operationStats(lastHour),
  async () => {
    const t = await duck.spans(lastHour);
    const op = t.dict('operation').codes;
    const counts = new Map<number, number>();
    for (let i = 0; i < t.numSpans; i++) counts.set(op[i]!, (counts.get(op[i]!) ?? 0) + 1);
    return counts;
  },
  3,
);
await bench(
  'service edges, all spans (CH: SQL join)',
  () => ch.serviceEdges(),
  async () => undefined,
  3,
);
await ch.close();
await duck.close();
console.log(
  JSON.stringify(
    {
      spans: loaded,
      bounds: { traces: b.traceCount },
      chLoadMs,
      duckLoadMs,
      chBytes: du(chDir),
      duckBytes: du(duckDir),
      results,
    },
    null,
    2,
  ),
);
rmSync(chDir, { recursive: true, force: true });
rmSync(duckDir, { recursive: true, force: true });
