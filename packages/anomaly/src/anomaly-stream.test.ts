import { type SpanTable, takeSpans } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { traffic } from '../test/traffic.ts';
import { createAnomalyStream } from './anomaly-stream.ts';

// The traffic of detect-anomalies.test.ts, pushed in 10 s chunks; api's own time goes 20 → 228 ms at minute 8:
//
//   chunk   0 1 2 ... 47 | 48 49 50 51 52 53 ... 71 | 72 ...
//   api     normal       | ×5 latency from t = 480 s  | normal again at 720 s
const START = 1_735_689_600;
const BASE = traffic({ startUnixSeconds: START, seconds: 2400, rate: 1, seed: 1 });
const LIVE = traffic({
  startUnixSeconds: START + 2400,
  seconds: 1200,
  rate: 1,
  seed: 2,
  apiSelfMs: (t) => (t >= 480 && t < 720 ? 228 : 20),
});

function chunk(table: SpanTable, fromSec: number, toSec: number): SpanTable {
  const start = table.times.startNano;
  const base = Number(table.times.baseUnixNano) / 1e9;
  const rows: number[] = [];
  for (let i = 0; i < table.numSpans; i++) {
    const s = base + start[i]! / 1e9;
    if (s >= fromSec && s < toSec) rows.push(i);
  }
  return takeSpans(table, rows);
}

describe('createAnomalyStream', () => {
  it('reports the api latency spike once, within a minute of data after its onset', () => {
    const stream = createAnomalyStream({ baseline: BASE, bucketSeconds: 30 });
    const seen: { at: number; kind: string; service: string; start: string }[] = [];
    for (let t = 0; t < 1200; t += 10) {
      for (const a of stream.push(chunk(LIVE, START + 2400 + t, START + 2410 + t))) {
        seen.push({ at: t + 10, kind: a.kind, service: a.service, start: a.start });
      }
    }
    for (const a of stream.flush()) seen.push({ at: 1200, kind: a.kind, service: a.service, start: a.start });
    const api = seen.filter((s) => s.service === 'api' && s.kind === 'latency_spike');
    expect(api).toHaveLength(1);
    expect(api[0]!.start).toBe(new Date((START + 2400 + 480) * 1000).toISOString());
    // Data pushed up to t = 510 s: the open bucket 480..510 is evaluated with the 25 s trusted so far (lateness
    // 5 s), 25 slow requests: 30 s after the onset (waiting for the bucket to close took until t = 520 s).
    expect(api[0]!.at - 480).toBe(30);
    expect(seen.every((s) => s.at >= 480)).toBe(true);
    expect(stream.pendingSpans).toBe(0);
  });

  it('learns its baseline from the stream when none is given', () => {
    const stream = createAnomalyStream({ bucketSeconds: 30, warmupBuckets: 10 });
    const first = stream.push(chunk(BASE, START, START + 1200));
    expect(first).toEqual([]);
    const out = [];
    for (let t = 0; t < 900; t += 30) out.push(...stream.push(chunk(LIVE, START + 2400 + t, START + 2430 + t)));
    expect(out.some((a) => a.service === 'api' && a.kind === 'latency_spike')).toBe(true);
    expect(stream.lastReport()?.baselineFrom).toBe('');
  });

  it('waits for the bucket to close with openFraction 1', () => {
    const stream = createAnomalyStream({ baseline: BASE, bucketSeconds: 30, openFraction: 1 });
    let at = -1;
    for (let t = 0; t < 700 && at < 0; t += 10) {
      const out = stream.push(chunk(LIVE, START + 2400 + t, START + 2410 + t));
      if (out.some((a) => a.service === 'api' && a.kind === 'latency_spike')) at = t + 10;
    }
    expect(at - 480).toBe(40);
  });

  it('reports a quiet service (7.5 requests per bucket) as soon as a few slow requests agree', () => {
    // One trace every 4 s; api ×5 from t = 495 s, mid-bucket:
    //   bucket 480..510: 3 normal + 4 slow requests, bucket 510..540: 7–8 slow, ...
    // A run of single-bucket hits needs 20 requests (≈ 80 s here); the test pooled over the onset bucket and the
    // open one (mean ln latency, robust to leaving either out) rests on 6.
    const base = traffic({ startUnixSeconds: START, seconds: 2400, rate: 0.25, seed: 3 });
    const live = traffic({
      startUnixSeconds: START + 2400,
      seconds: 900,
      rate: 0.25,
      seed: 4,
      apiSelfMs: (t) => (t >= 495 && t < 735 ? 228 : 20),
    });
    const stream = createAnomalyStream({ baseline: base, bucketSeconds: 30 });
    let at = -1;
    let early = 0;
    for (let t = 0; t < 900 && at < 0; t += 10) {
      const out = stream.push(chunk(live, START + 2400 + t, START + 2410 + t));
      if (t + 10 <= 495) early += out.length;
      if (out.some((a) => a.service === 'api' && a.kind === 'latency_spike')) at = t + 10;
    }
    expect(early).toBe(0);
    // Pushed up to t = 540 s: 45 s after the onset. Before pooled support counted for a run of single-bucket hits,
    // this stream reported nothing at all in its 900 s.
    expect(at - 495).toBe(45);
  });

  it('rejects what is not a span table, and an openFraction outside [0.5, 1]', () => {
    const stream = createAnomalyStream();
    expect(() => stream.push({} as SpanTable)).toThrow(TypeError);
    expect(() => createAnomalyStream({ openFraction: 0.2 })).toThrow(/openFraction must be in \[0.5, 1\], got 0.2/);
  });
});
