// The write-ahead log of `aiops serve` when its directory fails under it: appends and rotations must settle (reject)
// instead of waiting forever, so the receivers answer 503 rather than hanging their clients.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSegments, readSegment, WriteAheadLog } from '../src/serve/wal.ts';

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

  it('writes a group of records with one gathered write and reads them back byte for byte, in order', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-wal-'));
    const wal = await WriteAheadLog.create(path.join(dir, 'wal'));
    const groups: number[] = [];
    wal.onGroup = (_w, _s, records) => groups.push(records);
    // 600 records are 1,200 parts (header + body), more than IOV_MAX (1,024) in one writev; the bodies run from
    // 1 byte to 256 KiB, so a short or split write would show as a torn or shifted record.
    const bodies = Array.from({ length: 600 }, (_, i) => {
      const b = new Uint8Array(i === 150 ? 256 * 1024 : 1 + ((i * 37) % 500));
      for (let k = 0; k < b.length; k++) b[k] = (i * 31 + k) & 0xff;
      return b;
    });
    const formats = ['otlp-proto', 'otlp-json', 'zipkin-json'] as const;
    let durable = 0;
    await Promise.all(bodies.map((b, i) => wal.append(formats[i % 3]!, b, () => durable++)));
    expect(durable).toBe(600);
    // The first append starts a group alone; the other 599 arrive while it runs and share the next write.
    expect(groups).toEqual([1, 599]);
    const segs = listSegments(path.join(dir, 'wal'));
    expect(segs).toEqual([1]);
    const { records, torn } = readSegment(path.join(dir, 'wal'), 1);
    expect(torn).toBe(0);
    expect(records.map((r) => r.format)).toEqual(bodies.map((_, i) => formats[i % 3]));
    expect(records.filter((r, i) => Buffer.compare(Buffer.from(r.body), Buffer.from(bodies[i]!)) !== 0)).toEqual([]);
    await wal.closeAndRemove();
    expect(listSegments(path.join(dir, 'wal'))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
