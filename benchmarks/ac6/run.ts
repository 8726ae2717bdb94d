// AC 6, the one-hour production benchmark: 1,000 requests/s × 5 spans (5,000 spans/s) into `aiops serve` on the
// embedded store, end to end.
//
//   cd benchmarks && pnpm bench:ac6 [--duration 10m|1h] [--fast [--spans 18000000] [--time-box 15m]]
//        [--senders 8] [--server source|dist] [--app-impact] [--out <file.json>]
//
// Default mode: a separate load process (load-process.ts) replays generated traffic (benchmarks/scenarios) as real
// OpenTelemetry JS SDK spans through BatchSpanProcessor + OTLPTraceExporter (HTTP/protobuf) at 5,000 spans/s for
// --duration; a marker trace every second measures export→queryable; this process samples trace-by-id latency on
// the growing store, the server's CPU and RSS (/proc) and the store's size.
// --fast: the hour's spans (--spans, default 18M) as pre-encoded OTLP protobuf requests (a generated pool, trace ids
// and times rewritten per loop so that every span is new) from --senders concurrent senders, no pacing: maximum
// sustained spans/s, then the end-state query latencies. Stops at --time-box and extrapolates.
// --server source (default) runs `aiops serve` from the current sources (node --import tsx packages/cli/src/bin.ts),
// --server dist the built packages/cli/dist/bin.js (build the workspace first).
// Both modes end with search, `aiops trace`, `aiops analyze-dependencies` and `aiops stats traces` through the CLI
// while the server runs, then SIGTERM and the bytes on disk.
import { type ChildProcess, execFile, fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadConfig, LoadMessage } from './load-process.ts';
import { patchedCopy, patchPlan } from './otlp-patch.ts';
import { encodeRequests, generatePoolTable, otlpBytesPerSpan } from './span-pool.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10m' },
    fast: { type: 'boolean', default: false },
    spans: { type: 'string', default: '18000000' },
    'time-box': { type: 'string', default: '15m' },
    senders: { type: 'string', default: '8' },
    rate: { type: 'string', default: '5000' },
    server: { type: 'string', default: 'source' },
    'app-impact': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!m) throw new Error(`bad duration ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
}

const RATE = Number(args.rate);
const log = (line: string) => console.error(`[ac6 ${new Date().toISOString().slice(11, 19)}] ${line}`);
const q = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');

// ---- the server (`aiops serve`, as a user runs it) and its /proc figures ----
const bin =
  args.server === 'source'
    ? ['--conditions=@aiops/source', '--import', 'tsx', path.join(ROOT, 'packages/cli/src/bin.ts')]
    : [path.join(ROOT, 'packages/cli/dist/bin.js')];

interface Server {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly otlpUrl: string;
  readonly queryUrl: string;
}

async function startServe(store: string): Promise<Server> {
  const proc = spawn(
    process.execPath,
    [...bin, 'serve', '--store', store, '--otlp-http', '0', '--otlp-grpc', 'off', '--zipkin', 'off', '--query', '0'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('aiops serve: store')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`aiops serve exited (${code}): ${out}`)));
  });
  proc.stdout!.on('data', (d: Buffer) => process.stderr.write(`  serve: ${d}`));
  const info = JSON.parse(fs.readFileSync(path.join(store, 'server.json'), 'utf8')) as {
    otlpHttpPort: number;
    queryPort: number;
  };
  return {
    proc,
    pid: proc.pid!,
    otlpUrl: `http://127.0.0.1:${info.otlpHttpPort}`,
    queryUrl: `http://127.0.0.1:${info.queryPort}`,
  };
}

/** CPU seconds (user + system, all threads) and RSS / peak RSS (MiB) of a process, from /proc. */
function procStat(pid: number): { cpuSeconds: number; rssMiB: number; hwmMiB: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = 100;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) / 1024;
  return { cpuSeconds: (Number(f[11]) + Number(f[12])) / tick, rssMiB: kb('VmRSS'), hwmMiB: kb('VmHWM') };
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += dirBytes(p);
    else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

const loadavg = () => os.loadavg().map((x) => Number(x.toFixed(2)));

