// CPU per HTTP hop, with and without @aiops/instrumentation, in one process and without the shop's noise: a
// keep-alive client calls an in-process server N times in sequence (one CLIENT and one SERVER span per call, W3C
// traceparent header), the OTLP exporter sends to a null receiver in the parent process. Uninstrumented and
// instrumented runs alternate in child processes; CPU time is process.cpuUsage (all threads).
//
//   cd benchmarks && npx tsx --conditions=@aiops/source overhead/http-hop.ts [--requests 8000] [--rounds 5]
//        [--modes none,instrumented,instrumented-worker,unsampled,no-export] [--compare packages/instrumentation/dist-before]
//        (uses packages/instrumentation/dist: pnpm --filter @aiops/instrumentation build; `--compare <dir>` adds a
//        mode `compare` that runs another build of the package, e.g. the previous commit's, in-thread export)
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '8000' },
    rounds: { type: 'string', default: '5' },
    mode: { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
    modes: { type: 'string', default: 'none,instrumented,instrumented-worker' },
    compare: { type: 'string' },
  },
});

if (!values.mode) {
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const otlp = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const runChild = (mode: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          '--mode',
          mode,
          '--requests',
          values.requests as string,
          ...(values.compare ? ['--compare', values.compare] : []),
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, OTEL_BSP_SCHEDULE_DELAY: '1000', OTEL_EXPORTER_OTLP_ENDPOINT: otlp },
        },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.once('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`${mode} exited ${code}`))));
    });
  const modes = [...(values.modes as string).split(','), ...(values.compare ? ['compare'] : [])];
  const load0 = loadavg();
  const us: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
  for (let r = 0; r < Number(values.rounds); r++)
    for (let k = 0; k < modes.length; k++) {
      const mode = modes[(r + k) % modes.length] as string;
      us[mode]?.push(await runChild(mode));
    }
  receiver.close();
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const base = us.none as number[];
  console.log(
    JSON.stringify(
      {
        requests: Number(values.requests),
        loadAverage: { start: load0, end: loadavg() },
        cpuUsPerRequest: Object.fromEntries(modes.map((m) => [m, us[m]])),
        medianUs: Object.fromEntries(modes.map((m) => [m, median(us[m] as number[])])),
        overheadPerRoundPct: Object.fromEntries(
          modes
            .slice(1)
            .map((m) => [m, (us[m] as number[]).map((x, i) => Math.round((x / (base[i] as number) - 1) * 1000) / 10)]),
        ),
      },
      null,
      2,
    ),
  );
} else {
  const mode = values.mode;
  const require = createRequire(import.meta.url);
  // Patching happens when node:http is required, so tracing starts first (as `--import …/register` does).
  const http = await (async () => {
    if (mode !== 'none') {
      const dist =
        mode === 'compare'
          ? pathToFileURL(
              path.resolve(fileURLToPath(import.meta.url), '../../..', values.compare as string, 'index.js'),
            ).href
          : '../../packages/instrumentation/dist/index.js';
      const { start, NodeHttpInstrumentation } = (await import(
        dist
      )) as typeof import('../../packages/instrumentation/dist/index.js');
      // The cost split into layers: `unsampled` = context, propagation, hooks and non-recording spans (sampler
      // always_off); `no-export` = spans recorded and batched, then dropped (no OTLP encoding, no request).
      start({
        serviceName: 'http-hop',
        exportThread: mode === 'instrumented-worker' ? 'worker' : 'main',
        instrumentations: [new NodeHttpInstrumentation()],
        ...(mode === 'unsampled' ? { sampleRatio: 0 } : {}),
        ...(mode === 'no-export'
          ? {
              exporter: {
                export: (_spans: unknown, done: (r: { code: number }) => void) => done({ code: 0 }),
                shutdown: () => Promise.resolve(),
              },
            }
          : {}),
        esmHook: false,
        flushOnExit: false,
      });
    }
    return require('node:http') as typeof import('node:http');
  })();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true });
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', path: '/api/x', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  const n = Number(values.requests);
  for (let i = 0; i < 3000; i++) await one();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await one();
  const c = process.cpuUsage(c0);
  process.stdout.write(String(Math.round(((c.user + c.system) / n) * 10) / 10));
  agent.destroy();
  server.close();
  process.exit(0);
}
