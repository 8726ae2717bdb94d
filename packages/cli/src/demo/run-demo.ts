// The demo scenario behind `aiops demo`: a private `aiops serve` on a fresh store, the instrumented example shop with
// load, a slow database query injected into inventory-service, then a slow trace and the dependency analysis.
//
//   t=0      serve up (temporary store), shop up (7 services, ~5-10 s), load at --rate
//   +10 s    db-latency fault on inventory-service (every query +ms) for --fault-seconds
//   +fault   load stops, exporters flush
//   then     aiops trace --trace-id <median slow trace of the fault window>, aiops analyze-dependencies (when present)
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Command that runs this cli (default: `process.execPath process.argv[1]`). */
  readonly cli?: readonly string[];
  /** Example shop directory (default: found above this file, or $AIOPS_SHOP_DIR). */
  readonly shopDir?: string;
  /** Store directory (default: a new temporary directory). */
  readonly store?: string;
  /** Requests per second of the load generator. */
  readonly ratePerSecond?: number;
  /** Seconds of load before the fault. */
  readonly baselineSeconds?: number;
  /** Seconds the fault lasts (load continues during it). */
  readonly faultSeconds?: number;
  /** Added latency of each inventory-service database query, ms. */
  readonly faultMs?: number;
  /** Ask the child commands (trace, analyze-dependencies) for --json output. */
  readonly json?: boolean;
  /** Leave the server running with its store. */
  readonly keep?: boolean;
  /** Extra node flags for the shop (e.g. `--conditions=@aiops/source` in tests). */
  readonly shopNodeFlags?: readonly string[];
  /** Progress messages. */
  readonly onStatus?: (text: string) => void;
  /** Aborts the demo (Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** Defaults of {@link DemoOptions}. */
export const DEMO_DEFAULTS = {
  ratePerSecond: 25,
  baselineSeconds: 10,
  faultSeconds: 15,
  faultMs: 400,
} as const;

/** Load statistics as the shop's load generator reports them. */
export interface DemoLoadStats {
  readonly requests: number;
  readonly errors: number;
  readonly throughputPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly statuses: Readonly<Record<string, number>>;
}

/** What {@link runDemo} found. */
export interface DemoResult {
  readonly store: string;
  readonly queryUrl: string;
  readonly otlpHttpUrl: string;
  readonly services: Readonly<Record<string, string>>;
  /** The injected fault as written to the ground-truth file. */
  readonly groundTruth: readonly Record<string, unknown>[];
  /** Load before and during the fault (5-second intervals, merged). */
  readonly load: { readonly baseline: DemoLoadStats | undefined; readonly fault: DemoLoadStats | undefined };
  /** A slow trace (the median of those ≥ the injected delay) through inventory-service during the fault. */
  readonly slowTrace: { readonly traceId: string; readonly durationMs: number; readonly spanCount: number } | undefined;
  readonly traceCount: number;
  readonly spanCount: number;
  /** Output of `aiops trace --trace-id <slow> [--json]`. */
  readonly traceOutput: string;
  /** Output of `aiops analyze-dependencies`, or undefined when the command does not exist. */
  readonly dependenciesOutput: string | undefined;
  /** Whether the server was left running (--keep), and its pid. */
  readonly kept: boolean;
  readonly serverPid: number | undefined;
}

/** Finds `examples/shop` above `from` (the repository checkout the cli runs from). */
export function findShopDir(from: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'examples', 'shop');
    if (existsSync(path.join(candidate, 'package.json')) && existsSync(path.join(candidate, 'src', 'run-shop.ts')))
      return candidate;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** A failure of the demo with a message for the user. */
export class DemoError extends Error {
  override readonly name = 'DemoError';
}

interface Child {
  readonly proc: ChildProcess;
  readonly lines: string[];
  readonly stderr: string[];
  nextLine(match: (line: string) => boolean, timeoutMs: number, what: string): Promise<string>;
}

