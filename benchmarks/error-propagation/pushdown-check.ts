// analyze-errors / analyze-slow-traces --threshold on a store: the selection pushdown (failed traces + a baseline
// sample; possibly slow traces + a fast sample) against every trace of the window (--all-traces). Prints both
// documents' figures, whether they agree, and CPU/wall/RSS of each run (in process: add ≈ 0.5 s for process start).
// Usage: npx tsx --conditions=@aiops/source error-propagation/pushdown-check.ts <store-dir> <command> [--no-compare] [cli args...]
//   <command>: analyze-errors | analyze-slow-traces (give --threshold <dur> with the latter)
// --no-compare runs the pushdown only (the whole-window run of the 18M store needs 7 GB and ~100 CPU-s).
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { main } from '../../packages/cli/src/cli.ts';

const [dir, command, ...rest] = process.argv.slice(2);
if (command !== 'analyze-errors' && command !== 'analyze-slow-traces') {
  throw new Error('usage: pushdown-check.ts <store-dir> analyze-errors|analyze-slow-traces [--no-compare] [args...]');
}
const compare = !rest.includes('--no-compare');
const extra = rest.filter((a) => a !== '--no-compare');

async function run(args: string[]) {
  const out = new PassThrough();
  let stdout = '';
  out.on('data', (d) => (stdout += d));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const code = await main([command, '--store', dir!, '--json', ...extra, ...args], {
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
  command === 'analyze-errors'
    ? `  ${a.traces} traces, ${a.failedTraces} failed, rate ${a.errorRate}, types ${JSON.stringify(a.byType)}, top causes ${JSON.stringify(a.rootCauses.slice(0, 3).map((r: { service: string; traces: number }) => [r.service, r.traces]))}`
    : `  ${a.traces} traces, ${a.slowCount} slow, durations ${JSON.stringify(a.durations)}, bottlenecks ${JSON.stringify(a.bottlenecks.slice(0, 3).map((b: { service: string; traces: number }) => [b.service, b.traces]))}, traits ${JSON.stringify(a.traits.slice(0, 3).map((t: { key: string; value: string; slowSupport: number; fastSupport: number }) => [t.key, t.value, t.slowSupport, t.fastSupport]))}`,
);
if (!compare) process.exit(0);
const b = await run(['--all-traces']);
const sa = strip(a);
const sb = strip(b);
const same = JSON.stringify(sa) === JSON.stringify(sb);
console.log('identical documents (without timing, selection):', same);
if (command === 'analyze-slow-traces') {
  // The exact part: the slow traces (ids, durations, bottlenecks), their count and the window's trace count.
  const key = (d: Record<string, unknown>) =>
    JSON.stringify([d.traces, d.slowCount, d.slowTraces, d.bottlenecks, d.rule]);
  console.log('slow traces, counts and bottlenecks identical:', key(sa) === key(sb));
}
for (const k of Object.keys(sa)) {
  if (JSON.stringify(sa[k]) !== JSON.stringify(sb[k])) {
    console.log(`  differs: ${k}`);
    console.log(`    pushdown: ${JSON.stringify(sa[k]).slice(0, 600)}`);
    console.log(`    all:      ${JSON.stringify(sb[k]).slice(0, 600)}`);
  }
}
