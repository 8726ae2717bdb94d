// aiops serve under bad input: every endpoint gets random bytes, truncated protobuf, wrong content types, ids of the
// wrong length, invalid UTF-8, a 100 MB body, a gzip bomb, 100,000 spans in one request and 10,000 attributes on a
// span. Each gets the right status and message, the valid spans of a request are kept, and the server keeps serving.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTLP_TRACE_EXPORT_PATH } from '../src/serve/otlp-grpc.ts';
import { type RunningServer, startServer } from '../src/serve/server.ts';
import { hex, idBytes, otlpRequest, type ProtoSpan } from './serve-fixtures/otlp-proto.ts';
import { post } from './serve-fixtures/post.ts';

let dir: string;
let server: RunningServer;
let q: string;
const PROTO = { 'content-type': 'application/x-protobuf' };
const JSONH = { 'content-type': 'application/json' };
const T = 1_764_000_000_000_000_000n;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-serve-bad-'));
  server = await startServer({ store: dir, otlpGrpcPort: 0, otlpHttpPort: 0, zipkinPort: 0, queryPort: 0 });
  q = `http://127.0.0.1:${server.ports.query}`;
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function span(seed: number, extra: Partial<ProtoSpan> = {}): ProtoSpan {
  return {
    traceId: idBytes(16, seed),
    spanId: idBytes(8, seed + 1000),
    name: `op-${seed}`,
    startUnixNano: T + BigInt(seed) * 1000n,
    endUnixNano: T + BigInt(seed) * 1000n + 5_000_000n,
    ...extra,
  };
}

/** Random bytes from a fixed seed (xorshift), starting with an invalid wire type so the result is certain. */
function randomBytes(n: number, seed = 42): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  b[0] = 0x0f; // field 1, wire type 7: invalid
  return b;
}

async function traceSpans(id: string): Promise<{ operation: string; attributes: Record<string, unknown> }[] | null> {
  const res = await fetch(`${q}/api/traces/${id}`);
  if (res.status === 404) return null;
  return (await res.json()).spans;
}

const statusOf = (b: Buffer) => JSON.parse(b.toString('utf8')) as { code: number; message: string };

