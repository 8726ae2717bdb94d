// The top-down aggregated critical path of many traces (CRISP's call-tree view): the calls of an endpoint merged
// into one tree keyed by their path from the root, with how often each call sits on the critical path, how long
// it holds it (total, mean, percentiles) and how many times it is made, in one group of traces (slow) against
// another (fast).
//
//   slow (2 traces)                                      merged call tree        on path  mean excl.  calls/trace
//   api  |=|==db 300==|=|=p=|=p=|=p=|=|                  api:GET /checkout         2/2     40 ms      1
//   api  |=|==db 320==|=|=p=|=p=|=p=|=|                  ├─ orders-db:SELECT       2/2    310 ms      1
//                                                        └─ pricing:GET /price     2/2     45 ms      3 (N+1)
//   fast: the same calls with db 20 ms, one price call  → Δ db +290 ms, pricing calls 3 vs 1
//
// Algorithm: each span of a trace's head subtree (orphans grafted as on the path) maps to a node of a trie keyed by
// (attributed service, operation) under its parent's node, so that siblings with the same key (repeated calls,
// N+1) merge and a call whose key is already on its path from the root (recursion) folds into that ancestor. Per
// trace, critical-path exclusive time, self time and calls are summed per node in typed arrays, then one record
// per (node, trace) gives frequencies, means and percentiles per group.
// Reference: CRISP, Zhang et al., ATC'22 (critical-path aggregation as a calling-context tree).
import type { CriticalPaths } from './critical-paths.ts';
import { attributeSpans } from './internal/attribution.ts';
import { quantileSorted } from './internal/stats.ts';

/** Options of {@link topDownCriticalPath}. */
export interface TopDownOptions {
  /** Trace ordinals of the group studied (for example the slow traces). Default: every trace with a path. */
  readonly traces?: ArrayLike<number>;
  /** Trace ordinals to compare against (for example the fast traces of the same endpoints). */
  readonly baseline?: ArrayLike<number>;
  /** Fold Kubernetes pod names into their workload. Default true. */
  readonly groupPods?: boolean;
}

/** How one call-tree node appears in one group of traces. */
export interface TopDownStats {
  /** Traces of the group where the call is made at least once. */
  readonly traces: number;
  /** Traces where it holds some critical-path exclusive time. */
  readonly onPathTraces: number;
  /** onPathTraces / traces of the group (0..1): how often it is on the critical path. */
  readonly frequency: number;
  /** Calls (spans) in the group, recursive calls folded in included. */
  readonly calls: number;
  /** calls / traces: calls per trace where it is made (N+1 shows as a large value). */
  readonly meanCalls: number;
  /** Critical-path exclusive time summed over the group, ns. */
  readonly totalExclusiveNano: number;
  /** Exclusive time per trace of the group (0 where absent): the expected wait per request, ns. */
  readonly meanExclusiveNano: number;
  /** Median of its exclusive time per trace, over the traces where it is made (0 when off the path), ns. */
  readonly p50ExclusiveNano: number;
  /** 90th percentile, same traces, ns. */
  readonly p90ExclusiveNano: number;
  /** 99th percentile, same traces, ns. */
  readonly p99ExclusiveNano: number;
  /** Largest exclusive time in one trace, ns. */
  readonly maxExclusiveNano: number;
  /**
   * Critical-path time of the call and every call under it, per trace of the group (its inclusive time on the
   * path), ns: where a branch's extra time went, even when it sits deeper down.
   */
  readonly meanSubtreeNano: number;
  /** Self time (on the path or not) per trace where it is made, ns: a slow call hidden off the path shows here only. */
  readonly meanSelfNano: number;
}

/** One node of the merged call tree. */
export interface TopDownNode {
  /** Index in {@link TopDownCriticalPath.nodes}. */
  readonly id: number;
  /** Parent node id (-1 for an endpoint's root). */
  readonly parent: number;
  /** 0 for roots. */
  readonly depth: number;
  /** Service, or the dependency a leaf client call waited on. */
  readonly service: string;
  /** Operation. */
  readonly operation: string;
  /** Whether `service` is a dependency reached by a client call (database, cache, external API). */
  readonly isDependency: boolean;
  /** `service:operation` from the root to this node. */
  readonly path: readonly string[];
  /** Child node ids, largest difference in subtree critical-path time (`delta.meanSubtreeNano`) first. */
  readonly children: readonly number[];
  /** Calls folded into this node because its key was already on their path (recursion). */
  readonly recursiveCalls: number;
  /** Figures over the traces studied. */
  readonly stats: TopDownStats;
  /** Figures over the baseline traces (undefined without a baseline). */
  readonly baseline: TopDownStats | undefined;
  /** stats − baseline (stats alone without a baseline). */
  readonly delta: {
    /** Extra critical-path exclusive time per trace, ns. */
    readonly meanExclusiveNano: number;
    /** Extra critical-path time of the call and its descendants per trace, ns (children are ranked by it). */
    readonly meanSubtreeNano: number;
    /** Extra frequency on the path (−1..1). */
    readonly frequency: number;
    /** Extra calls per trace where made. */
    readonly meanCalls: number;
    /** Difference of the medians, ns. */
    readonly p50ExclusiveNano: number;
  };
}

