// CLI: generate a scenario and write it as OTLP (JSON lines or length-prefixed protobuf) with truth.json beside it.
//
//   npx tsx --conditions=@aiops/source scenarios/generate.ts --spans 1000000 --seed 7 --out /tmp/scn \
//     [--format otlp-json|otlp-proto] [--services 24] [--duration 600] [--rate 20] [--messy]
//     [--fault kind:service:startSeconds:endSeconds[:factor]]...
import fs from 'node:fs';
import path from 'node:path';
import { generateScenario } from './generate-scenario.ts';
import { spanTableToOtlpJson, spanTableToOtlpProtobuf } from './otlp-encode.ts';
import type { FaultKind, FaultSpec, ScenarioOptions } from './types.ts';

const USAGE = `usage: generate.ts --out <dir> [--spans N] [--seed N] [--format otlp-json|otlp-proto] [--services N]
       [--duration seconds] [--rate traces/s] [--daily amplitude] [--messy]
       [--fault kind:service:startSeconds:endSeconds[:factor]]   (repeatable)`;

function parse(argv: string[]): { options: ScenarioOptions; out: string; format: 'otlp-json' | 'otlp-proto' } {
  const o: Record<string, unknown> = {};
  const faults: FaultSpec[] = [];
  let out = '';
  let format: 'otlp-json' | 'otlp-proto' = 'otlp-json';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const num = (): number => {
      const v = Number(next());
      if (!Number.isFinite(v)) throw new Error(`${a} needs a number\n${USAGE}`);
      return v;
    };
    switch (a) {
      case '--out':
        out = next();
        break;
      case '--format': {
        const f = next();
        if (f !== 'otlp-json' && f !== 'otlp-proto') throw new Error(`unknown format ${f}\n${USAGE}`);
        format = f;
        break;
      }
      case '--spans':
        o.spans = num();
        break;
      case '--seed':
        o.seed = num();
        break;
      case '--services':
        o.services = num();
        break;
      case '--duration':
        o.durationSeconds = num();
        break;
      case '--rate':
        o.tracesPerSecond = num();
        break;
      case '--daily':
        o.dailyAmplitude = num();
        break;
      case '--messy':
        o.messy = true;
        break;
      case '--fault': {
        const [kind, service, start, end, factor] = next().split(':');
        const spec: Record<string, unknown> = {
          kind: kind as FaultKind,
          startSeconds: Number(start),
          endSeconds: Number(end),
        };
        if (service) spec.service = service;
        if (factor) spec.factor = Number(factor);
        faults.push(spec as unknown as FaultSpec);
        break;
      }
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown argument ${a}\n${USAGE}`);
    }
  }
  if (!out) throw new Error(`--out is required\n${USAGE}`);
  if (faults.length > 0) o.faults = faults;
  return { options: o as ScenarioOptions, out, format };
}

function main(): void {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  const t0 = performance.now();
  const { table, truth } = generateScenario(args.options);
  const t1 = performance.now();
  fs.mkdirSync(args.out, { recursive: true });
  const file = path.join(args.out, args.format === 'otlp-json' ? 'traces.jsonl' : 'traces.binpb');
  const fd = fs.openSync(file, 'w');
  const batch = 2048;
  let bytes = 0;
  for (let start = 0; start < table.numSpans; start += batch) {
    const end = Math.min(table.numSpans, start + batch);
    if (args.format === 'otlp-json') {
      const line = `${spanTableToOtlpJson(table, { start, end })}\n`;
      bytes += fs.writeSync(fd, line);
    } else {
      // The Collector file exporter's proto format: 4-byte big-endian length, then the message.
      const msg = spanTableToOtlpProtobuf(table, { start, end });
      const head = Buffer.alloc(4);
      head.writeUInt32BE(msg.length, 0);
      bytes += fs.writeSync(fd, head) + fs.writeSync(fd, msg);
    }
  }
  fs.closeSync(fd);
  const truthFile = path.join(args.out, 'truth.json');
  fs.writeFileSync(
    truthFile,
    JSON.stringify(truth, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
  );
  const t2 = performance.now();
  const failed = truth.traces.filter((t) => t.failed).length;
  const slow = truth.traces.filter((t) => t.slowCause).length;
  console.log(
    `${table.numSpans} spans, ${truth.traces.length} traces (${failed} failed, ${slow} with a slow cause), ` +
      `${truth.services.length} services, ${truth.edges.length} edges\n` +
      `generated in ${((t1 - t0) / 1000).toFixed(1)} s, wrote ${(bytes / 1e6).toFixed(1)} MB in ${((t2 - t1) / 1000).toFixed(1)} s\n` +
      `${file}\n${truthFile}`,
  );
}

main();
