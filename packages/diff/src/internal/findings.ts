// The ranked findings of a trace diff: what differs, grouped by cause, signal separated from noise.
//
// A finding groups the spans of one difference: a failure with its propagation, retries and the calls skipped
// after it; a retry with the failed attempt and the back-off; a cache miss with the read, the fallback query and
// the write; a changed statement with its duration change; new or missing calls; a latency change with the
// same-service spans inside it. Its contribution is the sum of its spans' exact contributions.
//
// Signal versus noise (the stated rule): a latency change counts when its exclusive-time change exceeds both an
// absolute floor (`minChangeMs`, and 0.5% of the normal duration) and `noiseK` × the noise of its peers. The noise
// of a peer group is the robust spread (1.4826 × MAD) of log(abnormal self / normal self) over the paired spans of
// the same role in the tree — leaf, cross-service wrapper (one child of another service: a client span), or inner
// span — which needs neither span kinds nor status codes. Structure (new, missing, retried calls, cache misses, a
// changed statement shape) and new failures are signal by nature.
//
// Ranking: a failure that reached the root first (the request's outcome changed); then signal findings by
// `weight × max(|contribution|, work that changed)` where structure and status weigh `structureWeight` and
// latency-only changes 1, ties by kind (failure, retry, cache miss, changed query, new, missing, latency) and size of
// the change; noise last, by the same magnitude.
import { isCacheSystem, type SpanTable } from '@aiops/span-model';
import type { Alignment } from './align.ts';
import { childrenOf, spanFailed, type TraceView } from './trace-view.ts';

/** What kind of difference a finding is. */
export type FindingKind =
  | 'failure'
  | 'retry'
  | 'cache-miss'
  | 'changed-query'
  | 'new-calls'
  | 'missing-calls'
  | 'slower'
  | 'faster';

/** Why a finding counts: the request's outcome changed, structure, a status, latency beyond noise, or noise. */
export type FindingSignal = 'failure-at-root' | 'structure' | 'status' | 'latency' | 'noise';

/** Raw finding, rows only; diff-traces.ts turns it into the public shape. */
export interface RawFinding {
  kind: FindingKind;
  signal: FindingSignal;
  /** Primary span: abnormal row (or -1) and normal row (or -1). */
  abnormalRow: number;
  normalRow: number;
  abnormalRows: number[];
  normalRows: number[];
  contributionNano: number;
  /** Work that changed: |exclusive-time change| of its paired spans + exclusive time of its one-sided spans, ns. */
  workNano: number;
  /** Change of the primary span's exclusive time, ns (0 for one-sided spans). */
  selfDiffNano: number;
  /** z-like score of the primary span's latency change (|log ratio| / peer noise), 0 when not measured. */
  noiseRatio: number;
  evidence: string[];
  /** 3 failure at the root, 2 signal, 1 noise. */
  tier: number;
  /** weight × max(|contribution|, work), ns. */
  score: number;
}

/** Inputs beyond the two views. */
export interface FindingInput {
  readonly normal: TraceView;
  readonly abnormal: TraceView;
  readonly alignment: Alignment;
  readonly abnormalNano: Float64Array;
  readonly normalNano: Float64Array;
  /** Abnormal rows whose statement shape changed. */
  readonly statementChanged: ReadonlySet<number>;
  readonly minChangeMs: number;
  readonly noiseK: number;
  readonly structureWeight: number;
}

/** The result: ranked findings and the noise model, for the evidence. */
export interface FindingsResult {
  readonly findings: RawFinding[];
  /** Peer noise (log-ratio spread) by role. */
  readonly noise: { readonly leaf: number; readonly wrapper: number; readonly inner: number };
  readonly floorNano: number;
}

const MS = 1e6;
const CACHE_RE = /cache|redis|memcache|valkey|dragonfly/i;
const WRITE_RE = /\b(set|setex|setnx|mset|put|write|add|store|hset|insert)\b/i;
/** Added to both sides of a log ratio so that near-zero exclusive times do not explode it, ns. */
const LOG_EPS_NANO = 0.02 * MS;
/** Spans with less exclusive time on both sides are not used to estimate the noise, ns. */
const NOISE_SAMPLE_MIN_NANO = 0.05 * MS;
/** The noise estimate never goes below this (identical traces would make every change significant). */
const NOISE_FLOOR = 0.05;
/** Fewer samples than this in a role: use the spread over all roles. */
const MIN_ROLE_SAMPLES = 8;
/**
 * Noise assumed when a trace has too few paired spans to estimate its own (fewer than MIN_ROLE_SAMPLES in all):
 * a ±35% run-to-run variation of exclusive time. A 4-span trace cannot measure its noise from itself, and the
 * changed span would otherwise inflate the estimate and hide its own change.
 */
