// Java (Spring Boot + OpenTelemetry Java agent 2.x) and Go (net/http + otelhttp + otlptracehttp) services need nothing
// special to export to `aiops serve`: this replays OTLP/HTTP protobuf requests shaped as those SDKs write them —
// their resource and scope attributes, int/array attribute values, span flags, gzip from Go — into a real server and
// reads the joined trace back.
//
//   0 checkout-go  SERVER  "checkout"           |==============================|   0..120 ms
//   1 checkout-go  CLIENT  "HTTP POST"             |======================|         10..100 ms   otelhttp.Transport
//   2 orders-java  SERVER  "POST /orders"            |==================|           15..95 ms    tomcat, parent 1
//   3 orders-java  CLIENT  "INSERT shop.orders"         |=========|                 30..70 ms    jdbc, postgresql
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpExportRequest } from '../../ingest/test/otlp-proto.ts';
import { type RunningServer, startServer } from '../src/serve/server.ts';

// OTLP trace messages (opentelemetry-proto trace/v1, common/v1, resource/v1), field numbers as there.
const Request = OtlpExportRequest;

type Value = string | number | boolean | string[];
const kv = (attrs: Record<string, Value>) =>
  Object.entries(attrs).map(([key, v]) => ({
    key,
    value: Array.isArray(v)
      ? { arrayValue: { values: v.map((s) => ({ stringValue: s })) } }
      : typeof v === 'string'
        ? { stringValue: v }
        : typeof v === 'boolean'
          ? { boolValue: v }
          : Number.isInteger(v)
            ? { intValue: v }
            : { doubleValue: v },
  }));

const TRACE = '5b8efff798038103d269b633813fc60c';
const IDS = {
  goServer: 'eee19b7ec3c1b174',
  goClient: 'eee19b7ec3c1b175',
  javaServer: '0f4c4d9bd0e4f1a2',
  jdbc: '0f4c4d9bd0e4f1a3',
};
const T0 = BigInt(Date.now() - 60_000) * 1_000_000n;
const ms = (n: number) => (T0 + BigInt(n) * 1_000_000n).toString();
const span = (
  id: string,
  parent: string | undefined,
  name: string,
  kind: number,
  start: number,
  end: number,
  attributes: Record<string, Value>,
) => ({
  traceId: Buffer.from(TRACE, 'hex'),
  spanId: Buffer.from(id, 'hex'),
  ...(parent ? { parentSpanId: Buffer.from(parent, 'hex') } : {}),
  // Java SDK ≥ 1.37 and Go SDK set the W3C flags plus the "parent is remote" bits (0x100, 0x200).
  flags: parent ? 0x301 : 0x101,
  name,
  kind,
  startTimeUnixNano: ms(start),
  endTimeUnixNano: ms(end),
  attributes: kv(attributes),
  status: { code: 0 },
});

/** What the Java agent 2.x sends for a Spring Boot app (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf, the default). */
const javaRequest = {
  resourceSpans: [
    {
      resource: {
        attributes: kv({
          'service.name': 'orders-java',
          'service.version': '1.4.2',
          'deployment.environment.name': 'demo',
          'host.name': 'orders-7d9c',
          'host.arch': 'amd64',
          'os.type': 'linux',
          'process.pid': 4242,
          'process.runtime.name': 'OpenJDK Runtime Environment',
          'process.runtime.version': '21.0.5+11-LTS',
          'process.command_args': [
            '/opt/java/bin/java',
            '-javaagent:/otel/opentelemetry-javaagent.jar',
            '-jar',
            'orders.jar',
          ],
          'telemetry.sdk.language': 'java',
          'telemetry.sdk.name': 'opentelemetry',
          'telemetry.sdk.version': '1.44.1',
          'telemetry.distro.name': 'opentelemetry-java-instrumentation',
          'telemetry.distro.version': '2.10.0',
          'service.instance.id': '1f0e5c9a-7a41-4a7f-9c4e-3b6f0d2a9e11',
        }),
      },
      scopeSpans: [
        {
          scope: { name: 'io.opentelemetry.tomcat-10.0', version: '2.10.0-alpha' },
          spans: [
            span(IDS.javaServer, IDS.goClient, 'POST /orders', 2, 15, 95, {
              'http.request.method': 'POST',
              'http.route': '/orders',
              'url.path': '/orders',
              'url.scheme': 'http',
              'http.response.status_code': 201,
              'server.address': 'orders',
              'server.port': 8080,
              'network.protocol.version': '1.1',
              'user_agent.original': 'Go-http-client/1.1',
              'client.address': '10.0.0.7',
              'thread.name': 'http-nio-8080-exec-3',
              'thread.id': 41,
            }),
          ],
        },
        {
          scope: { name: 'io.opentelemetry.jdbc', version: '2.10.0-alpha' },
          spans: [
            span(IDS.jdbc, IDS.javaServer, 'INSERT shop.orders', 3, 30, 70, {
              'db.system': 'postgresql',
              'db.name': 'shop',
              'db.operation': 'INSERT',
              'db.sql.table': 'orders',
              'db.statement': 'insert into orders (id, customer, total_cents) values (?, ?, ?)',
              'db.connection_string': 'postgresql://db:5432',
              'server.address': 'db',
              'server.port': 5432,
            }),
          ],
        },
      ],
      schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
    },
  ],
};

