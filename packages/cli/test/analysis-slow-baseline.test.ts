import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spanTableFromRows } from '@aiops/span-model';
import { openStore } from '@aiops/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Kind, shopTrace, traceId } from './analysis-fixtures.ts';
import { runCli } from './run-cli.ts';

// An incident window against the hour before it (shop traces of analysis-fixtures.ts, one every 10 s):
//
//   T0 ─────────── 30 normal checkouts (100 ms) ─────────── T0+300s ── 30 checkouts, 24 slow (1 s) ── T0+600s
//   └───────────────── baseline (--baseline 5m) ───────────────────┘  └────────── window (--from/--to) ──────────┘
//
// In the window 80% of the requests are slow (orders-db 900 ms instead of 20 ms), so "normal" learned from the
// window itself is the slow duration; the baseline says 100 ms.
const KINDS: Kind[] = Array.from({ length: 60 }, (_, i) => (i >= 30 && i % 5 !== 0 ? 'slow' : 'normal'));
const SLOW = KINDS.flatMap((k, i) => (k === 'slow' ? [i] : []));
let root: string;
let store: string;
const window = ['--from', '2026-01-01T00:05:00Z', '--to', '2026-01-01T00:10:00Z'];

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-slow-baseline-'));
  store = path.join(root, 'store');
  const s = await openStore({ dir: store });
  await s.append(spanTableFromRows(KINDS.flatMap((k, i) => shopTrace(i, k))));
  await s.close();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const json = async (argv: string[]) => {
  const r = await runCli([...argv, '--store', store, '--json']);
  return { code: r.code, doc: JSON.parse(r.stdout), stderr: r.stderr };
};

describe('aiops analyze-slow-traces --baseline', () => {
  it('finds every slowed request of an incident window against the window before it', async () => {
    const { code, doc } = await json(['analyze-slow-traces', ...window, '--baseline', '5m']);
    expect(code).toBe(0);
    expect(doc.baselineWindow).toEqual({
      label: '2026-01-01T00:00:00.000Z → 2026-01-01T00:05:00.000Z',
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-01T00:05:00.000Z',
    });
    expect(doc.baselineSpans).toBe(30 * 4);
    expect(doc.traces).toBe(30);
    expect(doc.slowCount).toBe(24);
    expect(doc.slowTraces.map((s: { traceId: string }) => s.traceId).sort()).toEqual(SLOW.map(traceId).sort());
    expect(doc.endpoints[0]).toMatchObject({ service: 'frontend', operation: 'GET /checkout', baselineTraces: 30 });
    expect(doc.rule).toMatch(/baseline window \(30 traces\)/);
    const first = doc.slowTraces[0];
    expect(first.bottleneck).toMatchObject({ service: 'orders-db', isDependency: true });
    expect(first.cause).toMatchObject({ service: 'orders-db' });
    // 900 ms on the path against a normal range whose top is a little above the baseline's 20 ms.
    expect(first.cause.excessMs).toBeGreaterThan(870);
    expect(first.cause.excessMs).toBeLessThan(880);
  });

  it('flags none of them when normal is learned from the window itself', async () => {
    const { code, doc } = await json(['analyze-slow-traces', ...window]);
    expect(doc.baselineWindow).toBeNull();
    expect(doc.slowCount).toBe(0);
    expect(code).toBe(1);
  });

  it('returns the top-down critical path: the database call holds 900 ms of the path of each slow request', async () => {
    const { doc } = await json(['analyze-slow-traces', ...window, '--baseline', '5m']);
    const nodes = doc.topDown.nodes as {
      service: string;
      operation: string;
      path: string[];
      slow: { meanExclusiveMs: number; frequency: number };
      delta: { meanSubtreeMs: number };
    }[];
    const root = nodes[doc.topDown.roots[0]]!;
    expect(root.path).toEqual(['frontend:GET /checkout']);
    expect(doc.topDown.traces).toBe(24);
    const db = nodes.find((n) => n.service === 'orders-db');
    expect(db?.path).toEqual(['frontend:GET /checkout', 'checkout:POST /order', 'orders-db:SELECT orders']);
    expect(db?.slow.meanExclusiveMs).toBeCloseTo(900, 0);
    expect(db?.slow.frequency).toBe(1);
    expect(root.delta.meanSubtreeMs).toBeCloseTo(900, 0);
  });

  it('prints the top-down section and the cause column in text', async () => {
    const r = await runCli(['analyze-slow-traces', ...window, '--baseline', '5m', '--store', store]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Critical path, top-down (slow vs fast)');
    expect(r.stdout).toMatch(/orders-db:SELECT orders/);
    expect(r.stdout).toContain('CAUSE');
  });

  it('rejects a relative baseline without a window start, half a baseline window, and a baseline with --threshold', async () => {
    const noStart = await runCli(['analyze-slow-traces', '--baseline', '1h', '--store', store]);
    expect(noStart.code).toBe(2);
    expect(noStart.stderr).toContain('--baseline <dur> is the period right before the window');
    const half = await runCli([
      'analyze-slow-traces',
      ...window,
      '--baseline-from',
      '2026-01-01T00:00:00Z',
      '--store',
      store,
    ]);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('give both --baseline-from and --baseline-to');
    const withThreshold = await runCli([
      'analyze-slow-traces',
      ...window,
      '--threshold',
      '1s',
      '--baseline',
      '5m',
      '--store',
      store,
    ]);
    expect(withThreshold.code).toBe(2);
    expect(withThreshold.stderr).toContain('a baseline has no effect');
  });
});