const PRIOR_SPREAD = 0.3;

const KIND_ORDER: Readonly<Record<FindingKind, number>> = {
  failure: 0,
  retry: 1,
  'cache-miss': 2,
  'changed-query': 3,
  'new-calls': 4,
  'missing-calls': 5,
  slower: 6,
  faster: 6,
};

const ROLE_LEAF = 0;
const ROLE_WRAPPER = 1;
const ROLE_INNER = 2;

/** Tree role of a row: leaf, wrapper of one call to another service (a client span), or inner span. */
function roleOf(view: TraceView, svc: ArrayLike<number>, row: number): number {
  const kids = childrenOf(view, row);
  if (kids.length === 0) return ROLE_LEAF;
  if (kids.length === 1 && svc[kids[0]] !== svc[row]) return ROLE_WRAPPER;
  return ROLE_INNER;
}

function robustSpread(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = xs.slice().sort((a, b) => a - b);
  const med = sorted[sorted.length >> 1];
  const dev = sorted.map((x) => Math.abs(x - med)).sort((a, b) => a - b);
  return 1.4826 * dev[dev.length >> 1];
}

/** Whether a span calls a cache: by db.system (span-model's isCacheSystem), else by service, operation or peer name. */
export function isCacheLike(table: SpanTable, row: number): boolean {
  return (
    isCacheSystem(table.stringAt('dbSystem', row)) ||
    CACHE_RE.test(table.stringAt('service', row)) ||
    CACHE_RE.test(table.stringAt('operation', row)) ||
    CACHE_RE.test(table.stringAt('peerService', row))
  );
}

/** The called peer of a span: peer.service, else db name, else '' . */
function peerOf(table: SpanTable, row: number): string {
  return table.stringAt('peerService', row) || table.stringAt('dbName', row);
}

function subtreeRows(view: TraceView, head: number): number[] {
  const out: number[] = [];
  const stack = [head];
  while (stack.length > 0) {
    const r = stack.pop()!;
    out.push(r);
    for (const c of childrenOf(view, r)) stack.push(c);
  }
  return out;
}

