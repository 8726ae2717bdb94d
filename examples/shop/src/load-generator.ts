// Open-loop load generator for the shop: requests leave at a fixed rate whatever the latency (as real users do),
// so a slow service shows up as latency, not as a lower request rate.
//
//   node --import tsx src/load-generator.ts --target http://127.0.0.1:7106 --rate 50 --duration 30 [--users 200]
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tokenFor } from './lib/auth-token.ts';

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** Base URL of frontend-gateway. */
  readonly target: string;
  /** Requests per second. */
  readonly ratePerSecond: number;
  /** How long to send for (Infinity = until `signal`). */
  readonly durationMs: number;
  /** Number of distinct users (default 200). */
  readonly users?: number;
  /** Share of product views, cart views and checkouts (default 0.6 / 0.25 / 0.15). */
  readonly mix?: { readonly product: number; readonly cart: number; readonly checkout: number };
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** Stops sending. */
  readonly signal?: AbortSignal;
  /** Called every 5 s with the stats of that interval. */
  readonly onInterval?: (stats: LoadStats) => void;
  /** Deterministic seed for the request mix (default 1). */
  readonly seed?: number;
  /** Return every latency in `samplesMs` (to pool runs before taking quantiles). Default false. */
  readonly keepSamples?: boolean;
}

/** Latency and outcome statistics. */
export interface LoadStats {
  readonly requests: number;
  readonly errors: number;
  /** Completed requests per second over the measured time. */
  readonly throughputPerSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Count per HTTP status ('error' for transport failures). */
  readonly statuses: Readonly<Record<string, number>>;
  /** Per endpoint: requests and p50/p99. */
  readonly endpoints: Readonly<Record<string, { requests: number; p50Ms: number; p99Ms: number }>>;
  /** Every request's latency in ms, in completion order (only with `keepSamples`). */
  readonly samplesMs?: number[];
}

interface Sample {
  endpoint: string;
  status: string;
  ms: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Summarises samples collected over `elapsedMs`. */
export function loadStats(samples: readonly Sample[], elapsedMs: number): LoadStats {
  const all = samples.map((s) => s.ms).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  const per = new Map<string, number[]>();
  let errors = 0;
  for (const s of samples) {
    statuses[s.status] = (statuses[s.status] ?? 0) + 1;
    if (s.status === 'error' || Number(s.status) >= 500) errors++;
    const list = per.get(s.endpoint) ?? [];
    list.push(s.ms);
    per.set(s.endpoint, list);
  }
  const endpoints: Record<string, { requests: number; p50Ms: number; p99Ms: number }> = {};
  for (const [e, list] of per) {
    list.sort((a, b) => a - b);
    endpoints[e] = { requests: list.length, p50Ms: quantile(list, 0.5), p99Ms: quantile(list, 0.99) };
  }
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    requests: samples.length,
    errors,
    throughputPerSecond: round(elapsedMs > 0 ? (samples.length * 1000) / elapsedMs : 0),
    p50Ms: round(quantile(all, 0.5)),
    p90Ms: round(quantile(all, 0.9)),
    p99Ms: round(quantile(all, 0.99)),
    maxMs: round(all.at(-1) ?? 0),
    statuses,
    endpoints,
  };
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs load against the shop; resolves to the statistics of the whole run. */
export async function runLoad(options: LoadOptions): Promise<LoadStats> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const users = options.users ?? 200;
  const mix = options.mix ?? { product: 0.6, cart: 0.25, checkout: 0.15 };
  const random = mulberry32(options.seed ?? 1);
  const tokens = Array.from({ length: users }, (_, i) => tokenFor(`user-${i}`));
  const samples: Sample[] = [];
  let interval: Sample[] = [];
  let intervalStart = performance.now();
  const inflight = new Set<Promise<void>>();

  const one = (): Promise<void> => {
    const r = random();
    const token = tokens[Math.floor(random() * users)] as string;
    const [endpoint, method, path] =
      r < mix.product
        ? ['product', 'GET', `/api/products/SKU-${String(Math.floor(random() * 500)).padStart(4, '0')}`]
        : r < mix.product + mix.cart
          ? ['cart', 'GET', '/api/cart']
          : ['checkout', 'POST', '/api/checkout'];
    const t0 = performance.now();
    return new Promise<void>((done) => {
      const record = (status: string): void => {
        const s = { endpoint, status, ms: performance.now() - t0 };
        samples.push(s);
        interval.push(s);
        done();
      };
      const req = request(`${options.target}${path}`, {
        method,
        agent,
        timeout: options.timeoutMs ?? 10_000,
        headers: { authorization: `Bearer ${token}`, 'user-agent': 'aiops-shop-load/1' },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => record(String(res.statusCode)));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => record('error'));
      req.end();
    });
  };

  const start = performance.now();
  const periodMs = 1000 / options.ratePerSecond;
  let sent = 0;
  while (!options.signal?.aborted && performance.now() - start < options.durationMs) {
    const p = one();
    inflight.add(p);
    void p.then(() => inflight.delete(p));
    sent++;
    if (options.onInterval && performance.now() - intervalStart >= 5000) {
      options.onInterval(loadStats(interval, performance.now() - intervalStart));
      interval = [];
      intervalStart = performance.now();
    }
    // Schedule against the start time so that timer drift does not lower the rate.
    const wait = start + sent * periodMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const sendingMs = performance.now() - start;
  await Promise.all(inflight);
  agent.destroy();
  const stats = loadStats(samples, sendingMs);
  return options.keepSamples ? { ...stats, samplesMs: samples.map((s) => s.ms) } : stats;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: 'http://127.0.0.1:7106' },
      rate: { type: 'string', default: '20' },
      duration: { type: 'string', default: '30' },
      users: { type: 'string', default: '200' },
    },
  });
  const controller = new AbortController();
  process.on('SIGINT', () => controller.abort());
  const stats = await runLoad({
    target: values.target as string,
    ratePerSecond: Number(values.rate),
    durationMs: Number(values.duration) * 1000,
    users: Number(values.users),
    signal: controller.signal,
    onInterval: (s) => process.stderr.write(`${JSON.stringify(s)}\n`),
  });
  process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