/** The merged call tree of a group of traces, against a baseline group. */
export interface TopDownCriticalPath {
  /** Traces studied. */
  readonly traces: number;
  /** Baseline traces (0 when none). */
  readonly baselineTraces: number;
  /** Mean critical-path length of the traces studied, ns. */
  readonly meanTotalNano: number;
  /** Mean critical-path length of the baseline, ns. */
  readonly baselineMeanTotalNano: number;
  /** Root node ids (one per endpoint), most traces first. */
  readonly roots: readonly number[];
  /** Every node, depth-first from the roots, children by their difference in subtree critical-path time. */
  readonly nodes: readonly TopDownNode[];
}

const empty = (): TopDownStats => ({
  traces: 0,
  onPathTraces: 0,
  frequency: 0,
  calls: 0,
  meanCalls: 0,
  totalExclusiveNano: 0,
  meanExclusiveNano: 0,
  p50ExclusiveNano: 0,
  p90ExclusiveNano: 0,
  p99ExclusiveNano: 0,
  maxExclusiveNano: 0,
  meanSubtreeNano: 0,
  meanSelfNano: 0,
});

// Growable (node × 2 + group, exclusive time) pairs, one per node and trace: the input of the percentiles.
class Samples {
  key = new Int32Array(4096);
  value = new Float64Array(4096);
  length = 0;
  push(key: number, value: number): void {
    if (this.length === this.key.length) {
      const k = new Int32Array(this.length * 2);
      k.set(this.key);
      this.key = k;
      const v = new Float64Array(this.length * 2);
      v.set(this.value);
      this.value = v;
    }
    this.key[this.length] = key;
    this.value[this.length++] = value;
  }
}

/**
 * Merges the critical paths of many traces into one call tree (CRISP's top-down view): for each call, keyed by its
 * path from the root, how often it is on the critical path, for how long and how many times it is made, in the
 * traces studied against a baseline group — the view no single trace shows.
 *
 * **Details**
 * - A node is a call context: the (service, operation) of a span under its parent's node. Leaf client calls to
 *   databases, caches and external APIs count for the dependency (as in {@link traceBottleneck}); pods fold into
 *   their workload.
 * - Repeated calls under one parent (N+1, retries, loops) merge into one node: `calls` and `meanCalls` count them,
 *   their exclusive times add up per trace. A call whose key already sits on its path from the root (recursion,
 *   direct or not) folds into that ancestor (`recursiveCalls`), so the tree stays as deep as the distinct calls.
 * - Only spans of each trace's head subtree are merged (orphans grafted under the span enclosing them count there;
 *   other roots and ungrafted orphans are left out, as they are off the path). FOLLOWS_FROM children are merged with
 *   their parent's node like any child: they appear in `traces` and `meanSelfNano` but hold no path time.
 * - `meanExclusiveNano` averages over all traces of the group (zeros included): Σ over the roots' subtrees equals
 *   the mean path length. Percentiles are over the traces where the call is made.
 *
 * **Complexity** O(spans of the traces) plus sorting one value per (node, trace) for the percentiles; typed arrays
 * throughout, one `Map` lookup per span for the trie.
 *
 * **Gotchas** Pass traces of the same endpoints in both groups; a node present only in the baseline is left out.
 *
 * @example
 * ```ts
 * const td = topDownCriticalPath(paths, { traces: slow, baseline: fast });
 * const root = td.nodes[td.roots[0]];
 * td.nodes[root.children[0]]; // { service: 'orders-db', operation: 'SELECT', delta: { meanExclusiveNano: 2.9e8 } … }
 * ```
 */
