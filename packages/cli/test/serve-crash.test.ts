// aiops serve durability: a server in a child process acknowledges exports, is killed with SIGKILL right after the
// last acknowledgement, and a new server on the same store (with the stale server.json) finds every acknowledged
// span. SIGTERM then flushes and exits cleanly, and the cli opens the store directly again.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVER_INFO_FILE, type ServerInfo } from '../src/serve/server-info.ts';
import { runCli } from './run-cli.ts';
import { hex, idBytes, otlpRequest, type ProtoSpan } from './serve-fixtures/otlp-proto.ts';
import { post } from './serve-fixtures/post.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-serve-crash-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (!exited(c) && c.pid) safeKill(-c.pid, 'SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;

function safeKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** Starts the server in its own process group; resolves when server.json names a process other than `notPid`. */
async function startChild(
  notPid = 0,
  store = dir,
  extra: string[] = [],
): Promise<{ child: ChildProcess; info: ServerInfo; output: () => string }> {
  const child = spawn(
    TSX,
    [
      '--conditions=@aiops/source',
      path.join(import.meta.dirname, 'serve-fixtures/serve-child.ts'),
      '--store',
      store,
      ...extra,
    ],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const info = JSON.parse(fs.readFileSync(path.join(store, SERVER_INFO_FILE), 'utf8')) as ServerInfo;
      if (info.pid !== notPid && out.includes('listening')) return { child, info, output: () => out };
    } catch {
      // Not written yet.
    }
    if (exited(child)) throw new Error(`server exited early: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server did not start: ${out}`);
}

const T = 1_764_000_000_000_000_000n;
function request(k: number): Uint8Array {
  const spans: ProtoSpan[] = [];
  for (let i = 0; i < 100; i++)
    spans.push({
      traceId: idBytes(16, k * 10 + Math.floor(i / 10)),
      spanId: idBytes(8, k * 1000 + i + 1),
      name: `crash-op-${i % 5}`,
      startUnixNano: T + BigInt(k * 1000 + i) * 1000n,
      endUnixNano: T + BigInt(k * 1000 + i) * 1000n + 2_000_000n,
    });
  return otlpRequest('crash', spans);
}

describe('aiops serve after SIGKILL', () => {
  it('keeps every acknowledged span across kill -9 and a restart, then stops cleanly on SIGTERM', async () => {
    const first = await startChild();
    expect(first.output()).toContain(
      `point exporters at OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${first.info.otlpHttpPort}`,
    );
    const acked: number[] = [];
    // Waves of 8 concurrent exports; more are still in flight when the server is killed.
    for (let wave = 0; wave < 6; wave++) {
      const ks = Array.from({ length: 8 }, (_, j) => wave * 8 + j);
      const rs = await Promise.all(
        ks.map((k) =>
          post(first.info.otlpHttpPort, '/v1/traces', request(k), { 'content-type': 'application/x-protobuf' }),
        ),
      );
      for (const [j, r] of rs.entries()) if (r.status === 200) acked.push(ks[j]!);
    }
    const inFlight = Array.from({ length: 8 }, (_, j) =>
      post(first.info.otlpHttpPort, '/v1/traces', request(100 + j), { 'content-type': 'application/x-protobuf' }).catch(
        () => undefined,
      ),
    );
    safeKill(-first.child.pid!, 'SIGKILL');
    await Promise.all(inFlight);
    await new Promise<void>((r) => (exited(first.child) ? r() : first.child.once('exit', () => r())));
    expect(acked).toHaveLength(48);
    // server.json is stale now (dead pid): the cli ignores it.
    const second = await startChild(first.info.pid);
    const q = `http://127.0.0.1:${second.info.queryPort}`;
    for (const k of acked) {
      for (let t = 0; t < 10; t++) {
        const res = await fetch(`${q}/api/traces/${hex(idBytes(16, k * 10 + t))}`);
        expect(res.status).toBe(200);
        expect((await res.json()).spanCount).toBe(10);
      }
    }
    const health = await (await fetch(`${q}/api/health`)).json();
    expect(health.spanCount).toBeGreaterThanOrEqual(4800);
    // The cli reads through the running server.
    const viaServer = await runCli(['trace', hex(idBytes(16, 0)), '--store', dir, '--json']);
    expect(viaServer.code).toBe(0);
    expect(JSON.parse(viaServer.stdout).spanCount).toBe(10);
    // SIGTERM: flush, close the store, remove server.json, exit 0.
    safeKill(second.info.pid, 'SIGTERM');
    const code = await new Promise<number | null>((r) =>
      second.child.exitCode !== null ? r(second.child.exitCode) : second.child.once('exit', (c) => r(c)),
    );
    expect(second.output()).toContain('aiops serve: SIGTERM — flushing');
    expect(second.output()).toContain('aiops serve: stopped');
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(dir, SERVER_INFO_FILE))).toBe(false);
    const direct = await runCli(['trace', hex(idBytes(16, 10)), '--store', dir, '--json']);
    expect(direct.code).toBe(0);
    expect(JSON.parse(direct.stdout).spanCount).toBe(10);
  });
});

