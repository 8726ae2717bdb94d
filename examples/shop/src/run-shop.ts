// Starts the example shop: seven services as child processes, each (unless told otherwise) instrumented only by
// `node --import @aiops/instrumentation/register`, wired together by URL, with optional load.
//
//   node --import tsx src/run-shop.ts [--otlp http://127.0.0.1:4318] [--no-instrument] [--rate 20] [--duration 60]
//        [--ground-truth shop-faults.jsonl] [--propagators tracecontext,baggage] [--base-port 0]
//
// Prints one JSON line `{"ready":true,"services":{...urls}}` when every service answers, then (with --rate) load
// summaries; stops everything on SIGTERM/SIGINT or after --duration.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoad } from './load-generator.ts';

/** The shop's services in start order: each depends only on services before it. */
export const SHOP_SERVICES: readonly { readonly name: string; readonly calls: readonly string[] }[] = [
  { name: 'payment-gateway', calls: [] },
  { name: 'auth-service', calls: [] },
  { name: 'cart-service', calls: [] },
  { name: 'inventory-service', calls: [] },
  { name: 'payment-service', calls: ['payment-gateway'] },
  { name: 'order-service', calls: ['inventory-service', 'payment-service'] },
  { name: 'frontend-gateway', calls: ['auth-service', 'cart-service', 'inventory-service', 'order-service'] },
];

/** The directory of the example package (where `tsx` and `@aiops/instrumentation` resolve from). */
export const SHOP_DIR: string = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Options of {@link startShop}. */
export interface StartShopOptions {
  /** Instrument the services (default true). */
  readonly instrument?: boolean;
  /** OTLP endpoint base URL (default http://127.0.0.1:4318). */
  readonly otlpEndpoint?: string;
  /** Ground-truth file every injected fault is appended to. */
  readonly groundTruthFile?: string;
  /** First port (services get consecutive ports); 0 = any free port (default). */
  readonly basePort?: number;
  /** Only these services (and nothing else) are started; their downstream URLs must then be in `env`. */
  readonly only?: readonly string[];
  /** Extra environment for every service (e.g. OTEL_PROPAGATORS). */
  readonly env?: NodeJS.ProcessEnv;
  /** Extra node flags, e.g. `--conditions=@aiops/source` to run the instrumentation from source. */
  readonly nodeFlags?: readonly string[];
  /** Where the services' stdout/stderr go (default: ignored). */
  readonly onOutput?: (service: string, line: string) => void;
}

/** A started shop. */
export interface RunningShop {
  /** Base URL of each service. */
  readonly urls: Readonly<Record<string, string>>;
  /** Process id of each service. */
  readonly pids: Readonly<Record<string, number>>;
  /** Stops every service (SIGTERM, then SIGKILL after 5 s) and waits for them to exit. */
  stop(): Promise<void>;
}

function startOne(
  name: string,
  env: NodeJS.ProcessEnv,
  options: StartShopOptions,
): Promise<{ child: ChildProcess; port: number }> {
  const instrument = options.instrument ?? true;
  // A launcher run from source (`--conditions=@aiops/source`) runs its services from source too.
  const inherited = process.execArgv.filter((a) => a.startsWith('--conditions'));
  const args = [
    ...(options.nodeFlags ?? inherited),
    '--import',
    'tsx',
    ...(instrument ? ['--import', '@aiops/instrumentation/register'] : []),
    resolve(SHOP_DIR, 'src', 'services', `${name}.ts`),
  ];
  const child = spawn(process.execPath, args, {
    cwd: SHOP_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const forward = (data: Buffer): void => {
    for (const line of data.toString('utf8').split('\n')) if (line.trim()) options.onOutput?.(name, line);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`example-shop: ${name} did not start within 60 s`));
    }, 60_000);
    child.once('message', (msg: { ready?: boolean; port?: number }) => {
      clearTimeout(timer);
      if (msg.ready && msg.port) resolveReady({ child, port: msg.port });
      else reject(new Error(`example-shop: ${name} sent ${JSON.stringify(msg)}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`example-shop: ${name} exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
}

function stopChildren(children: readonly ChildProcess[]): Promise<void> {
  return Promise.all(
    children.map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(kill);
            done();
          });
          child.kill('SIGTERM');
        }),
    ),
  ).then(() => {});
}

