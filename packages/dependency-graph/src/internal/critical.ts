// Critical path per entry endpoint: which node of the call tree holds the critical path of the slowest traces.
import type { CriticalPathSegment } from '@aiops/span-model';
import type { ColumnarCriticalPaths } from '../dependency-graph.ts';
import type { Aggregate } from './aggregate.ts';
import { nearestRankOf } from './stats.ts';

/** The critical-path summary of one endpoint, in internal node ids. */
export interface RawCriticalPath {
  readonly endpoint: number;
  readonly pathNodes: readonly number[];
  readonly p99Nano: number;
  readonly bottleneck: number;
  readonly share: number;
  readonly excessNano: number;
  readonly tailTraces: number;
  readonly contributions: readonly { readonly node: number; readonly share: number }[];
}

/** Role of a trace in the critical-path summary: in its endpoint's typical sample, in its tail, or both. */
const SAMPLE = 1;
const TAIL = 2;

/** Which traces the critical-path summary reads: per endpoint its tail and a bounded, evenly spaced sample. */
export interface CriticalTraceSelection {
  /** Rooted traces grouped by endpoint, ascending: endpoint e owns `byEndpoint[offsets[e] .. offsets[e+1])`. */
  readonly offsets: Int32Array;
  readonly byEndpoint: Int32Array;
  /** The `tailQuantile` (nearest rank) of each endpoint's trace durations, ns (NaN without traces). */
  readonly p99Nano: Float64Array;
  /** Per trace: bit 1 in its endpoint's sample, bit 2 at or above its endpoint's P99; 0 not read. */
  readonly role: Uint8Array;
  /** The traces with a role, ascending: those whose critical paths are needed. */
  readonly needed: Int32Array;
}

/**
 * Per endpoint: every trace at or above the `tailQuantile` of its durations (the tail, whose critical paths are
 * summed), and `sampleSize` traces evenly spaced in trace order (all of them when there are fewer), whose mean
 * critical-path time per node is the endpoint's typical one. Deterministic: the same table gives the same traces.
 */
export function selectCriticalTraces(agg: Aggregate, tailQuantile: number, sampleSize: number): CriticalTraceSelection {
  const endpoints = agg.endpointService.length;
  const traceCount = agg.traceEndpoint.length;
  const offsets = new Int32Array(endpoints + 1);
  for (let t = 0; t < traceCount; t++) if (agg.traceEndpoint[t]! >= 0) offsets[agg.traceEndpoint[t]! + 1]!++;
  for (let e = 0; e < endpoints; e++) offsets[e + 1]! += offsets[e]!;
  const fill = offsets.slice(0, endpoints);
  const byEndpoint = new Int32Array(offsets[endpoints]!);
  for (let t = 0; t < traceCount; t++) if (agg.traceEndpoint[t]! >= 0) byEndpoint[fill[agg.traceEndpoint[t]!]!++] = t;
  const traceDur = agg.traceDurNano;
  const p99Nano = new Float64Array(endpoints).fill(Number.NaN);
  const role = new Uint8Array(traceCount);
  let needed = 0;
  for (let e = 0; e < endpoints; e++) {
    const traces = byEndpoint.subarray(offsets[e]!, offsets[e + 1]!);
    const m = traces.length;
    if (m === 0) continue;
    const durs = new Float64Array(m);
    for (let k = 0; k < m; k++) durs[k] = traceDur[traces[k]!]!;
    const p99 = nearestRankOf(durs, tailQuantile);
    p99Nano[e] = p99;
    let next = 0;
    let j = 0;
    for (let k = 0; k < m; k++) {
      const t = traces[k]!;
      let r = traceDur[t]! >= p99 ? TAIL : 0;
      if (m <= sampleSize) r |= SAMPLE;
      else if (k === next) {
        r |= SAMPLE;
        j++;
        next = j < sampleSize ? Math.floor((j * m) / sampleSize) : -1;
      }
      role[t] = r;
      if (r !== 0) needed++;
    }
  }
  const list = new Int32Array(needed);
  for (let t = 0, w = 0; t < traceCount; t++) if (role[t] !== 0) list[w++] = t;
  return { offsets, byEndpoint, p99Nano, role, needed: list };
}

/**
 * For each endpoint: sum the critical-path time of its selected traces by the node each span is attributed to,
 * over its typical sample and over its tail (see {@link selectCriticalTraces}); the bottleneck is the node whose
 * mean time per tail trace exceeds its mean per sampled trace the most, its share is its part of the tail's
 * critical-path time, and the path is the call-tree path from the entry to it.
 */
