// analyze-errors on a store: the selection pushdown (failed traces + a baseline sample) against every trace of the
// window (--all-traces). Prints both documents' figures, whether they agree, and CPU/wall/RSS of each run.
// Usage: npx tsx --conditions=@aiops/source error-propagation/pushdown-check.ts <store-dir> [--no-compare] [cli args...]
// --no-compare runs the pushdown only (the whole-window run of the 18M store needs 7 GB and ~100 CPU-s).
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { main } from '../../packages/cli/src/cli.ts';

const [dir, ...rest] = process.argv.slice(2);
const compare = !rest.includes('--no-compare');
const extra = rest.filter((a) => a !== '--no-compare');
if (!dir) throw new Error('usage: pushdown-check.ts <store-dir> [args...]');

async function run(args: string[]) {
  const out = new PassThrough();
  let stdout = '';
  out.on('data', (d) => (stdout += d));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const code = await main(['analyze-errors', '--store', dir!, '--json', ...extra, ...args], {
    stdout: out,
    stderr: new PassThrough(),
    env: { LANG: 'en_US.UTF-8' },
    cwd: process.cwd(),
  });
  const c = process.cpuUsage(c0);
  const doc = JSON.parse(stdout);
  console.log(
    `${(args.join(' ') || 'pushdown').padEnd(14)} exit ${code} cpu ${((c.user + c.system) / 1e6).toFixed(2)} s wall ${((performance.now() - t0) / 1000).toFixed(2)} s rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  console.log('  selection', JSON.stringify(doc.selection), 'timing', JSON.stringify(doc.timing));
  return doc;
}
const strip = (d: Record<string, unknown>) => {
  const { timing, selection, ...rest } = d;
  return rest;
};
const a = await run([]);
console.log(
  `  ${a.traces} traces, ${a.failedTraces} failed, rate ${a.errorRate}, types ${JSON.stringify(a.byType)}, top causes ${JSON.stringify(a.rootCauses.slice(0, 3).map((r: { service: string; traces: number }) => [r.service, r.traces]))}`,
);
if (!compare) process.exit(0);
const b = await run(['--all-traces']);
const sa = strip(a);
const sb = strip(b);
const same = JSON.stringify(sa) === JSON.stringify(sb);
console.log('identical documents (without timing, selection):', same);
for (const k of Object.keys(sa)) {
  if (JSON.stringify(sa[k]) !== JSON.stringify(sb[k])) {
    console.log(`  differs: ${k}`);
    console.log(`    pushdown: ${JSON.stringify(sa[k]).slice(0, 600)}`);
    console.log(`    all:      ${JSON.stringify(sb[k]).slice(0, 600)}`);
  }
}
