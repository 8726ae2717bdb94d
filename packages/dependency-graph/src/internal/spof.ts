// Single points of failure: reach of each node over the call graph, endpoint trees and articulation points.
//
// Algorithm: reverse BFS from each node for its transitive dependents; endpoints affected are read from the
// endpoint call trees (exact: an endpoint is affected when one of its traces called the node); articulation points
// of the undirected graph by Hopcroft–Tarjan low-link DFS.
// Reference: Hopcroft & Tarjan, "Efficient algorithms for graph manipulation", CACM 16(6), 1973.

/** Articulation points of the undirected simple graph with `n` nodes and the given edges. */
export function articulationPoints(n: number, from: readonly number[], to: readonly number[]): Uint8Array {
  const adj: number[][] = Array.from({ length: n }, () => []);
  for (let e = 0; e < from.length; e++) {
    const a = from[e]!;
    const b = to[e]!;
    if (a === b) continue;
    adj[a]!.push(b);
    adj[b]!.push(a);
  }
  const disc = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const cut = new Uint8Array(n);
  let time = 0;
  // Iterative DFS: dependency graphs are small, but a long chain must not overflow the stack.
  for (let root = 0; root < n; root++) {
    if (disc[root] !== -1) continue;
    const stack: [node: number, parent: number, next: number][] = [[root, -1, 0]];
    disc[root] = low[root] = time++;
    let rootChildren = 0;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [v, p] = top;
      const nbrs = adj[v]!;
      if (top[2] < nbrs.length) {
        const w = nbrs[top[2]++]!;
        if (disc[w] === -1) {
          disc[w] = low[w] = time++;
          if (v === root) rootChildren++;
          stack.push([w, v, 0]);
        } else if (w !== p) {
          low[v] = Math.min(low[v]!, disc[w]!);
        }
      } else {
        stack.pop();
        if (p >= 0) {
          low[p] = Math.min(low[p]!, low[v]!);
          if (p !== root && low[v]! >= disc[p]!) cut[p] = 1;
        }
      }
    }
    if (rootChildren > 1) cut[root] = 1;
  }
  return cut;
}

/** Transitive dependents of every node (nodes that reach it along call edges, itself excluded). */
export function transitiveDependents(n: number, from: readonly number[], to: readonly number[]): number[][] {
  const callers: number[][] = Array.from({ length: n }, () => []);
  for (let e = 0; e < from.length; e++) if (from[e] !== to[e]) callers[to[e]!]!.push(from[e]!);
  const seen = new Int32Array(n).fill(-1);
  const out: number[][] = [];
  for (let target = 0; target < n; target++) {
    seen[target] = target;
    const queue = [target];
    const found: number[] = [];
    for (let k = 0; k < queue.length; k++) {
      for (const c of callers[queue[k]!]!) {
        if (seen[c] !== target) {
          seen[c] = target;
          found.push(c);
          queue.push(c);
        }
      }
    }
    out.push(found);
  }
  return out;
}