/** What a Go net/http service with otelhttp and otlptracehttp sends (gzip via OTEL_EXPORTER_OTLP_COMPRESSION). */
const goRequest = {
  resourceSpans: [
    {
      resource: {
        attributes: kv({
          'service.name': 'checkout-go',
          'service.version': 'v0.9.0',
          'telemetry.sdk.language': 'go',
          'telemetry.sdk.name': 'opentelemetry',
          'telemetry.sdk.version': '1.32.0',
          'host.name': 'checkout-5f6b',
        }),
      },
      scopeSpans: [
        {
          scope: { name: 'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp', version: '0.57.0' },
          spans: [
            span(IDS.goServer, undefined, 'checkout', 2, 0, 120, {
              'http.method': 'POST',
              'http.scheme': 'http',
              'net.host.name': 'checkout',
              'net.host.port': 8000,
              'http.target': '/checkout',
              'http.status_code': 200,
              'http.wrote_bytes': 57,
              'net.sock.peer.addr': '10.0.0.3',
              'user_agent.original': 'curl/8.5.0',
            }),
            span(IDS.goClient, IDS.goServer, 'HTTP POST', 3, 10, 100, {
              'http.method': 'POST',
              'http.url': 'http://orders:8080/orders',
              'net.peer.name': 'orders',
              'net.peer.port': 8080,
              'http.status_code': 201,
            }),
          ],
        },
      ],
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    },
  ],
};

let server: RunningServer;
let store: string;

beforeAll(async () => {
  store = mkdtempSync(join(tmpdir(), 'aiops-replay-'));
  server = await startServer({ store, otlpHttpPort: 0, otlpGrpcPort: null, zipkinPort: null, queryPort: 0 });
});

afterAll(async () => {
  await server?.close();
  rmSync(store, { recursive: true, force: true });
});

const post = async (doc: unknown, gzip: boolean): Promise<number> => {
  const bytes = Request.encode(Request.fromObject(doc as Record<string, unknown>)).finish();
  const res = await fetch(`http://127.0.0.1:${server.ports.otlpHttp}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
    body: new Uint8Array(gzip ? gzipSync(bytes) : bytes),
  });
  await res.arrayBuffer();
  return res.status;
};

describe('OTLP from the Java agent and the Go SDK', () => {
  it('stores both exports as one trace with the cross-language parent link', async () => {
    expect(await post(javaRequest, false)).toBe(200);
    expect(await post(goRequest, true)).toBe(200);
    const res = await fetch(`http://127.0.0.1:${server.ports.query}/api/traces/${TRACE}`);
    expect(res.status).toBe(200);
    const { spans } = (await res.json()) as {
      spans: {
        spanId: string;
        parentSpanId: string;
        service: string;
        operation: string;
        kind: string;
        attributes: Record<string, unknown>;
        resource: Record<string, unknown>;
      }[];
    };
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    expect(spans).toHaveLength(4);
    expect([...byId.keys()].sort()).toEqual(Object.values(IDS).sort());
    expect(byId.get(IDS.goServer)?.parentSpanId).toBe('');
    expect(byId.get(IDS.goClient)?.parentSpanId).toBe(IDS.goServer);
    expect(byId.get(IDS.javaServer)?.parentSpanId).toBe(IDS.goClient);
    expect(byId.get(IDS.jdbc)?.parentSpanId).toBe(IDS.javaServer);
    expect(byId.get(IDS.javaServer)?.service).toBe('orders-java');
    expect(byId.get(IDS.goClient)?.service).toBe('checkout-go');
    expect(byId.get(IDS.javaServer)?.operation).toBe('POST /orders');
    expect(byId.get(IDS.jdbc)?.attributes['db.system']).toBe('postgresql');
    expect(byId.get(IDS.javaServer)?.attributes['http.response.status_code']).toBe(201);
    expect(byId.get(IDS.jdbc)?.resource['telemetry.sdk.language']).toBe('java');
    expect(byId.get(IDS.goServer)?.resource['telemetry.sdk.language']).toBe('go');
  });

  it('lists the Java and Go services', async () => {
    const res = await fetch(`http://127.0.0.1:${server.ports.query}/api/services`);
    const { services } = (await res.json()) as { services: string[] };
    expect(services).toEqual(expect.arrayContaining(['checkout-go', 'orders-java']));
  });
});
