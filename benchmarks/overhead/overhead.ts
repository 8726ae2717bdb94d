// Overhead of @aiops/instrumentation on the example shop: the same seven services, uninstrumented and under
// `--import @aiops/instrumentation/register` (one or more configurations), all started at once and loaded in
// short alternating slices (A B C, B C A, C A B, …) so that the drift of a shared, noisy machine falls on every
// side alike. Each side's figures are pooled over its slices; the per-round ratios give the spread.
//
//   cd benchmarks && npx tsx --conditions=@aiops/source overhead/overhead.ts [--rate 100] [--rounds 8]
//        [--slice-seconds 5] [--exporter serve|null] [--variant 'name:KEY=V;KEY2=V2' ...]
//        [--concurrency 16] [--closed-slice-seconds 4] [--cpus-services 0,1] [--cpus-serve 1] [--cpus-load 1]
//        [--from dist|source]        (build first: pnpm --filter @aiops/instrumentation build)
//        [--handler-work N]          (every service renders a page N times per request, on every side: a service
//                                     that does real work; 0 = the shop as is)
//
// Per side:
//   1. open loop at --rate req/s (requests leave on schedule whatever the latency): p50 / p99 latency, and CPU time
//      of the seven services per request (slice + the idle gap after it, so that the exporter's work is counted);
//   2. closed loop with --concurrency workers as fast as they can: throughput (req/s) at saturation.
// `--exporter serve` exports to a real `aiops serve` process on this machine (its CPU is reported apart);
// `--exporter null` to an in-process receiver that answers 200 at once (the application's cost alone, as when the
// collector runs on another host).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { tokenFor } from '../../examples/shop/src/lib/auth-token.ts';
import { runLoad } from '../../examples/shop/src/load-generator.ts';
import { type RunningShop, startShop } from '../../examples/shop/src/run-shop.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '8' },
    'slice-seconds': { type: 'string', default: '5' },
    /** Idle time after each slice (exporter batches leave; longer than OTEL_BSP_SCHEDULE_DELAY). */
    'gap-seconds': { type: 'string', default: '1.5' },
    'warmup-seconds': { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '16' },
    /** 0 skips the saturation measurement. */
    'closed-slice-seconds': { type: 'string', default: '4' },
    exporter: { type: 'string', default: 'serve' },
    /** `name:KEY=V;KEY2=V2` — an instrumented side with extra environment (repeatable; default one plain side). */
    variant: { type: 'string', multiple: true, default: [] },
    /** Environment for every instrumented side, e.g. OTEL_BSP_SCHEDULE_DELAY=1000 (repeatable). */
    env: { type: 'string', multiple: true, default: [] },
    /** SHOP_HANDLER_WORK for every side, uninstrumented included (render passes per request and service). */
    'handler-work': { type: 'string', default: '0' },
    /** A side to compare every other instrumented side with, round by round (e.g. `before`). */
    reference: { type: 'string' },
    'cpus-services': { type: 'string' },
    'cpus-serve': { type: 'string' },
    'cpus-load': { type: 'string' },
    json: { type: 'boolean', default: false },
    /** `dist`: the services load @aiops/instrumentation as users do (built JS; run `pnpm build` first);
     * `source`: its TypeScript through tsx (esbuild's keepNames adds a `__name()` call to every closure). */
    from: { type: 'string', default: 'dist' },
  },
});
const num = (k: keyof typeof values): number => Number(values[k]);
const rate = num('rate');
const rounds = num('rounds');
const sliceMs = num('slice-seconds') * 1000;
const gapMs = num('gap-seconds') * 1000;
const warmupMs = num('warmup-seconds') * 1000;
const concurrency = num('concurrency');
const closedMs = num('closed-slice-seconds') * 1000;

