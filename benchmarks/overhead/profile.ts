// Where the CPU of the example shop goes, with and without @aiops/instrumentation: every service runs under
// `node --cpu-prof`, exports to a null OTLP receiver in this process, takes open-loop load, and the samples taken
// during the measured window (CLOCK_MONOTONIC, shared by V8's profiler and process.hrtime) are summed per package
// and per function.
//
//   cd benchmarks && npx tsx --conditions=@aiops/source overhead/profile.ts [--rate 100] [--seconds 20]
//        [--no-instrument] [--env KEY=VALUE ...] [--top 40] [--keep DIR] [--from dist|source]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from '../../examples/shop/src/load-generator.ts';
import { startShop } from '../../examples/shop/src/run-shop.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    'warmup-seconds': { type: 'string', default: '8' },
    'no-instrument': { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    'node-flag': { type: 'string', multiple: true, default: [] },
    top: { type: 'string', default: '40' },
    keep: { type: 'string' },
    /** `dist` (built JS, as users run it; `pnpm build` first) or `source` (TypeScript through tsx). */
    from: { type: 'string', default: 'dist' },
  },
});
const extraEnv: Record<string, string> = Object.fromEntries(
  (values.env as string[]).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The package (or node: internal area) a script URL belongs to. */
function areaOf(url: string): string {
  if (!url) return '(native/gc/idle)';
  if (url.startsWith('node:'))
    return url
      .replace(/^node:(internal\/)?/, 'node:')
      .split('/')
      .slice(0, 2)
      .join('/');
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const m = /\/(packages|examples)\/([^/]+)\//.exec(url);
  return m ? `${m[1]}/${m[2]}` : url;
}

const noop = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end();
  });
});
await new Promise<void>((r) => noop.listen(0, '127.0.0.1', r));
const otlp = `http://127.0.0.1:${(noop.address() as AddressInfo).port}`;

const dir = values.keep ?? mkdtempSync(path.join(tmpdir(), 'aiops-prof-'));
const shop = await startShop({
  instrument: !values['no-instrument'],
  otlpEndpoint: otlp,
  nodeFlags: [
    ...(values.from === 'source' ? ['--conditions=@aiops/source'] : []),
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    ...(values['node-flag'] as string[]),
  ],
  env: extraEnv,
});
const rate = Number(values.rate);
const target = shop.urls['frontend-gateway'] as string;
await runLoad({ target, ratePerSecond: rate, durationMs: Number(values['warmup-seconds']) * 1000, seed: 7 });
const t0 = Number(process.hrtime.bigint() / 1000n);
const stats = await runLoad({ target, ratePerSecond: rate, durationMs: Number(values.seconds) * 1000, seed: 1 });
const t1 = Number(process.hrtime.bigint() / 1000n);
await shop.stop();
noop.close();

const byArea = new Map<string, number>();
const byFn = new Map<string, number>();
let totalUs = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] ?? 0;
    t += dt;
    if (t < t0 || t > t1) continue;
    const node = nodes.get(prof.samples[i] as number);
    if (!node) continue;
    const fn = node.callFrame.functionName;
    if (fn === '(idle)') continue;
    // The sample's weight is the interval to the next sample.
    const w = prof.timeDeltas[i + 1] ?? dt;
    totalUs += w;
    const area = fn === '(garbage collector)' ? '(gc)' : fn === '(program)' ? '(program)' : areaOf(node.callFrame.url);
    byArea.set(area, (byArea.get(area) ?? 0) + w);
    const key = `${fn || '(anonymous)'}  ${node.callFrame.url.replace(/^.*node_modules\//, '')}:${node.callFrame.lineNumber}`;
    byFn.set(key, (byFn.get(key) ?? 0) + w);
  }
}
if (!values.keep) rmSync(dir, { recursive: true, force: true });

const perReq = (us: number): string => (us / 1000 / stats.requests).toFixed(3);
console.log(
  `${values['no-instrument'] ? 'uninstrumented' : 'instrumented'} · ${stats.requests} requests at ${rate}/s · ` +
    `p50 ${stats.p50Ms} ms p99 ${stats.p99Ms} ms · on-CPU ${perReq(totalUs)} ms/request (all 7 services)`,
);
console.log('\nself time by area (ms/request):');
for (const [k, v] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 25))
  console.log(`  ${perReq(v).padStart(7)}  ${k}`);
console.log('\nself time by function (ms/request):');
for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
  console.log(`  ${perReq(v).padStart(7)}  ${k}`);