/** Samples the server every second: CPU %, RSS, load average; the store size every 15 s. */
function startSampler(server: Server, store: string) {
  const samples: { t: number; cpu: number; rss: number; load1: number; bytes?: number; spans?: number }[] = [];
  const t0 = performance.now();
  let peakRss = 0;
  let k = 0;
  const timer = setInterval(async () => {
    try {
      const s = procStat(server.pid);
      peakRss = Math.max(peakRss, s.hwmMiB, s.rssMiB);
      const row: (typeof samples)[number] = {
        t: (performance.now() - t0) / 1000,
        cpu: s.cpuSeconds,
        rss: s.rssMiB,
        load1: os.loadavg()[0]!,
      };
      if (k++ % 15 === 0) {
        row.bytes = dirBytes(store);
        row.spans = (await health(server)).spanCount;
      }
      samples.push(row);
    } catch {}
  }, 1000);
  return {
    samples,
    peakRss: () => peakRss,
    stop: () => clearInterval(timer),
  };
}

async function health(
  server: Server,
): Promise<{ spanCount: number; traceCount: number; ingest: Record<string, number> }> {
  const res = await fetch(`${server.queryUrl}/api/health`);
  return (await res.json()) as { spanCount: number; traceCount: number; ingest: Record<string, number> };
}

/** Wall time of one GET on the query API (ms) and its status. */
async function timedGet(url: string): Promise<{ ms: number; status: number; body: unknown }> {
  const t = performance.now();
  const res = await fetch(url);
  const body = await res.json().catch(() => null);
  return { ms: performance.now() - t, status: res.status, body };
}

/** Runs the CLI (a fresh node process, as a user would) and times it. */
function timedCli(
  argv: string[],
  timeoutMs = 150_000,
): Promise<{ ms: number; code: number; out: string; err: string }> {
  const t = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...bin, ...argv],
      { cwd: ROOT, maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs },
      (error, stdout, stderr) => {
        resolve({
          ms: performance.now() - t,
          code: error ? ((error as { code?: number }).code ?? 1) : 0,
          out: stdout,
          err: stderr.slice(0, 2000),
        });
      },
    );
  });
}

/** Trace ids seen acknowledged during the run (a reservoir over the whole run). */
class Reservoir {
  readonly ids: string[] = [];
  private seen = 0;
  add(id: string): void {
    this.seen++;
    if (this.ids.length < 5000) this.ids.push(id);
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < 5000) this.ids[j] = id;
    }
  }
  pick(): string | undefined {
    return this.ids[Math.floor(Math.random() * this.ids.length)];
  }
}

// ---- end-state queries ----
async function endState(server: Server, store: string, reservoir: Reservoir) {
  log('end state: trace by id (200 ids over the whole run), search, CLI commands');
  const byId: number[] = [];
  let missing = 0;
  for (let i = 0; i < 200 && reservoir.ids.length > 0; i++) {
    const r = await timedGet(`${server.queryUrl}/api/traces/${reservoir.ids[i % reservoir.ids.length]}`);
    if (r.status === 200) byId.push(r.ms);
    else missing++;
  }
  const searches: Record<string, number[]> = {};
  const searchUrls: Record<string, string> = {
    'service=frontend': '/api/traces?service=frontend&limit=20',
    'failed=true': '/api/traces?failed=true&limit=20',
    'minDuration=1s': '/api/traces?minDuration=1s&limit=20',
    services: '/api/services',
    'dependencies (1h, newest 10,000 traces)': '/api/dependencies?lookback=1h',
  };
  for (const [name, url] of Object.entries(searchUrls)) {
    searches[name] = [];
    // The dependency graph reads up to 10,000 whole traces: one sample; the searches three.
    for (let i = 0; i < (url.includes('dependencies') ? 1 : 3); i++) {
      const r = await timedGet(`${server.queryUrl}${url}`);
      if (r.status !== 200) log(`${url} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 200)}`);
      searches[name]!.push(r.ms);
    }
  }
  const id = reservoir.pick() ?? '';
  const cli: Record<string, { ms: number; code: number; note: string }> = {};
  const commands: [string, string[]][] = [
    ['aiops trace <id> --json', ['trace', id, '--store', store, '--json']],
    ['aiops search-traces --service frontend', ['search-traces', '--store', store, '--service', 'frontend']],
    [
      'aiops search-traces --failed --min-duration 1s',
      ['search-traces', '--store', store, '--failed', '--min-duration', '1s'],
    ],
    ['aiops analyze-dependencies', ['analyze-dependencies', '--store', store]],
    ['aiops analyze-dependencies --time-range 1h', ['analyze-dependencies', '--store', store, '--time-range', '1h']],
    ['aiops stats traces', ['stats', 'traces', '--store', store]],
  ];
  for (const [name, argv] of commands) {
    const r = await timedCli(argv);
    const note =
      r.code === 0
        ? (r.out
            .split('\n')
            .find((l) => l.trim())
            ?.slice(0, 120) ?? '')
        : r.err.split('\n')[0]!;
    cli[name] = { ms: r.ms, code: r.code, note };
    log(`${name}: ${fmt(r.ms / 1000, 2)} s (exit ${r.code}) ${note}`);
  }
  return {
    traceById: { samples: byId.length, missing, p50: q(byId, 0.5), p99: q(byId, 0.99), max: q(byId, 1) },
    search: Object.fromEntries(Object.entries(searches).map(([k, v]) => [k, { median: q(v, 0.5), max: q(v, 1) }])),
    cli,
  };
}