export function topDownCriticalPath(paths: CriticalPaths, options: TopDownOptions = {}): TopDownCriticalPath {
  const tree = paths.tree;
  const table = tree.table;
  const traceCount = tree.traces.traceCount;
  const studied =
    options.traces ?? Int32Array.from({ length: traceCount }, (_, t) => t).filter((t) => paths.head[t]! >= 0);
  const baseline = options.baseline ?? [];
  const attribution = attributeSpans(table, tree, options.groupPods ?? true);
  const opDict = table.dict('operation');
  const opCount = opDict.values.length;
  const { order, orderOffsets, selfNano } = tree;
  const parentOf = tree.links.parent;
  const graftParent = paths.graftParent;
  const { exclusiveNano, head } = paths;

  // Trie of call contexts: nodes, and an open-addressing table (parent node, key) → node that also remembers
  // where recursion folded.
  let cap = 256;
  let nodeKey: Int32Array = new Int32Array(cap);
  let nodeParent: Int32Array = new Int32Array(cap);
  let nodeFolded: Int32Array = new Int32Array(cap);
  let nodeCount = 0;
  let slotMask = 1023;
  let slotParent: Int32Array = new Int32Array(slotMask + 1);
  let slotKey: Int32Array = new Int32Array(slotMask + 1);
  let slotNode: Int32Array = new Int32Array(slotMask + 1).fill(-1);
  let slotUsed = 0;
  const hash = (parentNode: number, key: number): number =>
    Math.imul(parentNode + 1, 0x9e3779b1) ^ Math.imul(key, 0x85ebca6b);
  const insert = (parentNode: number, key: number, node: number): void => {
    let i = hash(parentNode, key) & slotMask;
    while (slotNode[i]! >= 0) i = (i + 1) & slotMask;
    slotParent[i] = parentNode;
    slotKey[i] = key;
    slotNode[i] = node;
    slotUsed++;
  };
  const growNodes = (): void => {
    cap *= 2;
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    nodeKey = grow(nodeKey);
    nodeParent = grow(nodeParent);
    nodeFolded = grow(nodeFolded);
  };
  const growSlots = (): void => {
    const [p, k, n] = [slotParent, slotKey, slotNode];
    slotMask = slotMask * 2 + 1;
    slotParent = new Int32Array(slotMask + 1);
    slotKey = new Int32Array(slotMask + 1);
    slotNode = new Int32Array(slotMask + 1).fill(-1);
    slotUsed = 0;
    for (let i = 0; i < n.length; i++) if (n[i]! >= 0) insert(p[i]!, k[i]!, n[i]!);
  };
  const nodeFor = (parentNode: number, key: number): number => {
    for (let i = hash(parentNode, key) & slotMask; slotNode[i]! >= 0; i = (i + 1) & slotMask) {
      if (slotParent[i] === parentNode && slotKey[i] === key) return slotNode[i]!;
    }
    // Recursion: the key already on the path from the root folds into that ancestor.
    let id = -1;
    for (let a = parentNode; a >= 0; a = nodeParent[a]!) {
      if (nodeKey[a] === key) {
        id = a;
        break;
      }
    }
    if (id < 0) {
      if (nodeCount === cap) growNodes();
      id = nodeCount++;
      nodeKey[id] = key;
      nodeParent[id] = parentNode;
    }
    if (2 * (slotUsed + 1) > slotMask) growSlots();
    insert(parentNode, key, id);
    return id;
  };

  // Per-trace scratch, per node and per row (rowStamp: the trace ordinal + 1 in which a row was placed).
  let stamp = new Int32Array(cap).fill(-1);
  let excl = new Float64Array(cap);
  let self = new Float64Array(cap);
  let calls = new Int32Array(cap);
  let touched = new Int32Array(cap);
  const nodeOfRow = new Int32Array(table.numSpans);
  const rowStamp = new Int32Array(table.numSpans);
  const deferred: number[] = [];
  const samples = new Samples();
  // Sums per node × 2 + group: traces, traces on the path, calls, exclusive time, self time.
  let sums = new Float64Array(cap * 10);
  const { code } = attribution;
  const opCodes = opDict.codes;
  const grafted = graftParent.length > 0;
  const growScratch = (): void => {
    const grow = <T extends Int32Array | Float64Array>(x: T, fill: number): T => {
      const y = new (x.constructor as new (n: number) => T)(cap);
      y.set(x);
      y.fill(fill, x.length);
      return y;
    };
    stamp = grow(stamp, -1);
    excl = grow(excl, 0);
    self = grow(self, 0);
    calls = grow(calls, 0);
    touched = grow(touched, 0);
  };

  for (let g = 0; g < 2; g++) {
    const list = g === 0 ? studied : baseline;
    for (let i = 0; i < list.length; i++) {
      const t = list[i]!;
      const h = head[t]!;
      if (h < 0) continue;
      const mark = t + 1;
      let touchedCount = 0;
      deferred.length = 0;
      const begin = orderOffsets[t]!;
      const end = orderOffsets[t + 1]!;
      // Pre-order puts parents first; a graft parent may come later (deferred, placed in further passes).
      for (let k = begin, pass = 0; ; k++) {
        let r: number;
        if (pass === 0) {
          if (k === end) {
            if (deferred.length === 0) break;
            pass = 1;
            k = -1;
            continue;
          }
          r = order[k]!;
        } else {
          if (k === deferred.length) {
            // Another pass only while the previous one placed something.
            let left = 0;
            for (let j = 0; j < deferred.length; j++)
              if (rowStamp[deferred[j]!] !== mark) deferred[left++] = deferred[j]!;
            if (left === 0 || left === deferred.length) break;
            deferred.length = left;
            k = -1;
            continue;
          }
          r = deferred[k]!;
          if (rowStamp[r] === mark) continue;
        }
        const key = code[r]! * opCount + opCodes[r]!;
        let node: number;
        let parentNode = -1;
        if (r === h) node = nodeFor(-1, key);
        else {
          let p = parentOf[r]!;
          if (p < 0 && grafted) p = graftParent[r]!;
          if (p < 0) {
            rowStamp[r] = mark;
            nodeOfRow[r] = -1;
            continue;
          }
          if (rowStamp[p] !== mark) {
            if (pass === 0) deferred.push(r);
            continue;
          }
          parentNode = nodeOfRow[p]!;
          if (parentNode < 0) {
            rowStamp[r] = mark;
            nodeOfRow[r] = -1;
            continue;
          }
          node = nodeFor(parentNode, key);
          if (stamp.length < cap) growScratch();
          // Not a child of the parent's node: folded into an ancestor (recursion).
          if (nodeParent[node] !== parentNode) nodeFolded[node]!++;
        }
        if (stamp.length < cap) growScratch();
        rowStamp[r] = mark;
        nodeOfRow[r] = node;
        if (stamp[node] !== t) {
          stamp[node] = t;
          excl[node] = 0;
          self[node] = 0;
          calls[node] = 0;
          touched[touchedCount++] = node;
        }
        excl[node] += exclusiveNano[r]!;
        self[node] += selfNano[r]!;
        calls[node]!++;
      }
      if (sums.length < cap * 10) {
        const grown = new Float64Array(cap * 10);
        grown.set(sums);
        sums = grown;
      }
      for (let j = 0; j < touchedCount; j++) {
        const n = touched[j]!;
        const key = n * 2 + g;
        const x = excl[n]!;
        const o = key * 5;
        sums[o]!++;
        if (x > 0) sums[o + 1]!++;
        sums[o + 2]! += calls[n]!;
        sums[o + 3]! += x;
        sums[o + 4]! += self[n]!;
        samples.push(key, x);
      }
    }
  }

  // Exclusive times grouped by node and group (counting sort), each group's slice sorted for the percentiles.
  const m = samples.length;
  const start = new Int32Array(nodeCount * 2 + 1);
  for (let i = 0; i < m; i++) start[samples.key[i]! + 1]!++;
  for (let k = 0; k < nodeCount * 2; k++) start[k + 1]! += start[k]!;
  const pos = start.slice(0, nodeCount * 2);
  const sorted = new Float64Array(m);
  for (let i = 0; i < m; i++) sorted[pos[samples.key[i]!]!++] = samples.value[i]!;
  const groupSize = [studied.length, baseline.length];
  // Exclusive time of each node and its descendants, per group (a child's id is above its parent's).
  const subtree = new Float64Array(nodeCount * 2);
  for (let n = nodeCount - 1; n >= 0; n--) {
    for (let g = 0; g < 2; g++) {
      subtree[n * 2 + g]! += sums[(n * 2 + g) * 5 + 3]!;
      const p = nodeParent[n]!;
      if (p >= 0) subtree[p * 2 + g]! += subtree[n * 2 + g]!;
    }
  }
  const statsOf = (n: number, group: number): TopDownStats | undefined => {
    const key = n * 2 + group;
    const o = key * 5;
    const traces = sums[o]!;
    if (traces === 0) return undefined;
    const values = sorted.subarray(start[key]!, start[key + 1]!).sort();
    const size = groupSize[group]!;
    return {
      traces,
      onPathTraces: sums[o + 1]!,
      frequency: sums[o + 1]! / size,
      calls: sums[o + 2]!,
      meanCalls: sums[o + 2]! / traces,
      totalExclusiveNano: sums[o + 3]!,
      meanExclusiveNano: sums[o + 3]! / size,
      p50ExclusiveNano: quantileSorted(values, 0.5),
      p90ExclusiveNano: quantileSorted(values, 0.9),
      p99ExclusiveNano: quantileSorted(values, 0.99),
      maxExclusiveNano: values[values.length - 1]!,
      meanSubtreeNano: subtree[key]! / size,
      meanSelfNano: sums[o + 4]! / traces,
    };
  };
  const raw: { stats: TopDownStats; base: TopDownStats | undefined; delta: number; kids: number[] }[] = [];
  const rootList: number[] = [];
  const hasBaseline = options.baseline !== undefined;
  for (let n = 0; n < nodeCount; n++) {
    const stats = statsOf(n, 0);
    const base = hasBaseline ? (statsOf(n, 1) ?? empty()) : undefined;
    raw.push({
      stats: stats ?? empty(),
      base,
      delta: (stats?.meanSubtreeNano ?? 0) - (base?.meanSubtreeNano ?? 0),
      kids: [],
    });
  }
  const kept = (n: number): boolean => raw[n]!.stats.traces > 0;
  for (let n = 0; n < nodeCount; n++) {
    if (!kept(n)) continue;
    const p = nodeParent[n]!;
    if (p < 0) rootList.push(n);
    else raw[p]!.kids.push(n);
  }
  const byDelta = (a: number, b: number): number =>
    raw[b]!.delta - raw[a]!.delta || raw[b]!.stats.meanSubtreeNano - raw[a]!.stats.meanSubtreeNano || a - b;
  rootList.sort((a, b) => raw[b]!.stats.traces - raw[a]!.stats.traces || a - b);
  // Depth-first numbering from the roots.
  const idOf = new Int32Array(nodeCount).fill(-1);
  const sequence: number[] = [];
  const stack: number[] = [];
  for (let i = rootList.length - 1; i >= 0; i--) stack.push(rootList[i]!);
  while (stack.length > 0) {
    const n = stack.pop()!;
    idOf[n] = sequence.length;
    sequence.push(n);
    const kids = raw[n]!.kids.sort(byDelta);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  const names = attribution.names;
  const labelOf = (n: number): [string, string] => {
    const k = nodeKey[n]!;
    return [names[Math.floor(k / opCount)]!, opDict.values[k % opCount]!];
  };
  const isDep = new Uint8Array(names.length);
  for (let r = 0; r < table.numSpans; r++) if (attribution.isDependency[r]) isDep[code[r]!] = 1;
  const nodes: TopDownNode[] = [];
  for (const n of sequence) {
    const [service, operation] = labelOf(n);
    const p = nodeParent[n]!;
    const parentNode = p >= 0 ? nodes[idOf[p]!]! : undefined;
    const { stats, base, delta, kids } = raw[n]!;
    nodes.push({
      id: idOf[n]!,
      parent: p >= 0 ? idOf[p]! : -1,
      depth: parentNode ? parentNode.depth + 1 : 0,
      service,
      operation,
      isDependency: isDep[Math.floor(nodeKey[n]! / opCount)] === 1,
      path: [...(parentNode?.path ?? []), `${service}:${operation}`],
      children: kids.map((k) => idOf[k]!),
      recursiveCalls: nodeFolded[n]!,
      stats,
      baseline: base,
      delta: {
        meanExclusiveNano: stats.meanExclusiveNano - (base?.meanExclusiveNano ?? 0),
        meanSubtreeNano: delta,
        frequency: stats.frequency - (base?.frequency ?? 0),
        meanCalls: stats.meanCalls - (base?.meanCalls ?? 0),
        p50ExclusiveNano: stats.p50ExclusiveNano - (base?.p50ExclusiveNano ?? 0),
      },
    });
  }
  const meanTotal = (list: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < list.length; i++) s += paths.totalNano[list[i]!]!;
    return list.length ? s / list.length : 0;
  };
  return {
    traces: studied.length,
    baselineTraces: baseline.length,
    meanTotalNano: meanTotal(studied),
    baselineMeanTotalNano: meanTotal(baseline),
    roots: rootList.map((n) => idOf[n]!),
    nodes,
  };
}
