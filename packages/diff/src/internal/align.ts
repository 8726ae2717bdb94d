// Top-down alignment of two trace trees by call structure.
//
// Algorithm: the roots are paired; then, for every pair, the children of both spans are bucketed by key
// (service + operation, interned) and the spans of each bucket are paired by a minimum-cost assignment
// (Hungarian, up to about 100 × 100 siblings; beyond that, by start order). The cost of pairing two same-keyed
// siblings adds: their rank difference among same-keyed siblings, the difference of their start offsets relative
// to the parent, the log-ratio of their durations, a changed statement shape, a changed status and a different
// number of children. Unpaired spans head subtrees that exist only on one side.
// Reference: tree edit distance restricted to top-down mappings (Selkow 1977); sibling pairing as in Jaeger's
// trace comparison (grouping by service + operation).
import { minCostAssignment } from './assignment.ts';
import { statementShape } from './attributes.ts';
import { childrenOf, type TraceView } from './trace-view.ts';

/**
 * Work (p·q·min(p,q) for p and q same-keyed siblings) above which a bucket is paired by start order instead of by
 * cost: about 100 × 100 siblings, a few milliseconds.
 */
const ASSIGNMENT_LIMIT = 1_000_000;

/** One line of the aligned tree: a pair of spans, or a span present on one side only (the other row is -1). */
export interface AlignedEntry {
  readonly normalRow: number;
  readonly abnormalRow: number;
  readonly depth: number;
}

/** The result of aligning two traces. */
export interface Alignment {
  /** Abnormal row paired with each normal row, or -1. */
  readonly normalToAbnormal: Int32Array;
  /** Normal row paired with each abnormal row, or -1. */
  readonly abnormalToNormal: Int32Array;
  /** Pre-order of the aligned tree (root pair first). */
  readonly entries: readonly AlignedEntry[];
  /** Groups of same-keyed siblings paired by start order because they were too many for the assignment. */
  readonly orderPairedGroups: number;
}

interface SideInfo {
  readonly view: TraceView;
  readonly shape: Map<number, string>;
}

function shapeOf(side: SideInfo, row: number): string {
  const code = side.view.table.dict('dbStatement').codes[row];
  if (code === 0) return '';
  let s = side.shape.get(code);
  if (s === undefined) {
    s = statementShape(side.view.table.stringAt('dbStatement', row));
    side.shape.set(code, s);
  }
  return s;
}

function relStart(view: TraceView, row: number, parent: number): number {
  if (parent < 0) return 0;
  const { startNano, durationNano } = view.table.times;
  const d = durationNano[parent];
  if (d <= 0) return 0;
  const x = (startNano[row] - startNano[parent]) / d;
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

function pairCost(
  n: SideInfo,
  a: SideInfo,
  rn: number,
  ra: number,
  rankN: number,
  rankA: number,
  size: number,
  parentN: number,
  parentA: number,
): number {
  const tn = n.view.table;
  const ta = a.view.table;
  let cost = Math.abs(rankN - rankA) / size;
  cost += 0.5 * Math.abs(relStart(n.view, rn, parentN) - relStart(a.view, ra, parentA));
  const dn = tn.times.durationNano[rn];
  const da = ta.times.durationNano[ra];
  cost += 0.25 * Math.min(1, Math.abs(Math.log((dn + 1000) / (da + 1000))) / 10);
  if (shapeOf(n, rn) !== shapeOf(a, ra)) cost += 0.5;
  if (tn.columns.statusCode[rn] !== ta.columns.statusCode[ra]) cost += 0.25;
  const kn = n.view.tree.links.childOffsets[rn + 1] - n.view.tree.links.childOffsets[rn];
  const ka = a.view.tree.links.childOffsets[ra + 1] - a.view.tree.links.childOffsets[ra];
  cost += (0.25 * Math.abs(kn - ka)) / Math.max(kn, ka, 1);
  return cost;
}

/** Pairs same-keyed spans of two sibling lists; writes pairs into the match arrays. Returns whether order-paired. */
function pairGroup(
  n: SideInfo,
  a: SideInfo,
  listN: readonly number[],
  listA: readonly number[],
  parentN: number,
  parentA: number,
  out: [number, number][],
): boolean {
  const p = listN.length;
  const q = listA.length;
  if (p === 1 && q === 1) {
    out.push([listN[0], listA[0]]);
    return false;
  }
  if (p * q * Math.min(p, q) > ASSIGNMENT_LIMIT) {
    const k = Math.min(p, q);
    for (let i = 0; i < k; i++) out.push([listN[i], listA[i]]);
    return true;
  }
  const size = Math.max(p, q);
  const transpose = p > q;
  const rows = transpose ? q : p;
  const cols = transpose ? p : q;
  const cost = new Float64Array(rows * cols);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < q; j++) {
      const c = pairCost(n, a, listN[i], listA[j], i, j, size, parentN, parentA);
      if (transpose) cost[j * cols + i] = c;
      else cost[i * cols + j] = c;
    }
  }
  const assigned = minCostAssignment(cost, rows, cols);
  for (let r = 0; r < rows; r++) {
    const c = assigned[r];
    if (c < 0) continue;
    out.push(transpose ? [listN[c], listA[r]] : [listN[r], listA[c]]);
  }
  return false;
}