export function summarizeCriticalPaths(
  agg: Aggregate,
  serviceOfRow: (row: number) => number,
  paths: readonly (readonly CriticalPathSegment[] | undefined)[] | ColumnarCriticalPaths,
  selection: CriticalTraceSelection,
): { readonly paths: RawCriticalPath[]; readonly missingTraces: number; readonly badSegments: number } {
  const endpoints = agg.endpointService.length;
  const { offsets, byEndpoint, role } = selection;
  const n = agg.attrTree.length;
  const nodeCount = agg.nodes.names.length;
  const attrTree = agg.attrTree;
  const treeNode = Int32Array.from(agg.treeNode);
  const tailByNode = new Float64Array(nodeCount);
  const allByNode = new Float64Array(nodeCount);
  // Tail critical-path time per call-tree node; `touched` lists the nodes set for the current endpoint.
  const tailByTree = new Float64Array(treeNode.length);
  const inTail = new Uint8Array(treeNode.length);
  const touched: number[] = [];
  const columnar = isColumnar(paths) ? paths : undefined;
  const arrays = columnar ? undefined : (paths as readonly (readonly CriticalPathSegment[] | undefined)[]);
  const cOffsets = columnar?.segmentOffsets ?? new Int32Array(0);
  const cRow = columnar?.segmentRow ?? new Int32Array(0);
  const cStart = columnar?.segmentStartNano ?? new Float64Array(0);
  const cEnd = columnar?.segmentEndNano ?? new Float64Array(0);
  let missingTraces = 0;
  let badSegments = 0;
  const out: RawCriticalPath[] = [];
  for (let e = 0; e < endpoints; e++) {
    const traces = byEndpoint.subarray(offsets[e]!, offsets[e + 1]!);
    if (traces.length === 0) continue;
    const p99 = selection.p99Nano[e]!;
    tailByNode.fill(0);
    allByNode.fill(0);
    for (const tn of touched) {
      tailByTree[tn] = 0;
      inTail[tn] = 0;
    }
    touched.length = 0;
    let tailTotal = 0;
    let tailUsed = 0;
    let allUsed = 0;
    for (let k = 0; k < traces.length; k++) {
      const t = traces[k]!;
      const r = role[t]!;
      if (r === 0) continue;
      const tail = (r & TAIL) !== 0;
      const typical = (r & SAMPLE) !== 0;
      let a = 0;
      let b = 0;
      let segs: readonly CriticalPathSegment[] | undefined;
      if (arrays) {
        segs = arrays[t];
        b = segs?.length ?? 0;
      } else if (t + 1 < cOffsets.length) {
        a = cOffsets[t]!;
        b = cOffsets[t + 1]!;
      }
      if (a === b) {
        if (tail) missingTraces++;
        continue;
      }
      if (typical) allUsed++;
      if (tail) tailUsed++;
      for (let j = a; j < b; j++) {
        let row: number;
        let len: number;
        if (segs) {
          const seg = segs[j]!;
          row = seg.row;
          len = seg.endNano - seg.startNano;
        } else {
          row = cRow[j]!;
          len = cEnd[j]! - cStart[j]!;
        }
        if (!(row >= 0 && row < n) || !(len >= 0)) {
          badSegments++;
          continue;
        }
        const tn = attrTree[row]!;
        const node = tn >= 0 ? treeNode[tn]! : serviceOfRow(row);
        if (typical) allByNode[node]! += len;
        if (!tail) continue;
        tailTotal += len;
        tailByNode[node]! += len;
        if (tn >= 0) {
          if (inTail[tn] === 0) {
            inTail[tn] = 1;
            touched.push(tn);
          }
          tailByTree[tn]! += len;
        }
      }
    }
    if (tailUsed === 0 || tailTotal <= 0) continue;
    // The bottleneck is the node whose critical-path time in the tail exceeds its time in a typical trace the
    // most: what makes the P99 slower than usual, not what is always slow (a slow external API every trace waits
    // on would otherwise hide a service that became slow).
    let bottleneck = -1;
    let best = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < nodeCount; v++) {
      if (tailByNode[v] === 0) continue;
      const excess = tailByNode[v]! / tailUsed - (allUsed > 0 ? allByNode[v]! / allUsed : 0);
      // Ties (e.g. a single trace, where every excess is 0) go to the node holding more tail time.
      if (excess > best || (excess === best && tailByNode[v]! > tailByNode[bottleneck]!)) {
        best = excess;
        bottleneck = v;
      }
    }
    let bestTree = -1;
    let bestTreeTime = -1;
    for (const tn of touched) {
      const time = tailByTree[tn]!;
      if (treeNode[tn] === bottleneck && (time > bestTreeTime || (time === bestTreeTime && tn < bestTree))) {
        bestTreeTime = time;
        bestTree = tn;
      }
    }
    const pathNodes: number[] = [];
    for (let tn = bestTree; tn >= 0; tn = agg.treeParent[tn]!) pathNodes.push(agg.treeNode[tn]!);
    pathNodes.reverse();
    if (pathNodes.length === 0) {
      pathNodes.push(agg.endpointService[e]!);
      if (bottleneck !== agg.endpointService[e]) pathNodes.push(bottleneck);
    }
    const contributions: { node: number; share: number }[] = [];
    for (let v = 0; v < nodeCount; v++) {
      if (tailByNode[v]! > 0) contributions.push({ node: v, share: tailByNode[v]! / tailTotal });
    }
    contributions.sort((x, y) => y.share - x.share || x.node - y.node);
    out.push({
      endpoint: e,
      pathNodes,
      p99Nano: p99,
      bottleneck,
      share: tailByNode[bottleneck]! / tailTotal,
      excessNano: best,
      tailTraces: tailUsed,
      contributions,
    });
  }
  return { paths: out, missingTraces, badSegments };
}

function isColumnar(
  p: readonly (readonly CriticalPathSegment[] | undefined)[] | ColumnarCriticalPaths,
): p is ColumnarCriticalPaths {
  return !Array.isArray(p);
}
