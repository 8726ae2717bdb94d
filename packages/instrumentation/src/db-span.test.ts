import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { withDbSpan } from './db-span.ts';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const cm = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(cm);
trace.setGlobalTracerProvider(provider);
afterAll(() => {
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

describe('withDbSpan', () => {
  it('wraps an async query in a CLIENT span with stable and old db.* attributes', async () => {
    const rows = await withDbSpan(
      {
        system: 'duckdb',
        namespace: 'inventory-db',
        collection: 'stock',
        statement: 'select qty from stock where sku = $1',
        peerService: 'inventory-db',
      },
      async () => [{ qty: 3 }],
    );
    expect(rows).toEqual([{ qty: 3 }]);
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('SELECT stock');
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.attributes).toEqual({
      'db.system.name': 'duckdb',
      'db.system': 'duckdb',
      'db.operation.name': 'SELECT',
      'db.operation': 'SELECT',
      'db.collection.name': 'stock',
      'db.sql.table': 'stock',
      'db.namespace': 'inventory-db',
      'db.name': 'inventory-db',
      'db.query.text': 'select qty from stock where sku = $1',
      'db.statement': 'select qty from stock where sku = $1',
      'peer.service': 'inventory-db',
    });
  });

  it('records a rejection as an error with error.type and rethrows it', async () => {
    const err = Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    await expect(
      withDbSpan({ system: 'redis', operation: 'GET', conventions: 'stable' }, async () => {
        throw err;
      }),
    ).rejects.toBe(err);
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('GET');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'connection reset' });
    expect(span?.attributes['error.type']).toBe('ECONNRESET');
    expect(span?.attributes['db.system']).toBeUndefined();
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('ends a synchronous call at once and makes nested spans its children', () => {
    const v = withDbSpan({ system: 'lru-cache', operation: 'GET', conventions: 'old' }, () =>
      withDbSpan({ system: 'lru-cache', operation: 'SET' }, () => 7),
    );
    expect(v).toBe(7);
    const [inner, outer] = exporter.getFinishedSpans();
    expect(inner?.name).toBe('SET');
    expect(outer?.attributes).toEqual({ 'db.system': 'lru-cache', 'db.operation': 'GET' });
    expect(inner?.parentSpanContext?.spanId).toBe(outer?.spanContext().spanId);
  });

  it("derives each statement's operation (remembered per statement) and merges extra attributes", async () => {
    const run = (statement: string) =>
      withDbSpan(
        { system: 'duckdb', collection: 'stock', statement, attributes: { 'db.response.returned_rows': 2 } },
        () => 1,
      );
    run('  update stock set qty = qty - 1 where sku = $1');
    run('SELECT qty FROM stock');
    run('  update stock set qty = qty - 1 where sku = $1');
    run('');
    const all = exporter.getFinishedSpans();
    expect(all.map((s) => s.name)).toEqual(['UPDATE stock', 'SELECT stock', 'UPDATE stock', 'duckdb stock']);
    expect(all.map((s) => s.attributes['db.operation.name'])).toEqual(['UPDATE', 'SELECT', 'UPDATE', undefined]);
    expect(all.map((s) => s.attributes['db.response.returned_rows'])).toEqual([2, 2, 2, 2]);
  });

  //   caller (unsampled, from upstream)  |===========|   traceFlags 00
  //   GET (withDbSpan)                     |=====|       not recorded: no span exported, no attributes built
  it('records nothing under an unsampled parent, yet runs fn with a non-recording span', () => {
    const parent = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 0,
      isRemote: true,
    });
    const recording = context.with(trace.setSpan(context.active(), parent), () =>
      withDbSpan({ system: 'redis', operation: 'GET', collection: 'carts' }, (span) => span.isRecording()),
    );
    expect(recording).toBe(false);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
