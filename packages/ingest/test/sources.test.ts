// Jaeger, Tempo and Zipkin sources against recorded API responses served by a local HTTP server, including errors.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { spanRecord } from '@aiops/span-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isSourceError,
  jaegerSource,
  type SourceError,
  tempoSource,
  traceQlFromQuery,
  zipkinSource,
} from '../src/index.ts';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures/sources', name), 'utf8');
const JAEGER_TRACE = '83a9efd15c1c98a977e0711cc93ee28b';
const TEMPO_TRACE = '5b8efff798038103d269b633813fc60c';
const ZIPKIN_TRACE = 'ef86c83c0a05a6d6';

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => void;
const seen: { path: string; auth: string | undefined }[] = [];
const json =
  (body: unknown, status = 200): Route =>
  (_q, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
const routes: Record<string, Route> = {
  // Jaeger query service
  [`/jaeger/api/traces/${JAEGER_TRACE}`]: json(fixture('jaeger-api-v1-trace.json')),
  [`/jaeger/api/v3/traces/${JAEGER_TRACE}`]: json(fixture('jaeger-api-v3-trace.json')),
  '/jaeger/api/traces': json(fixture('jaeger-api-v1-trace.json')),
  '/jaeger/api/services': json({ data: ['telemetrygen'], total: 1, limit: 0, offset: 0, errors: null }),
  '/jaeger/api/services/telemetrygen/operations': json({
    data: ['okey-dokey-0'],
    total: 1,
    limit: 0,
    offset: 0,
    errors: null,
  }),
  '/jaeger/api/dependencies': json({ data: [{ parent: 'telemetrygen', child: 'db', callCount: 7 }], errors: null }),
  '/jaeger/api/traces/ffffffffffffffffffffffffffffffff': json(
    { data: null, errors: [{ code: 404, msg: 'trace not found' }] },
    404,
  ),
  // Tempo
  [`/tempo/api/traces/${TEMPO_TRACE}`]: json(fixture('tempo-api-trace.json')),
  '/tempo/api/search': json({
    traces: [
      {
        traceID: TEMPO_TRACE,
        rootServiceName: 'my.service',
        rootTraceName: "I'm a server span",
        startTimeUnixNano: '1544712660000000000',
        durationMs: 1000,
      },
    ],
    metrics: { inspectedBytes: '1' },
  }),
  '/tempo/api/search/tag/service.name/values': json({ tagValues: ['my.service'] }),
  '/tempo/api/v2/search/tag/name/values': json({ tagValues: [{ type: 'string', value: "I'm a server span" }] }),
  // Zipkin
  [`/zipkin/api/v2/trace/${ZIPKIN_TRACE}`]: json(fixture('zipkin-api-v2-trace.json')),
  '/zipkin/api/v2/traces': json(`[${fixture('zipkin-api-v2-trace.json')}]`),
  '/zipkin/api/v2/services': json(['mobile-gateway', 'auth-service', 'content-service']),
  '/zipkin/api/v2/spans': json(['get', 'hystrix']),
  '/zipkin/api/v2/dependencies': json([
    { parent: 'mobile-gateway', child: 'auth-service', callCount: 4, errorCount: 1 },
  ]),
  // failures
  '/broken/api/services': json('{"data": [', 200),
  '/secret/api/services': json({ message: 'unauthorized' }, 401),
  '/down/api/services': json('upstream connect error', 503),
  '/slow/api/services': () => undefined, // never answers
  '/wrong/api/services': json({ services: ['a'] }),
};

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: `${url.pathname}${url.search}`, auth: req.headers.authorization });
    const route = routes[url.pathname];
    if (route) route(req, res, url);
    else json({ errors: [{ code: 404 }] }, 404)(req, res, url);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
const last = (prefix: string) => seen.filter((s) => s.path.startsWith(prefix)).at(-1)!;