describe('OTLP/HTTP protobuf bad input', () => {
  it('answers 400 with the byte position for random bytes', async () => {
    const r = await post(server.ports.otlpHttp, '/v1/traces', randomBytes(4096), PROTO);
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('application/x-protobuf');
    // google.rpc.Status { code = 3 (INVALID_ARGUMENT), message }
    expect(r.body[0]).toBe(0x08);
    expect(r.body[1]).toBe(3);
    expect(r.body.toString('utf8')).toContain('otlp: byte 1: invalid OTLP protobuf: invalid wire type 7');
  });

  it('answers 400 for truncated protobuf and keeps nothing of it', async () => {
    const full = otlpRequest('trunc', [span(1), span(2)]);
    const r = await post(server.ports.otlpHttp, '/v1/traces', full.subarray(0, full.length - 7), PROTO);
    expect(r.status).toBe(400);
    expect(r.body.toString('utf8')).toMatch(/truncated OTLP protobuf/);
    expect(await traceSpans(hex(idBytes(16, 1)))).toBeNull();
  });

  it('answers 415 for a wrong content type, naming the accepted ones', async () => {
    const r = await post(server.ports.otlpHttp, '/v1/traces', otlpRequest('x', [span(3)]), {
      'content-type': 'text/plain',
    });
    expect(r.status).toBe(415);
    expect(statusOf(r.body).message).toBe(
      'unsupported content type "text/plain" for /v1/traces: send application/x-protobuf or application/json',
    );
  });

  it('rejects spans with ids of the wrong length in partial_success and keeps the valid ones', async () => {
    const body = otlpRequest('ids', [
      span(10),
      span(11, { traceId: idBytes(5, 11) }),
      span(12, { spanId: idBytes(3, 12) }),
      span(13),
    ]);
    const r = await post(server.ports.otlpHttp, '/v1/traces', body, PROTO);
    expect(r.status).toBe(200);
    // ExportTraceServiceResponse { partial_success (1) { rejected_spans (1) = 2, error_message (2) } }
    expect(r.body[0]).toBe(0x0a);
    expect(r.body[2]).toBe(0x08);
    expect(r.body[3]).toBe(2);
    expect(r.body.toString('utf8')).toMatch(
      /2 of 4 spans rejected: .*trace id.*span id|2 of 4 spans rejected: .*span id.*trace id/,
    );
    expect((await traceSpans(hex(idBytes(16, 10))))?.map((s) => s.operation)).toEqual(['op-10']);
    expect((await traceSpans(hex(idBytes(16, 13))))?.map((s) => s.operation)).toEqual(['op-13']);
  });

  it('answers 400 when every span of the request is invalid', async () => {
    const r = await post(
      server.ports.otlpHttp,
      '/v1/traces',
      otlpRequest('ids', [span(14, { traceId: idBytes(3, 1) })]),
      PROTO,
    );
    expect(r.status).toBe(400);
    expect(r.body.toString('utf8')).toContain('no valid span: all 1 rejected');
  });

  it('stores invalid UTF-8 in a name with replacement characters', async () => {
    const r = await post(
      server.ports.otlpHttp,
      '/v1/traces',
      otlpRequest('utf8', [span(20, { name: Uint8Array.from([0x6f, 0x70, 0xff, 0xfe, 0x21]) })]),
      PROTO,
    );
    expect(r.status).toBe(200);
    expect((await traceSpans(hex(idBytes(16, 20))))?.[0]?.operation).toBe('op\uFFFD\uFFFD!');
  });

  it('answers 413 for a 100 MB body, declared or chunked, before reading it', async () => {
    const chunk = new Uint8Array(1024 * 1024);
    const declared = await post(server.ports.otlpHttp, '/v1/traces', { chunk, times: 100 }, PROTO);
    expect(declared.status).toBe(413);
    expect(declared.body.toString('utf8')).toContain('request body larger than the limit of 16 MiB');
    const chunked = await post(server.ports.otlpHttp, '/v1/traces', { chunk, times: 100 }, PROTO, true);
    expect(chunked.status).toBe(413);
  });

  it('keeps draining a refused body after the 413, so a client still writing can read the answer', async () => {
    // The client sends 4 MiB of a declared 100 MB body and does not read; the server answers 413 at once. 300 ms
    // later the client writes 4 MiB more and only then reads. A server that closed the socket right after its
    // answer would reset the connection (unread bytes), the write would fail and the 413 would be lost.
    const sock = net.connect(server.ports.otlpHttp, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.pause();
    const errors: string[] = [];
    let closed = false;
    sock.on('error', (e: NodeJS.ErrnoException) => errors.push(String(e.code)));
    sock.on('close', () => {
      closed = true;
    });
    sock.write(
      'POST /v1/traces HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-protobuf\r\n' +
        'connection: close\r\ncontent-length: 104857600\r\n\r\n',
    );
    sock.write(Buffer.alloc(4 * 1024 * 1024));
    await new Promise((r) => setTimeout(r, 300));
    await new Promise<void>((r) => sock.write(Buffer.alloc(4 * 1024 * 1024), () => r()));
    const parts: Buffer[] = [];
    sock.on('data', (d: Buffer) => parts.push(d));
    sock.resume();
    await new Promise<void>((r) => {
      const check = () => (closed || Buffer.concat(parts).includes('limit of 16 MiB') ? r() : setTimeout(check, 10));
      check();
    });
    sock.destroy();
    const text = Buffer.concat(parts).toString('latin1');
    expect(errors).toEqual([]);
    expect(text.startsWith('HTTP/1.1 413 ')).toBe(true);
    expect(text).toContain('request body larger than the limit of 16 MiB');
  });

  it('answers 413 for a gzip body that inflates past the limit', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(200_000);
    const r = await post(server.ports.otlpHttp, '/v1/traces', bomb, { ...PROTO, 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(r.body.toString('utf8')).toContain('decompressed request body larger than the limit of 16 MiB');
  });

  it('answers 400 for a body that is not gzip although it says so', async () => {
    const r = await post(server.ports.otlpHttp, '/v1/traces', otlpRequest('x', [span(30)]), {
      ...PROTO,
      'content-encoding': 'gzip',
    });
    expect(r.status).toBe(400);
    expect(r.body.toString('utf8')).toContain('invalid gzip body');
  });

  it('stores 100,000 spans sent in one gzip request', async () => {
    const spans: ProtoSpan[] = [];
    for (let i = 0; i < 100_000; i++)
      spans.push({
        traceId: idBytes(16, 100_000 + Math.floor(i / 10)),
        spanId: Uint8Array.from(Buffer.from((BigInt(i + 1) | (1n << 60n)).toString(16).padStart(16, '0'), 'hex')),
        name: `bulk-${i % 7}`,
        startUnixNano: T + BigInt(i),
        endUnixNano: T + BigInt(i) + 1000n,
      });
    const before = (await (await fetch(`${q}/api/health`)).json()).spanCount;
    const body = zlib.gzipSync(otlpRequest('bulk', spans));
    const r = await post(server.ports.otlpHttp, '/v1/traces', body, { ...PROTO, 'content-encoding': 'gzip' });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(0);
    const after = (await (await fetch(`${q}/api/health`)).json()).spanCount;
    expect(after - before).toBe(100_000);
    const ops = (await (await fetch(`${q}/api/operations?service=bulk`)).json()).operations;
    expect(ops.reduce((s: number, o: { spanCount: number }) => s + o.spanCount, 0)).toBe(100_000);
  });

  it('stores a span with 10,000 attributes, every one of them', async () => {
    const attributes: [string, string][] = [];
    for (let i = 0; i < 10_000; i++) attributes.push([`attr.${i}`, `value-${i}`]);
    const r = await post(server.ports.otlpHttp, '/v1/traces', otlpRequest('wide', [span(40, { attributes })]), PROTO);
    expect(r.status).toBe(200);
    const stored = (await traceSpans(hex(idBytes(16, 40))))![0]!;
    expect(Object.keys(stored.attributes)).toHaveLength(10_000);
    expect(stored.attributes['attr.9999']).toBe('value-9999');
  });
});

describe('OTLP/HTTP JSON bad input', () => {
  const url = () => server.ports.otlpHttp;
  const jsonSpan = (traceId: string, spanId: string, name: string) => ({
    traceId,
    spanId,
    name,
    kind: 2,
    startTimeUnixNano: '1764000000000000000',
    endTimeUnixNano: '1764000000005000000',
  });
  const doc = (spans: unknown[]) =>
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'json' } }] },
          scopeSpans: [{ spans }],
        },
      ],
    });

  it('answers 400 in JSON for random bytes', async () => {
    const r = await post(url(), '/v1/traces', randomBytes(1000), JSONH);
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('application/json');
    const s = statusOf(r.body);
    expect(s.code).toBe(3);
    expect(s.message).toMatch(/^otlp: .*invalid JSON/);
  });

  it('answers 400 for JSON cut off in the middle', async () => {
    const text = doc([jsonSpan('a'.repeat(32), 'b'.repeat(16), 'x')]);
    const r = await post(url(), '/v1/traces', Buffer.from(text.slice(0, 60)), JSONH);
    expect(r.status).toBe(400);
    expect(statusOf(r.body).message).toMatch(/truncated|ends/i);
  });

  it('reports wrong-length ids in partialSuccess and keeps the valid span', async () => {
    const r = await post(
      url(),
      '/v1/traces',
      Buffer.from(
        doc([jsonSpan('c'.repeat(32), 'd'.repeat(16), 'ok'), jsonSpan('c'.repeat(34), 'e'.repeat(16), 'bad')]),
      ),
      JSONH,
    );
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body.toString('utf8'));
    expect(body.partialSuccess.rejectedSpans).toBe('1');
    expect(body.partialSuccess.errorMessage).toMatch(/^1 of 2 spans rejected: 1 invalid trace id/);
    expect((await traceSpans('c'.repeat(32)))?.map((s) => s.operation)).toEqual(['ok']);
  });

  it('stores invalid UTF-8 in JSON with replacement characters', async () => {
    const text = Buffer.from(doc([jsonSpan('f'.repeat(32), '1'.repeat(16), 'NAME')]));
    const i = text.indexOf('NAME');
    text[i + 1] = 0xff;
    const r = await post(url(), '/v1/traces', text, JSONH);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('{}');
    expect((await traceSpans('f'.repeat(32)))?.[0]?.operation).toBe('N\uFFFDME');
  });
});

