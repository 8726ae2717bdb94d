import { SpanKind, type SpanTable, StatusCode, spanAttributeText } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { generateTracePair } from '../index.ts';

const key = (t: SpanTable, i: number) =>
  `${t.stringAt('service', i)}|${t.stringAt('operation', i)}|${t.columns.kind[i]}`;
const multiset = (t: SpanTable) => {
  const m = new Map<string, number>();
  for (let i = 0; i < t.numSpans; i++) m.set(key(t, i), (m.get(key(t, i)) ?? 0) + 1);
  return m;
};
const rowsOf = (t: SpanTable, pred: (i: number) => boolean) =>
  Array.from({ length: t.numSpans }, (_, i) => i).filter(pred);
const serverOf = (t: SpanTable, service: string, operation: string) =>
  rowsOf(
    t,
    (i) =>
      t.stringAt('service', i) === service &&
      t.stringAt('operation', i) === operation &&
      t.columns.kind[i] === SpanKind.Server,
  );

describe('generateTracePair', () => {
  it.each([1, 2, 3])('slow-span (seed %i): same spans, one callee 5× slower on the critical path', (seed) => {
    const { normal, abnormal, truth } = generateTracePair({ seed, difference: 'slow-span' });
    expect(multiset(abnormal)).toEqual(multiset(normal));
    expect(truth.factor).toBe(5);
    const a = serverOf(abnormal, truth.service, truth.operation);
    const n = serverOf(normal, truth.service, truth.operation);
    // The operation may be called from several places; exactly one call got slower.
    expect(a.length).toBe(n.length);
    const total = (t: SpanTable, rows: number[]) => rows.reduce((x, i) => x + Number(t.columns.durationNano[i]), 0);
    expect(total(abnormal, a)).toBeGreaterThan(total(normal, n));
    expect(Number(abnormal.columns.durationNano[0])).toBeGreaterThan(0);
    expect(truth.normalTraceId).not.toBe(truth.abnormalTraceId);
  });

  it.each([1, 2, 3])(
    'added-retry (seed %i): one more client/server pair, the first attempt failed with 503',
    (seed) => {
      const { normal, abnormal, truth } = generateTracePair({ seed, difference: 'added-retry' });
      expect(abnormal.numSpans).toBe(normal.numSpans + 2);
      const a = serverOf(abnormal, truth.service, truth.operation);
      expect(a.length).toBe(serverOf(normal, truth.service, truth.operation).length + 1);
      expect(a.filter((i) => abnormal.columns.httpStatusCode[i] === 503)).toHaveLength(1);
      const resent = rowsOf(abnormal, (i) => spanAttributeText(abnormal, i, 'http.request.resend_count') === '1');
      expect(resent).toHaveLength(1);
      expect(abnormal.stringAt('service', resent[0]!)).toBe(truth.caller);
      // The failed attempt: its client span and the callee's 503 server span.
      const errors = rowsOf(abnormal, (i) => abnormal.columns.statusCode[i] === StatusCode.Error);
      expect(errors.map((i) => abnormal.columns.kind[i]).sort()).toEqual([SpanKind.Server, SpanKind.Client]);
      expect(errors.every((i) => abnormal.columns.httpStatusCode[i] === 503)).toBe(true);
      expect(normal.columns.statusCode.every((s) => s !== StatusCode.Error)).toBe(true);
    },
  );

  it.each([1, 2, 3])('changed-query (seed %i): exactly one statement differs', (seed) => {
    const { normal, abnormal, truth } = generateTracePair({ seed, difference: 'changed-query' });
    expect(multiset(abnormal)).toEqual(multiset(normal));
    const statements = (t: SpanTable) =>
      rowsOf(t, (i) => t.stringAt('dbStatement', i) !== '' && t.stringAt('dbSystem', i) !== 'redis')
        .map((i) => t.stringAt('dbStatement', i))
        .sort();
    const before = statements(normal);
    const after = statements(abnormal);
    expect(after.filter((s) => !before.includes(s))).toEqual([truth.statementAfter]);
    expect(before.filter((s) => s === truth.statementBefore).length).toBe(
      after.filter((s) => s === truth.statementBefore).length + 1,
    );
  });

  it.each([1, 2, 3])('failed-call (seed %i): one callee answers 500 in the abnormal trace only', (seed) => {
    const { normal, abnormal, truth } = generateTracePair({ seed, difference: 'failed-call' });
    const failedServers = (t: SpanTable) =>
      rowsOf(t, (i) => t.columns.kind[i] === SpanKind.Server && t.columns.statusCode[i] === StatusCode.Error);
    expect(failedServers(normal)).toHaveLength(0);
    const origin = failedServers(abnormal).filter(
      (i) => abnormal.stringAt('service', i) === truth.service && abnormal.stringAt('operation', i) === truth.operation,
    );
    expect(origin.length).toBeGreaterThanOrEqual(1);
  });

  it.each([1, 2, 4])('missing-cache-hit (seed %i): a GET misses and the database is queried', (seed) => {
    const { normal, abnormal, truth } = generateTracePair({ seed, difference: 'missing-cache-hit' });
    expect(truth.operation).toBe('GET');
    const diff = multiset(abnormal);
    for (const [k, n] of multiset(normal)) diff.set(k, (diff.get(k) ?? 0) - n);
    const added = [...diff].filter(([, n]) => n !== 0);
    expect(added.every(([, n]) => n === 1)).toBe(true);
    expect(added.map(([k]) => k.split('|')[1]).sort()).toEqual(
      truth.fallbackDatabase ? [expect.stringMatching(/^SELECT /), 'SET'].sort() : ['SET'],
    );
  });

  it('is deterministic for a seed', () => {
    const a = generateTracePair({ seed: 9, difference: 'slow-span' });
    const b = generateTracePair({ seed: 9, difference: 'slow-span' });
    expect(a.truth).toEqual(b.truth);
    expect(
      Buffer.from(a.abnormal.columns.durationNano.buffer).equals(Buffer.from(b.abnormal.columns.durationNano.buffer)),
    ).toBe(true);
  });
});
