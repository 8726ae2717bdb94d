import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

// `aiops analyze-errors` on a store loads whole only the traces with an error status plus a baseline sample of the
// others (selection pushdown from the trace summaries); from a file it loads everything. Both must give the same
// document. The same OTLP file is imported into a store and read with --source file:.
//
// 140 traces, one every 2 s from 2026-03-01T00:00:00Z; trace i is of kind:
//
//   i < 50       ok        frontend GET /checkout  server |==========|  200, 60 + 10·(i mod 10) ms
//   (50 traces)            frontend → cart         client  |======|    200
//                          cart     POST /cart     server   |====|     200
//   50 ≤ i < 110 refused   frontend GET /checkout  server |==========|  500, status ERROR
//   (60 traces)            frontend → payment      client  |==|        status ERROR "connect ECONNREFUSED",
//                                                                       peer.service payment, no server span
//   110 ≤ i < 135 timeout  frontend GET /search    server |==========|  504, status ERROR
//   (25 traces)            frontend → search       client  |========|  504, status ERROR (gave up at 30 ms)
//                          search   GET /q         server   |=============|  still running (ends at 45 ms)
//   135 ≤ i < 140 handled  frontend GET /recs      server |==========|  200
//   (5 traces)             frontend → recs         client  |==|        503, status ERROR: a fallback
const T0 = 1_772_323_200_000_000_000n;
const MS = 1_000_000n;

type Attr = { key: string; value: { stringValue: string } | { intValue: string } };
const str = (key: string, v: string): Attr => ({ key, value: { stringValue: v } });
const int = (key: string, v: number): Attr => ({ key, value: { intValue: String(v) } });

interface OtlpSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startMs: number;
  endMs: number;
  attributes: Attr[];
  status?: { code: number; message?: string };
}

const SERVER = 2;
const CLIENT = 3;
const ERROR = { code: 2 };

function traceSpans(i: number): OtlpSpan[] {
  const traceId = (i + 1).toString(16).padStart(32, '0');
  const id = (k: number) => `${(i + 1).toString(16).padStart(8, '0')}0000000${k}`;
  const start = i * 2000;
  const at = (
    service: string,
    k: number,
    parent: number | undefined,
    name: string,
    kind: number,
    a: number,
    b: number,
  ) => ({
    service,
    traceId,
    spanId: id(k),
    ...(parent !== undefined ? { parentSpanId: id(parent) } : {}),
    name,
    kind,
    startMs: start + a,
    endMs: start + b,
  });
  const code = (n: number) => int('http.response.status_code', n);
  if (i < 50) {
    return [
      { ...at('frontend', 1, undefined, 'GET /checkout', SERVER, 0, 60 + 10 * (i % 10)), attributes: [code(200)] },
      { ...at('frontend', 2, 1, 'POST /cart', CLIENT, 5, 50), attributes: [code(200), str('peer.service', 'cart')] },
      { ...at('cart', 3, 2, 'POST /cart', SERVER, 6, 49), attributes: [code(200)] },
    ];
  }
  if (i < 110) {
    return [
      { ...at('frontend', 1, undefined, 'GET /checkout', SERVER, 0, 60), attributes: [code(500)], status: ERROR },
      {
        ...at('frontend', 2, 1, 'POST /charge', CLIENT, 5, 8),
        attributes: [str('peer.service', 'payment')],
        status: { code: 2, message: 'connect ECONNREFUSED 10.0.0.7:8080' },
      },
    ];
  }
  if (i < 135) {
    return [
      { ...at('frontend', 1, undefined, 'GET /search', SERVER, 0, 40), attributes: [code(504)], status: ERROR },
      {
        ...at('frontend', 2, 1, 'GET /q', CLIENT, 5, 35),
        attributes: [code(504), str('peer.service', 'search')],
        status: ERROR,
      },
      { ...at('search', 3, 2, 'GET /q', SERVER, 6, 50), attributes: [code(200)] },
    ];
  }
  return [
    { ...at('frontend', 1, undefined, 'GET /recs', SERVER, 0, 60), attributes: [code(200)] },
    { ...at('frontend', 2, 1, 'GET /recs', CLIENT, 5, 10), attributes: [code(503)], status: ERROR },
  ];
}

function otlpJson(spans: readonly OtlpSpan[]): string {
  const services = [...new Set(spans.map((s) => s.service))];
  return JSON.stringify({
    resourceSpans: services.map((service) => ({
      resource: { attributes: [str('service.name', service)] },
      scopeSpans: [
        {
          scope: { name: 'test' },
          spans: spans
            .filter((s) => s.service === service)
            .map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: String(T0 + BigInt(s.startMs) * MS),
              endTimeUnixNano: String(T0 + BigInt(s.endMs) * MS),
              attributes: s.attributes,
              ...(s.status ? { status: s.status } : {}),
            })),
        },
      ],
    })),
  });
}

