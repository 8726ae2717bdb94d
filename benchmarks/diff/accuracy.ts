// Accuracy of @aiops/diff on generated trace pairs with one known injected difference.
//
// For each difference kind (slow span, added retry, changed query, failed call, missing cache hit) and seed, the
// scenario generator's generateTracePair gives a normal trace, an abnormal trace and the truth (the injected
// span). We compute both critical paths with @aiops/critical-path (as the cli does), diff the traces and check:
//   top-1     the injected difference is the top contributor (largest contribution in the direction of the
//             total difference among changed, added and removed spans);   target ≥ 95% of pairs
//   sum       contributions sum to the end-to-end difference;              target within 1%
//   exact µs  every reported duration difference equals the int64 ns difference of the spans (to < 1 ns, hence
//             exact to the µs), and durationDiffNano equals the roots' int64 difference
//   hyp.      the first hypothesis names the injected span's service and operation
// The same pairs are also diffed with only the abnormal path and with no path (fallback modes), for reference.
//
// Run: cd /work/main/benchmarks && npx tsx --conditions=@aiops/source diff/accuracy.ts [pairsPerKind=200] [sigma=0.15] [factor]
import { criticalPath } from '@aiops/critical-path';
import { type DiffTracesOptions, diffTraces, type TraceDiff } from '@aiops/diff';
import { type SpanInput, type SpanTable, spanIdAt, spanRecord, spanTableFromRows } from '@aiops/span-model';
import { generateTracePair, type PairDifference, type TracePairTruth } from '../scenarios/index.ts';

const DIFFERENCES: readonly PairDifference[] = [
  'slow-span',
  'added-retry',
  'changed-query',
  'failed-call',
  'missing-cache-hit',
];
type DifferenceKind = PairDifference;

const pairsPerKind = Number(process.argv[2] ?? 200);
/** Lognormal noise between the two traces of a pair (the generator's default is 0.15). */
const latencySigma = Number(process.argv[3] ?? 0.15);
/** Latency multiplier of slow-span and changed-query (the generator's defaults are 5 and 3). */
const factor = process.argv[4] === undefined || process.argv[4] === '-' ? undefined : Number(process.argv[4]);
/** `-v` as the last argument lists misses and contradicting pairs. */
const verbose = process.argv.includes('-v');

interface Tally {
  pairs: number;
  /** The first finding's primary span is the injected one. */
  finding: number;
  /** The same among pairs whose injected span is on the abnormal critical path. */
  onPathFinding: number;
  top1: number;
  /** Pairs whose injected span is on the abnormal critical path, and top-1 hits among them. */
  onPath: number;
  onPathTop1: number;
  hypothesis: number;
  maxSumError: number;
  exact: number;
  failures: string[];
}

const newTally = (): Tally => ({
  pairs: 0,
  finding: 0,
  onPathFinding: 0,
  top1: 0,
  onPath: 0,
  onPathTop1: 0,
  hypothesis: 0,
  maxSumError: 0,
  exact: 0,
  failures: [],
});

/** The entry with the largest contribution in the direction of the total difference. */
interface Top {
  side: 'changed' | 'added' | 'removed';
  normalRow: number;
  abnormalRow: number;
  service: string;
  operation: string;
  contributionMs: number;
}

/** The entry with the largest contribution in the direction of the total difference. */
function topContributor(d: TraceDiff): Top | undefined {
  const sign = d.durationDiffNano >= 0 ? 1 : -1;
  let best: Top | undefined;
  const consider = (t: Top): void => {
    if (!best || t.contributionMs * sign > best.contributionMs * sign) best = t;
  };
  for (const c of d.changed)
    consider({
      side: 'changed',
      normalRow: c.normalRow,
      abnormalRow: c.abnormalRow,
      service: c.service,
      operation: c.operation,
      contributionMs: c.contributionMs,
    });
  for (const c of d.added)
    consider({
      side: 'added',
      normalRow: -1,
      abnormalRow: c.row,
      service: c.service,
      operation: c.operation,
      contributionMs: c.contributionMs,
    });
  for (const c of d.removed)
    consider({
      side: 'removed',
      normalRow: c.row,
      abnormalRow: -1,
      service: c.service,
      operation: c.operation,
      contributionMs: c.contributionMs,
    });
  return best;
}

