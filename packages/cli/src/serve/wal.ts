// The write-ahead log of `aiops serve`: every accepted export request's body is appended to a segment file and
// made durable with one fdatasync per group of requests, so a request can be acknowledged long before its spans are
// written to DuckDB. Segments are deleted once their spans are in the store; on start, the segments left by a
// crashed server are replayed into the store (the store skips spans it already has, so replay is idempotent).
//
//   segment  <store>/wal/00000007.wal
//   record   u32 LE payload length · u32 LE crc32(payload) · payload = u8 format · request body (decompressed)
//
//   request A ─┐                      ┌─ A, B, C enter the head block and are acknowledged
//   request B ─┼─▶ write(A B C) ─▶ fdatasync
//   request C ─┘   (while one fdatasync runs, the next requests gather for the next write)
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';

/** Wire formats a WAL record can hold (the receivers' formats). */
export const WAL_FORMATS = ['otlp-proto', 'otlp-json', 'zipkin-json'] as const;
/** One of {@link WAL_FORMATS}. */
export type WalFormat = (typeof WAL_FORMATS)[number];

const HEADER = 8;
const SEGMENT = /^(\d{8})\.wal$/;

/** One record read back from a segment. */
export interface WalRecord {
  readonly format: WalFormat;
  readonly body: Uint8Array;
}

