import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../../examples/sample-traces/shop.otlp.jsonl.gz');
let dir: string;
let store: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-anomaly-'));
  store = path.join(dir, 'store');
  const r = await runCli(['import', SAMPLES, '--store', store]);
  expect(r.code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// The bundled sample: order-postgres 40× slower from 16:00:30 to 16:01:10, payments-gateway refusing half the
// connections from 16:01:20 to 16:01:50 (examples/sample-truth/shop.json).
describe('aiops detect-trace-anomaly', () => {
  it('finds the injected database slowdown and gateway outage and names both as origins', async () => {
    const r = await runCli([
      'detect-trace-anomaly',
      '--store',
      store,
      '--time-range',
      '2m',
      '--until',
      '2025-11-24T16:02:00Z',
      '--baseline',
      '0s',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    const kinds = new Set(doc.anomalies.map((a: { service: string; kind: string }) => `${a.service} ${a.kind}`));
    expect(kinds.has('order-postgres latency_spike')).toBe(true);
    expect(kinds.has('payments-gateway error_rate_spike')).toBe(true);
    const origins = doc.rootCauseCandidates
      .map((c: { service: string }) => c.service)
      .slice(0, 2)
      .sort();
    expect(origins).toEqual(['order-postgres', 'payments-gateway']);
  });

  it('does not take seconds of data before the window as its baseline', async () => {
    // The sample starts at 16:00:00: a window from 16:00:10 leaves 10 s of data for the default 7-day baseline.
    const r = await runCli([
      'detect-trace-anomaly',
      '--store',
      store,
      '--time-range',
      '110s',
      '--until',
      '2025-11-24T16:02:00Z',
      '--json',
    ]);
    // Before: those 10 s were the baseline, no series had the 4 buckets a model needs, and nothing was reported.
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.warnings[0]).toBe('the baseline window holds only 8.9 s of data (less than 4 buckets): not used');
    expect(doc.spans.baseline).toBe(0);
    const kinds = new Set(doc.anomalies.map((a: { service: string; kind: string }) => `${a.service} ${a.kind}`));
    expect(kinds.has('order-postgres latency_spike')).toBe(true);
  });

  it('rejects an unknown algorithm with exit 2', async () => {
    const r = await runCli(['detect-trace-anomaly', '--store', store, '--algorithm', 'magic']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--algorithm: "magic" is not one of auto, stat, ml');
  });
});

describe('aiops watch', () => {
  it('learns from the history and reports nothing when no new span arrives', async () => {
    const r = await runCli(['watch', '--store', store, '--once', '--baseline', '2m', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('rejects a webhook that is not an http(s) URL', async () => {
    const r = await runCli(['watch', '--store', store, '--once', '--webhook', 'ftp://x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--webhook: "ftp://x" is not an http(s) URL');
  });
});
