// The critical-path kernel: walks back from the end of a head span through its last-finishing children, on typed
// arrays only. Shared by criticalPath (one trace) and criticalPaths (every trace of a table).
//
//   0 root   |==================================|   0..100
//   1 db        |=======|                           10..40
//   2 cache        |=====================|          20..80   (concurrent with db, finishes last)
//   3 audit              |==================|======> 40..130 FOLLOWS_FROM: never blocks the root
//   path, latest first: root 80..100, cache 20..80, root 0..20   (db overlaps cache: not on the path)
//
// Algorithm: at time t (initially the end of the span), pick the child that finishes last at or before t, give the
// parent [end of that child, t], recurse into the child over [start, end] of the child, continue at the child's
// start; when no child finishes before t, the parent owns [start, t]. Children are clipped to their parent's
// (clipped) interval first; children wholly outside it, zero-length children and FOLLOWS_FROM children never
// block their parent.
// Reference: CRISP, Zhang et al., ATC'22; jaeger-ui computeCriticalPath (last-finishing child, clipping).
import { ParentRefType, type TraceTree } from '@aiops/span-model';

/** Reusable buffers and inputs of the walk. Allocate once per table with {@link createWalker}. */
export interface Walker {
  readonly start: Float64Array;
  readonly end: Float64Array;
  readonly refType: Uint8Array;
  readonly childOffsets: Int32Array;
  readonly children: Int32Array;
  /** Candidate children of the open frames, stacked: row, clipped start, clipped end. */
  readonly kid: Int32Array;
  readonly kidStart: Float64Array;
  readonly kidEnd: Float64Array;
  /** Open frames (grown when grafted orphans make a chain deeper than the tree's depth). */
  fRow: Int32Array;
  fStart: Float64Array;
  fT: Float64Array;
  fPtr: Int32Array;
  fBase: Int32Array;
  fEnd: Int32Array;
  /** Output segments (appended). */
  segRow: Int32Array;
  segStart: Float64Array;
  segEnd: Float64Array;
  segCount: number;
  /** Exclusive time on the path per span (accumulated). */
  readonly exclusive: Float64Array;
  /** 1 for every span the walk entered (on the path, even with zero exclusive time). */
  readonly onPath: Uint8Array;
}

/** Allocates a walker over the spans of `tree` (children from `links` when given: grafted orphans). */
export function createWalker(
  tree: TraceTree,
  segmentCapacity = 16,
  links: { readonly childOffsets: Int32Array; readonly children: Int32Array } = tree.links,
): Walker {
  const n = tree.table.numSpans;
  const { startNano, endNano } = tree.table.times;
  // Frames nest along one root-to-leaf chain, so the deepest span bounds the frame stack.
  let maxDepth = 0;
  for (let i = 0; i < n; i++) if (tree.depth[i]! > maxDepth) maxDepth = tree.depth[i]!;
  const frames = Math.min(n, maxDepth + 1) + 1;
  return {
    start: startNano,
    end: endNano,
    refType: tree.table.columns.parentRefType,
    childOffsets: links.childOffsets,
    children: links.children,
    kid: new Int32Array(n + 1),
    kidStart: new Float64Array(n + 1),
    kidEnd: new Float64Array(n + 1),
    fRow: new Int32Array(frames),
    fStart: new Float64Array(frames),
    fT: new Float64Array(frames),
    fPtr: new Int32Array(frames),
    fBase: new Int32Array(frames),
    fEnd: new Int32Array(frames),
    segRow: new Int32Array(Math.max(16, segmentCapacity)),
    segStart: new Float64Array(Math.max(16, segmentCapacity)),
    segEnd: new Float64Array(Math.max(16, segmentCapacity)),
    segCount: 0,
    exclusive: new Float64Array(n),
    onPath: new Uint8Array(n),
  };
}

function growFrames(w: Walker): void {
  const cap = w.fRow.length * 2;
  const i32 = (a: Int32Array): Int32Array => {
    const b = new Int32Array(cap);
    b.set(a);
    return b;
  };
  const f64 = (a: Float64Array): Float64Array => {
    const b = new Float64Array(cap);
    b.set(a);
    return b;
  };
  w.fRow = i32(w.fRow);
  w.fStart = f64(w.fStart);
  w.fT = f64(w.fT);
  w.fPtr = i32(w.fPtr);
  w.fBase = i32(w.fBase);
  w.fEnd = i32(w.fEnd);
}

function emit(w: Walker, row: number, s: number, e: number): void {
  if (w.segCount === w.segRow.length) {
    const cap = w.segRow.length * 2;
    const r = new Int32Array(cap);
    r.set(w.segRow);
    const a = new Float64Array(cap);
    a.set(w.segStart);
    const b = new Float64Array(cap);
    b.set(w.segEnd);
    w.segRow = r;
    w.segStart = a;
    w.segEnd = b;
  }
  w.segRow[w.segCount] = row;
  w.segStart[w.segCount] = s;
  w.segEnd[w.segCount] = e;
  w.segCount++;
  w.exclusive[row]! += e - s;
}

