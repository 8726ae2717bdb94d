// Bulk read for the analyses: `store.spans({ detail })` over the whole stored window, 'full' (SpanTableBuilder per
// span, what the analysis commands did) against 'analysis' (the columnar reader), one mode per process so that RSS
// is the mode's own. Prints spans per CPU-second, wall time, RSS and (--fingerprint) a hash of every column the analysis read
// keeps exact (ids, times, kinds, statuses, every dictionary and derived column, the failure signals and the kept
// attributes: equal fingerprints = identical columns); `--compare` loads both in one process and names the first differing column.
// Usage: npx tsx --conditions=@aiops/source store/analysis-read.ts --store data/cli-store-1000000 [--detail analysis]
//        [--runs 1] [--fingerprint] [--compare] [--columns deps|anomaly|col1,col2] [--last 0.1]
// The 18M store needs `flock /tmp/bench-big.lock` around the command.
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import {
  ANALYSIS_ATTRIBUTE_KEYS,
  DICTIONARY_COLUMNS,
  type DictionaryColumnName,
  type SpanTable,
  spanFailureSignals,
  utf8At,
} from '@aiops/span-model';
import { openStore } from '@aiops/store';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const dir = arg('store', 'data/cli-store-1000000');
const detail = arg('detail', 'analysis') as 'full' | 'analysis';
const runs = Number(arg('runs', '1'));
const compare = process.argv.includes('--compare');
const withFingerprint = process.argv.includes('--fingerprint');
// --columns deps | anomaly | a,b,c: the derived columns to ask for (analysisColumns); default all.
const COLUMN_SETS: Record<string, readonly DictionaryColumnName[]> = {
  deps: ['peerService', 'serverAddress', 'dbSystem', 'dbName', 'messagingSystem', 'messagingDestination'],
  anomaly: ['peerService', 'serviceVersion'],
};
const columnsArg = arg('columns', '');
const analysisColumns: readonly DictionaryColumnName[] | undefined =
  columnsArg === '' ? undefined : (COLUMN_SETS[columnsArg] ?? (columnsArg.split(',') as DictionaryColumnName[]));

const KEPT = new Set(ANALYSIS_ATTRIBUTE_KEYS);

/** The attributes an analysis table keeps, as `row key type value` lines. */
function keptAttributes(t: SpanTable): string[] {
  const c = t.columns;
  const out: string[] = [];
  for (let i = 0; i < c.length; i++) {
    for (let a = c.attrOffsets[i]!; a < c.attrOffsets[i + 1]!; a++) {
      const key = c.attrKeys[c.attrKey[a]!]!;
      if (KEPT.has(key)) out.push(`${i} ${key} ${c.attrType[a]} ${utf8At(c.attrValues, a)}`);
    }
  }
  return out;
}

/** Every column the analysis read keeps exact: all but events, links and the generic attribute list. */
function exactParts(t: SpanTable): [string, Uint8Array | string[]][] {
  const c = t.columns;
  const bytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const parts: [string, Uint8Array | string[]][] = [
    ['traceId', c.traceId],
    ['spanId', c.spanId],
    ['parentSpanId', c.parentSpanId],
    ['parentRefType', c.parentRefType],
    ['kind', c.kind],
    ['statusCode', c.statusCode],
    ['startUnixNano', bytes(c.startUnixNano)],
    ['durationNano', bytes(c.durationNano)],
    ['httpStatusCode', bytes(c.httpStatusCode)],
    ['rpcStatusCode', bytes(c.rpcStatusCode)],
    ['signals', spanFailureSignals(t).signals],
    ['httpStatus', bytes(spanFailureSignals(t).httpStatus)],
    ['rpcStatus', bytes(spanFailureSignals(t).rpcStatus)],
    ['keptAttributes', keptAttributes(t)],
  ];
  // Codes and the dictionary in code order: the same codes, not only the same strings.
  for (const name of DICTIONARY_COLUMNS) {
    const d = t.dict(name);
    parts.push([name, bytes(d.codes)], [`${name}.values`, [...d.values]]);
  }
  return parts;
}

function fingerprint(t: SpanTable): string {
  const h = createHash('sha256');
  for (const [, p] of exactParts(t)) {
    if (Array.isArray(p)) for (const s of p) h.update(`${s}\u0000`);
    else h.update(p);
  }
  return h.digest('hex').slice(0, 16);
}

function sameParts(a: Uint8Array | string[], b: Uint8Array | string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const store = await openStore({ dir, readOnly: true });
const b = await store.bounds();
if (!b) throw new Error(`no spans in ${dir}`);
// --last 0.1: only the traces starting in the last tenth of the stored time range (a command's window).
const last = Number(arg('last', '1'));
const span = b.toUnixNano + 1n - b.fromUnixNano;
const window = {
  fromUnixNano: b.toUnixNano + 1n - (span * BigInt(Math.round(last * 1e6))) / 1_000_000n,
  toUnixNano: b.toUnixNano + 1n,
};
if (compare) {
  const full = await store.spans(window);
  const lean = await store.spans({ ...window, detail: 'analysis' });
  const fp = exactParts(full);
  const lp = exactParts(lean);
  const differing = fp.filter((_part, i) => !sameParts(fp[i]![1], lp[i]![1])).map(([name]) => name);
  console.log(JSON.stringify({ spans: full.numSpans, leanSpans: lean.numSpans, differing }));
} else {
  for (let run = 0; run < runs; run++) {
    const load = loadavg()[0]!.toFixed(2);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const table = await store.spans({ ...window, detail, ...(analysisColumns ? { analysisColumns } : {}) });
    const wall = (performance.now() - t0) / 1000;
    const u = process.cpuUsage(cpu0);
    const cpu = (u.user + u.system) / 1e6;
    console.log(
      JSON.stringify({
        detail,
        columns: columnsArg || 'all',
        last,
        run,
        spans: table.numSpans,
        wallS: +wall.toFixed(2),
        cpuS: +cpu.toFixed(2),
        spansPerCpuS: Math.round(table.numSpans / cpu),
        rssMB: Math.round(process.memoryUsage().rss / 1e6),
        load,
        ...(withFingerprint ? { fingerprint: fingerprint(table) } : {}),
      }),
    );
  }
}
await store.close();
