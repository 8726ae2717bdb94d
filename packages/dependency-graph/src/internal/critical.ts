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
  readonly tailTraces: number;
  readonly contributions: readonly { readonly node: number; readonly share: number }[];
}

/**
 * For each endpoint: take its traces at or above the `tailQuantile` duration, sum the time of their critical-path
 * segments by the node each span is attributed to, and report the node with the most time (the bottleneck) and the
 * call-tree path from the entry to it.
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
  let missingTraces = 0;
  let badSegments = 0;
  const out: RawCriticalPath[] = [];
  for (let e = 0; e < endpoints; e++) {
    const traces = byEndpoint.subarray(offsets[e]!, offsets[e + 1]!);
    const durs = Float64Array.from(traces, (t) => agg.traceDurNano[t]!).sort();
    const p99 = nearestRank(durs, tailQuantile);
    const byNode = new Map<number, number>();
    const byTree = new Map<number, number>();
    let total = 0;
    let used = 0;
    for (const t of traces) {
      if (agg.traceDurNano[t]! < p99) continue;
      const add = (row: number, len: number): void => {
        if (!(row >= 0 && row < n) || !(len >= 0)) {
          badSegments++;
          return;
        }
        const tn = agg.attrTree[row]!;
        const node = tn >= 0 ? agg.treeNode[tn]! : serviceOfRow(row);
        total += len;
        byNode.set(node, (byNode.get(node) ?? 0) + len);
        if (tn >= 0) byTree.set(tn, (byTree.get(tn) ?? 0) + len);
      };
      if (isColumnar(paths)) {
        const a = t + 1 < paths.segmentOffsets.length ? paths.segmentOffsets[t]! : 0;
        const b = t + 1 < paths.segmentOffsets.length ? paths.segmentOffsets[t + 1]! : 0;
        if (a === b) {
          missingTraces++;
          continue;
        }
        for (let k = a; k < b; k++) add(paths.segmentRow[k]!, paths.segmentEndNano[k]! - paths.segmentStartNano[k]!);
      } else {
        const segs = paths[t];
        if (!segs || segs.length === 0) {
          missingTraces++;
          continue;
        }
        for (const seg of segs) add(seg.row, seg.endNano - seg.startNano);
      }
      used++;
    }
    if (used === 0 || total <= 0) continue;
    let bottleneck = -1;
    let best = -1;
    for (const [node, time] of byNode) {
      if (time > best || (time === best && node < bottleneck)) {
        best = time;
        bottleneck = node;
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
    const contributions = [...byNode]
      .map(([node, time]) => ({ node, share: time / total }))
      .sort((a, b) => b.share - a.share || a.node - b.node);
    out.push({
      endpoint: e,
      pathNodes,
      p99Nano: p99,
      bottleneck,
      share: best / total,
      tailTraces: used,
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