function rowOfSpanId(table: SpanTable, id: string): number {
  for (let r = 0; r < table.numSpans; r++) if (spanIdAt(table, r) === id) return r;
  return -1;
}

/** Whether every duration difference is the exact int64 difference. */
function exactToTheNano(d: TraceDiff, normal: SpanTable, abnormal: SpanTable): boolean {
  const dn = normal.columns.durationNano;
  const da = abnormal.columns.durationNano;
  const rootN = rowOfSpanId(normal, d.aligned[0] ? spanIdAt(normal, d.aligned[0].normalRow) : '');
  const rootA = rowOfSpanId(abnormal, d.aligned[0] ? spanIdAt(abnormal, d.aligned[0].abnormalRow) : '');
  if (rootN < 0 || rootA < 0) return false;
  if (BigInt(d.durationDiffNano) !== da[rootA]! - dn[rootN]!) return false;
  for (const c of d.changed) {
    const exact = da[c.abnormalRow]! - dn[c.normalRow]!;
    if (Math.abs(c.diffMs * 1e6 - Number(exact)) >= 0.5) return false;
  }
  return true;
}

/** Whether a hypothesis text names the injected call: its service (or database) and operation, or its caller's call. */
function namesTruth(text: string, truth: TracePairTruth): boolean {
  if (text.includes(truth.service) && text.includes(truth.operation)) return true;
  if (truth.fallbackDatabase !== undefined && text.includes(truth.fallbackDatabase)) return true;
  // The caller's client span: named by the callee's route (http) or the statement's span name (db, cache).
  return text.includes(`${truth.caller} ${truth.operation}`);
}

function sumError(d: TraceDiff): number {
  let s = 0;
  for (const c of d.changed) s += c.contributionMs;
  for (const c of d.added) s += c.contributionMs;
  for (const c of d.removed) s += c.contributionMs;
  return d.durationDiffMs === 0 ? Math.abs(s) : Math.abs(s - d.durationDiffMs) / Math.abs(d.durationDiffMs);
}

/**
 * Rows that are the injected difference: spans of the truth's service (or peer.service, for database and cache
 * client spans) and operation, their internal child spans, the caller's client spans right above them, and for a
 * missing cache hit the fallback database query.
 */
function truthRows(table: SpanTable, truth: TracePairTruth): Set<number> {
  const out = new Set<number>();
  const parentOf = (r: number): number => {
    const pid = table.columns.parentRefType[r] === 0 ? '' : spanIdAtParent(table, r);
    return pid ? rowOfSpanId(table, pid) : -1;
  };
  for (let r = 0; r < table.numSpans; r++) {
    const svc = table.stringAt('service', r);
    const peer = table.stringAt('peerService', r);
    const op = table.stringAt('operation', r);
    // A missing cache hit is the cache's read and the write that follows the miss.
    const isTarget =
      (op === truth.operation || truth.kind === 'missing-cache-hit') &&
      (svc === truth.service || peer === truth.service);
    const isFallback =
      truth.fallbackDatabase !== undefined && (peer === truth.fallbackDatabase || svc === truth.fallbackDatabase);
    if (!isTarget && !isFallback) continue;
    out.add(r);
    const p = parentOf(r);
    if (p >= 0 && table.stringAt('service', p) === truth.caller) out.add(p);
  }
  // The injected operation's own internal spans (same service, directly below it) are part of it.
  for (let r = 0; r < table.numSpans; r++) {
    const p = parentOf(r);
    if (
      p >= 0 &&
      out.has(p) &&
      table.stringAt('service', r) === table.stringAt('service', p) &&
      table.stringAt('service', r) === truth.service
    )
      out.add(r);
  }
  return out;
}

function spanIdAtParent(table: SpanTable, row: number): string {
  const ids = table.columns.parentSpanId;
  let s = '';
  for (let i = 0; i < 8; i++) s += ids[row * 8 + i]!.toString(16).padStart(2, '0');
  return s;
}

