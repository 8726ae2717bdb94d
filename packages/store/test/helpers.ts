// Test helpers: temporary store directories and small span fixtures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpanInput } from '@aiops/span-model';

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'aiops-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** 2023-11-14T22:13:20Z in ns. */
export const BASE = 1_700_000_000_000_000_000n;

/** A span of trace `trace` (hex) starting `startUs` µs after BASE. */
export function span(
  trace: string,
  id: string,
  parent: string | undefined,
  service: string,
  operation: string,
  startUs: number,
  endUs: number,
  extra: Partial<SpanInput> = {},
): SpanInput {
  return {
    traceId: trace,
    spanId: id.padStart(16, '0'),
    ...(parent ? { parentSpanId: parent.padStart(16, '0') } : {}),
    service,
    operation,
    startUnixNano: BASE + BigInt(startUs) * 1000n,
    endUnixNano: BASE + BigInt(endUs) * 1000n,
    ...extra,
  };
}
