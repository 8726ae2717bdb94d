// Speed of diffTraces and compareTraceGroups on large generated traces (not part of the accuracy targets).
// Run: cd /work/main/benchmarks && npx tsx --conditions=@aiops/source diff/speed.ts
import { criticalPath } from '@aiops/critical-path';
import { compareTraceGroups, diffTraces } from '@aiops/diff';
import { concatSpanTables, type SpanInput, type SpanTable, spanTableFromRows } from '@aiops/span-model';

const BASE = 1_700_000_000_000_000_000n;

/** A wide, deep trace of about `n` spans: fan-out `fan`, sequential children, one slow leaf when `slow`. */
function bigTrace(traceId: string, n: number, fan: number, slow: boolean, seed: number): SpanTable {
  let s = seed;
  const rand = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const rows: SpanInput[] = [];
  let id = 1;
  const build = (parent: string, start: number, depth: number): number => {
    const spanId = (id++).toString(16);
    const idx = rows.length;
    rows.push({ traceId, spanId, service: `svc${depth}`, operation: `op${depth % 3}`, startUnixNano: 0n });
    let t = start + 0.01;
    if (depth < 6) {
      for (let k = 0; k < fan && id <= n; k++) t = build(spanId, t, depth + 1) + 0.01;
    } else {
      t += 0.1 + rand() * 0.1 + (slow && idx === 40 ? 500 : 0);
    }
    rows[idx] = {
      ...rows[idx]!,
      ...(parent ? { parentSpanId: parent } : {}),
      startUnixNano: BASE + BigInt(Math.round(start * 1e6)),
      endUnixNano: BASE + BigInt(Math.round((t + 0.01) * 1e6)),
    };
    return t + 0.01;
  };
  build('', 0, 0);
  return spanTableFromRows(rows);
}

function time<T>(label: string, f: () => T, reps = 5): T {
  let out: T = f();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) out = f();
  console.log(`${label}: ${((performance.now() - t0) / reps).toFixed(1)} ms`);
  return out;
}

for (const [n, fan] of [
  [1_000, 4],
  [10_000, 5],
  [50_000, 7],
] as const) {
  const normal = bigTrace('a'.repeat(32), n, fan, false, 1);
  const abnormal = bigTrace('b'.repeat(32), n, fan, true, 2);
  const cpA = criticalPath(abnormal).segments;
  const cpN = criticalPath(normal).segments;
  const d = time(`diffTraces ${normal.numSpans} vs ${abnormal.numSpans} spans`, () =>
    diffTraces(normal, abnormal, { criticalPath: cpA, normalCriticalPath: cpN }),
  );
  console.log(`  top: ${d.hypotheses[0]?.text}`);
}

const group = (prefix: string, count: number, slow: boolean): SpanTable =>
  concatSpanTables(
    Array.from({ length: count }, (_, i) =>
      bigTrace(`${prefix}${i.toString(16).padStart(31, '0')}`, 200, 3, slow && i % 2 === 0, i + 1),
    ),
  );
const baseline = group('a', 500, false);
const target = group('b', 500, true);
const c = time(`compareTraceGroups ${baseline.numSpans} vs ${target.numSpans} spans`, () =>
  compareTraceGroups(baseline, target),
);
console.log(`  top: ${c.hypotheses[0]?.text}`);
