import {
  buildTraceTree,
  ParentRefType,
  SpanKind,
  StatusCode,
  spanAttributeText,
  traceIdAt,
  utf8At,
} from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { generateScenario, scenarioTopology } from '../index.ts';
import { criticalRows, rowsByTrace } from './helpers.ts';

const topo = scenarioTopology({ seed: 11 });
// A level-1 service called by the frontend on most requests.
const hot = topo.edges.find((e) => e.from === 'frontend' && e.kind === 'http')!.to;
// A call the frontend makes concurrently with others: its latency is on the critical path only sometimes.
const concurrentCalls = topo.operations
  .filter((o) => o.service === 'frontend')
  .flatMap((o) => o.calls.filter((c) => c.kind === 'http' && c.concurrent))
  .filter((c, i, all) => all.findIndex((d) => d.target === c.target) === i);

describe('generateScenario', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateScenario({ seed: 5, durationSeconds: 20 });
    const b = generateScenario({ seed: 5, durationSeconds: 20 });
    const c = generateScenario({ seed: 6, durationSeconds: 20 });
    expect(a.table.numSpans).toBe(b.table.numSpans);
    expect(Buffer.from(a.table.columns.spanId).equals(Buffer.from(b.table.columns.spanId))).toBe(true);
    expect(
      Buffer.from(a.table.columns.startUnixNano.buffer).equals(Buffer.from(b.table.columns.startUnixNano.buffer)),
    ).toBe(true);
    expect(a.truth.traces.map((t) => t.traceId)).toEqual(b.truth.traces.map((t) => t.traceId));
    expect(c.truth.traces[0]!.traceId).not.toBe(a.truth.traces[0]!.traceId);
  });

  it('builds at least 20 services with databases, caches, queues and external APIs', () => {
    const { truth } = generateScenario({ seed: 11, durationSeconds: 5 });
    const kinds = (k: string) => truth.services.filter((s) => s.kind === k).length;
    expect(kinds('service')).toBe(24);
    expect(kinds('database')).toBe(4);
    expect(kinds('cache')).toBe(2);
    expect(kinds('queue')).toBe(2);
    expect(kinds('external')).toBe(2);
    expect(truth.entries.reduce((s, e) => s + e.weight, 0)).toBeCloseTo(1, 9);
  });

  it('writes one truth entry per root span, with the root duration', () => {
    const { table, truth } = generateScenario({ seed: 11, durationSeconds: 30 });
    const roots = new Map<string, number>();
    const c = table.columns;
    for (let i = 0; i < table.numSpans; i++) {
      if (c.parentRefType[i] === ParentRefType.None) roots.set(traceIdAt(table, i), i);
    }
    expect(roots.size).toBe(truth.traces.length);
    for (const t of truth.traces.slice(0, 200)) {
      const r = roots.get(t.traceId)!;
      expect(c.durationNano[r]).toBe(t.durationNano);
      expect(table.stringAt('service', r)).toBe(t.entryService);
      expect(table.stringAt('operation', r)).toBe(t.entryOperation);
      expect(c.kind[r]).toBe(SpanKind.Server);
    }
    expect(truth.traces.reduce((s, t) => s + t.spanCount, 0)).toBe(table.numSpans);
  });

  it('finds every truth edge in the spans, with OpenTelemetry semantic attributes', () => {
    const { table, truth } = generateScenario({ seed: 11, durationSeconds: 60 });
    const tree = buildTraceTree(table);
    const c = table.columns;
    const seen = new Set<string>();
    for (let i = 0; i < table.numSpans; i++) {
      const svc = table.stringAt('service', i);
      const p = tree.links.parent[i]!;
      if (c.kind[i] === SpanKind.Server && p >= 0 && c.kind[p] === SpanKind.Client) {
        seen.add(`${table.stringAt('service', p)}>${svc}`);
      }
      if (c.kind[i] === SpanKind.Client && table.stringAt('peerService', i) !== '') {
        seen.add(`${svc}>${table.stringAt('peerService', i)}`);
        expect(table.stringAt('serverAddress', i)).not.toBe('');
      }
      if (c.kind[i] === SpanKind.Client && table.stringAt('dbSystem', i) !== '') {
        expect(table.stringAt('dbStatement', i)).not.toBe('');
      }
      if (c.kind[i] === SpanKind.Producer) seen.add(`${svc}>${table.stringAt('messagingDestination', i)}`);
      if (c.kind[i] === SpanKind.Consumer) {
        expect(c.parentRefType[i]).toBe(ParentRefType.FollowsFrom);
        seen.add(`${table.stringAt('messagingDestination', i)}>${svc}`);
      }
    }
    expect(truth.edges.length).toBeGreaterThan(30);
    for (const e of truth.edges) expect(seen.has(`${e.from}>${e.to}`), `${e.from}>${e.to}`).toBe(true);
    for (const key of seen)
      expect(
        truth.edges.some((e) => `${e.from}>${e.to}` === key),
        key,
      ).toBe(true);
    const kinds = new Set(truth.edges.map((e) => e.kind));
    expect([...kinds].sort()).toEqual(['cache', 'consume', 'db', 'external', 'http', 'produce']);
  });

  it('raises the latency of the faulted service inside the window only, and names it as slow cause', () => {
    const { table, truth } = generateScenario({
      seed: 11,
      durationSeconds: 90,
      faults: [{ kind: 'latency', service: hot, factor: 10, startSeconds: 30, endSeconds: 60 }],
    });
    const c = table.columns;
    const base = truth.startUnixNano;
    const tree = buildTraceTree(table);
    const inside: number[] = [];
    const outside: number[] = [];
    for (let i = 0; i < table.numSpans; i++) {
      if (c.kind[i] !== SpanKind.Server || table.stringAt('service', i) !== hot) continue;
      const t = Number(c.startUnixNano[i]! - base) / 1e9;
      const d = tree.selfNano[i]!;
      if (t > 31 && t < 59) inside.push(d);
      else if (t < 29 || t > 61) outside.push(d);
    }
    const median = (x: number[]) => x.sort((a, b) => a - b)[x.length >> 1]!;
    // Self time × 10 (lognormal noise on both sides).
    expect(median(inside)).toBeGreaterThan(6 * median(outside));
    expect(median(inside)).toBeLessThan(15 * median(outside));
    const slow = truth.traces.filter((t) => t.slowCause);
    expect(slow.length).toBeGreaterThan(100);
    for (const t of slow) {
      const s = Number(t.startUnixNano - base) / 1e9;
      expect(s >= 30 && s < 60).toBe(true);
      expect(t.slowCause!.service).toBe(hot);
      expect(t.faultIndex).toBe(0);
    }
    expect(truth.faults[0]!.affectedTraces).toBeGreaterThanOrEqual(slow.length);
  });

  it('labels a slow cause only when the faulted span lies on the critical path', () => {
    let onPath = 0;
    let offPath = 0;
    for (const call of concurrentCalls) {
      const { table, truth } = generateScenario({
        seed: 11,
        durationSeconds: 30,
        faults: [
          { kind: 'latency', service: call.target, caller: 'frontend', factor: 2, startSeconds: 0, endSeconds: 30 },
        ],
      });
      const tree = buildTraceTree(table);
      const byTrace = rowsByTrace(table);
      for (const t of truth.traces) {
        if (t.faultIndex !== 0) continue;
        const rows = byTrace.get(t.traceId)!;
        const root = rows.find((r) => tree.links.parent[r] === -1)!;
        const cp = criticalRows(table, tree, root);
        const hit = [...cp].some((r) => {
          const p = tree.links.parent[r]!;
          return (
            table.columns.kind[r] === SpanKind.Server &&
            table.stringAt('service', r) === call.target &&
            p >= 0 &&
            table.stringAt('service', tree.links.parent[p]!) === 'frontend'
          );
        });
        expect(hit, t.traceId).toBe(t.slowCause !== undefined);
        if (t.slowCause) {
          expect(t.slowCause.service).toBe(call.target);
          onPath++;
        } else offPath++;
      }
    }
    // A mild slowdown of a concurrent call leaves it off the critical path of some traces.
    expect(onPath).toBeGreaterThan(10);
    expect(offPath).toBeGreaterThan(10);
  });

  it('propagates injected 5xx errors up to the root and records the path', () => {
    const { table, truth } = generateScenario({
      seed: 11,
      durationSeconds: 60,
      backgroundErrorRate: 0,
      faults: [{ kind: 'error', service: hot, probability: 1, startSeconds: 10, endSeconds: 40 }],
    });
    const byTrace = rowsByTrace(table);
    const failed = truth.traces.filter((t) => t.failed);
    expect(failed.length).toBeGreaterThan(50);
    for (const t of failed) {
      expect(t.errorOrigin!.service).toBe(hot);
      expect(t.errorType).toBe('http5xx');
      expect(t.errorPath![0]).toBe(hot);
      expect(t.errorPath!.at(-1)).toBe(t.entryService);
      const rows = byTrace.get(t.traceId)!;
      const root = rows.find((r) => table.columns.parentRefType[r] === ParentRefType.None)!;
      expect(table.columns.statusCode[root]).toBe(StatusCode.Error);
      expect(table.columns.httpStatusCode[root]).toBe(500);
      const origin = rows.find(
        (r) =>
          table.stringAt('service', r) === hot &&
          table.columns.kind[r] === SpanKind.Server &&
          table.columns.statusCode[r] === StatusCode.Error,
      );
      expect(origin).toBeDefined();
      expect(utf8At(table.columns.events, origin!)).toContain('"exception"');
      expect(table.stringAt('errorType', origin!)).not.toBe('');
    }
    const outside = truth.traces.filter((t) => Number(t.startUnixNano - truth.startUnixNano) / 1e9 >= 40);
    expect(outside.every((t) => !t.failed)).toBe(true);
  });

  it('ends a timed-out client span at its deadline while the slow callee continues', () => {
    const { table, truth } = generateScenario({
      seed: 11,
      durationSeconds: 40,
      backgroundErrorRate: 0,
      faults: [{ kind: 'timeout', service: hot, startSeconds: 0, endSeconds: 40 }],
    });
    const tree = buildTraceTree(table);
    const c = table.columns;
    let timeouts = 0;
    for (let i = 0; i < table.numSpans; i++) {
      if (c.kind[i] !== SpanKind.Client || table.stringAt('statusMessage', i) !== 'deadline exceeded') continue;
      timeouts++;
      expect(spanAttributeText(table, i, 'error.type')).toBe('timeout');
      const kids = tree.links.children.subarray(tree.links.childOffsets[i]!, tree.links.childOffsets[i + 1]!);
      expect(kids.length).toBe(1);
      expect(table.times.endNano[kids[0]!]!).toBeGreaterThan(table.times.endNano[i]!);
    }
    expect(timeouts).toBeGreaterThan(50);
    const failed = truth.traces.filter((t) => t.errorType === 'timeout');
    expect(failed.length).toBeGreaterThan(0);
    for (const t of failed) expect(t.errorOrigin!.service).toBe(hot);
  });

  it('strips kinds and status in messy mode, names services by pod, and leaves orphans', () => {
    const { table, truth } = generateScenario({
      seed: 11,
      durationSeconds: 30,
      messy: true,
      faults: [{ kind: 'error', service: hot, probability: 1, startSeconds: 0, endSeconds: 30 }],
    });
    const c = table.columns;
    expect(c.kind.every((k) => k === SpanKind.Unspecified)).toBe(true);
    expect(c.statusCode.every((s) => s === StatusCode.Unset)).toBe(true);
    expect(c.httpStatusCode.every((s) => s === 0)).toBe(true);
    for (const name of table.dict('service').values.slice(2)) expect(name).toMatch(/-[0-9a-f]{8}-[a-z0-9]{5}$/);
    const pods = truth.services.find((s) => s.name === hot)!.pods!;
    expect(pods.length).toBeGreaterThan(0);
    expect(pods.every((p) => p.startsWith(`${hot}-`))).toBe(true);
    const tree = buildTraceTree(table);
    expect(tree.issues.orphans.length).toBeGreaterThan(0);
    expect(truth.traces.reduce((s, t) => s + t.spanCount - t.droppedSpans, 0)).toBe(table.numSpans);
    let tagged = 0;
    for (let i = 0; i < table.numSpans; i++) if (spanAttributeText(table, i, 'error') === 'true') tagged++;
    expect(tagged).toBeGreaterThan(0);
  });
});
