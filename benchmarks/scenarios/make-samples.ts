// Writes examples/sample-traces/: a small web shop's traffic with a slow inventory query and a failing payment
// gateway, as OTLP JSON-lines, plus the ground truth. Run: npx tsx --conditions=@aiops/source scenarios/make-samples.ts
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateScenario } from './index.ts';
import { spanTableToOtlpJson } from './otlp-encode.ts';

const out = path.resolve(import.meta.dirname, '../../examples/sample-traces');
const { table, truth } = generateScenario({
  seed: 42,
  services: 8,
  durationSeconds: 120,
  tracesPerSecond: 1.5,
  startUnixNano: 1_764_000_000_000_000_000n,
  faults: (topo) => {
    const db = topo.services.find((s) => s.kind === 'database')!.name;
    const ext = topo.services.find((s) => s.kind === 'external')?.name;
    return [
      { kind: 'latency', service: db, factor: 40, startSeconds: 30, endSeconds: 70 },
      ...(ext
        ? [{ kind: 'unavailable' as const, service: ext, probability: 0.5, startSeconds: 80, endSeconds: 110 }]
        : []),
    ];
  },
});
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'shop.otlp.jsonl.gz'), gzipSync(`${spanTableToOtlpJson(table)}\n`, { level: 9 }));
fs.writeFileSync(
  path.join(out, '../sample-truth/shop.json'),
  `${JSON.stringify({ services: truth.services, faults: truth.faults }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
);
console.log(`${table.numSpans} spans, ${truth.traces.length} traces → ${out}`);