/** Trace by id every 500 ms on a random acknowledged trace, while the store grows. */
function startTraceByIdSampler(server: Server, reservoir: Reservoir) {
  const lat: number[] = [];
  let missing = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      await new Promise((r) => setTimeout(r, 500));
      const id = reservoir.pick();
      if (!id) continue;
      const r = await timedGet(`${server.queryUrl}/api/traces/${id}`).catch(() => null);
      if (r?.status === 200) lat.push(r.ms);
      else missing++;
    }
  })();
  return {
    lat,
    missing: () => missing,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

// ---- default mode: the SDK at 5,000 spans/s ----
async function realtime(server: Server, reservoir: Reservoir, durationMs: number) {
  const config: LoadConfig = {
    otlpUrl: server.otlpUrl,
    queryUrl: server.queryUrl,
    seconds: durationMs / 1000,
    spansPerSecond: RATE,
    poolSeconds: 40,
    seed: 11,
  };
  const child = fork(path.join(import.meta.dirname, 'load-process.ts'), [JSON.stringify(config)], {
    execArgv: ['--conditions=@aiops/source', '--import', 'tsx'],
    cwd: path.join(ROOT, 'benchmarks'),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const markers: Extract<LoadMessage, { type: 'marker' }>[] = [];
  const progress: Extract<LoadMessage, { type: 'progress' }>[] = [];
  let ready: Extract<LoadMessage, { type: 'ready' }> | undefined;
  let done: Extract<LoadMessage, { type: 'done' }> | undefined;
  let byId: ReturnType<typeof startTraceByIdSampler> | undefined;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: LoadMessage) => {
      if (m.type === 'ready') {
        ready = m;
        log(
          `load process ready: pool ${m.poolSpans} spans / ${m.poolTraces} traces, ${m.resources} SDKs (resources); OTLP ${fmt(m.otlp.protobuf, 0)} B/span, gzip ${fmt(m.otlp.gzip, 1)} B/span`,
        );
        byId = startTraceByIdSampler(server, reservoir);
      } else if (m.type === 'marker') {
        markers.push(m);
        reservoir.add(m.traceId);
      } else if (m.type === 'traces') for (const id of m.ids) reservoir.add(id);
      else if (m.type === 'progress') {
        progress.push(m);
        const last = markers.slice(-10).map((x) => x.exportToQueryableMs);
        log(
          `${fmt((performance.now() - t0) / 1000, 0)} s: ${m.emitted} spans emitted, ${m.exported} exported (${m.failed} failed, ${m.exports} exports, ack p50 ${fmt(m.ackP50)} p99 ${fmt(m.ackP99)} ms); markers export→queryable last 10 p50 ${fmt(q(last, 0.5))} max ${fmt(q(last, 1))} ms; load ${loadavg().join(' ')}`,
        );
      } else if (m.type === 'done') done = m;
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`load process exited ${code}`))));
  });
  await byId?.stop();
  const e2q = markers.map((m) => m.exportToQueryableMs);
  const end2q = markers.map((m) => m.endToQueryableMs);
  const ack = markers.map((m) => m.ackMs);
  return {
    pool: ready,
    load: done,
    markers: markers.length,
    exportToQueryable: { p50: q(e2q, 0.5), p99: q(e2q, 0.99), max: q(e2q, 1) },
    spanEndToQueryable: { p50: q(end2q, 0.5), p99: q(end2q, 0.99), max: q(end2q, 1) },
    markerAck: { p50: q(ack, 0.5), p99: q(ack, 0.99), max: q(ack, 1) },
    pollsMedian: q(
      markers.map((m) => m.polls),
      0.5,
    ),
    traceByIdDuringRun: {
      samples: byId?.lat.length ?? 0,
      missing: byId?.missing() ?? 0,
      p50: q(byId?.lat ?? [], 0.5),
      p99: q(byId?.lat ?? [], 0.99),
      max: q(byId?.lat ?? [], 1),
    },
    perWindow: progress,
  };
}

