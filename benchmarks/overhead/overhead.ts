// Overhead of @aiops/instrumentation on the example shop: the same seven services under the same load, with and
// without `--import @aiops/instrumentation/register` (exporting OTLP to a running `aiops serve`), alternating
// A-B-B-A so that drift of the shared machine falls on both sides.
//
//   cd benchmarks && npx tsx --conditions=@aiops/source overhead/overhead.ts [--rate 60] [--seconds 30] [--rounds 2]
//        [--concurrency 16] [--closed-seconds 15]
//
// Two measurements per run:
//   1. open loop at --rate req/s (requests leave on schedule whatever the latency): p50 / p99 latency;
//   2. closed loop with --concurrency workers as fast as they can: throughput (req/s) at saturation.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tokenFor } from '../../examples/shop/src/lib/auth-token.ts';
import { type LoadStats, runLoad } from '../../examples/shop/src/load-generator.ts';
import { startShop } from '../../examples/shop/src/run-shop.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '16' },
    'closed-seconds': { type: 'string', default: '15' },
    'warmup-seconds': { type: 'string', default: '8' },
    /** Extra environment for the instrumented services, e.g. OTEL_TRACES_SAMPLER_ARG=0.1 (repeatable). */
    env: { type: 'string', multiple: true, default: [] },
    /** Skip the uninstrumented side (e.g. to compare sampler settings against a previous baseline). */
    'only-instrumented': { type: 'boolean', default: false },
  },
});
const extraEnv: Record<string, string> = Object.fromEntries(
  (values.env as string[]).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const closedSeconds = Number(values['closed-seconds']);
const warmupSeconds = Number(values['warmup-seconds']);

/** Starts `aiops serve` as its own process (as in production) on free ports; resolves to its OTLP/HTTP URL. */
async function startServe(store: string): Promise<{ proc: ChildProcess; otlp: string }> {
  const proc = spawn(
    process.execPath,
    [
      '--conditions=@aiops/source',
      '--import',
      'tsx',
      path.join(root, 'packages/cli/src/bin.ts'),
      'serve',
      '--store',
      store,
      '--otlp-http',
      '0',
      '--otlp-grpc',
      'off',
      '--zipkin',
      'off',
      '--query',
      '0',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('aiops serve: store')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`aiops serve exited (${code})`)));
  });
  const info = JSON.parse(readFileSync(path.join(store, 'server.json'), 'utf8')) as { otlpHttpPort: number };
  return { proc, otlp: `http://127.0.0.1:${info.otlpHttpPort}` };
}

/** Closed loop: `workers` clients each sending the next request when the previous answers; resolves to req/s. */
async function closedLoop(target: string, workers: number, durationMs: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const paths = ['/api/products/SKU-0042', '/api/products/SKU-0300', '/api/cart', '/api/checkout'];
  let done = 0;
  const end = performance.now() + durationMs;
  const worker = async (w: number): Promise<void> => {
    let i = w;
    while (performance.now() < end) {
      const p = paths[i++ % paths.length] as string;
      await new Promise<void>((resolve) => {
        const req = request(`${target}${p}`, {
          method: p === '/api/checkout' ? 'POST' : 'GET',
          agent,
          headers: { authorization: `Bearer ${tokenFor(`user-${w}`)}` },
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => {
            done++;
            resolve();
          });
        });
        req.on('error', () => resolve());
        req.end();
      });
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  agent.destroy();
  return (done * 1000) / (performance.now() - t0);
}

interface RoundResult {
  readonly instrumented: boolean;
  readonly open: LoadStats;
  /** CPU time of all seven services per request of the open-loop phase (user + system, ms). */
  readonly cpuMsPerRequest: number;
  readonly closedRps: number;
}

/** User + system CPU time of the processes, ms (Linux /proc; clock ticks are 100 Hz). */
function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10;
}

async function round(instrumented: boolean, otlp: string): Promise<RoundResult> {
  const shop = await startShop({
    instrument: instrumented,
    otlpEndpoint: otlp,
    nodeFlags: ['--conditions=@aiops/source'],
    env: extraEnv,
  });
  try {
    const target = shop.urls['frontend-gateway'] as string;
    // Warm-up: JIT, keep-alive connections, DuckDB caches, the exporter's first batches.
    await runLoad({ target, ratePerSecond: rate, durationMs: warmupSeconds * 1000, seed: 7 });
    const pids = Object.values(shop.pids);
    const cpu0 = cpuMs(pids);
    const open = await runLoad({ target, ratePerSecond: rate, durationMs: seconds * 1000, seed: 1 });
    const cpuMsPerRequest = (cpuMs(pids) - cpu0) / open.requests;
    const closedRps = closedSeconds > 0 ? await closedLoop(target, concurrency, closedSeconds * 1000) : 0;
    return { instrumented, open, cpuMsPerRequest, closedRps };
  } finally {
    await shop.stop();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const pct = (a: number, b: number): string => `${(((b - a) / a) * 100).toFixed(1)}%`;

const store = mkdtempSync(path.join(tmpdir(), 'aiops-overhead-'));
const serve = await startServe(store);
const results: RoundResult[] = [];
try {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [false, true] : [true, false];
    for (const instrumented of values['only-instrumented'] ? [true] : order) {
      const res = await round(instrumented, serve.otlp);
      results.push(res);
      console.error(
        `round ${r + 1} ${instrumented ? 'instrumented  ' : 'uninstrumented'}: open p50 ${res.open.p50Ms} ms p99 ${res.open.p99Ms} ms ` +
          `(${res.open.requests} req, ${res.open.errors} errors) · CPU ${res.cpuMsPerRequest.toFixed(2)} ms/req · closed ${res.closedRps.toFixed(1)} req/s`,
      );
    }
  }
} finally {
  serve.proc.kill('SIGTERM');
  await new Promise((r) => serve.proc.once('exit', r));
  rmSync(store, { recursive: true, force: true });
}

const side = (instrumented: boolean) => {
  const rs = results.filter((r) => r.instrumented === instrumented);
  return {
    p50: median(rs.map((r) => r.open.p50Ms)),
    p99: median(rs.map((r) => r.open.p99Ms)),
    cpuMsPerRequest: median(rs.map((r) => r.cpuMsPerRequest)),
    rps: median(rs.map((r) => r.closedRps)),
  };
};
const base = side(false);
const inst = side(true);
const summary = {
  rate,
  seconds,
  rounds,
  concurrency,
  baseline: base,
  instrumented: inst,
  difference: {
    p50: pct(base.p50, inst.p50),
    p99: pct(base.p99, inst.p99),
    cpuPerRequest: pct(base.cpuMsPerRequest, inst.cpuMsPerRequest),
    throughput: pct(base.rps, inst.rps),
  },
  loadAverage: (await import('node:os')).loadavg(),
};
console.log(JSON.stringify(summary, null, 2));