interface Pending {
  readonly header: Buffer;
  readonly body: Uint8Array;
  readonly onDurable: () => void;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

const segmentName = (seq: number): string => `${String(seq).padStart(8, '0')}.wal`;

/** Sequence numbers of the segments in `dir`, ascending ([] when the directory does not exist). */
export function listSegments(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const seqs: number[] = [];
  for (const n of names) {
    const m = SEGMENT.exec(n);
    if (m) seqs.push(Number(m[1]));
  }
  return seqs.sort((a, b) => a - b);
}

/**
 * The records of one segment, in order. A torn or corrupt tail (a crash in the middle of a write, which was then
 * never acknowledged) ends the segment: `torn` says how many bytes were ignored.
 */
export function readSegment(dir: string, seq: number): { records: WalRecord[]; torn: number } {
  const buf = fs.readFileSync(path.join(dir, segmentName(seq)));
  const records: WalRecord[] = [];
  let o = 0;
  while (o + HEADER <= buf.length) {
    const len = buf.readUInt32LE(o);
    const crc = buf.readUInt32LE(o + 4);
    if (len < 1 || o + HEADER + len > buf.length) break;
    const payload = buf.subarray(o + HEADER, o + HEADER + len);
    if (zlib.crc32(payload) !== crc) break;
    const format = WAL_FORMATS[payload[0]!];
    if (!format) break;
    records.push({ format, body: payload.subarray(1) });
    o += HEADER + len;
  }
  return { records, torn: buf.length - o };
}

/**
 * Writes `parts` (`total` bytes) at the end of the file with gathered writes: the bodies go to the kernel as they
 * are, without first being copied into one buffer (that copy of every group cost ~0.7 s per 10 s of the serve
 * benchmark's profile). A short write continues with the rest.
 */
async function writeAll(fh: fsp.FileHandle, parts: Uint8Array[], total: number): Promise<void> {
  let written = (await fh.writev(parts)).bytesWritten;
  while (written < total) {
    const rest: Uint8Array[] = [];
    let skip = written;
    for (const p of parts) {
      if (skip >= p.length) skip -= p.length;
      else {
        rest.push(skip > 0 ? p.subarray(skip) : p);
        skip = 0;
      }
    }
    const n = (await fh.writev(rest)).bytesWritten;
    if (n === 0) throw new Error(`short write: ${written} of ${total} bytes`);
    written += n;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * The append side of the write-ahead log, with group commit.
 *
 * **Details** {@link append} resolves once the record is on disk (fdatasync). Requests that arrive while a write is
 * running share the next write and fsync. `onDurable` callbacks run synchronously, in order, right after the fsync
 * and before any later write starts. The server puts a request's spans into its head block before it appends the
 * record, so every record of a segment is in the head block when {@link rotate} hands over that segment (a flush may
 * also take spans whose record lands in the next segment; replaying that one after a crash is idempotent).
 *
 * **Complexity** One gathered `writev` + one `fdatasync` per group, on libuv's thread pool; the bodies are not copied.
 *
 * **Gotchas** The bodies are kept until written: the caller bounds how much is pending.
 */
export class WriteAheadLog {
  readonly dir: string;
  #seq: number;
  #fh: fsp.FileHandle;
  #pending: Pending[] = [];
  #running = false;
  #rotations: { run: () => void; fail: (err: Error) => void }[] = [];
  #failed: Error | undefined;
  /** Bytes written to the current and older live segments since they were created. */
  bytes = 0;
  /** Number of fdatasync calls. */
  syncs = 0;
  /** Called after each group with its write and fdatasync durations (ms) and its number of records. */
  onGroup: ((writeMs: number, syncMs: number, records: number) => void) | undefined;

  private constructor(dir: string, seq: number, fh: fsp.FileHandle) {
    this.dir = dir;
    this.#seq = seq;
    this.#fh = fh;
  }

  /** Opens a new segment after the ones in `dir` (which the caller has replayed, or will). */
  static async create(dir: string): Promise<WriteAheadLog> {
    await fsp.mkdir(dir, { recursive: true });
    const seq = (listSegments(dir).at(-1) ?? 0) + 1;
    const fh = await fsp.open(path.join(dir, segmentName(seq)), 'a');
    await fsyncDir(dir);
    return new WriteAheadLog(dir, seq, fh);
  }

  /** The segment being written. */
  get segment(): number {
    return this.#seq;
  }

  /** Appends one record; resolves when it is durable (after `onDurable` ran). */
  append(format: WalFormat, body: Uint8Array, onDurable: () => void): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    const header = Buffer.allocUnsafe(HEADER + 1);
    header[HEADER] = WAL_FORMATS.indexOf(format);
    const crc = zlib.crc32(body, zlib.crc32(header.subarray(HEADER)));
    header.writeUInt32LE(body.length + 1, 0);
    header.writeUInt32LE(crc, 4);
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ header, body, onDurable, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        void this.#loop();
      }
    });
  }

  async #loop(): Promise<void> {
    while (this.#pending.length > 0 || this.#rotations.length > 0) {
      const group = this.#pending.splice(0);
      if (group.length > 0) {
        try {
          const parts: Uint8Array[] = [];
          let total = 0;
          for (const p of group) {
            parts.push(p.header, p.body);
            total += p.header.length + p.body.length;
          }
          const t0 = performance.now();
          await writeAll(this.#fh, parts, total);
          const t1 = performance.now();
          await this.#fh.datasync();
          this.bytes += total;
          this.syncs++;
          this.onGroup?.(t1 - t0, performance.now() - t1, group.length);
        } catch (err) {
          // A log that failed a write cannot promise anything about later ones: refuse from now on.
          this.#failed = new Error(`write-ahead log ${this.dir}: ${(err as Error).message}`);
          for (const p of group) p.reject(this.#failed);
          for (const p of this.#pending.splice(0)) p.reject(this.#failed);
          break;
        }
        for (const p of group) p.onDurable();
        for (const p of group) p.resolve();
      }
      const rotations = this.#rotations.splice(0);
      if (rotations.length > 0) {
        try {
          await this.#fh.close();
          this.#seq++;
          this.#fh = await fsp.open(path.join(this.dir, segmentName(this.#seq)), 'a');
          await fsyncDir(this.dir);
        } catch (err) {
          // Without a segment to write to, nothing more can become durable: fail the waiting appends and rotations
          // (the loop must not stop with `#running` still set, or every later append would wait forever).
          this.#failed = new Error(`write-ahead log ${this.dir}: ${(err as Error).message}`);
          for (const r of rotations) r.fail(this.#failed);
          for (const r of this.#rotations.splice(0)) r.fail(this.#failed);
          for (const p of this.#pending.splice(0)) p.reject(this.#failed);
          break;
        }
        for (const r of rotations) r.run();
      }
    }
    this.#running = false;
  }

  /**
   * Starts a new segment between two groups, calls `atSwitch` synchronously at that point and resolves with the last
   * sequence number of the old segments plus the callback's value. Everything appended before is in the old segments
   * (and its `onDurable` ran), everything after goes to the new one.
   */
  rotate<T>(atSwitch: () => T): Promise<{ upTo: number; value: T }> {
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      const run = () => {
        try {
          resolve({ upTo: this.#seq - 1, value: atSwitch() });
        } catch (err) {
          reject(err);
        }
      };
      this.#rotations.push({ run, fail: reject });
      if (!this.#running) {
        this.#running = true;
        void this.#loop();
      }
    });
  }

  /** Deletes the segments up to and including `seq` (their spans are in the store). */
  async removeUpTo(seq: number): Promise<void> {
    for (const s of listSegments(this.dir)) {
      if (s > seq || s === this.#seq) break;
      await fsp.rm(path.join(this.dir, segmentName(s)), { force: true });
    }
    this.bytes = (await this.#fh.stat()).size;
  }

  /** Waits for pending appends, closes the segment and deletes every segment (all spans are in the store). */
  async closeAndRemove(): Promise<void> {
    await this.rotate(() => undefined);
    await this.#fh.close();
    for (const s of listSegments(this.dir)) await fsp.rm(path.join(this.dir, segmentName(s)), { force: true });
  }

  /** Waits for pending appends and closes the segment, keeping every file (for replay at the next start). */
  async close(): Promise<void> {
    await this.rotate(() => undefined);
    await this.#fh.close();
  }
}
