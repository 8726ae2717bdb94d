// Wall time of the analysis commands on a store, split into loading (store query) and analysis, via --json timing.
// Usage: npx tsx --conditions=@aiops/source cli/speed.ts <store-dir> [command ...]
// (one process per command keeps the memory figure of each command its own).
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { main } from '../../packages/cli/src/cli.ts';

const store = process.argv[2];
if (!store) throw new Error('usage: speed.ts <store-dir> [command ...]');
const RUNS: Record<string, string[]> = {
  'analyze-slow-traces': ['analyze-slow-traces', '--percentile', '99'],
  'analyze-errors': ['analyze-errors'],
  'stats traces': ['stats', 'traces'],
  'stats traces --service cart-service': ['stats', 'traces', '--service', 'cart-service'],
  'analyze-dependencies': ['analyze-dependencies'],
  'detect-trace-anomaly': ['detect-trace-anomaly'],
};
const pick = process.argv.slice(3);
for (const [name, argv] of Object.entries(RUNS)) {
  if (pick.length && !pick.includes(name)) continue;
  const out = new PassThrough();
  let stdout = '';
  out.on('data', (d) => (stdout += d));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const code = await main([...argv, '--store', store, '--json'], {
    stdout: out,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const doc = JSON.parse(stdout);
  const rss = process.memoryUsage().rss / 2 ** 20;
  const timing = doc.timing
    ? `  load ${(doc.timing.loadMs / 1000).toFixed(2)} s  analysis ${(doc.timing.analysisMs / 1000).toFixed(2)} s`
    : '';
  console.log(
    `${name.padEnd(22)} exit ${code}  wall ${(wall / 1000).toFixed(2)} s${timing}  cpu ${cpuS.toFixed(2)} s  rss ${rss.toFixed(0)} MB  load avg ${os.loadavg()[0]!.toFixed(1)}`,
  );
  globalThis.gc?.();
}
