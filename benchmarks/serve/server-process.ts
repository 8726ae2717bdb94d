// The server side of the serve benchmark: `aiops serve` (startServer) on a temp store, ephemeral ports printed as one
// JSON line; on SIGTERM it flushes, closes and prints its CPU time and peak RSS as a second JSON line.
import { startServer } from '../../packages/cli/src/serve/server.ts';

const store = process.argv[2]!;
const maxQueue = Number(process.argv[3] ?? 200_000);
const server = await startServer({
  store,
  otlpGrpcPort: 0,
  otlpHttpPort: 0,
  zipkinPort: null,
  queryPort: 0,
  queue: {
    maxQueuedSpans: maxQueue,
    ...(process.env.SERVE_FLUSH_MS ? { flushIntervalMs: Number(process.env.SERVE_FLUSH_MS) } : {}),
  },
  storeThread: process.env.SERVE_STORE_THREAD !== '0',
  ...(process.env.SERVE_STORE_THREADS ? { storeThreads: Number(process.env.SERVE_STORE_THREADS) } : {}),
});
process.stdout.write(`${JSON.stringify({ ports: server.ports })}\n`);
// CPU spent starting (module loading, DuckDB open) is left out of the per-span figure: ~1.3 CPU-s, a quarter of a
// 10 s phase on a loaded machine.
const startUsage = process.resourceUsage();
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 100);
process.once('SIGTERM', async () => {
  clearInterval(sampler);
  const timings = server.stats.stages.summary(); // before close: the shutdown flush is not a request
  await server.close();
  const u = process.resourceUsage();
  process.stdout.write(
    `${JSON.stringify({
      cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6,
      cpuSecondsAfterStart: (u.userCPUTime + u.systemCPUTime - startUsage.userCPUTime - startUsage.systemCPUTime) / 1e6,
      maxRssMiB: u.maxRSS / 1024,
      sampledPeakRssMiB: peakRss / 1048576,
      spansAccepted: server.stats.spansAccepted,
      throttled: server.stats.requestsThrottled,
      batches: server.queue.batches,
      spansWritten: server.queue.spansWritten,
      timingsMs: timings,
    })}\n`,
  );
  process.exit(0);
});