function matchesTruth(top: Top, truthN: Set<number>, truthA: Set<number>): boolean {
  return (top.abnormalRow >= 0 && truthA.has(top.abnormalRow)) || (top.normalRow >= 0 && truthN.has(top.normalRow));
}

/**
 * Messy copy of a generated trace, as real data judged later looks: no span kind, no status code or message, no
 * events (exception messages); attributes (http status code tags, db.statement, peer.service) are kept, as Jaeger
 * and Zipkin keep tags.
 */
function messyCopy(table: SpanTable): SpanTable {
  const rows: SpanInput[] = [];
  for (let r = 0; r < table.numSpans; r++) {
    const x = spanRecord(table, r);
    rows.push({
      traceId: x.traceId,
      spanId: x.spanId,
      ...(x.parentSpanId ? { parentSpanId: x.parentSpanId } : {}),
      service: x.service,
      operation: x.operation,
      startUnixNano: x.startTimeUnixNano,
      durationNano: x.durationNano,
      attributes: x.attributes,
      resource: x.resource,
    });
  }
  return spanTableFromRows(rows);
}

const modes: {
  name: string;
  messy?: boolean;
  options: (n: SpanTable, a: SpanTable) => DiffTracesOptions;
}[] = [
  {
    name: 'both critical paths',
    options: (n, a) => ({ criticalPath: criticalPath(a).segments, normalCriticalPath: criticalPath(n).segments }),
  },
  {
    name: 'both critical paths, messy (no kind, no status, no events)',
    messy: true,
    options: (n, a) => ({ criticalPath: criticalPath(a).segments, normalCriticalPath: criticalPath(n).segments }),
  },
  { name: 'abnormal path only', options: (_n, a) => ({ criticalPath: criticalPath(a).segments }) },
  { name: 'no path (exclusive time)', options: () => ({}) },
];

const results = new Map<string, Map<DifferenceKind, Tally>>();
const contradictions: string[] = [];
const skipped = new Map<DifferenceKind, number>();
const t0 = performance.now();
let diffMs = 0;
for (const kind of DIFFERENCES) {
  for (let seed = 1; seed <= pairsPerKind; seed++) {
    let pair: ReturnType<typeof generateTracePair>;
    try {
      pair = generateTracePair({
        seed,
        difference: kind,
        latencySigma,
        ...(factor === undefined || (kind !== 'slow-span' && kind !== 'changed-query') ? {} : { factor }),
      });
    } catch (e) {
      // Some topologies have no site for a difference (no cache on any path): that seed has no pair of this kind.
      if (!(e instanceof RangeError)) throw e;
      skipped.set(kind, (skipped.get(kind) ?? 0) + 1);
      continue;
    }
    const { truth } = pair;
    const clean = { normal: pair.normal, abnormal: pair.abnormal };
    const messy = { normal: messyCopy(pair.normal), abnormal: messyCopy(pair.abnormal) };
    const truthN = truthRows(pair.normal, truth);
    const truthA = truthRows(pair.abnormal, truth);
    const pathRows = criticalPath(pair.abnormal).segments.map((x) => x.row);
    const onPath = pathRows.some((r) => truthA.has(r));
    if (kind === 'slow-span' && !onPath) {
      contradictions.push(
        `seed ${seed}: ${truth.service} ${truth.operation} has no time on the abnormal critical path`,
      );
    }
    for (const mode of modes) {
      const { normal, abnormal } = mode.messy ? messy : clean;
      const opts = mode.options(normal, abnormal);
      const s = performance.now();
      const d = diffTraces(normal, abnormal, opts);
      diffMs += performance.now() - s;
      let byKind = results.get(mode.name);
      if (!byKind) results.set(mode.name, (byKind = new Map()));
      let t = byKind.get(kind);
      if (!t) byKind.set(kind, (t = newTally()));
      t.pairs++;
      const top = topContributor(d);
      const hit = top !== undefined && matchesTruth(top, truthN, truthA);
      if (hit) t.top1++;
      const f = d.findings[0];
      const found = f !== undefined && (truthA.has(f.abnormalRow) || truthN.has(f.normalRow));
      if (found) t.finding++;
      if (onPath) {
        t.onPath++;
        if (hit) t.onPathTop1++;
        if (found) t.onPathFinding++;
      }
      if (!found && t.failures.length < 4) {
        t.failures.push(
          `seed ${seed}: truth ${truth.service} ${truth.operation}${onPath ? '' : ' (off path)'}; first finding ` +
            `${f?.kind}/${f?.signal} ${f?.service} ${f?.operation} ${f?.contributionMs.toFixed(3)} ms (noise ratio ${f?.noiseRatio}) ` +
            `of ${d.durationDiffMs.toFixed(3)} ms`,
        );
      }
      const h = d.hypotheses[0];
      if (h && namesTruth(h.text, truth)) t.hypothesis++;
      t.maxSumError = Math.max(t.maxSumError, sumError(d));
      if (exactToTheNano(d, normal, abnormal)) t.exact++;
    }
  }
}
const totalMs = performance.now() - t0;