describe('jaegerSource', () => {
  it('reads a trace by id through the v1 JSON API and the v3 OTLP API, with the same spans', async () => {
    const v1 = await jaegerSource(`jaeger://ops:pw@${base}/jaeger`).getTrace(JAEGER_TRACE.toUpperCase());
    const v3 = await jaegerSource(`jaeger://${base}/jaeger`, { api: 'v3' }).getTrace(JAEGER_TRACE);
    expect(v1?.numSpans).toBe(2);
    expect(last(`/jaeger/api/traces/${JAEGER_TRACE}`).auth).toBe(`Basic ${Buffer.from('ops:pw').toString('base64')}`);
    const ops = (t: typeof v1) =>
      Array.from({ length: t!.numSpans }, (_, i) => spanRecord(t!, i))
        .map((r) => [r.spanId, r.service, r.operation, r.startTimeUnixNano])
        .sort();
    expect(ops(v1)).toEqual(ops(v3));
    expect(ops(v1)[0]).toEqual(['e127af99e3b3e074', 'telemetrygen', 'okey-dokey-0', expect.any(String)]);
    expect(await jaegerSource(`jaeger://${base}/jaeger`).getTrace('ffffffffffffffffffffffffffffffff')).toBeUndefined();
  });

  it('searches with the documented query parameters and summarises the traces', async () => {
    const src = jaegerSource(`jaeger://${base}/jaeger`);
    const found = await src.searchTraces({
      service: 'telemetrygen',
      operation: 'okey-dokey-0',
      minDurationNano: 1_000n,
      fromUnixNano: 0n,
      toUnixNano: 2_000_000_000_000_000_000n,
      limit: 5,
    });
    const q = new URL(`http://x${last('/jaeger/api/traces?').path}`).searchParams;
    expect(Object.fromEntries(q)).toEqual({
      service: 'telemetrygen',
      operation: 'okey-dokey-0',
      start: '0',
      end: '2000000000000000',
      minDuration: '1us',
      limit: '5',
    });
    expect(found).toEqual([
      expect.objectContaining({
        traceId: JAEGER_TRACE,
        spanCount: 2,
        services: ['telemetrygen'],
        rootService: '',
        durationNano: 123_000n,
      }),
    ]);
    expect(await src.services()).toEqual(['telemetrygen']);
    expect(await src.operations()).toEqual([{ service: 'telemetrygen', operation: 'okey-dokey-0', spanCount: 0 }]);
    expect(await src.dependencies(1000, 60_000)).toEqual([
      { parent: 'telemetrygen', child: 'db', callCount: 7, errorCount: 0 },
    ]);
    expect(last('/jaeger/api/dependencies').path).toBe('/jaeger/api/dependencies?endTs=1000&lookback=60000');
  });
});

describe('tempoSource', () => {
  it('reads a trace by id (OTLP JSON under "batches") and searches with TraceQL', async () => {
    const src = tempoSource(`tempo://${base}/tempo`);
    const t = await src.getTrace(TEMPO_TRACE.toUpperCase());
    expect(t && spanRecord(t, 0)).toMatchObject({
      traceId: TEMPO_TRACE,
      service: 'my.service',
      operation: "I'm a server span",
      kind: 'server',
    });
    const found = await src.searchTraces({
      service: 'my.service',
      failed: false,
      fromUnixNano: 0n,
      toUnixNano: 2_000_000_000_000_000_000n,
      limit: 3,
    });
    expect(found.map((s) => [s.traceId, s.rootService, s.spanCount])).toEqual([[TEMPO_TRACE, '', 1]]);
    const q = new URL(`http://x${last('/tempo/api/search?').path}`).searchParams;
    expect([q.get('q'), q.get('start'), q.get('end'), q.get('limit')]).toEqual([
      '{ resource.service.name = "my.service" }',
      '0',
      '2000000000',
      '3',
    ]);
    expect(await src.services()).toEqual(['my.service']);
    expect(await src.operations('my.service')).toEqual([
      { service: 'my.service', operation: "I'm a server span", spanCount: 0 },
    ]);
  });

  it('translates every query field into one TraceQL spanset', () => {
    expect(traceQlFromQuery({})).toBe('{}');
    expect(
      traceQlFromQuery({ service: 'a"b', operation: 'GET /', failed: true, minDurationNano: 5n, maxDurationNano: 9n }),
    ).toBe(
      '{ resource.service.name = "a\\"b" && name = "GET /" && status = error && traceDuration >= 5ns && traceDuration <= 9ns }',
    );
  });
});

