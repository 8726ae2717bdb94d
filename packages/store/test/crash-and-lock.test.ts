import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { isStoreError, openStore, type StoreError, type TraceStore } from '../src/index.ts';
import { span, tempDir } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function startChild(dir: string): ChildProcess {
  // detached: the child leads its own process group, so SIGKILL reaches tsx and the node process it runs.
  return spawn(TSX, ['--conditions=@aiops/source', join(import.meta.dirname, 'crash-child.ts'), dir], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function waitForAcks(child: ChildProcess, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let last = -1;
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/ack (\d+)/g)) last = Math.max(last, Number(m[1]));
      if (last + 1 >= count) {
        // Kill while the next append is in flight: everything acknowledged so far must survive.
        process.kill(-child.pid!, 'SIGKILL');
        resolve(last);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited early (${code}): ${err}`));
    });
  });
}

/** Opens the store, retrying while the killed group's other process (node under tsx) still holds the file lock. */
async function openWhenReleased(dir: string): Promise<TraceStore> {
  for (let i = 0; ; i++) {
    try {
      return await openStore({ dir });
    } catch (err) {
      if (!isStoreError(err) || err.code !== 'locked' || i >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('crash durability', () => {
  it('keeps every acknowledged batch after the writer is killed with SIGKILL', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const child = startChild(dir);
      const lastAck = await waitForAcks(child, 8);
      await new Promise((r) => child.on('exit', r));
      // The group's other process (node under tsx) may release its file lock a moment after the leader exits.
      const store = await openWhenReleased(dir);
      for (let n = 0; n <= lastAck; n++) {
        const t = await store.getTrace((n + 1).toString(16));
        expect(t?.numSpans).toBe(50);
      }
      const bounds = await store.bounds();
      // The batch in flight at the kill is either entirely there or entirely absent.
      expect([(lastAck + 1) * 50, (lastAck + 2) * 50]).toContain(bounds?.spanCount);
      await store.close();
    } finally {
      cleanup();
    }
  });
});

describe('locking', () => {
  it('refuses a second process with a StoreError that names the directory', async () => {
    const { dir, cleanup } = tempDir();
    const child = startChild(dir);
    try {
      await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
      const err = await openStore({ dir }).catch((e: unknown) => e);
      expect(isStoreError(err)).toBe(true);
      expect((err as StoreError).code).toBe('locked');
      expect((err as StoreError).message).toContain(dir);
      expect((err as StoreError).message).toMatch(/in use by another process \(PID \d+\)/);
      const ro = await openStore({ dir, readOnly: true }).catch((e: unknown) => e);
      expect((ro as StoreError).code).toBe('locked');
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
      await new Promise((r) => child.on('exit', r));
      cleanup();
    }
  });

  it('reports a missing read-only store, a file that is not a store, and appends to a read-only store', async () => {
    const { dir, cleanup } = tempDir();
    try {
      expect(((await openStore({ dir, readOnly: true }).catch((e) => e)) as StoreError).code).toBe('not-found');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(dir, 'traces.duckdb'), 'not a database '.repeat(500));
      const bad = (await openStore({ dir }).catch((e) => e)) as StoreError;
      expect([bad.code, bad.message]).toEqual([
        'corrupt',
        `store: ${join(dir, 'traces.duckdb')} is not a readable trace store`,
      ]);
    } finally {
      cleanup();
    }
    const t = tempDir();
    try {
      const w = await openStore({ dir: t.dir });
      await w.append(spanTableFromRows([span('ab', '1', undefined, 's', 'o', 0, 1)]));
      await w.close();
      const ro = await openStore({ dir: t.dir, readOnly: true });
      expect((await ro.getTrace('ab'))?.numSpans).toBe(1);
      const e = (await ro
        .append(spanTableFromRows([span('ab', '2', undefined, 's', 'o', 0, 1)]))
        .catch((x) => x)) as StoreError;
      expect(e.code).toBe('read-only');
      await ro.close();
    } finally {
      t.cleanup();
    }
  });
});