function startChild(
  cmd: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  detached = false,
): Child {
  const proc = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached });
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters: { match: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  let buf = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
      nl = buf.indexOf('\n');
    }
  });
  proc.stderr?.on('data', (d: Buffer) => {
    stderr.push(d.toString('utf8'));
    if (stderr.length > 200) stderr.shift();
  });
  return {
    proc,
    lines,
    stderr,
    nextLine: (match, timeoutMs, what) =>
      new Promise<string>((resolve, reject) => {
        const seen = lines.find(match);
        if (seen) return resolve(seen);
        const timer = setTimeout(
          () => reject(new DemoError(`${what} did not happen within ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
        const onExit = (code: number | null) =>
          reject(new DemoError(`${what} failed: process exited (${code}): ${stderr.join('').trim().slice(-800)}`));
        proc.once('exit', onExit);
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer);
            proc.off('exit', onExit);
            resolve(l);
          },
        });
      }),
  };
}

function stop(child: Child | undefined, graceMs = 8000): Promise<void> {
  if (!child) return Promise.resolve();
  const { proc } = child;
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

function runToEnd(
  cmd: string,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function merge(intervals: readonly DemoLoadStats[]): DemoLoadStats | undefined {
  if (intervals.length === 0) return undefined;
  const requests = intervals.reduce((a, s) => a + s.requests, 0);
  const statuses: Record<string, number> = {};
  for (const s of intervals) for (const [k, v] of Object.entries(s.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const w = (f: (s: DemoLoadStats) => number) =>
    Math.round((intervals.reduce((a, s) => a + f(s) * s.requests, 0) / Math.max(1, requests)) * 10) / 10;
  return {
    requests,
    errors: intervals.reduce((a, s) => a + s.errors, 0),
    throughputPerSecond: w((s) => s.throughputPerSecond),
    // Request-weighted mean of the interval percentiles: a summary, not an exact percentile of the whole period.
    p50Ms: w((s) => s.p50Ms),
    p99Ms: Math.max(...intervals.map((s) => s.p99Ms)),
    statuses,
  };
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Runs the demo and resolves to what it found; every process it started is stopped before it resolves or
 * rejects (except the server with `keep`).
 *
 * **Details** The server is `<cli> serve --store <dir>` on free ports (read back from server.json); the shop is
 * `node --import tsx examples/shop/src/run-shop.ts` with its services under `@aiops/instrumentation/register`.
 *
 * **Complexity** About baseline + fault + ~15 s of wall time.
 *
 * **Gotchas** Needs the repository checkout (examples/shop) and a build (`pnpm build`) for the instrumentation.
 *
 * @example
 * ```ts
 * const result = await runDemo({ faultMs: 300 });
 * ```
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const status = options.onStatus ?? (() => {});
  const here = path.dirname(fileURLToPath(import.meta.url));
  const shopDir = options.shopDir ?? process.env.AIOPS_SHOP_DIR ?? findShopDir(here);
  if (!shopDir || !existsSync(path.join(shopDir, 'src', 'run-shop.ts'))) {
    throw new DemoError(
      'aiops demo runs the example shop from the repository checkout (examples/shop), which was not found; run it from a clone after `pnpm install && pnpm build`, or set AIOPS_SHOP_DIR',
    );
  }
  const cli = options.cli ?? [process.execPath, process.argv[1] as string];
  const [cliCmd, ...cliArgs] = cli as [string, ...string[]];
  const tempStore = options.store === undefined;
  const store = path.resolve(options.store ?? mkdtempSync(path.join(tmpdir(), 'aiops-demo-')));
  const rate = options.ratePerSecond ?? DEMO_DEFAULTS.ratePerSecond;
  const baselineS = options.baselineSeconds ?? DEMO_DEFAULTS.baselineSeconds;
  const faultS = options.faultSeconds ?? DEMO_DEFAULTS.faultSeconds;
  const faultMs = options.faultMs ?? DEMO_DEFAULTS.faultMs;
  const truthFile = path.join(store, 'demo-faults.jsonl');

  let server: Child | undefined;
  let shop: Child | undefined;
  let kept = false;
  try {
    status('starting aiops serve on a temporary store…');
    server = startChild(
      cliCmd,
      [
        ...cliArgs,
        'serve',
        '--store',
        store,
        '--otlp-http',
        '0',
        '--otlp-grpc',
        '0',
        '--zipkin',
        'off',
        '--query',
        '0',
      ],
      process.cwd(),
      process.env,
      options.keep === true,
    );
    await server.nextLine((l) => l.includes('store'), 30_000, 'aiops serve start');
    const info = JSON.parse(readFileSync(path.join(store, 'server.json'), 'utf8')) as {
      host: string;
      queryPort: number;
      otlpHttpPort: number;
      pid: number;
    };
    const queryUrl = `http://${info.host}:${info.queryPort}`;
    const otlpHttpUrl = `http://${info.host}:${info.otlpHttpPort}`;

    status('starting the example shop (7 instrumented services) and its load…');
    shop = startChild(
      process.execPath,
      [
        ...(options.shopNodeFlags ?? []),
        '--import',
        'tsx',
        path.join(shopDir, 'src', 'run-shop.ts'),
        '--otlp',
        otlpHttpUrl,
        '--rate',
        String(rate),
        '--ground-truth',
        truthFile,
      ],
      shopDir,
      { ...process.env, OTEL_BSP_SCHEDULE_DELAY: '500' },
    );
    const ready = JSON.parse(
      await shop.nextLine((l) => l.startsWith('{"ready"'), 120_000, 'the example shop start'),
    ) as {
      services: Record<string, string>;
    };
    const inventory = ready.services['inventory-service'] as string;
    const intervals = (): DemoLoadStats[] =>
      (shop as Child).lines
        .filter((l) => l.startsWith('{"interval"'))
        .map((l) => (JSON.parse(l) as { interval: DemoLoadStats }).interval);

    status(`load at ${rate} req/s; baseline for ${baselineS} s…`);
    await sleep(baselineS * 1000, options.signal);
    const baselineCount = intervals().length;
    if (options.signal?.aborted) throw new DemoError('interrupted');

    status(`injecting a slow database query in inventory-service (+${faultMs} ms per query) for ${faultS} s…`);
    const faultStartNano = BigInt(Date.now()) * 1_000_000n;
    const res = await fetch(`${inventory}/__fault`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'db-latency', ms: faultMs, durationMs: faultS * 1000 }),
    });
    if (res.status !== 201) throw new DemoError(`inventory-service refused the fault: ${await res.text()}`);
    await sleep(faultS * 1000 + 500, options.signal);
    if (options.signal?.aborted) throw new DemoError('interrupted');
    // On a starved machine the load generator reports late: wait (bounded) for an interval wholly inside the fault.
    for (let waited = 0; intervals().length < baselineCount + 2 && waited < 10_000; waited += 250) {
      await sleep(250, options.signal);
    }
    const all = intervals();
    // The first interval holds the services' warm-up (JIT, connection set-up); the one spanning the fault start is mixed.
    const load = {
      baseline: merge(all.slice(baselineCount > 1 ? 1 : 0, baselineCount)),
      fault: merge(all.length > baselineCount + 1 ? all.slice(baselineCount + 1) : all.slice(baselineCount)),
    };

    status('stopping the shop and flushing spans…');
    await stop(shop);
    const groundTruth = existsSync(truthFile)
      ? readFileSync(truthFile, 'utf8')
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];

    const health = (await (await fetch(`${queryUrl}/api/health`)).json()) as { spanCount: number; traceCount: number };
    const search = (await (
      await fetch(
        `${queryUrl}/api/traces?service=inventory-service&from=${faultStartNano}&minDuration=${faultMs}ms&limit=200`,
      )
    ).json()) as {
      traces: { traceId: string; durationNano: string | number; spanCount: number; rootService: string }[];
    };
    // The median of the fault window's slow traces through inventory-service, not the slowest: on a busy machine
    // the worst traces are often slow for another reason (a GC pause, a starved process) on top of the fault,
    // which would hide it; every trace in this set waited on the injected query.
    const ranked = search.traces
      .filter((t) => t.rootService === 'frontend-gateway')
      .sort((a, b) => Number(b.durationNano) - Number(a.durationNano));
    const slow = ranked[Math.floor(ranked.length / 2)];
    const slowTrace = slow
      ? {
          traceId: slow.traceId,
          durationMs: Math.round(Number(slow.durationNano) / 1e5) / 10,
          spanCount: slow.spanCount,
        }
      : undefined;

    const jsonFlag = options.json ? ['--json'] : [];
    let traceOutput = '';
    if (slowTrace) {
      status(`aiops trace --trace-id ${slowTrace.traceId}…`);
      const r = await runToEnd(
        cliCmd,
        [...cliArgs, 'trace', '--trace-id', slowTrace.traceId, '--store', store, '--no-color', ...jsonFlag],
        process.cwd(),
      );
      traceOutput = r.stdout || r.stderr;
    }
    const help = await runToEnd(cliCmd, [...cliArgs, '--help'], process.cwd());
    let dependenciesOutput: string | undefined;
    if (/^\s+analyze-dependencies\s/m.test(help.stdout)) {
      status('aiops analyze-dependencies…');
      const r = await runToEnd(
        cliCmd,
        [...cliArgs, 'analyze-dependencies', '--store', store, '--time-range', 'all', '--no-color', ...jsonFlag],
        process.cwd(),
      );
      dependenciesOutput = r.stdout || r.stderr;
    }

    kept = options.keep === true;
    return {
      store,
      queryUrl,
      otlpHttpUrl,
      services: ready.services,
      groundTruth,
      load,
      slowTrace,
      traceCount: health.traceCount,
      spanCount: health.spanCount,
      traceOutput,
      dependenciesOutput,
      kept,
      serverPid: kept ? info.pid : undefined,
    };
  } finally {
    await stop(shop);
    if (kept && server) {
      server.proc.stdout?.destroy();
      server.proc.stderr?.destroy();
      server.proc.unref();
    } else {
      await stop(server);
      if (tempStore) rmSync(store, { recursive: true, force: true });
    }
  }
}
