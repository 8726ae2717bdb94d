import { openStore } from '@aiops/store';

const store = await openStore({ dir: process.argv[2]!, readOnly: true });
const all = await store.searchTraces({});
for (const n of [1000, 4000]) {
  const ids = all
    .filter((_, i) => i % Math.floor(all.length / n) === 0)
    .slice(0, n)
    .map((t) => t.traceId);
  for (const detail of ['full', 'analysis'] as const) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const t = await store.spans({ traceIds: ids, detail });
    const c = process.cpuUsage(c0);
    console.log(
      n,
      detail,
      t.numSpans,
      ((c.user + c.system) / 1e6).toFixed(2),
      'CPU-s',
      ((performance.now() - t0) / 1000).toFixed(2),
      's',
    );
  }
}
await store.close();