// ---- --fast: the hour's spans, pre-encoded, as fast as the server takes them ----
async function fast(server: Server, reservoir: Reservoir, totalSpans: number, timeBoxMs: number, senders: number) {
  const poolSeconds = 80;
  log(`--fast: generating a pool of ${poolSeconds * RATE} spans`);
  const table = generatePoolTable({ seconds: poolSeconds, spansPerSecond: RATE, seed: 12 });
  const reqs = encodeRequests(table, 1000);
  const plans = reqs.map((r) => patchPlan(r.body));
  const otlp = otlpBytesPerSpan(table, 512);
  const poolSpans = table.numSpans;
  let minStart = table.columns.startUnixNano[0]!;
  for (const x of table.columns.startUnixNano) if (x < minStart) minStart = x;
  // The hour ends now: loop 0 starts an hour (of loops) ago, each loop `poolSeconds` later.
  const loops = Math.ceil(totalSpans / poolSpans);
  const baseShift = BigInt(Date.now()) * 1_000_000n - BigInt(loops * poolSeconds) * 1_000_000_000n - minStart;
  log(
    `--fast: ${reqs.length} requests of ~1000 spans per loop (${poolSpans} spans, ${fmt(reqs.reduce((s, r) => s + r.body.length, 0) / poolSpans, 0)} B/span), ${loops} loops for ${totalSpans} spans; ${senders} senders`,
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: senders });
  const url = new URL(server.otlpUrl);
  const post = (body: Buffer): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: '/v1/traces',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const byId = startTraceByIdSampler(server, reservoir);
  let next = 0;
  const total = loops * reqs.length;
  let acked = 0;
  let throttled = 0;
  const t0 = performance.now();
  const deadline = t0 + timeBoxMs;
  const perMinute: { minute: number; spans: number; load1: number }[] = [];
  let lastMark = t0;
  let lastAcked = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    const rate = ((acked - lastAcked) * 1000) / (now - lastMark);
    perMinute.push({ minute: (now - t0) / 60_000, spans: rate, load1: os.loadavg()[0]! });
    log(
      `--fast: ${acked} spans acknowledged, ${Math.round(rate)} spans/s over the last minute; load ${loadavg().join(' ')}`,
    );
    lastMark = now;
    lastAcked = acked;
  }, 60_000);
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (performance.now() < deadline) {
        const k = next++;
        if (k >= total) return;
        const loop = Math.floor(k / reqs.length);
        const i = k % reqs.length;
        const body = patchedCopy(
          reqs[i]!.body,
          plans[i]!,
          loop,
          baseShift + BigInt(loop * poolSeconds) * 1_000_000_000n,
        );
        for (;;) {
          const st = await post(body);
          if (st === 200) break;
          if (st === 429 || st === 503) {
            throttled++;
            await new Promise((r) => setTimeout(r, 50));
            continue;
          }
          throw new Error(`server answered ${st}`);
        }
        acked += reqs[i]!.spans;
        if (k % 10 === 0) {
          // The patched id of this request's first trace.
          const id = Buffer.from(reqs[i]!.firstTraceId, 'hex');
          id[8]! ^= (loop >>> 24) & 0xff;
          id[9]! ^= (loop >>> 16) & 0xff;
          id[10]! ^= (loop >>> 8) & 0xff;
          id[11]! ^= loop & 0xff;
          reservoir.add(id.toString('hex'));
        }
      }
    }),
  );
  clearInterval(ticker);
  const seconds = (performance.now() - t0) / 1000;
  await byId.stop();
  agent.destroy();
  return {
    poolSpans,
    otlp,
    requestsPerLoop: reqs.length,
    senders,
    spansAcknowledged: acked,
    seconds,
    spansPerSecond: acked / seconds,
    throttled,
    finished: acked >= totalSpans || next >= total,
    perMinute,
    traceByIdDuringRun: {
      samples: byId.lat.length,
      missing: byId.missing(),
      p50: q(byId.lat, 0.5),
      p99: q(byId.lat, 0.99),
      max: q(byId.lat, 1),
    },
  };
}

