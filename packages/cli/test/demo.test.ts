// `aiops demo` end to end: a real serve child, the seven instrumented shop services under load, an injected slow
// inventory query, and the slowest trace of the fault window shown by `aiops trace` (a child of the same cli).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findShopDir, runDemo } from '../src/demo/run-demo.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.resolve(here, '../src/bin.ts');

describe('runDemo', () => {
  it('finds examples/shop above the cli sources', () => {
    expect(findShopDir(here)).toBe(path.resolve(here, '../../../examples/shop'));
    expect(findShopDir('/')).toBeUndefined();
  });

  it('finds the slow inventory query it injected, then removes its store', { timeout: 240_000 }, async () => {
    const statuses: string[] = [];
    const result = await runDemo({
      cli: [process.execPath, '--conditions=@aiops/source', '--import', 'tsx', bin],
      shopNodeFlags: ['--conditions=@aiops/source'],
      ratePerSecond: 15,
      baselineSeconds: 6,
      faultSeconds: 8,
      faultMs: 300,
      onStatus: (s) => statuses.push(s),
    });
    expect(Object.keys(result.services).sort()).toEqual([
      'auth-service',
      'cart-service',
      'frontend-gateway',
      'inventory-service',
      'order-service',
      'payment-gateway',
      'payment-service',
    ]);
    expect(result.groundTruth).toHaveLength(1);
    expect(result.groundTruth[0]).toMatchObject({ service: 'inventory-service', kind: 'db-latency', ms: 300 });
    const { start, end } = result.groundTruth[0] as { start: string; end: string };
    expect(Date.parse(end) - Date.parse(start)).toBeGreaterThanOrEqual(7_900);
    expect(result.spanCount).toBeGreaterThan(100);
    expect(result.slowTrace?.durationMs).toBeGreaterThanOrEqual(300);
    expect(result.traceOutput).toContain(result.slowTrace?.traceId);
    // The bottleneck section names the slow query (as the bottleneck itself, or as the caller's slowest child).
    expect(result.traceOutput).toMatch(/Bottleneck\n(?:.*\n){0,2}.*inventory-(?:db|service)/);
    expect(result.load.fault?.p50Ms).toBeGreaterThan(result.load.baseline?.p50Ms ?? Number.POSITIVE_INFINITY);
    expect(result.kept).toBe(false);
    expect(existsSync(result.store)).toBe(false);
    expect(statuses[0]).toMatch(/starting aiops serve/);
  });
});
