// One trace lookup in a fresh process through the built package (dist): process start, openStore (read-only),
// getTrace, close. Run it several times to see the end-to-end cost the cli pays before its own work.
// Usage: pnpm --filter @aiops/store build && node store/cold-lookup.mjs <store dir> <trace id>
import { openStore } from '@aiops/store';

const t0 = performance.now();
const store = await openStore({ dir: process.argv[2], readOnly: true });
const t1 = performance.now();
const trace = await store.getTrace(process.argv[3]);
const t2 = performance.now();
await store.close();
console.log(
  JSON.stringify({
    spans: trace?.numSpans ?? 0,
    openMs: +(t1 - t0).toFixed(1),
    getTraceMs: +(t2 - t1).toFixed(1),
    sinceProcessStartMs: Math.round(performance.now()),
  }),
);
