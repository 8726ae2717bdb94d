// Critical path per entry endpoint: which node of the call tree holds the critical path of the slowest traces.
import type { CriticalPathSegment } from '@aiops/span-model';
import type { ColumnarCriticalPaths } from '../dependency-graph.ts';
import type { Aggregate } from './aggregate.ts';
import { nearestRank } from './stats.ts';

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

/**
 * For each endpoint: sum the critical-path time of its traces by the node each span is attributed to, over all its
 * traces and over those at or above the `tailQuantile` duration; the bottleneck is the node whose mean time per
 * tail trace exceeds its mean per trace the most, its share is its part of the tail's critical-path time, and the
 * path is the call-tree path from the entry to it.
 */
export function summarizeCriticalPaths(
  agg: Aggregate,
  serviceOfRow: (row: number) => number,
  paths: readonly (readonly CriticalPathSegment[] | undefined)[] | ColumnarCriticalPaths,
  tailQuantile: number,
): { readonly paths: RawCriticalPath[]; readonly missingTraces: number; readonly badSegments: number } {
  const endpoints = agg.endpointService.length;
  const traceCount = agg.traceEndpoint.length;
  const offsets = new Int32Array(endpoints + 1);
  for (let t = 0; t < traceCount; t++) if (agg.traceEndpoint[t]! >= 0) offsets[agg.traceEndpoint[t]! + 1]!++;
  for (let e = 0; e < endpoints; e++) offsets[e + 1]! += offsets[e]!;
  const fill = offsets.slice(0, endpoints);
  const byEndpoint = new Int32Array(offsets[endpoints]!);
  for (let t = 0; t < traceCount; t++) if (agg.traceEndpoint[t]! >= 0) byEndpoint[fill[agg.traceEndpoint[t]!]!++] = t;
  const n = agg.attrTree.length;
  const nodeCount = agg.nodes.names.length;
  const tailByNode = new Float64Array(nodeCount);
  const allByNode = new Float64Array(nodeCount);
  let missingTraces = 0;
  let badSegments = 0;
  const out: RawCriticalPath[] = [];
  for (let e = 0; e < endpoints; e++) {
    const traces = byEndpoint.subarray(offsets[e]!, offsets[e + 1]!);
    const durs = Float64Array.from(traces, (t) => agg.traceDurNano[t]!).sort();
    const p99 = nearestRank(durs, tailQuantile);
    tailByNode.fill(0);
    allByNode.fill(0);
    const byTree = new Map<number, number>();
    let tailTotal = 0;
    let tailUsed = 0;
    let allUsed = 0;
    let tail = false;
    const add = (row: number, len: number): void => {
      if (!(row >= 0 && row < n) || !(len >= 0)) {
        badSegments++;
        return;
      }
      const tn = agg.attrTree[row]!;
      const node = tn >= 0 ? agg.treeNode[tn]! : serviceOfRow(row);
      allByNode[node]! += len;
      if (!tail) return;
      tailTotal += len;
      tailByNode[node]! += len;
      if (tn >= 0) byTree.set(tn, (byTree.get(tn) ?? 0) + len);
    };
    const columnar = isColumnar(paths) ? paths : undefined;
    for (const t of traces) {
      tail = agg.traceDurNano[t]! >= p99;
      let a = 0;
      let b = 0;
      let segs: readonly CriticalPathSegment[] | undefined;
      if (columnar) {
        if (t + 1 < columnar.segmentOffsets.length) {
          a = columnar.segmentOffsets[t]!;
          b = columnar.segmentOffsets[t + 1]!;
        }
      } else {
        segs = (paths as readonly (readonly CriticalPathSegment[] | undefined)[])[t];
        b = segs?.length ?? 0;
      }
      if (a === b) {
        if (tail) missingTraces++;
        continue;
      }
      allUsed++;
      if (tail) tailUsed++;
      if (segs) for (const seg of segs) add(seg.row, seg.endNano - seg.startNano);
      else {
        const c = columnar!;
        for (let k = a; k < b; k++) add(c.segmentRow[k]!, c.segmentEndNano[k]! - c.segmentStartNano[k]!);
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
      const excess = tailByNode[v]! / tailUsed - allByNode[v]! / allUsed;
      // Ties (e.g. a single trace, where every excess is 0) go to the node holding more tail time.
      if (excess > best || (excess === best && tailByNode[v]! > tailByNode[bottleneck]!)) {
        best = excess;
        bottleneck = v;
      }
    }
    let bestTree = -1;
    let bestTreeTime = -1;
    for (const [tn, time] of byTree) {
      if (agg.treeNode[tn] === bottleneck && (time > bestTreeTime || (time === bestTreeTime && tn < bestTree))) {
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
