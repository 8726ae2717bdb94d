// The ClickHouse store over HTTP (@clickhouse/client): a small ClickHouse HTTP interface in front of chdb serves the
// real engine, so the wire formats the HTTP executor sends and reads (Arrow streams both ways, `param_*` binding,
// settings) are exercised end to end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SpanTable, spanRecord, spanTableFromRows } from '@aiops/span-model';
import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseStore, openClickHouseStore } from '../src/index.ts';
import { BASE, span, tempDir } from './helpers.ts';

const records = (t: SpanTable | undefined) =>
  (t ? Array.from({ length: t.numSpans }, (_, i) => spanRecord(t, i)) : []).sort((a, b) =>
    a.spanId.localeCompare(b.spanId),
  );

const T = '0af7651916cd43dd8448eb211c80319c';
//  trace T (µs after BASE)
//  1 web    GET /items   |==========================|  0..800   server, resource host
//  2 items  ListItems        |=============|           100..500  client, error with an exception event
//  3 db     SELECT ✓               |===|               200..300  follows_from 2, int64 beyond 2^53
const table = spanTableFromRows([
  span(T, '1', undefined, 'web', 'GET /items', 0, 800, {
    kind: 'server',
    attributes: { 'http.response.status_code': 200 },
    resource: { 'host.name': 'web-1' },
  }),
  span(T, '2', '1', 'items', 'ListItems', 100, 500, {
    kind: 'client',
    statusCode: 'error',
    events: [{ timeUnixNano: (BASE + 450_001n).toString(), name: 'exception', attributes: { 'exception.type': 'E' } }],
  }),
  span(T, '3', '2', 'db', 'SELECT ✓', 200, 300, {
    parentRefType: 'follows_from',
    attributes: { 'big.int': 9007199254740993n },
  }),
]);

interface Seen {
  readonly query: string;
  readonly bodyBytes: number;
  readonly firstBytes: number[];
}

/** A minimal ClickHouse HTTP interface over a chdb session: query text, `param_*`, `output_format_*`, INSERT bodies. */
function clickHouseHttpShim(session: Session, spool: string, seen: Seen[]): Server {
  let seq = 0;
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://shim');
        const body = Buffer.concat(chunks);
        const inUrl = url.searchParams.get('query');
        let sql = inUrl ?? body.toString('utf8');
        const params: Record<string, string> = {};
        const settings: string[] = [];
        for (const [k, v] of url.searchParams) {
          if (k.startsWith('param_')) params[k.slice(6)] = v;
          else if (k.startsWith('output_format_')) settings.push(`${k} = '${v}'`);
        }
        seen.push({ query: sql, bodyBytes: inUrl === null ? 0 : body.length, firstBytes: [...body.subarray(0, 4)] });
        const m = /\s*FORMAT\s+(\w+)\s*$/.exec(sql);
        const format = m?.[1] ?? 'TSV';
        if (m) sql = sql.slice(0, m.index);
        try {
          let out: Uint8Array = new Uint8Array(0);
          if (inUrl !== null && /^\s*INSERT/i.test(sql)) {
            const file = join(spool, `body-${seq++}`);
            writeFileSync(file, body);
            await session.queryAsync(`${sql} FROM INFILE '${file}' FORMAT ${format}`);
          } else {
            const q =
              settings.length && /^\s*(WITH|SELECT)/i.test(sql) ? `${sql} SETTINGS ${settings.join(', ')}` : sql;
            const r = Object.keys(params).length
              ? await session.queryBindAsync(q, params, { format })
              : await session.queryAsync(q, { format });
            out = r.bytes();
          }
          res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
          res.end(Buffer.from(out));
        } catch (err) {
          const message = (err as Error).message;
          const code = /Code: (\d+)/.exec(message)?.[1] ?? '1';
          res.writeHead(500, { 'X-ClickHouse-Exception-Code': code });
          res.end(message);
        }
      })();
    });
  });
}

describe('ClickHouse store over HTTP (@clickhouse/client → ClickHouse HTTP interface → chdb)', () => {
  const tmp = tempDir();
  const spool = mkdtempSync(join(tmpdir(), 'ch-shim-'));
  const seen: Seen[] = [];
  let session: Session;
  let server: Server;
  let ch: ClickHouseStore;

  beforeAll(async () => {
    session = new Session(tmp.dir);
    server = clickHouseHttpShim(session, spool, seen);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    ch = await openClickHouseStore(`clickhouse://default@127.0.0.1:${port}/otel`, { createSchema: true });
  });
  afterAll(async () => {
    await ch.close();
    await new Promise((r) => server.close(r));
    session.cleanup();
    tmp.cleanup();
    rmSync(spool, { recursive: true, force: true });
  });

  it('inserts an Arrow stream as the request body and reads spans back from an Arrow stream', async () => {
    expect(await ch.append(table)).toEqual({ inserted: 3, duplicates: 0 });
    const insert = seen.find((s) => /^INSERT INTO/.test(s.query))!;
    expect(insert.query).toMatch(
      /^INSERT INTO `otel`\.`otel_traces` \(`Timestamp`, `TraceId`, .*\) FORMAT ArrowStream$/,
    );
    // an Arrow IPC stream starts with the continuation marker 0xFFFFFFFF
    expect(insert.firstBytes).toEqual([255, 255, 255, 255]);
    expect(insert.bodyBytes).toBeGreaterThan(1000);
    const got = await ch.getTrace(T);
    expect(records(got)).toEqual(records(table));
    expect(records(got).find((r) => r.spanId === '0000000000000003')?.attributes['big.int']).toBe('9007199254740993');
    expect(seen.some((s) => /FORMAT ArrowStream$/.test(s.query) && /^WITH/.test(s.query))).toBe(true);
  });

  it('skips spans already stored, and searches and aggregates through the same client', async () => {
    expect(await ch.append(table)).toEqual({ inserted: 0, duplicates: 3 });
    expect(
      (await ch.searchTraces({ failed: true, limit: 5 })).map((t) => [t.traceId, t.spanCount, t.errorCount]),
    ).toEqual([[T, 3, 1]]);
    expect((await ch.serviceEdges()).map((e) => [e.caller, e.callee, e.callCount])).toEqual([
      ['items', 'db', 1],
      ['web', 'items', 1],
    ]);
    expect((await ch.spans({ service: 'db' })).numSpans).toBe(3);
  });
});
