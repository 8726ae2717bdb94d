// Files: gzip, JSON-lines streaming in batches with progress, directory expansion, unreadable paths.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expandTracePaths, readTraceFile, readTraceFileBatches, rejectedCount } from '@aiops/ingest';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'ingest-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const otlp = readFileSync(new URL('./fixtures/ac1/trace.otlp.json', import.meta.url), 'utf8');
const oneLine = JSON.stringify(JSON.parse(otlp)); // 8 spans

describe('readTraceFile', () => {
  it('reads a gzip file', async () => {
    const p = join(dir, 'trace.json.gz');
    writeFileSync(p, gzipSync(otlp));
    const r = await readTraceFile(p);
    expect([r.format, r.spans.numSpans]).toEqual(['otlp-json', 8]);
  });

  it('names a missing file', async () => {
    await expect(readTraceFile(join(dir, 'nope.json'))).rejects.toMatchObject({ code: 'FILE_NOT_READABLE' });
  });
});

describe('readTraceFileBatches', () => {
  //   line 1..5  one request of 8 spans each
  //   line 6     truncated (a file still being written)
  //   batches of ≥ 16 spans: 16, 16, 8 (+ the rejected line)
  it('streams JSON lines in batches, reports progress, and counts a truncated line', async () => {
    const p = join(dir, 'spans.jsonl.gz');
    const text = `${Array(5).fill(oneLine).join('\n')}\n${oneLine.slice(0, 100)}`;
    writeFileSync(p, gzipSync(text));
    const progress: number[] = [];
    const sizes: number[] = [];
    let rejected = 0;
    for await (const b of readTraceFileBatches(p, {
      batchSpans: 16,
      onProgress: (read, total) => progress.push(read / total),
    })) {
      sizes.push(b.spans.numSpans);
      rejected += rejectedCount(b);
      if (b.rejected.length) expect(b.rejected[0]!.examples[0]!.position).toMatch(/^line 6 column 101/);
    }
    expect(sizes).toEqual([16, 16, 8]);
    expect(rejected).toBe(1);
    expect(progress.at(-1)).toBe(1);
  });

  it('yields one batch for a single JSON document', async () => {
    const p = join(dir, 'pretty.json');
    writeFileSync(p, otlp);
    const sizes: number[] = [];
    for await (const b of readTraceFileBatches(p)) sizes.push(b.spans.numSpans);
    expect(sizes).toEqual([8]);
  });
});

describe('expandTracePaths', () => {
  it('lists trace files of a directory recursively, in name order, keeping files given by name', async () => {
    const d = join(dir, 'tree');
    mkdirSync(join(d, 'sub'), { recursive: true });
    for (const f of ['b.json', 'a.jsonl.gz', 'notes.txt', 'sub/c.pb', '.hidden.json']) writeFileSync(join(d, f), '');
    writeFileSync(join(dir, 'extra.dat'), '');
    expect(await expandTracePaths([d, join(dir, 'extra.dat')])).toEqual([
      join(d, 'a.jsonl.gz'),
      join(d, 'b.json'),
      join(d, 'sub', 'c.pb'),
      join(dir, 'extra.dat'),
    ]);
    await expect(expandTracePaths([join(dir, 'missing')])).rejects.toMatchObject({ code: 'FILE_NOT_READABLE' });
  });
});
