// How long the OTLP export blocks the application's event loop, and what it costs in CPU: one process starts
// --spans-per-second SERVER spans (12 attributes each, as NodeHttpInstrumentation records them) in 10 ms steps,
// a BatchSpanProcessor (default 512-span batches, 1 s delay) exports them to a null OTLP/HTTP receiver in another
// process, and a 1 ms timer measures the event loop's delay. Exporter on the application thread (OpenTelemetry's
// OTLPTraceExporter) vs WorkerSpanExporter.
//
//   cd benchmarks && npx tsx --conditions=@aiops/source overhead/export-thread.ts [--spans-per-second 2000]
//        [--seconds 20] [--thread worker|main]   (without --thread: both, one after the other, in child processes)
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
// The built package, as users load it (pnpm --filter @aiops/instrumentation build).
import { WorkerSpanExporter } from '../../packages/instrumentation/dist/index.js';

const { values } = parseArgs({
  options: {
    'spans-per-second': { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '20' },
    thread: { type: 'string' },
    receiver: { type: 'string' },
  },
});

if (!values.thread) {
  // Parent: a null receiver in this process, each exporter in its own child (same flags), alternating twice.
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
  const load0 = loadavg();
  const results: unknown[] = [];
  for (const thread of ['main', 'worker', 'worker', 'main']) {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          '--thread',
          thread,
          '--receiver',
          url,
          '--spans-per-second',
          values['spans-per-second'] as string,
          '--seconds',
          values.seconds as string,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`child exited ${code}`))));
    });
    results.push(JSON.parse(out));
  }
  receiver.close();
  const cpu = execFileSync('nproc').toString().trim();
  console.log(JSON.stringify({ cpus: cpu, loadAverage: { start: load0, end: loadavg() }, results }, null, 2));
} else {
  const rate = Number(values['spans-per-second']);
  const seconds = Number(values.seconds);
  const url = values.receiver as string;
  const exporter = values.thread === 'worker' ? new WorkerSpanExporter({ url }) : new OTLPTraceExporter({ url });
  const bsp = new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'export-thread', 'host.name': 'bench' }),
    sampler: new AlwaysOnSampler(),
    spanProcessors: [bsp],
  });
  const tracer = provider.getTracer('@aiops/instrumentation-node-http', '0.1.0');
  let n = 0;
  const step = (count: number): void => {
    for (let i = 0; i < count; i++, n++) {
      const span = tracer.startSpan('GET', { kind: SpanKind.SERVER });
      span.setAttributes({
        'http.request.method': 'GET',
        'url.scheme': 'http',
        'url.path': `/api/products/SKU-${n % 500}`,
        'server.port': 4001,
        'server.address': '127.0.0.1',
        'network.protocol.version': '1.1',
        'network.peer.address': '127.0.0.1',
        'user_agent.original': 'shop-load/1.0',
        'user.id': `user-${n % 50}`,
        'http.response.status_code': 200,
        'http.route': '/api/products/:sku',
      });
      span.updateName('GET /api/products/:sku');
      span.end();
    }
  };
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  // Warm-up: JIT of span creation and of the exporter path.
  for (let t = 0; t < 300; t++) {
    step(rate / 100);
    await sleep(10);
  }
  await bsp.forceFlush();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const cpu0 = process.cpuUsage();
  const creation = { user: 0, system: 0 };
  delay.enable();
  for (let t = 0; t < seconds * 100; t++) {
    const c = process.cpuUsage();
    step(rate / 100);
    const d = process.cpuUsage(c);
    creation.user += d.user;
    creation.system += d.system;
    await sleep(10);
  }
  await bsp.forceFlush();
  delay.disable();
  const cpu = process.cpuUsage(cpu0);
  const spans = rate * seconds;
  const us = (x: { user: number; system: number }): number => x.user + x.system;
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  console.log(
    JSON.stringify({
      thread: values.thread,
      spans,
      cpuUsPerSpanTotal: Math.round((us(cpu) / spans) * 10) / 10,
      cpuUsPerSpanCreating: Math.round((us(creation) / spans) * 10) / 10,
      eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
    }),
  );
  await provider.shutdown();
}