/** Pairs two sibling lists bucketed by key. */
function pairSiblings(
  n: SideInfo,
  a: SideInfo,
  sibN: ArrayLike<number>,
  sibA: ArrayLike<number>,
  parentN: number,
  parentA: number,
): { pairs: [number, number][]; orderPaired: number } {
  const buckets = new Map<number, { n: number[]; a: number[] }>();
  for (let i = 0; i < sibN.length; i++) {
    const r = sibN[i];
    const k = n.view.key[r];
    let b = buckets.get(k);
    if (!b) buckets.set(k, (b = { n: [], a: [] }));
    b.n.push(r);
  }
  for (let i = 0; i < sibA.length; i++) {
    const r = sibA[i];
    const b = buckets.get(a.view.key[r]);
    if (b) b.a.push(r);
  }
  const pairs: [number, number][] = [];
  let orderPaired = 0;
  for (const b of buckets.values()) {
    if (b.n.length === 0 || b.a.length === 0) continue;
    if (pairGroup(n, a, b.n, b.a, parentN, parentA, pairs)) orderPaired++;
  }
  return { pairs, orderPaired };
}

/** Aligns the abnormal trace onto the normal one. */
export function alignTraces(normal: TraceView, abnormal: TraceView): Alignment {
  const n: SideInfo = { view: normal, shape: new Map() };
  const a: SideInfo = { view: abnormal, shape: new Map() };
  const normalToAbnormal = new Int32Array(normal.table.numSpans).fill(-1);
  const abnormalToNormal = new Int32Array(abnormal.table.numSpans).fill(-1);
  const entries: AlignedEntry[] = [];
  let orderPaired = 0;
  const sn = normal.table.times.startNano;
  const sa = abnormal.table.times.startNano;

  const pushSubtree = (side: TraceView, row: number, depth: number, isNormal: boolean): void => {
    const stack: [number, number][] = [[row, depth]];
    while (stack.length > 0) {
      const [r, d] = stack.pop()!;
      entries.push(
        isNormal ? { normalRow: r, abnormalRow: -1, depth: d } : { normalRow: -1, abnormalRow: r, depth: d },
      );
      const kids = childrenOf(side, r);
      for (let k = kids.length - 1; k >= 0; k--) stack.push([kids[k], d + 1]);
    }
  };

  // Children of a pair, ordered for display: paired and added by abnormal start, removed by normal start,
  // each relative to its own parent's start.
  type Item = { n: number; a: number; at: number };
  const visit = (rn: number, ra: number, depth: number): void => {
    normalToAbnormal[rn] = ra;
    abnormalToNormal[ra] = rn;
    entries.push({ normalRow: rn, abnormalRow: ra, depth });
    const kidsN = childrenOf(normal, rn);
    const kidsA = childrenOf(abnormal, ra);
    const { pairs, orderPaired: op } = pairSiblings(n, a, kidsN, kidsA, rn, ra);
    orderPaired += op;
    const items: Item[] = [];
    for (const [cn, ca] of pairs) {
      normalToAbnormal[cn] = ca;
      abnormalToNormal[ca] = cn;
      items.push({ n: cn, a: ca, at: sa[ca] - sa[ra] });
    }
    for (const c of kidsN) if (normalToAbnormal[c] < 0) items.push({ n: c, a: -1, at: sn[c] - sn[rn] });
    for (const c of kidsA) if (abnormalToNormal[c] < 0) items.push({ n: -1, a: c, at: sa[c] - sa[ra] });
    items.sort((x, y) => x.at - y.at || (x.a < 0 ? 1 : 0) - (y.a < 0 ? 1 : 0));
    for (const it of items) {
      if (it.n >= 0 && it.a >= 0) visit(it.n, it.a, depth + 1);
      else if (it.n >= 0) pushSubtree(normal, it.n, depth + 1, true);
      else pushSubtree(abnormal, it.a, depth + 1, false);
    }
  };

  visit(normal.root, abnormal.root, 0);
  // Other subtree heads (orphans, extra roots) are paired by key like siblings of a virtual root.
  const { pairs: headPairs, orderPaired: op } = pairSiblings(n, a, normal.otherHeads, abnormal.otherHeads, -1, -1);
  orderPaired += op;
  for (const [hn, ha] of headPairs) visit(hn, ha, 0);
  for (const h of normal.otherHeads) if (normalToAbnormal[h] < 0) pushSubtree(normal, h, 0, true);
  for (const h of abnormal.otherHeads) if (abnormalToNormal[h] < 0) pushSubtree(abnormal, h, 0, false);
  return { normalToAbnormal, abnormalToNormal, entries, orderPairedGroups: orderPaired };
}
