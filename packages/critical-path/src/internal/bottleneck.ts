// Per-trace bottleneck on typed arrays: the attributed service with the most exclusive time on the critical path,
// its operation with the most, and that operation's span with the most.
import type { CriticalPaths } from '../critical-paths.ts';
import type { Attribution } from './attribution.ts';

/** Bottleneck of one trace, as codes and rows. */
export interface RawBottleneck {
  /** Attributed name code, -1 when the trace has no path. */
  code: number;
  /** Operation dictionary code. */
  op: number;
  /** Span row with the most exclusive time in (code, op). */
  row: number;
  /** Exclusive time of the attributed name on the path, ns. */
  exclusiveNano: number;
  /** Exclusive time of (code, op) on the path, ns. */
  operationExclusiveNano: number;
}

/** Scratch buffers for {@link bottleneckOf}, sized once per table. */
export interface BottleneckScratch {
  readonly byCode: Float64Array;
  readonly byOp: Float64Array;
  readonly touched: Int32Array;
}

export function bottleneckScratch(attribution: Attribution, opCount: number): BottleneckScratch {
  return {
    byCode: new Float64Array(attribution.names.length),
    byOp: new Float64Array(opCount),
    touched: new Int32Array(Math.max(attribution.names.length, opCount)),
  };
}

export function bottleneckOf(
  paths: CriticalPaths,
  attribution: Attribution,
  opCodes: Int32Array,
  t: number,
  scratch: BottleneckScratch,
  out: RawBottleneck,
): RawBottleneck {
  const a = paths.segmentOffsets[t]!;
  const b = paths.segmentOffsets[t + 1]!;
  const { segmentRow, segmentStartNano, segmentEndNano } = paths;
  const { code } = attribution;
  const { byCode, byOp, touched } = scratch;
  out.code = -1;
  out.op = -1;
  out.row = paths.head[t]!;
  out.exclusiveNano = 0;
  out.operationExclusiveNano = 0;
  if (a === b) {
    if (out.row >= 0) {
      out.code = code[out.row]!;
      out.op = opCodes[out.row]!;
    }
    return out;
  }
  let nt = 0;
  for (let s = a; s < b; s++) {
    const c = code[segmentRow[s]!]!;
    if (byCode[c] === 0) touched[nt++] = c;
    byCode[c]! += segmentEndNano[s]! - segmentStartNano[s]!;
  }
  let best = -1;
  for (let i = 0; i < nt; i++) {
    const c = touched[i]!;
    if (best < 0 || byCode[c]! > byCode[best]! || (byCode[c] === byCode[best] && c < best)) best = c;
  }
  out.code = best;
  out.exclusiveNano = byCode[best]!;
  for (let i = 0; i < nt; i++) byCode[touched[i]!] = 0;
  nt = 0;
  for (let s = a; s < b; s++) {
    const r = segmentRow[s]!;
    if (code[r] !== best) continue;
    const o = opCodes[r]!;
    if (byOp[o] === 0) touched[nt++] = o;
    byOp[o]! += segmentEndNano[s]! - segmentStartNano[s]!;
  }
  let bestOp = -1;
  for (let i = 0; i < nt; i++) {
    const o = touched[i]!;
    if (bestOp < 0 || byOp[o]! > byOp[bestOp]! || (byOp[o] === byOp[bestOp] && o < bestOp)) bestOp = o;
  }
  out.op = bestOp;
  out.operationExclusiveNano = byOp[bestOp]!;
  for (let i = 0; i < nt; i++) byOp[touched[i]!] = 0;
  let row = -1;
  for (let s = a; s < b; s++) {
    const r = segmentRow[s]!;
    if (code[r] !== best || opCodes[r] !== bestOp) continue;
    if (row < 0 || paths.exclusiveNano[r]! > paths.exclusiveNano[row]!) row = r;
  }
  out.row = row;
  return out;
}

/** The on-path descendant of `row` with the most exclusive time, or -1. */
export function slowestDescendantOnPath(paths: CriticalPaths, row: number): number {
  const { childOffsets, children } = paths.tree.links;
  const stack: number[] = [];
  for (let k = childOffsets[row]!; k < childOffsets[row + 1]!; k++) stack.push(children[k]!);
  let best = -1;
  while (stack.length > 0) {
    const r = stack.pop()!;
    if (!paths.onPath[r]) continue;
    if (best < 0 || paths.exclusiveNano[r]! > paths.exclusiveNano[best]!) best = r;
    for (let k = childOffsets[r]!; k < childOffsets[r + 1]!; k++) stack.push(children[k]!);
  }
  return best >= 0 && paths.exclusiveNano[best]! > 0 ? best : -1;
}
