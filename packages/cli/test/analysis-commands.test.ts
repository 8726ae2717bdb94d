import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOP_KINDS, shopStore, traceId } from './analysis-fixtures.ts';
import { runCli } from './run-cli.ts';

// The shop store (see analysis-fixtures.ts): 23 checkout traces 10 s apart from 2026-01-01T00:00:00Z;
// traces 19..22 are slow (orders-db 900 ms instead of 20 ms, 1000 ms end to end), traces 3, 9, 15 fail because
// payment refuses the connection (checkout → payment client span with ECONNREFUSED, 500 up to frontend).
let store: string;
let cleanup: () => void;
const slowIds = [22, 21, 20, 19].map(traceId);

beforeAll(async () => {
  const s = await shopStore();
  store = s.dir;
  cleanup = s.cleanup;
});
afterAll(() => cleanup());

const json = async (argv: string[]) => {
  const r = await runCli([...argv, '--store', store, '--json']);
  return { code: r.code, doc: JSON.parse(r.stdout), stderr: r.stderr };
};

describe('aiops analyze-slow-traces', () => {
  it('finds exactly the four slow traces and blames orders-db', async () => {
    const { code, doc } = await json(['analyze-slow-traces', '--threshold', '500ms']);
    expect(code).toBe(0);
    expect(doc.traces).toBe(23);
    expect(doc.slowCount).toBe(4);
    expect(doc.slowShare).toBeCloseTo(4 / 23, 6);
    expect(doc.slowTraces.map((s: { traceId: string }) => s.traceId).sort()).toEqual([...slowIds].sort());
    expect(doc.slowTraces[0].durationMs).toBe(1000);
    expect(doc.slowTraces[0].bottleneck.service).toBe('orders-db');
    expect(doc.slowTraces[0].bottleneck.operation).toBe('SELECT orders');
    expect(doc.slowTraces[0].bottleneck.exclusiveMs).toBe(900);
    expect(doc.slowTraces[0].bottleneck.share).toBe(0.9);
    expect(doc.bottlenecks).toHaveLength(1);
    expect(doc.bottlenecks[0]).toMatchObject({ service: 'orders-db', operation: 'SELECT orders', traces: 4 });
    expect(doc.bottlenecks[0].meanShare).toBe(0.9);
    expect(doc.suggestions.length).toBeGreaterThan(0);
    expect(doc.suggestions[0].text).toContain('SELECT * FROM orders');
    expect(doc.typicalTraceId).not.toBeNull();
    expect(SHOP_KINDS[Number.parseInt(doc.typicalTraceId.slice(0, 8), 16) - 1]).toBe('normal');
  });

  it('lists at most --limit slow traces in JSON and prints the report sections', async () => {
    const { doc } = await json(['analyze-slow-traces', '--threshold', '500ms', '--limit', '2']);
    expect(doc.slowTraces).toHaveLength(2);
    expect(doc.slowCount).toBe(4);
    const r = await runCli(['analyze-slow-traces', '--threshold', '500ms', '--store', store]);
    expect(r.code).toBe(0);
    for (const h of [
      'Duration distribution',
      'Bottleneck services',
      'Example slow traces',
      'Suggestions',
      'Next steps',
    ])
      expect(r.stdout).toContain(h);
    // Equal durations keep store order: trace 19 comes first.
    expect(r.stdout).toContain(`aiops trace --trace-id ${traceId(19)} --waterfall`);
  });

  it('exits 1 when no trace is slow, and 2 on conflicting options', async () => {
    const none = await runCli(['analyze-slow-traces', '--threshold', '5s', '--store', store]);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('No slow traces');
    const both = await runCli(['analyze-slow-traces', '--threshold', '1s', '--percentile', '95', '--store', store]);
    expect(both.code).toBe(2);
    const bad = await runCli(['analyze-slow-traces', '--percentile', '100', '--store', store]);
    expect(bad.code).toBe(2);
  });

  it('analyses only the window given', async () => {
    // Traces 0..9 start before 00:01:40: none of them is slow.
    const { code, doc } = await json([
      'analyze-slow-traces',
      '--threshold',
      '500ms',
      '--from',
      '2026-01-01T00:00:00Z',
      '--to',
      '2026-01-01T00:01:40Z',
    ]);
    expect(code).toBe(1);
    expect(doc.traces).toBe(10);
    expect(doc.slowCount).toBe(0);
  });
});

