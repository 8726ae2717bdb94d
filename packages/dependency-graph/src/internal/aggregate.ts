// The one pass over the spans (in trace pre-order) that finds every call, its caller and callee, and the endpoint
// call tree each call belongs to.
import type { SpanTable, TraceTree } from '@aiops/span-model';
import { NodeRegistry } from './nodes.ts';
import { PairMap } from './pair-map.ts';
import { spanErrorFlags } from './span-errors.ts';
import { type LatencySummary, SampleBuffer, summarizeGroups } from './stats.ts';

const INTERNAL = 1;
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;
const PEER_COLUMNS = [
  'peerService',
  'serverAddress',
  'dbSystem',
  'dbName',
  'messagingSystem',
  'messagingDestination',
] as const;
const CALL = 1;
const QUEUE = 2;
// Keys of (parent, child) maps: parent * KEY + child stays below 2^53 for parents < 2^31.
export const KEY: number = 2 ** 21;

/** Everything the public result is assembled from. */
export interface Aggregate {
  readonly nodes: NodeRegistry;
  readonly edgeFrom: readonly number[];
  readonly edgeTo: readonly number[];
  readonly edgeStats: readonly LatencySummary[];
  /** Per edge: bit 1 when latencies came from client spans, bit 2 when from server spans. */
  readonly edgeSource: readonly number[];
  readonly nodeStats: readonly LatencySummary[];
  /** Rooted traces whose call tree reaches each node. */
  readonly nodeTraces: Int32Array;
  /** Endpoint call trees: one tree node per distinct path of nodes from an entry. */
  readonly treeParent: readonly number[];
  readonly treeNode: readonly number[];
  readonly treeCalls: readonly number[];
  readonly treeTraces: readonly number[];
  readonly treeEndpoint: readonly number[];
  readonly endpointService: readonly number[];
  readonly endpointOperation: readonly string[];
  readonly endpointRoot: readonly number[];
  readonly endpointTraces: readonly number[];
  /** Rooted traces of endpoint e reaching node v: `endpointNodeTraces[endpointNodeIds.get(e * 2^21 + v)]`. */
  readonly endpointNodeIds: ReadonlyMap<number, number>;
  readonly endpointNodeTraces: readonly number[];
  /** Endpoint of each trace (its earliest root span), −1 when the trace has no root span. */
  readonly traceEndpoint: Int32Array;
  /** Duration of each trace's root span, ns. */
  readonly traceDurNano: Float64Array;
  readonly traceErr: Uint8Array;
  /** Tree node each span's time is attributed to (−1 outside a rooted call tree). */
  readonly attrTree: Int32Array;
  readonly windowNano: number;
  readonly orphanHeads: number;
  readonly rootlessTraces: number;
  readonly multiRootTraces: number;
  readonly unresolvedCalls: number;
  readonly spansWithKind: number;
}