describe('Zipkin bad input', () => {
  const port = () => server.ports.zipkin;
  const zspan = (traceId: string, id: string, name: string) => ({
    traceId,
    id,
    name,
    kind: 'SERVER',
    timestamp: 1764000000000000,
    duration: 1500,
    localEndpoint: { serviceName: 'zip' },
  });

  it('answers 400 with a message for random bytes and 415 for protobuf', async () => {
    const r = await post(port(), '/api/v2/spans', randomBytes(500), JSONH);
    expect(r.status).toBe(400);
    expect(r.body.toString()).toMatch(/^zipkin: .*invalid JSON/);
    const p = await post(port(), '/api/v2/spans', randomBytes(10), { 'content-type': 'application/x-protobuf' });
    expect(p.status).toBe(415);
    expect(p.body.toString()).toContain('send application/json (Zipkin v2 JSON)');
  });

  it('keeps the valid spans of a request with an id of the wrong length and answers 202', async () => {
    const r = await post(
      port(),
      '/api/v2/spans',
      Buffer.from(
        JSON.stringify([zspan('2'.repeat(32), '3'.repeat(16), 'good'), zspan('2'.repeat(32), '4'.repeat(20), 'bad')]),
      ),
      JSONH,
    );
    expect(r.status).toBe(202);
    expect(JSON.parse(r.body.toString()).rejectedSpans).toBe(1);
    expect((await traceSpans('2'.repeat(32)))?.map((s) => s.operation)).toEqual(['good']);
  });

  it('answers 413 for a 100 MB body', async () => {
    const r = await post(port(), '/api/v2/spans', { chunk: new Uint8Array(1 << 20).fill(32), times: 100 }, JSONH);
    expect(r.status).toBe(413);
  });
});