describe('aiops serve after SIGKILL with spans only in the write-ahead log', () => {
  it('replays every acknowledged request that never reached DuckDB, ignoring a torn tail', async () => {
    const store = fs.mkdtempSync(path.join(dir, 'wal-only-'));
    // A flush interval of an hour: nothing reaches DuckDB before the kill.
    const first = await startChild(0, store, ['--flush-interval', '1h']);
    const q1 = `http://127.0.0.1:${first.info.queryPort}`;
    for (let k = 200; k < 210; k++) {
      const r = await post(first.info.otlpHttpPort, '/v1/traces', request(k), {
        'content-type': 'application/x-protobuf',
      });
      expect(r.status).toBe(200);
      // Queryable at once, from the head block.
      const res = await fetch(`${q1}/api/traces/${hex(idBytes(16, k * 10 + 9))}`);
      expect(res.status).toBe(200);
      expect((await res.json()).spanCount).toBe(10);
    }
    const before = await (await fetch(`${q1}/api/health`)).json();
    expect(before.ingest.headSpans).toBe(1000);
    expect(before.ingest.batches).toBe(0);
    expect(before.spanCount).toBe(1000);
    expect(before.traceCount).toBe(100);
    safeKill(-first.child.pid!, 'SIGKILL');
    await new Promise<void>((r) => (exited(first.child) ? r() : first.child.once('exit', () => r())));
    // A write that the crash cut short: half a record header and garbage at the end of the newest segment.
    const segments = fs.readdirSync(path.join(store, 'wal')).sort();
    expect(segments.length).toBeGreaterThanOrEqual(1);
    fs.appendFileSync(path.join(store, 'wal', segments.at(-1)!), Buffer.from([0x40, 0x1f, 0x00, 0x00, 0xde, 0xad]));
    // The restart also runs DuckDB on one thread (--store-threads), as the throughput benchmark does.
    const second = await startChild(first.info.pid, store, ['--store-threads', '1']);
    expect(second.output()).toContain('recovered 1,000 spans of 10 requests from the write-ahead log (1,000 were');
    const q2 = `http://127.0.0.1:${second.info.queryPort}`;
    for (let k = 200; k < 210; k++) {
      for (let t = 0; t < 10; t++) {
        const res = await fetch(`${q2}/api/traces/${hex(idBytes(16, k * 10 + t))}`);
        expect(res.status).toBe(200);
        expect((await res.json()).spanCount).toBe(10);
      }
    }
    const after = await (await fetch(`${q2}/api/health`)).json();
    expect(after.spanCount).toBe(1000);
    expect(after.ingest.headSpans).toBe(0);
    // The replayed segments are gone: a third start recovers nothing more.
    safeKill(second.info.pid, 'SIGTERM');
    await new Promise<void>((r) => (exited(second.child) ? r() : second.child.once('exit', () => r())));
    expect(fs.readdirSync(path.join(store, 'wal'))).toEqual([]);
  });
});

describe('aiops serve --store-threads', () => {
  it('refuses a thread count that is not a whole number ≥ 1, naming the option', async () => {
    const r = await runCli(['serve', '--store', path.join(dir, 'never'), '--store-threads', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--store-threads: "0" is not a whole number ≥ 1');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