// ---- application impact: the overhead benchmark at 1,000 requests/s ----
async function appImpact(): Promise<unknown> {
  log('application impact: benchmarks/overhead/overhead.ts --rate 1000');
  const r = await new Promise<{ code: number; out: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@aiops/source',
        '--import',
        'tsx',
        path.join(ROOT, 'benchmarks/overhead/overhead.ts'),
        '--rate',
        '1000',
        '--rounds',
        '4',
        '--slice-seconds',
        '5',
        '--closed-slice-seconds',
        '0',
        '--exporter',
        'serve',
        '--from',
        'source',
      ],
      { cwd: path.join(ROOT, 'benchmarks'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.once('exit', (code) => resolve({ code: code ?? 1, out }));
  });
  try {
    return JSON.parse(r.out.slice(r.out.indexOf('{')));
  } catch {
    return {
      error: `overhead.ts exited ${r.code} (its options may have changed: see benchmarks/overhead)`,
      out: r.out.slice(0, 2000),
    };
  }
}

// ---- main ----
async function main(): Promise<void> {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-ac6-'));
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  log(`store ${store}; server ${args.server}; load ${loadBefore.join(' ')}; ${os.cpus().length} CPUs`);
  const server = await startServe(store);
  // Never leave the server behind: on any failure of this script, stop it.
  const stopServer = () => server.proc.exitCode === null && server.proc.kill('SIGTERM');
  process.on('exit', stopServer);
  process.on('uncaughtException', (e) => {
    console.error(e);
    stopServer();
    process.exit(1);
  });
  process.on('unhandledRejection', (e) => {
    console.error(e);
    stopServer();
    process.exit(1);
  });
  const sampler = startSampler(server, store);
  const reservoir = new Reservoir();
  const cpu0 = procStat(server.pid).cpuSeconds;
  const t0 = performance.now();
  const run = args.fast
    ? await fast(server, reservoir, Number(args.spans), parseDuration(args['time-box']), Number(args.senders))
    : await realtime(server, reservoir, parseDuration(args.duration));
  const ingestSeconds = (performance.now() - t0) / 1000;
  const ingestCpu = procStat(server.pid).cpuSeconds - cpu0;
  // Peak RSS while ingesting (VmHWM so far), before the end-state queries load whole trace sets into the server.
  const ingestPeakRss = Math.max(sampler.peakRss(), procStat(server.pid).hwmMiB);
  const h = await health(server);
  const bytesLive = dirBytes(store);
  const end = await endState(server, store, reservoir);
  const endProc = procStat(server.pid);
  sampler.stop();
  log('SIGTERM: flushing and closing the store');
  server.proc.kill('SIGTERM');
  await new Promise((r) => server.proc.once('exit', r));
  const bytesClosed = dirBytes(store);
  const files = fs.readdirSync(store).map((f) => [f, fs.statSync(path.join(store, f)).size] as const);
  const bytesPerSpan = bytesClosed / h.spanCount;
  const impact = args['app-impact'] ? await appImpact() : undefined;
  const result = {
    mode: args.fast ? 'fast' : 'realtime',
    startedAt,
    command: `pnpm bench:ac6 ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      loadBefore,
      loadAfter: loadavg(),
      node: process.version,
    },
    run,
    server: {
      spansStored: h.spanCount,
      traces: h.traceCount,
      ingest: h.ingest,
      ingestSeconds,
      cpuSecondsDuringIngest: ingestCpu,
      cpuPercentOfOneCore: (100 * ingestCpu) / ingestSeconds,
      cpuSecondsTotal: endProc.cpuSeconds,
      peakRssMiBDuringIngest: ingestPeakRss,
      peakRssMiB: Math.max(sampler.peakRss(), endProc.hwmMiB),
      samples: sampler.samples.map(({ t, cpu, rss, load1 }) => ({ t, cpu, rss, load1 })),
      load1: {
        mean: sampler.samples.reduce((s, x) => s + x.load1, 0) / Math.max(1, sampler.samples.length),
        max: Math.max(...sampler.samples.map((x) => x.load1)),
      },
    },
    disk: {
      bytesLive,
      bytesClosed,
      files,
      bytesPerSpan,
      gbPerHourAt5000: (bytesPerSpan * RATE * 3600) / 1e9,
      growth: sampler.samples
        .filter((x) => x.bytes !== undefined)
        .map((x) => ({ t: x.t, bytes: x.bytes, spans: x.spans })),
    },
    endState: end,
    appImpact: impact,
  };
  const out =
    args.out ?? path.join(ROOT, 'benchmarks/data', `ac6-${result.mode}-${startedAt.replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2));
  fs.rmSync(store, { recursive: true, force: true });
  console.log(summary(result));
  log(`full results: ${out}`);
}