// Pushes the blocking children of `row`, clipped to [cs, ce], onto the candidate stack at `top`, sorted by clipped
// end ascending (ties: later clipped start first, then higher row), so the walk reads the run from its top down and
// meets the last-finishing child first. Children arrive sorted by start, so sequential calls are already in order
// and the sort is skipped. Returns the new top.
function pushKids(w: Walker, row: number, cs: number, ce: number, top: number): number {
  const { start, end, refType, childOffsets, children, kid, kidStart, kidEnd } = w;
  const base = top;
  let sorted = true;
  for (let k = childOffsets[row]!, kEnd = childOffsets[row + 1]!; k < kEnd; k++) {
    const c = children[k]!;
    if (refType[c] === ParentRefType.FollowsFrom) continue;
    const s = start[c]! < cs ? cs : start[c]!;
    const e = end[c]! > ce ? ce : end[c]!;
    if (e <= s) continue;
    if (top > base && before(kidEnd[top - 1]!, kidStart[top - 1]!, kid[top - 1]!, e, s, c) === false) sorted = false;
    kid[top] = c;
    kidStart[top] = s;
    kidEnd[top] = e;
    top++;
  }
  if (!sorted) sortRun(w, base, top);
  return top;
}

// Whether candidate (e1, s1, r1) sorts before (e2, s2, r2): end ascending, then start descending, then row descending.
function before(e1: number, s1: number, r1: number, e2: number, s2: number, r2: number): boolean {
  return e1 < e2 || (e1 === e2 && (s1 > s2 || (s1 === s2 && r1 > r2)));
}

function sortRun(w: Walker, base: number, top: number): void {
  const { kid, kidStart, kidEnd } = w;
  if (top - base <= 16) {
    for (let i = base + 1; i < top; i++) {
      const r = kid[i]!;
      const s = kidStart[i]!;
      const e = kidEnd[i]!;
      let j = i;
      while (j > base && !before(kidEnd[j - 1]!, kidStart[j - 1]!, kid[j - 1]!, e, s, r)) {
        kid[j] = kid[j - 1]!;
        kidStart[j] = kidStart[j - 1]!;
        kidEnd[j] = kidEnd[j - 1]!;
        j--;
      }
      kid[j] = r;
      kidStart[j] = s;
      kidEnd[j] = e;
    }
    return;
  }
  const idx = Array.from({ length: top - base }, (_, i) => base + i);
  idx.sort((a, b) => kidEnd[a]! - kidEnd[b]! || kidStart[b]! - kidStart[a]! || kid[b]! - kid[a]!);
  const r = idx.map((i) => kid[i]!);
  const s = idx.map((i) => kidStart[i]!);
  const e = idx.map((i) => kidEnd[i]!);
  kid.set(r, base);
  kidStart.set(s, base);
  kidEnd.set(e, base);
}

/**
 * Appends the critical path of the subtree of `head` over [hs, he] to the walker's segments (latest first) and
 * adds exclusive times. Returns the number of segments appended.
 */
export function walkCriticalPath(w: Walker, head: number, hs: number, he: number): number {
  const first = w.segCount;
  let { fRow, fStart, fT, fPtr, fBase, fEnd } = w;
  const { kid, kidStart, kidEnd } = w;
  fRow[0] = head;
  fStart[0] = hs;
  fT[0] = he;
  fBase[0] = 0;
  fEnd[0] = pushKids(w, head, hs, he, 0);
  fPtr[0] = fEnd[0]! - 1;
  w.onPath[head] = 1;
  let sp = 1;
  while (sp > 0) {
    const f = sp - 1;
    const t = fT[f]!;
    let p = fPtr[f]!;
    const base = fBase[f]!;
    while (p >= base && kidEnd[p]! > t) p--;
    if (p >= base) {
      const c = kid[p]!;
      const cs = kidStart[p]!;
      const ce = kidEnd[p]!;
      fPtr[f] = p - 1;
      if (t > ce) emit(w, fRow[f]!, ce, t);
      fT[f] = cs;
      // The child's candidates stack above the parent's whole run, which stays intact below them.
      const top = fEnd[f]!;
      if (sp === fRow.length) {
        growFrames(w);
        ({ fRow, fStart, fT, fPtr, fBase, fEnd } = w);
      }
      fRow[sp] = c;
      fStart[sp] = cs;
      fT[sp] = ce;
      fBase[sp] = top;
      const childTop = pushKids(w, c, cs, ce, top);
      fEnd[sp] = childTop;
      fPtr[sp] = childTop - 1;
      w.onPath[c] = 1;
      sp++;
    } else {
      if (t > fStart[f]!) emit(w, fRow[f]!, fStart[f]!, t);
      sp--;
    }
  }
  return w.segCount - first;
}
