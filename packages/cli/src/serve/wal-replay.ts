// Start-up recovery of `aiops serve`: the WAL segments left by a server that was killed (or whose last flush failed)
// are decoded again and written to the store before the receivers open. The store skips spans it already has (same
// trace id and span id), so a segment whose spans were flushed just before the crash is replayed harmlessly.

import fs from 'node:fs';
import path from 'node:path';
import type { SpanTable } from '@aiops/span-model';
import { decodeBody } from './span-ingestor.ts';
import type { StoreBackend } from './store-client.ts';
import { listSegments, readSegment } from './wal.ts';

/** What a replay found. */
export interface WalReplay {
  /** Segments read (and deleted). */
  readonly segments: number;
  /** Requests replayed. */
  readonly records: number;
  /** Spans decoded from them. */
  readonly spans: number;
  /** Of those, spans the store did not have yet. */
  readonly inserted: number;
  /** Bytes of torn or corrupt tails ignored (writes a crash interrupted; never acknowledged). */
  readonly tornBytes: number;
}

/** Replays every segment in `dir` into `store` (in batches of about `batchSpans`), then deletes the segments. */
export async function replayWal(dir: string, store: StoreBackend, batchSpans = 200_000): Promise<WalReplay> {
  const seqs = listSegments(dir);
  let records = 0;
  let spans = 0;
  let inserted = 0;
  let tornBytes = 0;
  let batch: SpanTable[] = [];
  let batchN = 0;
  const write = async () => {
    if (batch.length === 0) return;
    inserted += (await store.appendAll(batch)).inserted;
    batch = [];
    batchN = 0;
  };
  for (const seq of seqs) {
    const seg = readSegment(dir, seq);
    tornBytes += seg.torn;
    for (const r of seg.records) {
      records++;
      // A record was decoded successfully before it was written, so it decodes again (same decoder, same bytes).
      const t = decodeBody(r.format, r.body).spans;
      spans += t.numSpans;
      batch.push(t);
      batchN += t.numSpans;
      if (batchN >= batchSpans) await write();
    }
  }
  await write();
  for (const seq of seqs) fs.rmSync(path.join(dir, `${String(seq).padStart(8, '0')}.wal`), { force: true });
  return { segments: seqs.length, records, spans, inserted, tornBytes };
}
