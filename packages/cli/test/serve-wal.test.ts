// The write-ahead log of `aiops serve` when its directory fails under it: appends and rotations must settle (reject)
// instead of waiting forever, so the receivers answer 503 rather than hanging their clients.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WriteAheadLog } from '../src/serve/wal.ts';

const settle = (p: Promise<unknown>): Promise<string> =>
  Promise.race([
    p.then(
      () => 'resolved',
      (e: Error) => `rejected: ${e.message}`,
    ),
    new Promise<string>((r) => setTimeout(() => r('still waiting after 5 s'), 5_000)),
  ]);

describe('WriteAheadLog', () => {
  it('rejects the rotation and every later append when the next segment cannot be opened', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-wal-'));
    const wal = await WriteAheadLog.create(path.join(dir, 'wal'));
    let durable = 0;
    await wal.append('otlp-json', new Uint8Array([1, 2, 3]), () => durable++);
    expect(durable).toBe(1);
    fs.rmSync(dir, { recursive: true, force: true });
    const rotation = await settle(wal.rotate(() => 'switched'));
    expect(rotation).toMatch(/^rejected: write-ahead log .*ENOENT/);
    const later = await settle(wal.append('otlp-json', new Uint8Array([4]), () => durable++));
    expect(later).toMatch(/^rejected: write-ahead log .*ENOENT/);
    expect(await settle(wal.rotate(() => 'again'))).toMatch(/^rejected: /);
    expect(durable).toBe(1);
  });
});