/** Builds and ranks the findings. */
export function buildFindings(input: FindingInput): FindingsResult {
  const { normal: nv, abnormal: av, alignment, abnormalNano, normalNano } = input;
  const { abnormalToNormal, normalToAbnormal } = alignment;
  const at = av.table;
  const nt = nv.table;
  const selfA = av.tree.selfNano;
  const selfN = nv.tree.selfNano;
  const parentA = av.tree.links.parent;
  const parentN = nv.tree.links.parent;
  const startA = at.times.startNano;
  const endA = at.times.endNano;
  const totalNano = av.durationNano - nv.durationNano;

  // ---- noise model ----------------------------------------------------------------------------------------------
  const role = new Int8Array(at.numSpans).fill(-1);
  const logRatio = new Float64Array(at.numSpans);
  const samples: number[][] = [[], [], []];
  const svc = at.dict('service').codes;
  const all: number[] = [];
  for (const ra of av.rows) {
    const rn = abnormalToNormal[ra];
    if (rn < 0) continue;
    role[ra] = roleOf(av, svc, ra);
    logRatio[ra] = Math.log((selfA[ra] + LOG_EPS_NANO) / (selfN[rn] + LOG_EPS_NANO));
    if (selfA[ra] >= NOISE_SAMPLE_MIN_NANO && selfN[rn] >= NOISE_SAMPLE_MIN_NANO) {
      samples[role[ra]].push(logRatio[ra]);
      all.push(logRatio[ra]);
    }
  }
  const overall = all.length >= MIN_ROLE_SAMPLES ? Math.max(NOISE_FLOOR, robustSpread(all) || 0) : PRIOR_SPREAD;
  const spread = samples.map((s) => (s.length >= MIN_ROLE_SAMPLES ? Math.max(NOISE_FLOOR, robustSpread(s)) : overall));
  const floorNano = Math.max(input.minChangeMs * MS, 0.005 * nv.durationNano);
  const noiseRatioOf = (ra: number): number => (role[ra] < 0 ? 0 : Math.abs(logRatio[ra]) / spread[role[ra]]);
  const latencySignificant = (ra: number): boolean => {
    const rn = abnormalToNormal[ra];
    if (rn < 0) return false;
    return Math.abs(selfA[ra] - selfN[rn]) >= floorNano && noiseRatioOf(ra) >= input.noiseK;
  };

  // ---- bookkeeping ----------------------------------------------------------------------------------------------
  const usedA = new Uint8Array(at.numSpans);
  const usedN = new Uint8Array(nt.numSpans);
  const findings: RawFinding[] = [];
  const make = (
    kind: FindingKind,
    signal: FindingSignal,
    abnormalRow: number,
    normalRow: number,
    aRows: number[],
    nRows: number[],
    evidence: string[],
  ): RawFinding => {
    let c = 0;
    let work = 0;
    for (const r of aRows) {
      c += abnormalNano[r];
      const m = abnormalToNormal[r];
      work += m >= 0 ? Math.abs(selfA[r] - selfN[m]) : selfA[r];
      usedA[r] = 1;
    }
    for (const r of nRows) {
      // Paired normal rows carry no contribution of their own (it is on the abnormal row).
      if (normalToAbnormal[r] < 0) {
        c += normalNano[r];
        work += selfN[r];
      }
      usedN[r] = 1;
    }
    const pairedN = abnormalRow >= 0 ? abnormalToNormal[abnormalRow] : -1;
    const f: RawFinding = {
      kind,
      signal,
      abnormalRow,
      normalRow: normalRow >= 0 ? normalRow : pairedN,
      abnormalRows: aRows,
      normalRows: nRows,
      contributionNano: c,
      workNano: work,
      selfDiffNano: abnormalRow >= 0 && pairedN >= 0 ? selfA[abnormalRow] - selfN[pairedN] : 0,
      noiseRatio: abnormalRow >= 0 ? noiseRatioOf(abnormalRow) : 0,
      evidence,
      tier: signal === 'failure-at-root' ? 3 : signal === 'noise' ? 1 : 2,
      score: 0,
    };
    findings.push(f);
    return f;
  };
  const pairRows = (ra: number): number[] => (abnormalToNormal[ra] >= 0 ? [abnormalToNormal[ra]] : []);
  const isAdded = (ra: number): boolean => abnormalToNormal[ra] < 0;
  const addedHead = (ra: number): boolean => isAdded(ra) && (parentA[ra] < 0 || !isAdded(parentA[ra]));

  // ---- failures -------------------------------------------------------------------------------------------------
  const newlyFailed = new Uint8Array(at.numSpans);
  for (const ra of av.rows) {
    if (!spanFailed(at, ra)) continue;
    const rn = abnormalToNormal[ra];
    if (rn < 0 || !spanFailed(nt, rn)) newlyFailed[ra] = 1;
  }
  const rootFailedNewly = newlyFailed[av.root] === 1;

  // ---- retries: same-named calls after a failed one, at least one of them new --------------------------------------
  const retryOf = new Map<number, number[]>(); // first failed attempt → the later attempts
  const seenGroup = new Set<string>();
  for (const ra of av.rows) {
    if (!addedHead(ra) || parentA[ra] < 0) continue;
    const p = parentA[ra];
    const g = `${p}\u0000${av.key[ra]}`;
    if (seenGroup.has(g)) continue;
    seenGroup.add(g);
    const same = Array.from(childrenOf(av, p)).filter((s) => av.key[s] === av.key[ra]);
    same.sort((x, y) => startA[x] - startA[y] || x - y);
    const first = same.find((s) => spanFailed(at, s) && same.some((r) => startA[r] >= endA[s]));
    if (first === undefined) continue;
    const later = same.filter((r) => r !== first && startA[r] >= endA[first]);
    if (!later.some(isAdded) && !isAdded(first)) continue;
    retryOf.set(first, later);
  }
  /** Failure origin rows (newly failed, no newly failed child). */
  const origins: number[] = [];
  for (const ra of av.rows) {
    if (newlyFailed[ra] && !childrenOf(av, ra).some((c) => newlyFailed[c] === 1)) origins.push(ra);
  }
  const chainOf = (origin: number): number[] => {
    const chain = [origin];
    for (let p = parentA[origin]; p >= 0 && newlyFailed[p]; p = parentA[p]) chain.push(p);
    return chain;
  };

  for (const [first, retries] of retryOf) {
    const attempts = [first, ...retries];
    const aRows: number[] = [];
    const nRows: number[] = [];
    for (const h of attempts) {
      for (const r of subtreeRows(av, h)) {
        aRows.push(r);
        nRows.push(...pairRows(r));
      }
    }
    // The caller waited between the attempts (the back-off): that is its own exclusive time, part of the retry.
    const caller = parentA[first];
    let backoff = 0;
    for (const r of retries) {
      let prevEnd = Number.NEGATIVE_INFINITY;
      for (const s of attempts) if (s !== r && endA[s] <= startA[r] && endA[s] > prevEnd) prevEnd = endA[s];
      if (prevEnd > Number.NEGATIVE_INFINITY) backoff += startA[r] - prevEnd;
    }
    const callerN = caller >= 0 ? abnormalToNormal[caller] : -1;
    const callerGrowth = callerN >= 0 ? selfA[caller] - selfN[callerN] : 0;
    const last = retries[retries.length - 1];
    const stillFailing = spanFailed(at, last);
    const primary = primaryCallee(av, first);
    // A retry that ends in a failure reaching the root is that failure.
    const reachesRoot = stillFailing && rootFailedNewly && chainReaches(av, newlyFailed, first);
    if (reachesRoot) for (let p = parentA[first]; p >= 0 && newlyFailed[p]; p = parentA[p]) aRows.push(p);
    if (callerN >= 0 && callerGrowth > 0 && callerGrowth <= backoff + floorNano) usedA[caller] = 1;
    const retry = make(
      'retry',
      reachesRoot ? 'failure-at-root' : 'structure',
      primary,
      -1,
      dedupe(aRows),
      dedupe(nRows),
      [
        `${attempts.length} attempt(s) where the normal trace made ${attempts.length - retries.length}`,
        `first attempt failed (${failureText(at, first)})`,
        stillFailing ? 'the last attempt failed too' : 'the last attempt succeeded',
        ...(backoff > 0 ? [`the caller waited ${fmt(backoff)} ms between the attempts (back-off)`] : []),
      ],
    );
    retry.workNano += Math.max(0, Math.min(backoff, callerGrowth));
  }

  for (const origin of origins) {
    if (usedA[origin]) continue;
    const chain = chainOf(origin);
    const top = chain[chain.length - 1];
    const aRows: number[] = [];
    const nRows: number[] = [];
    for (const r of chain) {
      aRows.push(r);
      nRows.push(...pairRows(r));
    }
    // Calls the normal trace made under the failing spans that the abnormal one skipped after the failure.
    let skipped = 0;
    for (const r of chain) {
      const rn = abnormalToNormal[r];
      if (rn < 0) continue;
      for (const c of childrenOf(nv, rn)) {
        if (normalToAbnormal[c] >= 0 || usedN[c]) continue;
        for (const x of subtreeRows(nv, c)) nRows.push(x);
        skipped++;
      }
    }
    const atRoot = top === av.root && rootFailedNewly;
    const evidence = [
      `status: ${failureText(at, origin)} (succeeded in the normal trace)`,
      ...(chain.length > 1
        ? [
            `propagated to ${chain
              .slice(1)
              .map((r) => `${at.stringAt('service', r)} ${at.stringAt('operation', r)}`)
              .join(' → ')}`,
          ]
        : []),
      ...(skipped > 0 ? [`${skipped} call(s) of the normal trace were not made after the failure`] : []),
    ];
    make('failure', atRoot ? 'failure-at-root' : 'status', origin, -1, dedupe(aRows), dedupe(nRows), evidence);
  }

  // ---- cache misses: a cache read followed by new calls and a new write to the same cache -----------------------
  for (const ra of av.rows) {
    if (!addedHead(ra) || parentA[ra] < 0 || usedA[ra]) continue;
    const peer = peerOf(at, ra);
    const cacheWrite = WRITE_RE.test(at.stringAt('operation', ra)) || WRITE_RE.test(at.stringAt('dbOperation', ra));
    if (!peer || !cacheWrite) continue;
    const p = parentA[ra];
    let read = -1;
    for (const s of childrenOf(av, p)) {
      if (s === ra || endA[s] > startA[ra] || peerOf(at, s) !== peer) continue;
      if (WRITE_RE.test(at.stringAt('operation', s))) continue;
      if (read < 0 || startA[s] > startA[read]) read = s;
    }
    if (read < 0) continue;
    if (!isCacheLike(at, ra) && !isCacheLike(at, read)) {
      // Without a cache name, the read-query-write pattern alone must show it: a new call in between.
      let between = false;
      for (const s of childrenOf(av, p)) if (isAdded(s) && s !== ra && startA[s] >= endA[read]) between = true;
      if (!between) continue;
    }
    const aRows = [read, ...subtreeRows(av, ra)];
    const evidence = [`${at.stringAt('service', read)} ${at.stringAt('operation', read)} on ${peer} ran first`];
    for (const s of childrenOf(av, p)) {
      if (s === ra || !addedHead(s) || usedA[s] || startA[s] < endA[read] || endA[s] > startA[ra]) continue;
      aRows.push(...subtreeRows(av, s));
      evidence.push(`new call in between (the fallback): ${labelOf(at, s)}`);
    }
    evidence.push(`new write to the same cache: ${labelOf(at, ra)}`);
    make('cache-miss', 'structure', read, -1, dedupe(aRows), pairRows(read), evidence);
  }

  // ---- changed statements ---------------------------------------------------------------------------------------
  for (const ra of input.statementChanged) {
    if (usedA[ra]) continue;
    make('changed-query', 'structure', ra, -1, [ra], pairRows(ra), ['statement shape changed']);
  }

  // ---- remaining new and missing calls, grouped by parent and key -----------------------------------------------
  const groupsA = new Map<string, number[]>();
  for (const ra of av.rows) {
    if (!addedHead(ra) || usedA[ra]) continue;
    const g = `${parentA[ra]}\u0000${av.key[ra]}`;
    const list = groupsA.get(g);
    if (list) list.push(ra);
    else groupsA.set(g, [ra]);
  }
  for (const heads of groupsA.values()) {
    const rows = heads.flatMap((h) => subtreeRows(av, h));
    make('new-calls', 'structure', heads[0], -1, rows, [], [`${heads.length} new call(s)`]);
  }
  const groupsN = new Map<string, number[]>();
  for (const rn of nv.rows) {
    if (normalToAbnormal[rn] >= 0 || usedN[rn]) continue;
    if (parentN[rn] >= 0 && normalToAbnormal[parentN[rn]] < 0) continue;
    const g = `${parentN[rn]}\u0000${nv.key[rn]}`;
    const list = groupsN.get(g);
    if (list) list.push(rn);
    else groupsN.set(g, [rn]);
  }
  for (const heads of groupsN.values()) {
    const rows = heads.flatMap((h) => subtreeRows(nv, h));
    make('missing-calls', 'structure', -1, heads[0], [], rows, [`${heads.length} missing call(s)`]);
  }

  // ---- latency: beyond the peers' noise, in-process children folded into their span ------------------------------
  const significant = new Uint8Array(at.numSpans);
  for (const ra of av.rows) if (!usedA[ra] && latencySignificant(ra)) significant[ra] = 1;
  const headOf = (ra: number): number => {
    let h = ra;
    const dir = Math.sign(selfA[ra] - selfN[abnormalToNormal[ra]]);
    for (let p = parentA[h]; p >= 0 && significant[p] && svc[p] === svc[h]; p = parentA[p]) {
      if (Math.sign(selfA[p] - selfN[abnormalToNormal[p]]) !== dir) break;
      h = p;
    }
    return h;
  };
  const members = new Map<number, number[]>();
  for (const ra of av.rows) {
    if (!significant[ra]) continue;
    const h = headOf(ra);
    const list = members.get(h);
    if (list) list.push(ra);
    else members.set(h, [ra]);
  }
  for (const [h, rows] of members) {
    const rn = abnormalToNormal[h];
    const d = selfA[h] - selfN[rn];
    make(
      d >= 0 ? 'slower' : 'faster',
      'latency',
      h,
      rn,
      rows,
      rows.map((r) => abnormalToNormal[r]),
      [
        `exclusive time change ${fmt(d)} ms exceeds the floor ${fmt(floorNano)} ms and ${input.noiseK} × the peers' noise ` +
          `(|log ratio| ${Math.abs(logRatio[h]).toFixed(2)} vs spread ${spread[role[h]].toFixed(2)})`,
      ],
    );
  }
  // Noise-level changes that still move the total: listed last, so that the largest one is visible.
  for (const ra of av.rows) {
    const rn = abnormalToNormal[ra];
    if (usedA[ra] || rn < 0 || abnormalNano[ra] === 0) continue;
    if (Math.abs(abnormalNano[ra]) < 0.05 * Math.abs(totalNano)) continue;
    const d = selfA[ra] - selfN[rn];
    make(
      d >= 0 ? 'slower' : 'faster',
      'noise',
      ra,
      rn,
      [ra],
      [rn],
      [
        `exclusive time change ${fmt(d)} ms is within the noise of its peers (|log ratio| ` +
          `${Math.abs(logRatio[ra]).toFixed(2)} vs spread ${role[ra] >= 0 ? spread[role[ra]].toFixed(2) : '?'})`,
      ],
    );
  }

  // ---- ranking --------------------------------------------------------------------------------------------------
  for (const f of findings) {
    const weight = f.signal === 'latency' || f.signal === 'noise' ? 1 : input.structureWeight;
    // Magnitude: what it adds to the end-to-end latency, or the work that changed when that is more (a change off
    // the critical path still differs by that much).
    f.score = weight * Math.max(Math.abs(f.contributionNano), f.workNano);
  }
  findings.sort(
    (x, y) =>
      y.tier - x.tier ||
      y.score - x.score ||
      KIND_ORDER[x.kind] - KIND_ORDER[y.kind] ||
      Math.abs(y.selfDiffNano) - Math.abs(x.selfDiffNano) ||
      Math.max(x.abnormalRow, x.normalRow) - Math.max(y.abnormalRow, y.normalRow),
  );
  return {
    findings,
    noise: { leaf: spread[ROLE_LEAF], wrapper: spread[ROLE_WRAPPER], inner: spread[ROLE_INNER] },
    floorNano,
  };
}