/** Runs the pass. */
export function aggregate(table: SpanTable, tree: TraceTree, windowNano: number | undefined): Aggregate {
  const n = table.numSpans;
  const nodes = new NodeRegistry(table);
  const svc = table.dict('service').codes;
  const opDict = table.dict('operation');
  const ops = opDict.codes;
  const { kind, parentRefType } = table.columns;
  const dur = table.times.durationNano;
  const endNano = table.times.endNano;
  const err = spanErrorFlags(table);
  const { parent, childOffsets, children } = tree.links;
  const { order, orderOffsets } = tree;
  const traceCount = tree.traces.traceCount;

  const edgeIds = new PairMap();
  const edgeFrom: number[] = [];
  const edgeTo: number[] = [];
  const edgeSource: number[] = [];

  const treeIds = new PairMap(1024);
  const treeParent: number[] = [];
  const treeNode: number[] = [];
  const treeCalls: number[] = [];
  const treeTraces: number[] = [];
  const treeLast: number[] = [];
  const treeEndpoint: number[] = [];
  const endpointIds = new Map<number, number>();
  const endpointService: number[] = [];
  const endpointOperation: string[] = [];
  const endpointRoot: number[] = [];
  const endpointTraces: number[] = [];
  const endpointNodeIds = new PairMap(1024);
  const endpointNodeKeys: number[] = [];
  const endpointNodeTraces: number[] = [];
  const endpointNodeLast: number[] = [];
  // Nodes are services plus peers named by dictionary values: an upper bound, so the per-node arrays never grow.
  let maxNodes = nodes.names.length;
  for (const c of PEER_COLUMNS) maxNodes += table.dict(c).values.length;
  const nodeTraces = new Int32Array(maxNodes);
  const nodeLast = new Int32Array(maxNodes).fill(-1);

  const ctx = new Int32Array(n).fill(-1);
  const attrTree = new Int32Array(n).fill(-1);
  const traceEndpoint = new Int32Array(traceCount).fill(-1);
  const traceDurNano = new Float64Array(traceCount);
  const traceErr = new Uint8Array(traceCount);
  let orphanHeads = 0;
  let rootlessTraces = 0;
  let multiRootTraces = 0;
  let unresolvedCalls = 0;
  let spansWithKind = 0;

  const edgeOf = (from: number, to: number, source: number): number => {
    let e = edgeIds.get(from, to);
    if (e < 0) {
      e = edgeFrom.length;
      edgeIds.set(from, to, e);
      edgeFrom.push(from);
      edgeTo.push(to);
      edgeSource.push(0);
    }
    edgeSource[e]! |= source;
    return e;
  };
  const touch = (tn: number, trace: number): void => {
    if (treeLast[tn] !== trace) {
      treeLast[tn] = trace;
      treeTraces[tn]!++;
      const node = treeNode[tn]!;
      if (nodeLast[node] !== trace) {
        nodeLast[node] = trace;
        nodeTraces[node]!++;
      }
      const ep = treeEndpoint[tn]!;
      let en = endpointNodeIds.get(ep, node);
      if (en < 0) {
        en = endpointNodeTraces.length;
        endpointNodeIds.set(ep, node, en);
        endpointNodeKeys.push(ep * KEY + node);
        endpointNodeTraces.push(0);
        endpointNodeLast.push(-1);
      }
      if (endpointNodeLast[en] !== trace) {
        endpointNodeLast[en] = trace;
        endpointNodeTraces[en]!++;
      }
    }
  };
  const newTreeNode = (parentTree: number, node: number, endpoint: number): number => {
    const id = treeParent.length;
    treeParent.push(parentTree);
    treeNode.push(node);
    treeCalls.push(0);
    treeTraces.push(0);
    treeLast.push(-1);
    treeEndpoint.push(endpoint);
    return id;
  };
  // The tree node of a call from tree node `from` to `node` (−1 stays −1: spans outside a rooted tree).
  const callInto = (from: number, node: number, trace: number): number => {
    if (from < 0) return -1;
    let tn = treeIds.get(from, node);
    if (tn < 0) {
      tn = newTreeNode(from, node, treeEndpoint[from]!);
      treeIds.set(from, node, tn);
    }
    treeCalls[tn]!++;
    touch(tn, trace);
    return tn;
  };
  const hasCrossServiceChild = (row: number): boolean => {
    const s = svc[row];
    for (let k = childOffsets[row]!; k < childOffsets[row + 1]!; k++) if (svc[children[k]!] !== s) return true;
    return false;
  };
  // Without span kinds, a messaging span is a consumer when `messaging.operation` says so, else when it enters
  // its service (parent in another service, or a true root; an orphan's missing parent proves nothing).
  const role = new Int8Array(n); // 0 not yet known, 1 consumer, 2 not
  const isConsumer = (row: number): boolean => {
    const k = kind[row]!;
    if (k === CONSUMER) return true;
    if ((k !== 0 && k !== INTERNAL) || !nodes.isMessaging(row)) return false;
    if (role[row] === 0) {
      const r = nodes.messagingRole(row);
      const p = parent[row]!;
      const enters = p >= 0 ? svc[p] !== svc[row] : parentRefType[row] === 0;
      role[row] = r === 1 || (r === 0 && enters) ? 1 : 2;
    }
    return role[row] === 1;
  };
  // Per span, computed once in row order: CALL when it is a call span (client, producer, or a non-server span
  // naming a peer that is not a consumer), QUEUE when it publishes to a queue (producer or messaging span that is
  // not a server or consumer span).
  const flags = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const k = kind[r]!;
    if (k === SERVER || k === CONSUMER) continue;
    const messaging = nodes.isMessaging(r);
    const peer = messaging || nodes.namesPeer(r);
    if (k !== CLIENT && k !== PRODUCER && !peer) continue;
    const consumer = isConsumer(r);
    let f = k === CLIENT || k === PRODUCER || (peer && !consumer) ? CALL : 0;
    if ((k === PRODUCER || messaging) && !consumer) f |= QUEUE;
    flags[r] = f;
  }
  // The queue a messaging producer span publishes to, or −1 when `row` is not one.
  const queueOf = (row: number): number => (flags[row]! & QUEUE ? nodes.peerOf(row, true) : -1);
  // Sample buffers sized to what the pass can push (heads, spans entering another service, call spans), so they
  // never grow: a span gives at most one call sample as a callee and one as a caller.
  let entering = 0;
  let heads = 0;
  let callSpans = 0;
  for (let r = 0; r < n; r++) {
    const p = parent[r]!;
    if (p < 0) heads++;
    else if (svc[p] !== svc[r]) entering++;
    if (flags[r]! & CALL) callSpans++;
  }
  const calls = new SampleBuffer(entering + callSpans);
  const nodeSamples = new SampleBuffer(heads + entering + callSpans);

  for (let trace = 0; trace < traceCount; trace++) {
    let roots = 0;
    for (let o = orderOffsets[trace]!; o < orderOffsets[trace + 1]!; o++) {
      const i = order[o]!;
      if (kind[i] !== 0) spansWithKind++;
      const p = parent[i]!;
      const s = svc[i]!;
      const node = nodes.serviceNode[s]!;
      if (p < 0) {
        nodeSamples.push(node, dur[i]!, err[i]!);
        if (parentRefType[i] === 0) {
          const epKey = s * opDict.values.length + ops[i]!;
          let ep = endpointIds.get(epKey);
          if (ep === undefined) {
            ep = endpointService.length;
            endpointIds.set(epKey, ep);
            endpointService.push(node);
            endpointOperation.push(opDict.values[ops[i]!]!);
            endpointRoot.push(newTreeNode(-1, node, ep));
            endpointTraces.push(0);
          }
          const tn = endpointRoot[ep]!;
          treeCalls[tn]!++;
          touch(tn, trace);
          ctx[i] = tn;
          if (roots++ === 0) {
            traceEndpoint[trace] = ep;
            traceDurNano[trace] = dur[i]!;
            traceErr[trace] = err[i]!;
            endpointTraces[ep]!++;
          }
        } else {
          orphanHeads++;
        }
      } else if (svc[p] !== s) {
        const q = queueOf(p);
        let from: number;
        let fromTree: number;
        let d: number;
        let e: number;
        let source: number;
        if (q >= 0) {
          // producer → queue was recorded at the producer; this is queue → consumer, timed by the consumer.
          from = q;
          fromTree = ctx[p]! >= 0 ? treeIds.get(ctx[p]!, q) : -1;
          d = dur[i]!;
          e = err[i]!;
          source = 2;
        } else if ((flags[p]! & CALL) !== 0) {
          from = nodes.serviceNode[svc[p]!]!;
          fromTree = ctx[p]!;
          d = dur[p]!;
          e = err[p]! | err[i]!;
          source = 1;
        } else {
          from = nodes.serviceNode[svc[p]!]!;
          fromTree = ctx[p]!;
          d = dur[i]!;
          e = err[i]!;
          source = 2;
        }
        calls.push(edgeOf(from, node, source), d, e);
        nodeSamples.push(node, dur[i]!, err[i]!);
        ctx[i] = callInto(fromTree, node, trace);
      } else {
        ctx[i] = ctx[p]!;
      }
      attrTree[i] = ctx[i]!;
      if ((flags[i]! & CALL) === 0) continue;
      const q = queueOf(i);
      if (q >= 0) {
        calls.push(edgeOf(node, q, 1), dur[i]!, err[i]!);
        nodeSamples.push(q, dur[i]!, err[i]!);
        attrTree[i] = callInto(ctx[i]!, q, trace);
      } else if (!hasCrossServiceChild(i)) {
        const peer = nodes.peerOf(i, false);
        if (peer < 0) unresolvedCalls++;
        else if (peer !== node) {
          calls.push(edgeOf(node, peer, 1), dur[i]!, err[i]!);
          nodeSamples.push(peer, dur[i]!, err[i]!);
          attrTree[i] = callInto(ctx[i]!, peer, trace);
        }
      }
    }
    if (roots === 0) rootlessTraces++;
    else if (roots > 1) multiRootTraces++;
  }

  let maxEnd = 0;
  for (let i = 0; i < n; i++) if (endNano[i]! > maxEnd) maxEnd = endNano[i]!;
  const nodeCount = nodes.names.length;
  const traces = new Int32Array(nodeCount);
  traces.set(nodeTraces.subarray(0, Math.min(nodeCount, nodeTraces.length)));
  return {
    nodes,
    edgeFrom,
    edgeTo,
    edgeStats: summarizeGroups(edgeFrom.length, calls.length, calls.group, calls.dur, calls.err),
    edgeSource,
    nodeStats: summarizeGroups(nodeCount, nodeSamples.length, nodeSamples.group, nodeSamples.dur, nodeSamples.err),
    nodeTraces: traces,
    treeParent,
    treeNode,
    treeCalls,
    treeTraces,
    treeEndpoint,
    endpointService,
    endpointOperation,
    endpointRoot,
    endpointTraces,
    endpointNodeIds: new Map(endpointNodeKeys.map((key, idx) => [key, idx])),
    endpointNodeTraces,
    traceEndpoint,
    traceDurNano,
    traceErr,
    attrTree,
    windowNano: windowNano ?? maxEnd,
    orphanHeads,
    rootlessTraces,
    multiRootTraces,
    unresolvedCalls,
    spansWithKind,
  };
}
