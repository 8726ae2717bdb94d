import { SpanKind, StatusCode, spanAttributeText, spanEvents } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { generateScenario, scenarioTopology } from '../index.ts';

const topo = scenarioTopology({ seed: 11 });
const hot = topo.edges.find((e) => e.from === 'frontend' && e.kind === 'http')!.to;
const W = { startSeconds: 0, endSeconds: 30 };

describe('generateScenario: messy styles and issue-order starts (new options, old output unchanged)', () => {
  it('writes exactly the old output when the new options are left at their defaults', () => {
    const base = {
      seed: 7,
      durationSeconds: 20,
      messy: true,
      faults: [{ kind: 'error' as const, service: hot, ...W }],
    };
    const a = generateScenario(base);
    const b = generateScenario({ ...base, messyStyle: 'tags', issueOrderStarts: false });
    expect(b.table.numSpans).toBe(a.table.numSpans);
    for (const col of ['spanId', 'startUnixNano', 'attrOffsets', 'attrKey'] as const) {
      const x = a.table.columns[col];
      const y = b.table.columns[col];
      expect(
        Buffer.from(y.buffer, y.byteOffset, y.byteLength).equals(Buffer.from(x.buffer, x.byteOffset, x.byteLength)),
      ).toBe(true);
    }
    expect(b.truth.traces).toEqual(a.truth.traces);
  });

  it("jaeger style: http.status_code as text on HTTP spans, error=true with status ERROR and an 'error' log", () => {
    const { table, truth } = generateScenario({
      seed: 11,
      durationSeconds: 30,
      messy: true,
      messyStyle: 'jaeger',
      faults: [{ kind: 'error', service: hot, probability: 1, ...W }],
    });
    expect(table.columns.kind.every((k) => k === SpanKind.Unspecified)).toBe(true);
    let ok200 = 0;
    let err500 = 0;
    let logs = 0;
    for (let i = 0; i < table.numSpans; i++) {
      const code = spanAttributeText(table, i, 'http.status_code');
      if (code === '200') ok200++;
      if (code === '500') err500++;
      const tagged = spanAttributeText(table, i, 'error') === 'true';
      expect(table.columns.statusCode[i]).toBe(tagged ? StatusCode.Error : StatusCode.Unset);
      const log = spanEvents(table, i).find((e) => e.name === 'error');
      if (log) {
        logs++;
        expect(tagged).toBe(true);
        expect(Object.keys(log.attributes)).toEqual(['error.kind', 'message']);
      }
    }
    expect(ok200).toBeGreaterThan(100);
    expect(err500).toBeGreaterThan(0);
    expect(logs).toBeGreaterThan(0);
    expect(truth.traces.some((t) => t.failed && t.errorOrigin?.service === hot)).toBe(true);
  });

  it('otel-grpc style: gRPC codes on RPC spans (DEADLINE_EXCEEDED on a call that gave up) and otel status tags', () => {
    const { table } = generateScenario({
      seed: 11,
      durationSeconds: 30,
      messy: true,
      messyStyle: 'otel-grpc',
      faults: [{ kind: 'timeout', service: hot, ...W }],
    });
    const codes = new Map<string, number>();
    let described = 0;
    for (let i = 0; i < table.numSpans; i++) {
      const code = spanAttributeText(table, i, 'rpc.grpc.status_code');
      if (code !== undefined) codes.set(code, (codes.get(code) ?? 0) + 1);
      if (spanAttributeText(table, i, 'otel.status_code') === 'ERROR') {
        expect(table.columns.statusCode[i]).toBe(StatusCode.Error);
        expect(table.stringAt('statusMessage', i)).toBe(spanAttributeText(table, i, 'otel.status_description'));
        described++;
      }
    }
    expect(codes.get('0')).toBeGreaterThan(100);
    expect(codes.get('4')).toBeGreaterThan(0);
    expect(described).toBeGreaterThan(0);
    expect(table.columns.httpStatusCode.every((s) => s === 0)).toBe(true);
  });

  it('issue-order starts move only start times: same spans, same truth', () => {
    const base = { seed: 3, durationSeconds: 20, faults: [{ kind: 'unavailable' as const, service: hot, ...W }] };
    const a = generateScenario(base);
    const b = generateScenario({ ...base, issueOrderStarts: true });
    expect(b.table.numSpans).toBe(a.table.numSpans);
    expect(Buffer.from(b.table.columns.spanId).equals(Buffer.from(a.table.columns.spanId))).toBe(true);
    expect(b.truth.traces.map((t) => [t.failed, t.errorPath])).toEqual(
      a.truth.traces.map((t) => [t.failed, t.errorPath]),
    );
    let moved = 0;
    for (let i = 0; i < a.table.numSpans; i++) if (a.table.times.startNano[i] !== b.table.times.startNano[i]) moved++;
    expect(moved).toBeGreaterThan(0);
  });
});