let dir: string;
let file: string;
let store: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-pushdown-'));
  file = path.join(dir, 'traces.otlp.json');
  store = path.join(dir, 'store');
  fs.writeFileSync(file, otlpJson(Array.from({ length: 140 }, (_, i) => traceSpans(i)).flat()));
  const r = await runCli(['import', file, '--store', store]);
  expect(r.code).toBe(0);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The --json document without the parts that say how it was computed. */
function doc(stdout: string) {
  const d = JSON.parse(stdout);
  const { timing, selection, ...rest } = d;
  return { rest, selection };
}

async function both(args: string[]) {
  const fromStore = await runCli(['analyze-errors', ...args, '--store', store, '--json']);
  const fromFile = await runCli(['analyze-errors', ...args, '--source', `file:${file}`, '--json']);
  expect(fromStore.code).toBe(fromFile.code);
  return { store: doc(fromStore.stdout), file: doc(fromFile.stdout) };
}

describe('aiops analyze-errors on a store (failed traces + baseline) and on whole traces', () => {
  it('gives the same document from the failed traces and a baseline as from every trace', async () => {
    const r = await both([]);
    expect(r.store.rest).toEqual(r.file.rest);
    expect(r.store.selection).toEqual({
      mode: 'failed+baseline',
      tracesInWindow: 140,
      failedInWindow: 90,
      failedLoaded: 90,
      sampled: false,
      strata: 3,
      shareMargin95: 0,
      baselineTraces: 50,
      fallback: '',
    });
    expect(r.file.selection.mode).toBe('window');
    const d = r.store.rest;
    expect([d.traces, d.failedTraces, d.errorRate, d.tracesWithHandledErrors]).toEqual([140, 85, 0.607143, 5]);
    expect(d.byType).toEqual({ timeout: 25, http5xx: 0, http4xx: 0, unavailable: 60, business: 0, other: 0 });
    expect(d.rootCauses.map((x: { service: string; traces: number }) => [x.service, x.traces])).toEqual([
      ['payment', 60],
      ['search', 25],
    ]);
    expect(d.propagationPaths.map((p: { path: string[]; traces: number }) => [p.path.join(' > '), p.traces])).toEqual([
      ['payment > frontend', 60],
      ['search > frontend', 25],
    ]);
  });

  it('gives the same document for a service and for a window', async () => {
    const search = await both(['--service', 'search']);
    expect(search.store.rest).toEqual(search.file.rest);
    expect([search.store.rest.traces, search.store.rest.failedTraces]).toEqual([25, 25]);
    // 00:01:00 to 00:02:00: traces 30..59, 20 ok and 10 refused.
    const win = await both(['--from', '2026-03-01T00:01:00Z', '--to', '2026-03-01T00:02:00Z']);
    expect(win.store.rest).toEqual(win.file.rest);
    expect([win.store.rest.traces, win.store.rest.failedTraces]).toEqual([30, 10]);
    expect(win.store.selection).toMatchObject({ tracesInWindow: 30, failedInWindow: 10, baselineTraces: 20 });
  });

  //   --max-failed 40 over 90 traces with an error status in 3 strata (root endpoint × error spans):
  //   GET /checkout, 2 error spans  60 → keeps round(40·60/90) = 27, each weighing 60/27
  //   GET /search,   2 error spans  25 → keeps round(40·25/90) = 11, each weighing 25/11
  //   GET /recs,     1 error span    5 → keeps all 5 (at least 5 per stratum)
  //   every trace of a stratum fails the same way here, so the scaled counts are the exact ones
  it('samples the failed traces per root endpoint above --max-failed and scales the counts to the window', async () => {
    const sampled = await runCli(['analyze-errors', '--max-failed', '40', '--store', store, '--json']);
    expect(sampled.code).toBe(0);
    const s = doc(sampled.stdout);
    expect(s.selection).toMatchObject({
      failedInWindow: 90,
      failedLoaded: 43,
      sampled: true,
      strata: 3,
      shareMargin95: 0.1086,
    });
    const whole = await runCli(['analyze-errors', '--all-traces', '--store', store, '--json']);
    const w = doc(whole.stdout);
    expect(w.selection.mode).toBe('window');
    expect(s.rest.failedTraces).toBe(85);
    expect(s.rest.byType).toEqual(w.rest.byType);
    // The same root causes, evidence and counts; the example trace is the first one of the sample.
    const noExample = (list: { exampleTraceId: string }[]) => list.map(({ exampleTraceId, ...rc }) => rc);
    expect(noExample(s.rest.rootCauses)).toEqual(noExample(w.rest.rootCauses));
    expect(s.rest.propagationPaths.map((p: { traces: number }) => p.traces)).toEqual([60, 25]);
    const text = await runCli(['analyze-errors', '--max-failed', '40', '--store', store]);
    expect(text.stdout).toContain(
      'loaded whole: a sample of 43 of the 90 traces with an error status (stratified by root endpoint and error spans, 3 strata; counts scaled to the window, shares ±10.9 points at 95%) + 50 others as a baseline',
    );
  });

  it('rejects a bad --max-failed and --max-failed with --all-traces', async () => {
    const bad = await runCli(['analyze-errors', '--max-failed', '0', '--store', store]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-failed: "0" is not a whole number ≥ 1 or "all"');
    const both = await runCli(['analyze-errors', '--max-failed', '5', '--all-traces', '--store', store]);
    expect(both.stderr).toContain('--all-traces loads every trace, so --max-failed has no effect');
  });
});

// --threshold on a store loads the traces whose extent reaches the threshold (plus a sample of the others, here all
// of them: fewer than 1,000). The timeout traces' root lasts 40 ms but search runs on to 50 ms: at 45 ms they are
// loaded as possibly slow and found not slow.
describe('aiops analyze-slow-traces --threshold on a store (possibly slow traces + sample) and on whole traces', () => {
  async function slow(args: string[]) {
    const fromStore = await runCli(['analyze-slow-traces', ...args, '--store', store, '--json']);
    const fromFile = await runCli(['analyze-slow-traces', ...args, '--source', `file:${file}`, '--json']);
    expect(fromStore.code).toBe(fromFile.code);
    return { store: doc(fromStore.stdout), file: doc(fromFile.stdout) };
  }

  it('gives the same document, with the slow traces of the whole window', async () => {
    const r = await slow(['--threshold', '100ms']);
    expect(r.store.rest).toEqual(r.file.rest);
    expect(r.store.selection).toEqual({
      mode: 'threshold+sample',
      tracesInWindow: 140,
      candidates: 30,
      fastInWindow: 110,
      fastLoaded: 110,
      sampled: false,
    });
    expect(r.file.selection).toMatchObject({ mode: 'window', tracesInWindow: 140 });
    // Requests i mod 10 ≥ 4 of the 50 ok ones: 100..150 ms.
    expect([r.store.rest.traces, r.store.rest.slowCount]).toEqual([140, 30]);
    expect(r.store.rest.slowTraces[0]).toMatchObject({
      durationMs: 150,
      service: 'frontend',
      operation: 'GET /checkout',
    });
  });

  it('loads a trace whose callee outlived its root as possibly slow and judges it by its root', async () => {
    const r = await slow(['--threshold', '45ms']);
    expect(r.store.rest).toEqual(r.file.rest);
    expect(r.store.selection).toMatchObject({ candidates: 140, fastInWindow: 0 });
    expect(r.store.rest.slowCount).toBe(115);
    const search = await slow(['--threshold', '45ms', '--service', 'search']);
    expect(search.store.rest).toEqual(search.file.rest);
    // search's own span lasts 44 ms (6..50): none is slow, and the command exits 1.
    expect([search.store.rest.traces, search.store.rest.slowCount]).toEqual([25, 0]);
  });
});

// A store whose error status misses a failure: trace 1 answered 500 with status UNSET (error_count 0), trace 0
// has status ERROR, trace 2 is fine. The baseline (traces 1 and 2) shows the miss, so the whole window is read.
//   0  api GET /a  |=====|  500, status ERROR
//   1  api GET /b  |=====|  500, status UNSET
//   2  api GET /c  |=====|  200
describe('aiops analyze-errors when the error status misses failures', () => {
  it('falls back to every trace of the window and says why', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-pushdown-fallback-'));
    try {
      const f = path.join(d, 'traces.otlp.json');
      const spans: OtlpSpan[] = [0, 1, 2].map((i) => ({
        service: 'api',
        traceId: (i + 1).toString(16).padStart(32, '0'),
        spanId: `${(i + 1).toString(16).padStart(8, '0')}00000001`,
        name: `GET /${'abc'[i]}`,
        kind: SERVER,
        startMs: i * 1000,
        endMs: i * 1000 + 50,
        attributes: [int('http.response.status_code', i < 2 ? 500 : 200)],
        ...(i === 0 ? { status: ERROR } : {}),
      }));
      fs.writeFileSync(f, otlpJson(spans));
      const s = path.join(d, 'store');
      expect((await runCli(['import', f, '--store', s])).code).toBe(0);
      const r = await runCli(['analyze-errors', '--store', s, '--json']);
      const out = JSON.parse(r.stdout);
      expect([out.traces, out.failedTraces]).toEqual([3, 2]);
      expect(out.selection).toMatchObject({ mode: 'window', tracesInWindow: 3 });
      expect(out.selection.fallback).toBe(
        '1 of 2 baseline traces without an error status hold failures (HTTP codes or exceptions without status ERROR): the whole window was loaded',
      );
      expect(out.warnings).toContain(out.selection.fallback);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
