// The anomaly report from the store's lean "analysis" read against the full read (identical with the deterministic
// stat detectors; the Isolation Forest draws with Math.random), and the CPU time of each read and of the detection:
// what `aiops detect-trace-anomaly --store` spends.
//
//   cd benchmarks && npx tsx --conditions=@aiops/source anomaly/lean-read.ts [--store data/cli-store-1000000]
import { detectAnomalies } from '@aiops/anomaly';
import { openStore } from '@aiops/store';

const i = process.argv.indexOf('--store');
const dir = i >= 0 ? process.argv[i + 1]! : 'data/cli-store-1000000';
const store = await openStore({ dir, readOnly: true });
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const bounds = (await store.bounds())!;
const out: Record<string, string> = {};
for (const detail of ['full', 'analysis'] as const) {
  let c = cpu();
  let w = performance.now();
  const table = await store.spans({ fromUnixNano: bounds.fromUnixNano, toUnixNano: bounds.toUnixNano, detail });
  const readCpu = cpu() - c;
  const readWall = (performance.now() - w) / 1000;
  c = cpu();
  w = performance.now();
  const report = detectAnomalies(table);
  const detectCpu = cpu() - c;
  // The ml part (Isolation Forest) draws with Math.random, so only the stat detectors can be compared exactly.
  out[detail] = JSON.stringify(detectAnomalies(table, { algorithm: 'stat' }));
  console.log(
    `${detail}: ${table.numSpans.toLocaleString()} spans; read ${readCpu.toFixed(2)} CPU-s (${readWall.toFixed(2)} s wall), detect ${detectCpu.toFixed(2)} CPU-s (${((performance.now() - w) / 1000).toFixed(2)} s wall); ${report.anomalies.length} anomalies`,
  );
}
await store.close();
console.log(`stat reports identical: ${out.full === out.analysis}`);
const os = await import('node:os');
console.log(
  `load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
