import { buildTraceTree, SpanKind, StatusCode, spanAttributeText } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { generateScenario, scenarioTopology } from '../index.ts';

const topo = scenarioTopology({ seed: 11 });
const hot = topo.edges.find((e) => e.from === 'frontend' && e.kind === 'http')!.to;
const dbEdge = topo.edges.find((e) => e.kind === 'db')!;
const base = { seed: 11, durationSeconds: 30, backgroundErrorRate: 0 } as const;
const rows = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('fault kinds', () => {
  it('unavailable: client spans fail with ECONNREFUSED and have no server span', () => {
    const { table, truth } = generateScenario({
      ...base,
      faults: [{ kind: 'unavailable', service: hot, startSeconds: 0, endSeconds: 30 }],
    });
    const tree = buildTraceTree(table);
    const refused = rows(table.numSpans).filter((i) => spanAttributeText(table, i, 'error.type') === 'ECONNREFUSED');
    expect(refused.length).toBeGreaterThan(50);
    for (const i of refused) {
      expect(table.columns.kind[i]).toBe(SpanKind.Client);
      expect(tree.links.childOffsets[i + 1]! - tree.links.childOffsets[i]!).toBe(0);
      expect(table.stringAt('serverAddress', i)).toBe(hot);
    }
    expect(rows(table.numSpans).some((i) => table.stringAt('service', i) === hot)).toBe(false);
    const failed = truth.traces.filter((t) => t.errorType === 'unavailable');
    expect(failed.length).toBeGreaterThan(0);
    for (const t of failed) expect(t.errorOrigin!.service).toBe(hot);
  });

  it('retry: the first attempt fails with 503, the retry succeeds, and the error is recorded as handled', () => {
    const { table, truth } = generateScenario({
      ...base,
      faults: [{ kind: 'retry', service: hot, startSeconds: 0, endSeconds: 30 }],
    });
    const resent = rows(table.numSpans).filter((i) => spanAttributeText(table, i, 'http.request.resend_count') === '1');
    expect(resent.length).toBeGreaterThan(50);
    const handled = truth.traces.flatMap((t) => t.handledErrors ?? []).filter((h) => h.service === hot);
    expect(handled.length).toBeGreaterThanOrEqual(resent.length);
    expect(handled.every((h) => h.handling === 'retried' && h.errorType === 'http5xx')).toBe(true);
    expect(truth.traces.filter((t) => t.failed)).toHaveLength(0);
  });

  it('rate-limit and http4xx: servers answer 429/404 without an error status; clients mark it as an error', () => {
    for (const [kind, status] of [
      ['rate-limit', 429],
      ['http4xx', 404],
    ] as const) {
      const { table, truth } = generateScenario({
        ...base,
        faults: [{ kind, service: hot, httpStatus: 404, probability: 1, startSeconds: 0, endSeconds: 30 }],
      });
      const c = table.columns;
      const servers = rows(table.numSpans).filter(
        (i) => c.kind[i] === SpanKind.Server && c.httpStatusCode[i] === status && table.stringAt('service', i) === hot,
      );
      const clients = rows(table.numSpans).filter(
        (i) => c.kind[i] === SpanKind.Client && c.httpStatusCode[i] === status,
      );
      expect(servers.length).toBeGreaterThan(20);
      expect(servers.every((i) => c.statusCode[i] === StatusCode.Unset)).toBe(true);
      expect(clients.every((i) => c.statusCode[i] === StatusCode.Error)).toBe(true);
      const failed = truth.traces.filter((t) => t.failed && t.errorOrigin?.service === hot);
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((t) => t.errorType === 'http4xx')).toBe(true);
    }
  });

  it('n-plus-one: one database call becomes many sequential queries, and the caller is the slow cause', () => {
    const { table, truth } = generateScenario({
      ...base,
      faults: [
        { kind: 'n-plus-one', service: dbEdge.to, caller: dbEdge.from, count: 30, startSeconds: 0, endSeconds: 30 },
      ],
    });
    const perRow = rows(table.numSpans).filter(
      (i) =>
        table.stringAt('service', i) === dbEdge.from &&
        /WHERE id = \$1$|WHERE id = \?$/.test(table.stringAt('dbStatement', i)),
    );
    const affected = truth.faults[0]!.affectedTraces;
    expect(affected).toBeGreaterThan(0);
    expect(perRow.length).toBeGreaterThanOrEqual(29 * affected);
    const slow = truth.traces.filter((t) => t.slowCause?.faultIndex === 0);
    expect(slow.every((t) => t.slowCause!.service === dbEdge.from)).toBe(true);
  });

  it('new-call and missing-call: an edge appears or disappears inside the window only', () => {
    const caller = 'frontend';
    const normalTargets = new Set(topo.edges.filter((e) => e.from === caller).map((e) => e.to));
    const newTarget = topo.services.find(
      (s) =>
        s.kind === 'service' &&
        !normalTargets.has(s.name) &&
        s.name !== caller &&
        !s.name.startsWith('admin') &&
        !s.name.startsWith('report'),
    )!.name;
    const { table, truth } = generateScenario({
      ...base,
      faults: [
        { kind: 'new-call', service: caller, target: newTarget, startSeconds: 10, endSeconds: 20 },
        { kind: 'missing-call', service: caller, target: hot, startSeconds: 10, endSeconds: 20 },
      ],
    });
    const tree = buildTraceTree(table);
    const c = table.columns;
    const calls = (target: string) =>
      rows(table.numSpans)
        .filter((i) => {
          const p = tree.links.parent[i]!;
          return (
            c.kind[i] === SpanKind.Server &&
            table.stringAt('service', i) === target &&
            p >= 0 &&
            table.stringAt('service', p) === caller
          );
        })
        .map((i) => Number(c.startUnixNano[i]! - truth.startUnixNano) / 1e9);
    const fresh = calls(newTarget);
    expect(fresh.length).toBeGreaterThan(10);
    expect(fresh.every((t) => t >= 10 && t < 20.5)).toBe(true);
    const gone = calls(hot);
    expect(gone.some((t) => t < 10)).toBe(true);
    expect(gone.some((t) => t > 20.5)).toBe(true);
    expect(gone.filter((t) => t >= 10.5 && t < 20).length).toBe(0);
    expect(truth.edges.find((e) => e.from === caller && e.to === newTarget)!.faultIndex).toBe(0);
  });

  it('volume: a spike multiplies the traffic of an entry inside the window', () => {
    const entry = topo.entries[1]!;
    const { truth } = generateScenario({
      ...base,
      durationSeconds: 60,
      faults: [
        {
          kind: 'volume',
          service: entry.service,
          operation: entry.operation,
          factor: 6,
          startSeconds: 20,
          endSeconds: 40,
        },
      ],
    });
    const count = (a: number, b: number) =>
      truth.traces.filter((t) => {
        const s = Number(t.startUnixNano - truth.startUnixNano) / 1e9;
        return t.entryOperation === entry.operation && s >= a && s < b;
      }).length;
    const before = count(0, 20);
    const during = count(20, 40);
    expect(during).toBeGreaterThan(3.5 * before);
    expect(during).toBeLessThan(9 * before);
    expect(truth.faults[0]!.affectedTraces).toBe(during);
  });

  it('rejects faults that name unknown services or have empty windows', () => {
    expect(() =>
      generateScenario({ ...base, faults: [{ kind: 'latency', service: 'nope', startSeconds: 0, endSeconds: 1 }] }),
    ).toThrow(/unknown service "nope"/);
    expect(() =>
      generateScenario({ ...base, faults: [{ kind: 'latency', service: hot, startSeconds: 5, endSeconds: 5 }] }),
    ).toThrow(RangeError);
  });

  it('network-delay: the server span starts addMs after its client span, and the callee is the slow cause', () => {
    const { table, truth } = generateScenario({
      ...base,
      faults: [{ kind: 'network-delay', service: hot, addMs: 40, startSeconds: 0, endSeconds: 30 }],
    });
    const tree = buildTraceTree(table);
    const { startNano } = table.times;
    const gaps: number[] = [];
    for (const i of rows(table.numSpans)) {
      if (table.columns.kind[i] !== SpanKind.Server || table.stringAt('service', i) !== hot) continue;
      const p = tree.links.parent[i]!;
      if (p >= 0) gaps.push((startNano[i]! - startNano[p]!) / 1e6);
    }
    expect(gaps.length).toBeGreaterThan(50);
    // 40 ms of injected delay plus a lognormal network gap of about 0.25 ms.
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(40);
    for (const g of gaps) expect(g).toBeLessThan(45);
    const slow = truth.traces.filter((t) => t.slowCause?.faultIndex === 0);
    expect(slow.length).toBeGreaterThan(50);
    expect(slow.every((t) => t.slowCause!.service === hot)).toBe(true);
  });

  it('bare: only pod names, parent links and timings remain', () => {
    const { table, truth } = generateScenario({
      ...base,
      bare: true,
      faults: [{ kind: 'error', service: hot, probability: 1, startSeconds: 0, endSeconds: 30 }],
    });
    expect(truth.messy).toBe(true);
    expect(truth.traces.some((t) => t.failed)).toBe(true);
    const c = table.columns;
    for (const i of rows(table.numSpans)) {
      expect(c.kind[i]).toBe(SpanKind.Unspecified);
      expect(c.statusCode[i]).toBe(StatusCode.Unset);
      expect(c.httpStatusCode[i]).toBe(0);
      expect(table.stringAt('peerService', i)).toBe('');
      expect(spanAttributeText(table, i, 'error')).toBeUndefined();
    }
    const pods = new Set(truth.services.find((s) => s.name === hot)!.pods);
    expect(pods.size).toBeGreaterThan(0);
    expect(rows(table.numSpans).some((i) => pods.has(table.stringAt('service', i)))).toBe(true);
    expect(rows(table.numSpans).some((i) => table.stringAt('service', i) === hot)).toBe(false);
  });
});
