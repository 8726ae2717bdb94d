// No span is lost when the process ends: an app under `--import @aiops/instrumentation/register` makes 25 requests
// to itself (50 spans) and ends at once — naturally (beforeExit) or by SIGTERM — with a 60 s batch delay, so every
// span reaches the receiver only through the flush on exit. Run with the exporter in its worker thread (default)
// and on the application thread.
//
//   app   |== 25 × (CLIENT → SERVER) ==| end ─ flush ─> receiver: 50 spans, 25 named GET per kind
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');

interface OtlpJsonSpan {
  name: string;
  kind: number;
  traceId: string;
}
interface OtlpJson {
  resourceSpans: { scopeSpans: { spans: OtlpJsonSpan[] }[] }[];
}

let receiver: Server;
let base = '';
const received = new Map<string, OtlpJsonSpan[]>();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJson;
      const list = received.get(req.url ?? '') ?? [];
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) list.push(...ss.spans);
      received.set(req.url ?? '', list);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => receiver.close(() => r())));

function runApp(env: Record<string, string>): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@aiops/source',
      '--import',
      'tsx',
      '--import',
      '@aiops/instrumentation/register',
      join(here, 'fixtures/flush-app.mjs'),
    ],
    {
      cwd: pkg,
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        OTEL_SERVICE_NAME: 'flush-app',
        // The SDK's diagnostics (e.g. "export worker unavailable") go to stderr.
        OTEL_LOG_LEVEL: 'warn',
        REQUESTS: '25',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flush-app did not exit within 30 s: ${stderr}`));
    }, 30_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

describe.each(['worker', 'main'])('flush on exit, exporter on the %s thread', (thread) => {
  it.each([
    ['exit', { code: 0, signal: null }],
    ['sigterm', { code: null, signal: 'SIGTERM' }],
  ])('delivers all 50 spans when the app ends by %s', async (end, expected) => {
    const path = `/${thread}/${end}`;
    const result = await runApp({
      AIOPS_EXPORT_THREAD: thread,
      FLUSH_APP_END: end,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${base}${path}`,
    });
    expect({ code: result.code, signal: result.signal }).toEqual(expected);
    expect(result.stderr).not.toMatch(/worker unavailable|shutdown failed/);
    const spans = received.get(path) ?? [];
    expect(spans).toHaveLength(50);
    // kind 2 = SERVER, 3 = CLIENT (OTLP numbering)
    expect(spans.filter((s) => s.kind === 2 && s.name === 'GET')).toHaveLength(25);
    expect(spans.filter((s) => s.kind === 3 && s.name === 'GET')).toHaveLength(25);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(25);
  });
});