const pct = (x: number, n: number): string => (n === 0 ? '–' : `${((100 * x) / n).toFixed(1)}%`);
for (const [mode, byKind] of results) {
  console.log(`\n## ${mode} (noise sigma ${latencySigma}, factor ${factor ?? 'default'})\n`);
  console.log(
    '| difference | pairs | first finding names it | …, on-path pairs | first latency contributor | …, on-path pairs | injected on abnormal path | first hypothesis names it | max sum error | exact (ns) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  let all = newTally();
  for (const [kind, t] of byKind) {
    console.log(
      `| ${kind} | ${t.pairs} | ${pct(t.finding, t.pairs)} | ${pct(t.onPathFinding, t.onPath)} | ${pct(t.top1, t.pairs)} | ${pct(t.onPathTop1, t.onPath)} | ${pct(t.onPath, t.pairs)} | ${pct(t.hypothesis, t.pairs)} | ${(t.maxSumError * 100).toExponential(1)}% | ${pct(t.exact, t.pairs)} |`,
    );
    all = {
      pairs: all.pairs + t.pairs,
      finding: all.finding + t.finding,
      onPathFinding: all.onPathFinding + t.onPathFinding,
      top1: all.top1 + t.top1,
      onPath: all.onPath + t.onPath,
      onPathTop1: all.onPathTop1 + t.onPathTop1,
      hypothesis: all.hypothesis + t.hypothesis,
      maxSumError: Math.max(all.maxSumError, t.maxSumError),
      exact: all.exact + t.exact,
      failures: [...all.failures, ...t.failures.map((f) => `${kind} ${f}`)],
    };
  }
  console.log(
    `| **all** | ${all.pairs} | ${pct(all.finding, all.pairs)} | ${pct(all.onPathFinding, all.onPath)} | ${pct(all.top1, all.pairs)} | ${pct(all.onPathTop1, all.onPath)} | ${pct(all.onPath, all.pairs)} | ${pct(all.hypothesis, all.pairs)} | ${(all.maxSumError * 100).toExponential(1)}% | ${pct(all.exact, all.pairs)} |`,
  );
  if (all.failures.length > 0 && verbose)
    console.log(`\nfirst-finding misses (first per kind):\n${all.failures.map((f) => `- ${f}`).join('\n')}`);
}
if (skipped.size > 0)
  console.log(
    `\nseeds without a site for the difference (skipped): ${[...skipped].map(([k, n]) => `${k} ${n}`).join(', ')}`,
  );
console.log(
  `\nslow-span pairs contradicting the generator's promise (slowed span on the abnormal critical path): ${contradictions.length}`,
);
if (verbose) for (const c of contradictions) console.log(`- ${c}`);
console.log(
  `\n${DIFFERENCES.length * pairsPerKind} seeds × ${modes.length} modes in ${(totalMs / 1000).toFixed(1)} s (diffTraces: ${(diffMs / 1000).toFixed(1)} s)`,
);
