// Where the added CPU of the instrumented shop lands: user vs system time and write/read syscalls per request
// (from /proc/<pid>/stat and /proc/<pid>/io of the seven services), for the shop uninstrumented (`plain`), with only
// an AsyncLocalStorage enabled (`als`: its async_hooks init and promise hooks on Node 20, one constant store; see
// als-on.mjs) and fully instrumented (`instr`), exporting to a null receiver. Sides run one after another, twice.
//
//   cd benchmarks && npx tsx --conditions=@aiops/source overhead/io-split.ts [--rate 30] [--seconds 12]
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoad } from '../../examples/shop/src/load-generator.ts';
import { startShop } from '../../examples/shop/src/run-shop.ts';

const { values } = parseArgs({
  options: { rate: { type: 'string', default: '30' }, seconds: { type: 'string', default: '12' } },
});
const rate = Number(values.rate);
const alsOn = fileURLToPath(new URL('./als-on.mjs', import.meta.url));
console.log('load average', loadavg());
const noop = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  });
});
await new Promise<void>((r) => noop.listen(0, '127.0.0.1', r));
const otlp = `http://127.0.0.1:${(noop.address() as AddressInfo).port}`;
let exports = 0;
noop.on('request', () => exports++);
const io = (pids: number[]) => {
  const t: Record<string, number> = {};
  for (const p of pids)
    for (const line of readFileSync(`/proc/${p}/io`, 'utf8').trim().split('\n')) {
      const [k, v] = line.split(': ');
      t[k as string] = (t[k as string] ?? 0) + Number(v);
    }
  return t;
};
const cpuSplit = (pids: number[]) => {
  let u = 0,
    k = 0;
  for (const p of pids) {
    const f = readFileSync(`/proc/${p}/stat`, 'utf8');
    const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
    u += Number(x[11]) * 10;
    k += Number(x[12]) * 10;
  }
  return [u, k];
};
for (const mode of ['plain', 'als', 'instr', 'plain', 'als', 'instr']) {
  const instrument = mode === 'instr';
  const shop = await startShop({
    instrument,
    otlpEndpoint: otlp,
    // No source condition: the instrumentation runs from its built dist, as users run it.
    nodeFlags: mode === 'als' ? ['--import', alsOn] : [],
  });
  const pids = Object.values(shop.pids);
  const target = shop.urls['frontend-gateway'] as string;
  await runLoad({ target, ratePerSecond: rate, durationMs: 5000, seed: 7 });
  const a = io(pids);
  const c0 = cpuSplit(pids);
  const e0 = exports;
  const st = await runLoad({ target, ratePerSecond: rate, durationMs: Number(values.seconds) * 1000, seed: 1 });
  await new Promise((r) => setTimeout(r, 1500));
  const b = io(pids);
  const c1 = cpuSplit(pids);
  const n = st.requests;
  console.log(
    mode,
    'req',
    n,
    'syscw/req',
    ((b.syscw - a.syscw) / n).toFixed(1),
    'syscr/req',
    ((b.syscr - a.syscr) / n).toFixed(1),
    'wchar/req',
    ((b.wchar - a.wchar) / n).toFixed(0),
    'user ms/req',
    ((c1[0] - c0[0]) / n).toFixed(2),
    'sys ms/req',
    ((c1[1] - c0[1]) / n).toFixed(2),
    'exports',
    exports - e0,
  );
  await shop.stop();
}
noop.close();