/** For a call span wrapping one span of another service (client → server), the server span; else the row. */
function primaryCallee(view: TraceView, row: number): number {
  const kids = childrenOf(view, row);
  const svc = view.table.dict('service').codes;
  return kids.length === 1 && svc[kids[0]] !== svc[row] ? kids[0] : row;
}

function chainReaches(view: TraceView, newlyFailed: Uint8Array, row: number): boolean {
  const parent = view.tree.links.parent;
  let r = row;
  while (parent[r] >= 0 && newlyFailed[parent[r]]) r = parent[r];
  return r === view.root;
}

function dedupe(rows: number[]): number[] {
  return [...new Set(rows)];
}

function fmt(nano: number): string {
  return (nano / MS).toFixed(3);
}

function labelOf(table: SpanTable, row: number): string {
  const peer = peerOf(table, row);
  const base = `${table.stringAt('service', row)} ${table.stringAt('operation', row)}`;
  return peer && !base.includes(peer) ? `${base} on ${peer}` : base;
}

/** `HTTP 503, "..."` for a failed span. */
export function failureText(table: SpanTable, row: number): string {
  const c = table.columns;
  const parts: string[] = [];
  if (c.statusCode[row] === 2) parts.push('status error');
  if (c.httpStatusCode[row] > 0) parts.push(`HTTP ${c.httpStatusCode[row]}`);
  if (c.rpcStatusCode[row] > 0) parts.push(`gRPC code ${c.rpcStatusCode[row]}`);
  const msg = table.stringAt('statusMessage', row) || table.stringAt('exceptionMessage', row);
  if (msg) parts.push(`"${msg.length > 100 ? `${msg.slice(0, 97)}...` : msg}"`);
  return parts.join(', ') || 'failed';
}