describe('zipkinSource', () => {
  it('reads a trace, searches, and lists services, span names and dependencies', async () => {
    const src = zipkinSource(`zipkin://${base}/zipkin`);
    const t = await src.getTrace(`0000000000000000${ZIPKIN_TRACE}`);
    expect(t?.numSpans).toBe(8);
    expect(last('/zipkin/api/v2/trace/').path).toBe(`/zipkin/api/v2/trace/${ZIPKIN_TRACE}`);
    const found = await src.searchTraces({
      service: 'auth-service',
      fromUnixNano: 0n,
      toUnixNano: 2_000_000_000_000_000_000n,
      minDurationNano: 1000n,
    });
    const q = new URL(`http://x${last('/zipkin/api/v2/traces?').path}`).searchParams;
    expect(Object.fromEntries(q)).toEqual({
      endTs: '2000000000000',
      lookback: '2000000000000',
      serviceName: 'auth-service',
      minDuration: '1',
      limit: '100',
    });
    expect(found).toEqual([
      expect.objectContaining({
        traceId: `0000000000000000${ZIPKIN_TRACE}`,
        spanCount: 8,
        services: ['auth-service', 'content-service', 'mobile-gateway'],
      }),
    ]);
    expect(await src.services()).toEqual(['auth-service', 'content-service', 'mobile-gateway']);
    expect(await src.operations('auth-service')).toEqual([
      { service: 'auth-service', operation: 'get', spanCount: 0 },
      { service: 'auth-service', operation: 'hystrix', spanCount: 0 },
    ]);
    expect(await src.dependencies()).toEqual([
      { parent: 'mobile-gateway', child: 'auth-service', callCount: 4, errorCount: 1 },
    ]);
  });
});

describe('errors', () => {
  const fail = async (p: Promise<unknown>): Promise<SourceError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSourceError(err)).toBe(true);
    return err as SourceError;
  };
  it('names the URL and the failure, never the credentials', async () => {
    const auth = await fail(jaegerSource(`jaeger://me:hunter2@${base}/secret`).services());
    expect([auth.code, auth.status]).toEqual(['auth', 401]);
    expect(auth.message).toBe(
      `http://${base}/secret/api/services: HTTP 401 — check the credentials ({"message":"unauthorized"})`,
    );
    expect(auth.message).not.toContain('hunter2');
    const bad = await fail(jaegerSource(`jaeger://${base}/broken`).services());
    expect(bad.code).toBe('bad_response');
    expect(bad.message).toContain('is not valid JSON');
    const down = await fail(
      zipkinSource(`zipkin://${base}/down`)
        .services()
        .catch(() => jaegerSource(`jaeger://${base}/down`).services()),
    );
    expect([down.code, down.status]).toEqual(['bad_response', 503]);
    const slow = await fail(jaegerSource(`jaeger://${base}/slow`, { timeoutMs: 200 }).services());
    expect(slow.code).toBe('timeout');
    expect(slow.message).toBe(`http://${base}/slow/api/services: no answer within 200 ms`);
    const wrong = await fail(jaegerSource(`jaeger://${base}/wrong`).services());
    expect(wrong.code).toBe('schema');
    const missing = await fail(zipkinSource(`zipkin://${base}/nothing-here`).services());
    expect(missing.code).toBe('not_found');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await fail(tempoSource(`tempo://user:pw@127.0.0.1:${port}`).services());
    expect(refused.code).toBe('unreachable');
    expect(refused.message).toBe(
      `http://127.0.0.1:${port}/api/search/tag/service.name/values: cannot connect (ECONNREFUSED)`,
    );
  });
});