/** Starts the shop's services in dependency order (independent services in parallel) and resolves when all answer. */
export async function startShop(options: StartShopOptions = {}): Promise<RunningShop> {
  const urls: Record<string, string> = {};
  const pids: Record<string, number> = {};
  const children: ChildProcess[] = [];
  const wanted = SHOP_SERVICES.filter((s) => !options.only || options.only.includes(s.name));
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: options.otlpEndpoint ?? 'http://127.0.0.1:4318',
    OTEL_BSP_SCHEDULE_DELAY: process.env.OTEL_BSP_SCHEDULE_DELAY ?? '1000',
    AIOPS_BAGGAGE_KEYS: process.env.AIOPS_BAGGAGE_KEYS ?? 'user.id,shop.client',
    ...(options.groundTruthFile ? { SHOP_GROUND_TRUTH: resolve(options.groundTruthFile) } : {}),
    ...options.env,
  };
  // Services go in "waves": a service starts once everything it calls is up.
  const pending = [...wanted];
  try {
    while (pending.length > 0) {
      const wave = pending.filter((s) =>
        s.calls.every((c) => urls[c] !== undefined || !wanted.some((w) => w.name === c)),
      );
      if (wave.length === 0) throw new Error('example-shop: dependency cycle');
      const started = await Promise.all(
        wave.map((s) => {
          const env: NodeJS.ProcessEnv = { ...baseEnv, OTEL_SERVICE_NAME: s.name };
          if (options.basePort) env.SHOP_PORT = String(options.basePort + SHOP_SERVICES.indexOf(s));
          for (const [n, u] of Object.entries(urls)) env[`SHOP_${n.toUpperCase().replace(/-/g, '_')}_URL`] = u;
          return startOne(s.name, env, options).then((r) => ({ s, ...r }));
        }),
      );
      for (const { s, child, port } of started) {
        urls[s.name] = `http://127.0.0.1:${port}`;
        pids[s.name] = child.pid as number;
        children.push(child);
        pending.splice(pending.indexOf(s), 1);
      }
    }
  } catch (err) {
    await stopChildren(children);
    throw err;
  }
  return { urls, pids, stop: () => stopChildren(children) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      otlp: { type: 'string' },
      'no-instrument': { type: 'boolean' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      'ground-truth': { type: 'string' },
      propagators: { type: 'string' },
      'base-port': { type: 'string' },
      verbose: { type: 'boolean' },
    },
  });
  const shop = await startShop({
    instrument: !values['no-instrument'],
    ...(values.otlp ? { otlpEndpoint: values.otlp } : {}),
    ...(values['ground-truth'] ? { groundTruthFile: values['ground-truth'] } : {}),
    ...(values['base-port'] ? { basePort: Number(values['base-port']) } : {}),
    ...(values.propagators ? { env: { OTEL_PROPAGATORS: values.propagators } } : {}),
    ...(values.verbose ? { onOutput: (s: string, l: string) => process.stderr.write(`[${s}] ${l}\n`) } : {}),
  });
  process.stdout.write(`${JSON.stringify({ ready: true, services: shop.urls, pids: shop.pids })}\n`);
  const controller = new AbortController();
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    controller.abort();
    await shop.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const durationS = values.duration ? Number(values.duration) : 0;
  if (values.rate) {
    const summary = await runLoad({
      target: shop.urls['frontend-gateway'] as string,
      ratePerSecond: Number(values.rate),
      durationMs: durationS > 0 ? durationS * 1000 : Number.POSITIVE_INFINITY,
      signal: controller.signal,
      onInterval: (s) => process.stdout.write(`${JSON.stringify({ interval: s })}\n`),
    });
    process.stdout.write(`${JSON.stringify({ summary })}\n`);
    await stop();
  } else if (durationS > 0) {
    setTimeout(() => void stop(), durationS * 1000);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
