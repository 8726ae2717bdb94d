import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import './analysis-fixtures.ts';
import { runCli } from './run-cli.ts';

// examples/sample-traces/shop.otlp.jsonl.gz: two minutes of a web shop with two injected faults
// (examples/sample-truth/shop.json): order-postgres 40× slower from 30 s to 70 s, payments-gateway refusing half
// the connections from 80 s to 110 s.
const SAMPLES = path.resolve(import.meta.dirname, '../../../examples/sample-traces');
let dir: string;
let store: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-samples-'));
  store = path.join(dir, 'store');
  const r = await runCli(['import', SAMPLES, '--store', store, '--json']);
  expect(r.code).toBe(0);
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the analysis commands on the bundled sample traces', () => {
  it('analyze-slow-traces blames order-postgres', async () => {
    const r = await runCli(['analyze-slow-traces', '--percentile', '80', '--store', store, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.bottlenecks[0].service).toBe('order-postgres');
    expect(doc.bottlenecks[0].traces).toBe(doc.slowCount);
    expect(doc.suggestions[0].kind).toBe('slow-db-statement');
  });

  it('analyze-errors blames payments-gateway, refusing connections', async () => {
    const r = await runCli(['analyze-errors', '--store', store, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.rootCauses[0]).toMatchObject({ service: 'payments-gateway', errorType: 'unavailable' });
    expect(doc.propagationPaths[0].path[0]).toBe('payments-gateway');
  });

  it('analyze-dependencies puts order-postgres at the end of the slowest critical paths', async () => {
    const r = await runCli([
      'analyze-dependencies',
      '--from',
      '2025-11-24T16:00:00Z',
      '--to',
      '2025-11-24T16:02:00Z',
      '--store',
      store,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const main = doc.criticalPaths.filter((p: { entry: string }) => p.entry.startsWith('frontend '));
    expect(main.length).toBeGreaterThan(0);
    expect(main.every((p: { bottleneck: string }) => p.bottleneck === 'order-postgres')).toBe(true);
    expect(
      doc.edges.some((e: { from: string; to: string }) => e.from === 'cart-service' && e.to === 'payments-gateway'),
    ).toBe(true);
  });
});
