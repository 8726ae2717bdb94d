// Lists traces whose primary error path differs from the generator truth (or, with "fp", whose failed verdict
// differs), as indented timelines, to see why. Debug aid, not a benchmark.
// Run: npx tsx --conditions=@aiops/source error-propagation/explain-misses.ts <several|timeout|unavailable|db-unavailable|messy-…|jaeger-…|grpc-…> <seed> [count] [fp]   (ONLYF=1: failed and chain spans only)
import { errorPropagation, failedSpans } from '@aiops/error-propagation';
import { buildTraceTree, traceIdAt } from '@aiops/span-model';
import { generateScenario } from '../scenarios/index.ts';

const [caseName, seedS, countS] = process.argv.slice(2);
const seed = Number(seedS ?? 1);
// messy-…: tag-only; jaeger-… / grpc-…: the messyStyle of that name.
const style = caseName!.startsWith('jaeger') ? 'jaeger' : caseName!.startsWith('grpc') ? 'otel-grpc' : 'tags';
const messy = caseName!.startsWith('messy') || style !== 'tags';
const { table, truth } = generateScenario({
  seed,
  durationSeconds: 300,
  tracesPerSecond: Number(process.env.TPS ?? 8),
  messy,
  messyStyle: style,
  issueOrderStarts: !process.env.JITTERED,
  faults: (topo) => {
    const names = topo.services.filter((s) => s.kind === 'service' && s.name !== 'frontend').map((s) => s.name);
    const svc = (k: number) => names[(seed * 7 + k * 5) % names.length]!;
    const W = { startSeconds: 60, endSeconds: 240 };
    if (caseName!.startsWith('db')) {
      const dbs = topo.services.filter((s) => s.kind === 'database').map((s) => s.name);
      return [{ kind: caseName!.includes('unav') ? 'unavailable' : 'error', service: dbs[seed % dbs.length]!, ...W }];
    }
    if (caseName!.includes('several'))
      return [
        { kind: 'error', service: svc(0), ...W },
        { kind: 'unavailable', service: svc(1), ...W },
      ];
    if (caseName!.includes('timeout')) return [{ kind: 'timeout', service: svc(0), ...W }];
    if (caseName!.includes('unavailable')) return [{ kind: 'unavailable', service: svc(0), ...W }];
    return [{ kind: 'error', service: svc(0), ...W }];
  },
});
console.log(
  'faults',
  truth.faults.map((f) => `${f.kind} ${f.service}`),
);
const tree = buildTraceTree(table);
const failed = failedSpans(table);
const r = errorPropagation(table, { tree, failed });
const byId = new Map(r.traceErrors.map((t) => [t.traceId, t]));
const byPod = new Map<string, string>();
for (const s of truth.services) for (const p of s.pods ?? []) byPod.set(p, s.name);
const name = (n: string) => byPod.get(n) ?? n;
let shown = 0;
const want = Number(countS ?? 3);
const rowsOf = new Map<string, number[]>();
for (let t = 0; t < tree.traces.traceCount; t++) {
  const rows: number[] = [];
  for (let k = tree.orderOffsets[t]!; k < tree.orderOffsets[t + 1]!; k++) rows.push(tree.order[k]!);
  rowsOf.set(traceIdAt(table, rows[0]!), rows);
}
const filter = process.argv[5];
for (const t of truth.traces) {
  if (shown >= want) break;
  const p = byId.get(t.traceId);
  const chain = p?.failed ? p.chains[0] : undefined;
  let spans = chain?.spans ?? [];
  if (chain?.slowCallee) spans = spans.slice(chain.calleeSpans - 1);
  const path = spans.map((x) => name(x.service)).filter((s, i, a) => i === 0 || a[i - 1] !== s);
  const wrongPath = t.failed && JSON.stringify(path) !== JSON.stringify(t.errorPath);
  const wrongFailed = t.failed !== (p?.failed ?? false);
  if (!(filter === 'fp' ? wrongFailed : wrongPath)) continue;
  // TRUTH=<text>: only misses whose truth path contains it.
  if (process.env.TRUTH && !t.errorPath?.join('>').includes(process.env.TRUTH)) continue;
  shown++;
  console.log(
    `\n=== ${t.traceId} truth failed=${t.failed} ${t.errorPath?.join('>')} ${t.errorType} handled=${JSON.stringify(t.handledErrors)}`,
  );
  console.log(
    `    ours failed=${p?.failed} ${path.join('>')} ${chain?.errorType} rows=${chain?.spans.map((s) => s.row).join(',')}`,
  );
  const rows = rowsOf.get(t.traceId)!;
  const t0 = table.times.startNano[rows[0]!]!;
  const depth = new Map<number, number>();
  for (const rr of rows) {
    const par = tree.links.parent[rr]!;
    const d = par >= 0 ? (depth.get(par) ?? 0) + 1 : 0;
    depth.set(rr, d);
    const c = table.columns;
    if (process.env.ONLYF && !failed[rr] && !chain?.spans.some((s) => s.row === rr)) continue;
    console.log(
      `${String(rr).padStart(6)} ${'  '.repeat(d)}${name(table.stringAt('service', rr))} ${table.stringAt('operation', rr)} [${((table.times.startNano[rr]! - t0) / 1e6).toFixed(2)}..${((table.times.endNano[rr]! - t0) / 1e6).toFixed(2)}] k=${c.kind[rr]} st=${c.statusCode[rr]} http=${c.httpStatusCode[rr]} f=${failed[rr]} ${table.stringAt('statusMessage', rr)}`,
    );
  }
}