const envFrom = (list: readonly string[]): Record<string, string> =>
  Object.fromEntries(
    list.filter((kv) => kv.includes('=')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
const commonEnv = envFrom(values.env as string[]);
const handlerWork = num('handler-work');
const allSidesEnv: Record<string, string> = handlerWork > 0 ? { SHOP_HANDLER_WORK: String(handlerWork) } : {};

interface Side {
  readonly name: string;
  readonly instrument: boolean;
  readonly env: Record<string, string>;
  /** `--import` of another build of the register entry (variant env AIOPS_BENCH_REGISTER=path, from the repo root). */
  readonly register?: string;
}
const sides: Side[] = [
  { name: 'uninstrumented', instrument: false, env: {} },
  ...((values.variant as string[]).length > 0
    ? (values.variant as string[]).map((v) => {
        const colon = v.indexOf(':');
        const name = colon < 0 ? v : v.slice(0, colon);
        const { AIOPS_BENCH_REGISTER: register, ...env } = {
          ...commonEnv,
          ...envFrom(colon < 0 ? [] : v.slice(colon + 1).split(';')),
        };
        // Another build (e.g. the previous release's dist) replaces `--import @aiops/instrumentation/register`.
        return register
          ? { name, instrument: false, env, register: path.resolve(root, register) }
          : { name, instrument: true, env };
      })
    : [{ name: 'instrumented', instrument: true, env: commonEnv }]),
];

/** Pins every thread of a process to `cpus` (Linux taskset). */
function pin(pid: number, cpus: string | undefined): void {
  if (cpus) execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** Starts `aiops serve` as its own process (as in production) on free ports; resolves to its OTLP/HTTP URL. */
async function startServe(store: string): Promise<{ proc: ChildProcess; otlp: string; stop(): Promise<void> }> {
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
  return {
    proc,
    otlp: `http://127.0.0.1:${info.otlpHttpPort}`,
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

/** An OTLP/HTTP receiver that drops everything and answers 200 at once: the collector's cost taken away. */
async function startNullReceiver(): Promise<{ otlp: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    otlp: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
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

/** User + system CPU time of the processes, ms (Linux /proc; clock ticks are 100 Hz). */
function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return ticks * 10;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const quantile = (sorted: readonly number[], q: number): number =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
const r2 = (x: number): number => Math.round(x * 100) / 100;
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * 95 % bootstrap interval of the median of per-round ratios (rounds resampled with replacement, 4000 times, fixed
 * seed): how far the median could move on this machine, not a lucky single figure.
 */
function bootstrapMedianCi(xs: readonly number[]): [number, number] {
  let seed = 0x9e3779b9;
  const rand = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const meds: number[] = [];
  const sample = new Array<number>(xs.length);
  for (let b = 0; b < 4000; b++) {
    for (let i = 0; i < xs.length; i++) sample[i] = xs[Math.floor(rand() * xs.length)] as number;
    meds.push(median(sample));
  }
  meds.sort((a, b) => a - b);
  return [quantile(meds, 0.025), quantile(meds, 0.975)];
}

/** Median, 95 % bootstrap interval, range and every per-round value of a list of ratios. */
function spread(rs: readonly number[]) {
  const [lo, hi] = bootstrapMedianCi(rs);
  return {
    median: pct(median(rs)),
    ci95: `${pct(lo)} … ${pct(hi)}`,
    min: pct(Math.min(...rs)),
    max: pct(Math.max(...rs)),
    perRound: rs.map(pct).join(' '),
  };
}

interface SliceResult {
  readonly p50: number;
  readonly p99: number;
  readonly latencies: number[];
  readonly requests: number;
  readonly errors: number;
  readonly cpuMsPerRequest: number;
  readonly serveCpuMsPerRequest: number;
}

pin(process.pid, values['cpus-load']);
const load0 = loadavg();
const store = mkdtempSync(path.join(tmpdir(), 'aiops-overhead-'));
const collector = values.exporter === 'null' ? await startNullReceiver() : await startServe(store);
const servePid = 'proc' in collector ? (collector.proc as ChildProcess).pid : undefined;
if (servePid) pin(servePid, values['cpus-serve']);
const servePids = servePid ? [servePid] : [];

const shops: RunningShop[] = [];
const open: SliceResult[][] = sides.map(() => []);
const roundLoad: number[] = [];
const closed: number[][] = sides.map(() => []);
try {
  for (const side of sides) {
    const shop = await startShop({
      instrument: side.instrument,
      otlpEndpoint: collector.otlp,
      nodeFlags: [
        ...(values.from === 'source' ? ['--conditions=@aiops/source'] : []),
        ...(side.register ? ['--import', pathToFileURL(side.register).href] : []),
      ],
      env: { ...allSidesEnv, ...side.env },
    });
    shops.push(shop);
    for (const pid of Object.values(shop.pids)) pin(pid, values['cpus-services']);
  }
  const targets = shops.map((s) => s.urls['frontend-gateway'] as string);
  // Warm-up: JIT, keep-alive connections, DuckDB caches, the exporter's first batches.
  for (const t of targets) await runLoad({ target: t, ratePerSecond: rate, durationMs: warmupMs, seed: 7 });
  await sleep(gapMs);

  for (let r = 0; r < rounds; r++) {
    roundLoad.push(r2(loadavg()[0] as number));
    for (let k = 0; k < sides.length; k++) {
      const i = (r + k) % sides.length;
      const pids = Object.values((shops[i] as RunningShop).pids);
      const cpu0 = cpuMs(pids);
      const serve0 = cpuMs(servePids);
      const stats = await runLoad({
        target: targets[i] as string,
        ratePerSecond: rate,
        durationMs: sliceMs,
        seed: 1 + r,
        keepSamples: true,
      });
      await sleep(gapMs);
      const res: SliceResult = {
        p50: stats.p50Ms,
        p99: stats.p99Ms,
        latencies: stats.samplesMs ?? [],
        requests: stats.requests,
        errors: stats.errors,
        cpuMsPerRequest: (cpuMs(pids) - cpu0) / stats.requests,
        serveCpuMsPerRequest: (cpuMs(servePids) - serve0) / stats.requests,
      };
      (open[i] as SliceResult[]).push(res);
      if (!values.json)
        console.error(
          `round ${r + 1} ${sides[i]?.name.padEnd(16)} p50 ${res.p50} ms p99 ${res.p99} ms (${res.requests} req, ` +
            `${res.errors} errors) · CPU ${res.cpuMsPerRequest.toFixed(2)} ms/req`,
        );
    }
    if (closedMs > 0) {
      for (let k = 0; k < sides.length; k++) {
        const i = (r + k) % sides.length;
        const rps = await closedLoop(targets[i] as string, concurrency, closedMs);
        await sleep(gapMs);
        (closed[i] as number[]).push(rps);
        if (!values.json) console.error(`round ${r + 1} ${sides[i]?.name.padEnd(16)} closed ${rps.toFixed(1)} req/s`);
      }
    }
  }
} finally {
  await Promise.all(shops.map((s) => s.stop()));
  await collector.stop();
  rmSync(store, { recursive: true, force: true });
}

const refIndex = values.reference ? sides.findIndex((s) => s.name === values.reference) : -1;
if (values.reference && refIndex < 0) throw new TypeError(`overhead: --reference ${values.reference} is not a side`);

/** Per-round ratios of side `i` to side `ref` (CPU per request, p50, p99, closed-loop throughput). */
function versus(i: number, ref: number) {
  const a = open[i] as SliceResult[];
  const b = open[ref] as SliceResult[];
  const per = (f: (s: SliceResult) => number) => spread(a.map((s, k) => f(s) / f(b[k] as SliceResult) - 1));
  return {
    cpuPerRound: per((s) => s.cpuMsPerRequest),
    p50PerRound: per((s) => s.p50),
    p99PerRound: per((s) => s.p99),
    ...(closedMs > 0
      ? {
          throughputPerRound: spread(
            (closed[i] as number[]).map((x, k) => x / ((closed[ref] as number[])[k] as number) - 1),
          ),
        }
      : {}),
  };
}

/** Pooled figures of one side, and per-round ratios to the uninstrumented side (median and range). */
function summarise(i: number) {
  const slices = open[i] as SliceResult[];
  const all = slices.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const base = open[0] as SliceResult[];
  const ratio = (f: (s: SliceResult) => number) => spread(slices.map((s, k) => f(s) / f(base[k] as SliceResult) - 1));
  const rps = closed[i] as number[];
  return {
    side: sides[i]?.name,
    env: sides[i]?.env,
    requests: slices.reduce((a, s) => a + s.requests, 0),
    errors: slices.reduce((a, s) => a + s.errors, 0),
    p50Ms: r2(quantile(all, 0.5)),
    p99Ms: r2(quantile(all, 0.99)),
    cpuMsPerRequest: r2(median(slices.map((s) => s.cpuMsPerRequest))),
    serveCpuMsPerRequest: r2(median(slices.map((s) => s.serveCpuMsPerRequest))),
    closedRps: r2(median(rps)),
    ...(i === 0
      ? {}
      : {
          vsUninstrumented: {
            p50Pooled: `${(
              (quantile(all, 0.5) /
                quantile(
                  base.flatMap((s) => s.latencies).sort((a, b) => a - b),
                  0.5,
                ) -
                1) *
                100
            ).toFixed(1)}%`,
            p99Pooled: `${(
              (quantile(all, 0.99) /
                quantile(
                  base.flatMap((s) => s.latencies).sort((a, b) => a - b),
                  0.99,
                ) -
                1) *
                100
            ).toFixed(1)}%`,
            p50PerRound: ratio((s) => s.p50),
            p99PerRound: ratio((s) => s.p99),
            cpuPerRound: ratio((s) => s.cpuMsPerRequest),
            ...(closedMs > 0
              ? {
                  throughputPerRound: spread(rps.map((x, k) => x / ((closed[0] as number[])[k] as number) - 1)),
                }
              : {}),
          },
        }),
    ...(refIndex > 0 && i > 0 && i !== refIndex ? { [`vs_${values.reference}`]: versus(i, refIndex) } : {}),
  };
}

const summary = {
  rate,
  rounds,
  sliceSeconds: sliceMs / 1000,
  exporter: values.exporter,
  handlerWork,
  instrumentationFrom: values.from,
  concurrency,
  pinning: {
    services: values['cpus-services'] ?? 'none',
    serve: values['cpus-serve'] ?? 'none',
    load: values['cpus-load'] ?? 'none',
  },
  loadAverage: { start: load0.map(r2), end: loadavg().map(r2), perRound: roundLoad },
  sides: sides.map((_, i) => summarise(i)),
};
console.log(JSON.stringify(summary, null, 2));
