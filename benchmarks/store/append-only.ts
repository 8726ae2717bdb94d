// Append throughput alone: generates the batches first, then appends them to a fresh store (for `node --cpu-prof`).
// Usage: npx tsx --conditions=@aiops/source store/append-only.ts [--spans 1000000] [--batch 100000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpanTable } from '@aiops/span-model';
import { openStore } from '@aiops/store';
import { webShopSpans } from './web-shop-spans.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const total = arg('spans', 1_000_000);
const batch = arg('batch', 100_000);
const tables: SpanTable[] = [];
let start = 1_700_000_000_000_000_000n;
for (let seed = 1, n = 0; n < total; seed++) {
  const t = webShopSpans({ spans: Math.min(batch, total - n), seed, startUnixNano: start });
  start = t.columns.startUnixNano[t.numSpans - 1]! + 1_000_000n;
  n += t.numSpans;
  tables.push(t);
}
const dir = mkdtempSync(join(tmpdir(), 'aiops-append-'));
const store = await openStore({ dir });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let spans = 0;
for (const t of tables) spans += (await store.append(t)).inserted;
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    spans,
    appendSpansPerSecond: Math.round(spans / (wall / 1000)),
    appendSpansPerCpuSecond: Math.round(spans / ((cpu.user + cpu.system) / 1e6)),
  }),
);
