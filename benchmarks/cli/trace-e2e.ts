// `aiops trace <id> --json` end to end, process start included (issue #2: ≤ 250 ms on the 10M-span store).
//
//   cd benchmarks && npx tsx --conditions=@aiops/source cli/trace-e2e.ts [store dir] [runs]
//
// Runs the built cli (packages/cli/bin/aiops.js; `pnpm build` first) once per random trace id of the store, one
// process at a time, and reports wall-clock percentiles plus the user+system CPU time of each child process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { openStore } from '@aiops/store';

const here = path.dirname(new URL(import.meta.url).pathname);
const bin = path.resolve(here, '../../packages/cli/bin/aiops.js');
const storeDir = path.resolve(process.argv[2] ?? path.join(here, '../data/store-10000000'));
const runs = Number(process.argv[3] ?? 30);
if (!existsSync(storeDir)) throw new Error(`no store at ${storeDir}: build it with store/build-store.ts first`);

const store = await openStore({ dir: storeDir, readOnly: true });
const found = await store.searchTraces({ limit: 5000 });
await store.close();
const ids = found.map((t) => t.traceId);
const pick = (i: number) => ids[(i * 7919) % ids.length] as string;

const wall: number[] = [];
const cpu: number[] = [];
const load = loadavg()[0];
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%U %S', process.execPath, bin, 'trace', pick(i), '--store', storeDir, '--json'],
    {
      encoding: 'utf8',
    },
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`aiops trace exited ${r.status}: ${r.stderr}`);
  JSON.parse(r.stdout);
  const [u, s] = r.stderr.trim().split('\n').at(-1)?.split(' ').map(Number) ?? [0, 0];
  wall.push(ms);
  cpu.push(((u ?? 0) + (s ?? 0)) * 1000);
}
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
};
console.log(
  JSON.stringify(
    {
      store: storeDir,
      runs,
      loadAverageAtStart: Number(load?.toFixed(2)),
      wallMs: { p50: q(wall, 0.5), p90: q(wall, 0.9), max: Math.max(...wall), min: Math.min(...wall) },
      cpuMs: { p50: q(cpu, 0.5), p90: q(cpu, 0.9) },
    },
    (_k, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v),
    2,
  ),
);
