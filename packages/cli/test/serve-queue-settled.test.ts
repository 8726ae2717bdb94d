// The query API's wait for a running flush must end with that flush: under sustained ingest a new flush starts as
// soon as one ends, and a read that waited for "no flush running" waited until the load stopped (113 s in the AC6
// --fast benchmark).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spanIdAt, spanTableFromRows, takeSpans } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { IngestQueue } from '../src/serve/ingest-queue.ts';
import { LiveSource } from '../src/serve/live-source.ts';
import { openServerStore } from '../src/serve/store-client.ts';
import { WriteAheadLog } from '../src/serve/wal.ts';

const T0 = 1_764_000_000_000_000_000n;

/** Request `k`: one trace of 20 spans (a root and 19 children), ids unique per request. */
function request(k: number) {
  const trace = (k + 1).toString(16).padStart(32, '0');
  return spanTableFromRows(
    Array.from({ length: 20 }, (_, i) => ({
      traceId: trace,
      spanId: (k * 100 + i + 1).toString(16).padStart(16, '0'),
      ...(i > 0 ? { parentSpanId: (k * 100 + 1).toString(16).padStart(16, '0') } : {}),
      service: `svc-${i % 4}`,
      operation: `op-${i % 3}`,
      startUnixNano: T0 + BigInt(k * 1_000_000 + i * 1000),
      endUnixNano: T0 + BigInt(k * 1_000_000 + i * 1000 + 500),
    })),
  );
}

describe('IngestQueue.settled', () => {
  it('resolves when the running flush ends, while flushes keep following each other', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-serve-settled-'));
    const store = await openServerStore({ dir }, false);
    const wal = await WriteAheadLog.create(path.join(dir, 'wal'));
    // A flush per request: every submit finds at least maxBatchSpans unflushed spans, so flushes chain for as long
    // as requests arrive.
    const queue = new IngestQueue(store, wal, { maxBatchSpans: 1, flushIntervalMs: 60_000 });
    const body = Buffer.from('{"resourceSpans":[]}');
    let sent = 0;
    let stop = false;
    // Eight senders, so that spans are always waiting when a flush ends.
    const pump = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (!stop) await queue.submit(request(sent++), 'otlp-json', body);
      }),
    );
    while (queue.batches < 3) await new Promise((r) => setTimeout(r, 5));
    const batchesBefore = queue.batches;
    const outcome = await Promise.race([
      queue.settled().then(() => 'settled'),
      new Promise<string>((r) => setTimeout(() => r('still waiting after 20 s'), 20_000)),
    ]);
    const batchesAtSettle = queue.batches;
    const sentAtSettle = sent;
    // Ingest went on after settled() returned: it did not wait for the flushing to stop.
    while (sent < sentAtSettle + 5) await new Promise((r) => setTimeout(r, 5));
    stop = true;
    await pump;
    await queue.close();
    await store.close();
    expect(outcome).toBe('settled');
    expect(batchesAtSettle).toBeGreaterThanOrEqual(batchesBefore);
    expect(batchesAtSettle).toBeLessThanOrEqual(batchesBefore + 2);
    // Every request reached the store once.
    const reopened = await openServerStore({ dir }, false);
    expect((await reopened.operations()).reduce((s, o) => s + o.spanCount, 0)).toBe(sent * 20);
    await reopened.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});

describe('LiveSource.getTrace under sustained flushing', () => {
  it('returns every span of a trace split over store and head exactly once, without waiting for flushes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-serve-gettrace-'));
    const store = await openServerStore({ dir }, false);
    const wal = await WriteAheadLog.create(path.join(dir, 'wal'));
    const queue = new IngestQueue(store, wal, { maxBatchSpans: 1, flushIntervalMs: 60_000 });
    const live = new LiveSource(store, queue.head, queue.recent, true, () => queue.settled());
    const body = Buffer.from('{"resourceSpans":[]}');
    // Request i holds half of trace floor(i / 2): the halves of a trace land in different flushes, so a lookup
    // merges the store with the head while flushes run one after another.
    const half = (i: number) => {
      const t = request(Math.floor(i / 2));
      const rows = Array.from({ length: 10 }, (_, k) => (i % 2) * 10 + k);
      return takeSpans(t, Int32Array.from(rows));
    };
    let next = 0;
    let acked = 0;
    let stop = false;
    const pump = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (!stop) {
          const i = next++;
          await queue.submit(half(i), 'otlp-json', body);
          acked = Math.max(acked, i);
        }
      }),
    );
    while (queue.batches < 3) await new Promise((r) => setTimeout(r, 5));
    const counts: number[] = [];
    const t0 = performance.now();
    for (let q = 0; q < 60; q++) {
      // A trace whose both halves were acknowledged a moment ago: its spans may be in the head, mid-flush or stored.
      const t = Math.max(0, Math.floor((acked - 16) / 2));
      const table = await live.getTrace((t + 1).toString(16).padStart(32, '0'));
      const ids = new Set(Array.from({ length: table?.numSpans ?? 0 }, (_, r) => spanIdAt(table!, r)));
      counts.push(ids.size === table?.numSpans ? ids.size : -1);
    }
    const seconds = (performance.now() - t0) / 1000;
    stop = true;
    await pump;
    await queue.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
    expect(counts.filter((c) => c !== 20)).toEqual([]);
    expect(seconds).toBeLessThan(20);
  }, 60_000);
});