describe('aiops analyze-errors', () => {
  it('blames payment (unavailable) and draws the chain payment → checkout → frontend', async () => {
    const { code, doc } = await json(['analyze-errors']);
    expect(code).toBe(0);
    expect(doc.traces).toBe(23);
    expect(doc.failedTraces).toBe(3);
    expect(doc.errorRate).toBeCloseTo(3 / 23, 6);
    expect(doc.byType).toEqual({ timeout: 0, http5xx: 0, http4xx: 0, unavailable: 3, business: 0, other: 0 });
    expect(doc.rootCauses[0]).toMatchObject({ service: 'payment', traces: 3, share: 1, errorType: 'unavailable' });
    expect([3, 9, 15].map(traceId)).toContain(doc.rootCauses[0].exampleTraceId);
    expect(doc.propagationPaths).toEqual([
      {
        path: ['payment', 'checkout', 'frontend'],
        traces: 3,
        errorType: 'unavailable',
        exampleTraceId: doc.rootCauses[0].exampleTraceId,
      },
    ]);
    expect(doc.hypotheses[0].text).toContain('payment');
    expect(doc.nextCommands[0]).toBe(`aiops trace --trace-id ${doc.rootCauses[0].exampleTraceId}`);
  });

  it('prints propagation paths as chains', async () => {
    const r = await runCli(['analyze-errors', '--store', store]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('payment ──▶ checkout ──▶ frontend');
    expect(r.stdout).toContain('Root-cause services');
  });

  it('exits 1 when the window holds no traces', async () => {
    const r = await runCli([
      'analyze-errors',
      '--from',
      '2020-01-01T00:00:00Z',
      '--to',
      '2020-01-02T00:00:00Z',
      '--store',
      store,
    ]);
    expect(r.code).toBe(1);
  });
});

describe('aiops stats traces', () => {
  it('counts requests, success rate and nearest-rank latency percentiles', async () => {
    const { code, doc } = await json([
      'stats',
      'traces',
      '--from',
      '2026-01-01T00:00:00Z',
      '--to',
      '2026-01-01T00:04:00Z',
      '--bucket',
      '1m',
    ]);
    expect(code).toBe(0);
    expect(doc.requests).toBe(23);
    expect(doc.failed).toBe(3);
    expect(doc.successRate).toBeCloseTo(20 / 23, 6);
    // Root durations: 3 × 50 ms, 16 × 100 ms, 4 × 1000 ms.
    expect(doc.latency).toMatchObject({ p50Ms: 100, p95Ms: 1000, p99Ms: 1000, maxMs: 1000 });
    expect(doc.latency.meanMs).toBeCloseTo((3 * 50 + 16 * 100 + 4 * 1000) / 23, 3);
    expect(doc.bucketSeconds).toBe(60);
    expect(doc.buckets.map((b: { requests: number }) => b.requests)).toEqual([6, 6, 6, 5]);
    expect(doc.buckets.map((b: { failed: number }) => b.failed)).toEqual([1, 1, 1, 0]);
    expect(doc.buckets[3].p50Ms).toBe(1000);
    expect(doc.buckets[0].start).toBe('2026-01-01T00:00:00.000Z');
    expect(doc.operations).toEqual([
      {
        service: 'frontend',
        operation: 'GET /checkout',
        requests: 23,
        failed: 3,
        successRate: doc.successRate,
        p50Ms: 100,
        p95Ms: 1000,
        p99Ms: 1000,
        maxMs: 1000,
      },
    ]);
    expect(doc.periodicity.hourly.detected).toBe(false);
    expect(doc.periodicity.hourly.autocorrelation).toBeNull();
  });

  it('takes the requests entering a service with --service, and --period as the window', async () => {
    const { doc } = await json([
      'stats',
      'traces',
      '--service',
      'checkout',
      '--period',
      '1h',
      '--until',
      '2026-01-01T00:30:00Z',
    ]);
    expect(doc.requests).toBe(23);
    expect(doc.operations.map((o: { operation: string }) => o.operation)).toEqual(['POST /order']);
    expect(doc.latency.p50Ms).toBe(90);
    const both = await runCli(['stats', 'traces', '--period', '1h', '--time-range', '1h', '--store', store]);
    expect(both.code).toBe(2);
  });

  it('draws the series in the terminal', async () => {
    const r = await runCli(['stats', 'traces', '--bucket', '30s', '--store', store]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Requests per bucket \(30s buckets, 8\)\n {2}[▁-█ ]{8} {2}max 3/);
    expect(r.stdout).toContain('Periodicity');
    expect(r.stdout).toContain('Trend');
  });
});

describe('aiops analyze-dependencies', () => {
  it('gives the exact edges, the critical path to orders-db and the documented JSON fields', async () => {
    const { code, doc } = await json(['analyze-dependencies']);
    expect(code).toBe(0);
    expect(doc.edges.map((e: { from: string; to: string; calls: number }) => [e.from, e.to, e.calls])).toEqual([
      ['checkout', 'orders-db', 20],
      ['checkout', 'payment', 23],
      ['frontend', 'checkout', 23],
    ]);
    const db = doc.edges.find((e: { to: string }) => e.to === 'orders-db');
    expect(db).toMatchObject({ errorRate: 0, p50Ms: 20, p99Ms: 900 });
    const pay = doc.edges.find((e: { to: string }) => e.to === 'payment');
    expect(pay.errorRate).toBeCloseTo(3 / 23, 6);
    expect(doc.services.map((s: { name: string; kind: string }) => [s.name, s.kind])).toEqual([
      ['checkout', 'service'],
      ['frontend', 'service'],
      ['orders-db', 'database'],
      ['payment', 'external'],
    ]);
    for (const k of ['name', 'kind', 'calls', 'errorRate', 'p50Ms', 'p95Ms', 'p99Ms'])
      expect(doc.services[0]).toHaveProperty(k);
    expect(doc.criticalPaths[0]).toMatchObject({
      entry: 'frontend GET /checkout',
      path: ['frontend', 'checkout', 'orders-db'],
      bottleneck: 'orders-db',
      p99Ms: 1000,
    });
    expect(doc.query).toMatchObject({ scope: 'cluster', service: null });
  });

  it('writes DOT and Mermaid', async () => {
    const dot = await runCli(['analyze-dependencies', '--format', 'dot', '--store', store]);
    expect(dot.code).toBe(0);
    expect(dot.stdout.startsWith('digraph dependencies {')).toBe(true);
    expect(dot.stdout).toContain('"frontend" -> "checkout"');
    expect(dot.stdout).toContain('"checkout" -> "orders-db"');
    const mm = await runCli(['analyze-dependencies', '--format', 'mermaid', '--store', store]);
    expect(mm.stdout.startsWith('flowchart LR')).toBe(true);
  });

  it('narrows to a service downstream or upstream, and exits 1 on an unknown one', async () => {
    const down = await json(['analyze-dependencies', '--service', 'checkout', '--downstream']);
    expect(down.doc.services.map((s: { name: string }) => s.name)).toEqual(['checkout', 'orders-db', 'payment']);
    const up = await json(['analyze-dependencies', '--service', 'checkout', '--upstream']);
    expect(up.doc.edges.map((e: { from: string; to: string }) => `${e.from}>${e.to}`)).toEqual(['frontend>checkout']);
    const both = await json(['analyze-dependencies', '--service', 'checkout']);
    expect(both.doc.edges).toHaveLength(3);
    const unknown = await runCli(['analyze-dependencies', '--service', 'nope', '--store', store]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('"nope" is not in the graph');
    const usage = await runCli(['analyze-dependencies', '--downstream', '--store', store]);
    expect(usage.code).toBe(2);
  });

  it('draws boxes and arrows, and writes the HTML page', async () => {
    const out = path.join(path.dirname(store), 'deps.html');
    const r = await runCli(['analyze-dependencies', '--output', out, '--store', store]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('│ frontend │');
    expect(r.stdout).toMatch(/checkout ──▶ orders-db \[db\] +20 calls · p99 900ms/);
    expect(r.stdout).toContain('Single points of failure');
    expect(r.stdout).toContain('Recommendations');
    expect(fs.readFileSync(out, 'utf8')).toContain('<html');
  });
});

describe('aiops compare-traces', () => {
  it('puts the slow query first among the contributors, with the exact difference', async () => {
    const { code, doc } = await json(['compare-traces', '--normal', traceId(0), '--abnormal', traceId(19)]);
    expect(code).toBe(0);
    expect(doc.normal).toMatchObject({ traceId: traceId(0), durationMs: 100 });
    expect(doc.abnormal).toMatchObject({ traceId: traceId(19), durationMs: 1000 });
    expect(doc.durationDiffMs).toBe(900);
    expect(doc.added).toEqual([]);
    expect(doc.removed).toEqual([]);
    expect(doc.contributors[0]).toMatchObject({ kind: 'changed', service: 'checkout', operation: 'SELECT orders' });
    expect(doc.contributors[0].contributionMs).toBe(880);
    const sel = doc.changed.find((c: { operation: string }) => c.operation === 'SELECT orders');
    expect(sel).toMatchObject({ normalMs: 20, abnormalMs: 900, diffMs: 880 });
    const sum = doc.contributors.reduce((s: number, c: { contributionMs: number }) => s + c.contributionMs, 0);
    expect(sum).toBeCloseTo(900, 3);
    expect(doc.hypotheses[0].text).toContain('SELECT orders');
  });

  it('shows the status change of a failed trace and the missing query', async () => {
    const { doc } = await json(['compare-traces', '--normal', traceId(0), '--abnormal', traceId(3)]);
    expect(doc.removed.map((r: { operation: string }) => r.operation)).toEqual(['SELECT orders']);
    expect(doc.statusChanges.map((s: { operation: string }) => s.operation)).toEqual(
      expect.arrayContaining(['GET /checkout', 'POST /order', 'charge']),
    );
  });

  it('prints the side-by-side tree and writes the HTML page', async () => {
    const out = path.join(path.dirname(store), 'diff.html');
    const r = await runCli([
      'compare-traces',
      '--normal',
      traceId(0),
      '--abnormal',
      traceId(19),
      '-o',
      out,
      '--store',
      store,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/~ +checkout SELECT orders +20\.0ms +900ms +\+880ms/);
    expect(r.stdout).toContain('Top contributors');
    expect(fs.readFileSync(out, 'utf8')).toContain('<html');
  });

  it('compares two windows of an endpoint', async () => {
    const { code, doc } = await json([
      'compare-traces',
      '--service',
      'checkout',
      '--operation',
      'SELECT orders',
      '--normal-window',
      '2026-01-01T00:00:00Z..2026-01-01T00:03:00Z',
      '--abnormal-window',
      '2026-01-01T00:03:00Z..2026-01-01T00:04:00Z',
    ]);
    expect(code).toBe(0);
    // Normal window: traces 0..17 minus the 3 refused (no SELECT); target: 18..22 (18 normal, 19..22 slow).
    expect(doc.baseline.traceCount).toBe(15);
    expect(doc.target.traceCount).toBe(5);
    expect(doc.operations[0]).toMatchObject({ service: 'checkout', operation: 'SELECT orders' });
    expect(doc.operations[0].deltaSelfMsPerTrace).toBeCloseTo((20 + 4 * 900) / 5 - 20, 6);
  });

  it('exits 1 for an unknown trace and 2 for a missing mode', async () => {
    const missing = await runCli([
      'compare-traces',
      '--normal',
      traceId(0),
      '--abnormal',
      'ffffffffffffffffffffffffffffffff',
      '--store',
      store,
    ]);
    expect(missing.code).toBe(1);
    const none = await runCli(['compare-traces', '--store', store]);
    expect(none.code).toBe(2);
  });
});