function summary(r: {
  mode: string;
  run: Record<string, unknown>;
  server: {
    spansStored: number;
    peakRssMiB: number;
    peakRssMiBDuringIngest: number;
    cpuSecondsDuringIngest: number;
    cpuPercentOfOneCore: number;
    load1: { mean: number; max: number };
  };
  disk: { bytesPerSpan: number; gbPerHourAt5000: number };
  endState: Awaited<ReturnType<typeof endState>>;
}): string {
  const run = r.run as {
    exportToQueryable?: { p50: number; p99: number; max: number };
    traceByIdDuringRun: { p50: number; p99: number };
    spansPerSecond?: number;
    otlp?: { gzip: number };
    pool?: { otlp: { gzip: number } };
  };
  const gzip = run.otlp?.gzip ?? run.pool?.otlp.gzip ?? Number.NaN;
  const e2q = run.exportToQueryable;
  const rows = [
    [
      'ingest→queryable P99',
      e2q ? `${fmt(e2q.p99)} ms (P50 ${fmt(e2q.p50)}, max ${fmt(e2q.max)})` : '— (--fast)',
      '< 100 ms',
      '≤ 50 ms',
    ],
    [
      'storage',
      `${fmt(r.disk.gbPerHourAt5000, 2)} GB/hour (${fmt(r.disk.bytesPerSpan, 1)} B/span; gzip'd OTLP ${fmt(gzip, 1)} B/span)`,
      '< 50 GB/hour',
      '≤ 1 GB/hour (≈ 55 B/span)',
    ],
    [
      'trace by id P99 (end state)',
      `${fmt(r.endState.traceById.p99)} ms (P50 ${fmt(r.endState.traceById.p50)}) at ${r.server.spansStored.toLocaleString('en-US')} spans`,
      '< 3 s',
      '≤ 50 ms (full hour)',
    ],
    [
      'trace by id P99 (during run)',
      `${fmt(run.traceByIdDuringRun.p99)} ms (P50 ${fmt(run.traceByIdDuringRun.p50)})`,
      '< 3 s',
      '≤ 50 ms',
    ],
    [
      'max sustained ingest',
      run.spansPerSecond ? `${Math.round(run.spansPerSecond).toLocaleString('en-US')} spans/s` : '— (default mode)',
      '—',
      '≥ 100,000 spans/s',
    ],
    [
      'server CPU while ingesting',
      `${fmt(r.server.cpuPercentOfOneCore, 0)}% of a core; ${fmt((1e6 * r.server.cpuSecondsDuringIngest) / r.server.spansStored, 1)} µs CPU per span`,
      '—',
      '—',
    ],
    [
      'server peak RSS',
      `${fmt(r.server.peakRssMiBDuringIngest, 0)} MiB ingesting, ${fmt(r.server.peakRssMiB, 0)} MiB with the end-state queries`,
      '—',
      '—',
    ],
    [
      'load average (1 min) during run',
      `mean ${fmt(r.server.load1.mean)}, max ${fmt(r.server.load1.max)} on ${os.cpus().length} CPUs`,
      '',
      '',
    ],
  ];
  return [
    `## AC 6 (${r.mode})`,
    '',
    '| measure | result | brief | target |',
    '|---|---|---|---|',
    ...rows.map((x) => `| ${x.join(' | ')} |`),
    '',
    '| end-state query | time |',
    '|---|---|',
    ...Object.entries(r.endState.search).map(
      ([k, v]) => `| API ${k} | median ${fmt(v.median)} ms (max ${fmt(v.max)}) |`,
    ),
    ...Object.entries(r.endState.cli).map(([k, v]) => `| \`${k}\` | ${fmt(v.ms / 1000, 2)} s (exit ${v.code}) |`),
  ].join('\n');
}

await main();