describe('OTLP/gRPC bad input', () => {
  function exportRaw(body: Uint8Array): Promise<{ err: ServiceError | null; res?: Buffer }> {
    const client = new Client(`127.0.0.1:${server.ports.otlpGrpc}`, credentials.createInsecure(), {
      'grpc.max_send_message_length': 200 * 1024 * 1024,
    });
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        OTLP_TRACE_EXPORT_PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(body),
        new Metadata(),
        (err, res) => {
          client.close();
          resolve({ err, ...(res ? { res } : {}) });
        },
      );
    });
  }

  it('answers INVALID_ARGUMENT for random bytes and truncated protobuf', async () => {
    const r = await exportRaw(randomBytes(2048));
    expect(r.err?.code).toBe(status.INVALID_ARGUMENT);
    expect(r.err?.details).toContain('invalid OTLP protobuf');
    const full = otlpRequest('g', [span(50)]);
    const t = await exportRaw(full.subarray(0, full.length - 3));
    expect(t.err?.code).toBe(status.INVALID_ARGUMENT);
    expect(t.err?.details).toContain('truncated OTLP protobuf');
  });

  it('answers partial_success for wrong-length ids and keeps the valid span', async () => {
    const r = await exportRaw(otlpRequest('g', [span(51), span(52, { spanId: idBytes(4, 1) })]));
    expect(r.err).toBeNull();
    expect(r.res![3]).toBe(1);
    expect(r.res!.toString('utf8')).toContain('1 of 2 spans rejected');
    expect((await traceSpans(hex(idBytes(16, 51))))?.map((s) => s.operation)).toEqual(['op-51']);
  });

  it('answers RESOURCE_EXHAUSTED for a 100 MB message', async () => {
    const r = await exportRaw(new Uint8Array(100 * 1024 * 1024));
    expect(r.err?.code).toBe(status.RESOURCE_EXHAUSTED);
  });
});

describe('after all that', () => {
  it('still serves queries and accepts valid exports', async () => {
    const r = await post(server.ports.otlpHttp, '/v1/traces', otlpRequest('after', [span(60)]), PROTO);
    expect(r.status).toBe(200);
    const health = await (await fetch(`${q}/api/health`)).json();
    expect(health.status).toBe('ok');
    expect(health.ingest.requestsInvalid).toBeGreaterThanOrEqual(12);
    expect(health.ingest.inflightBytes).toBe(0);
    expect(health.ingest.queueSpans).toBe(0);
  });
});

describe('backpressure', () => {
  it('answers 429 with Retry-After when the queue is full and stores every acknowledged span', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-serve-bp-'));
    const small = await startServer({
      store: d,
      otlpGrpcPort: null,
      zipkinPort: null,
      otlpHttpPort: 0,
      queryPort: 0,
      queue: { maxQueuedSpans: 20, groupCommitMs: 20 },
    });
    try {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, k) =>
          post(
            small.ports.otlpHttp,
            '/v1/traces',
            otlpRequest(
              'bp',
              Array.from({ length: 10 }, (_, i) => span(1000 + k * 10 + i)),
            ),
            PROTO,
          ),
        ),
      );
      const ok = results.filter((r) => r.status === 200).length;
      const busy = results.filter((r) => r.status === 429);
      expect(ok).toBeGreaterThanOrEqual(1);
      expect(busy.length).toBeGreaterThanOrEqual(1);
      expect(ok + busy.length).toBe(30);
      expect(busy[0]!.headers['retry-after']).toBe('1');
      expect(busy[0]!.body.toString('utf8')).toContain('ingest queue full');
      const health = await (await fetch(`http://127.0.0.1:${small.ports.query}/api/health`)).json();
      expect(health.spanCount).toBe(ok * 10);
    } finally {
      await small.close();
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
