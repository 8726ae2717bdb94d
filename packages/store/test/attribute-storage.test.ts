import { join } from 'node:path';
import { type SpanTable, spanRecord, spanTableFromRows } from '@aiops/span-model';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, STORE_FILE_NAME, type TraceStore } from '../src/index.ts';
import { span, tempDir } from './helpers.ts';

const records = (t: SpanTable | undefined) => (t ? Array.from({ length: t.numSpans }, (_, i) => spanRecord(t, i)) : []);

const X = '0123456789abcdef0123456789abcdef';
const Y = 'fedcba9876543210fedcba9876543210';
const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`extra.${i}`, `value-${i}`]));

//  trace X (µs)        attributes
//  a web  GET /        |==============|  0..100   user.id=u1  n=1 (int)  tag=x
//  b api  list           |======|       10..60    user.id=u1  n=2        tag=''   + 20 extra.* (more than 16 values)
//  c db   SELECT           |==|         20..40    user.id=u1  n='2' (same key, string)  tag=x (back to x)
//  d api  late (2nd batch)        |=|   70..80    user.id=u1  n=2
//  trace Y: one span with user.id=u1 (another trace never borrows X's values)
const first = [
  span(X, 'a', undefined, 'web', 'GET /', 0, 100, {
    // 12 bytes is the longest value DuckDB keeps inline; 13 bytes and 'é' (2 bytes) × 6 + 'x' go to its string heap.
    attributes: { 'user.id': 'u1', n: 1, tag: 'x', twelve: 'abcdefghijkl', thirteen: 'abcdefghijklm', utf8: 'éééééé' },
  }),
  span(X, 'b', 'a', 'api', 'list', 10, 60, { attributes: { 'user.id': 'u1', n: 2, tag: '', ...many } }),
  span(X, 'c', 'b', 'db', 'SELECT', 20, 40, { attributes: { 'user.id': 'u1', n: '2', tag: 'x' } }),
  span(Y, 'e', undefined, 'web', 'GET /', 0, 10, { attributes: { 'user.id': 'u1' } }),
];
const late = [span(X, 'd', 'b', 'api', 'late', 70, 80, { attributes: { 'user.id': 'u1', n: 2 } })];

describe('attribute storage', () => {
  let dir: string;
  let cleanup: () => void;
  let store: TraceStore;
  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    store = await openStore({ dir });
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  it('gives back values repeated within a trace, changed values, empty values and more than 16 values', async () => {
    await store.append(spanTableFromRows(first));
    await store.append(spanTableFromRows(late));
    const x = await store.getTrace(X);
    expect(records(x)).toEqual(records(spanTableFromRows([...first.slice(0, 3), ...late])));
    expect(records(await store.getTrace(Y))).toEqual(records(spanTableFromRows([first[3]!])));
    // The same through spans() (several traces in one read) and after compaction.
    await store.compact();
    const both = await store.spans({});
    expect(both.numSpans).toBe(5);
    expect(records(await store.getTrace(X))).toEqual(records(x));
  });

  it('stores a value repeated on the spans of a trace once per trace (plus once per late batch)', async () => {
    await store.append(spanTableFromRows(first));
    await store.append(spanTableFromRows(late));
    await store.close();
    const db = await DuckDBInstance.create(join(dir, STORE_FILE_NAME), { access_mode: 'READ_ONLY' });
    const conn = await db.connect();
    const slots = Array.from({ length: 16 }, (_, i) => `v${i}`);
    const count = async (value: string) =>
      Number(
        (
          await conn.runAndReadAll(
            `SELECT count(*) FROM all_spans, unnest([${slots.join(',')}]) AS u(v) WHERE v = '${value}'`,
          )
        ).getRows()[0]![0],
      );
    // u1: span a of X, span e of Y, and the late span d (its trace's earlier values are not re-read on append).
    expect(await count('u1')).toBe(3);
    // '2': the int n on b (changed from a), the string n on c (another type), the int n on the late span d.
    expect(await count('2')).toBe(3);
    // tag: 'x' on a, '' on b, 'x' again on c (the previous occurrence was '').
    expect(await count('x')).toBe(2);
    conn.closeSync();
    db.closeSync();
    store = await openStore({ dir });
  });

  it('stops adding repeat patterns at 20,000 shapes and still gives back every value', async () => {
    // 500 traces × 60 spans, 16 keys whose values flip between 'a' and 'b' at random: each span's pattern of
    // "same as before in this trace" differs, up to 2^16 patterns.
    let seed = 7;
    const next = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const rows = [];
    for (let t = 0; t < 500; t++) {
      const trace = (t + 1).toString(16).padStart(32, '0');
      for (let i = 0; i < 60; i++) {
        const attributes = Object.fromEntries(
          Array.from({ length: 16 }, (_, k) => [`k${k}`, next() & 256 ? 'a' : 'b']),
        );
        rows.push(span(trace, (i + 1).toString(16), i ? '1' : undefined, 'svc', 'op', i, i + 1, { attributes }));
      }
    }
    const input = spanTableFromRows(rows);
    expect(await store.append(input)).toEqual({ inserted: 30_000, duplicates: 0 });
    for (const t of [0, 250, 499]) {
      const id = (t + 1).toString(16).padStart(32, '0');
      expect(records(await store.getTrace(id))).toEqual(records(spanTableFromRows(rows.slice(t * 60, t * 60 + 60))));
    }
    await store.close();
    const db = await DuckDBInstance.create(join(dir, STORE_FILE_NAME), { access_mode: 'READ_ONLY' });
    const conn = await db.connect();
    const shapes = Number((await conn.runAndReadAll('SELECT count(*) FROM shapes')).getRows()[0]![0]);
    // Without the cap 23,770 patterns would be stored; past 20,000 the spans use the shape that stores all 16
    // values, which the first span of every trace already has.
    expect(shapes).toBe(20_000);
    conn.closeSync();
    db.closeSync();
    store = await openStore({ dir });
  });
});
