// The one pass over the spans (in trace pre-order) that finds every call, its caller and callee, and the endpoint
// call tree each call belongs to.
import type { SpanTable, TraceTree } from '@aiops/span-model';
import { NodeRegistry } from './nodes.ts';
import { PairIndex } from './pair-map.ts';
import { spanErrorFlags } from './span-errors.ts';
import { type LatencySummary, summarizeGroups } from './stats.ts';

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
  const opCount = opDict.values.length;
  const { kind, parentRefType } = table.columns;
  const dur = table.times.durationNano;
  const endNano = table.times.endNano;
  const err = spanErrorFlags(table);
  const { parent, childOffsets, children } = tree.links;
  const { order, orderOffsets } = tree;
  const traceCount = tree.traces.traceCount;

  const edgeFrom: number[] = [];
  const edgeTo: number[] = [];
  const edgeSource: number[] = [];

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
  const endpointNodeKeys: number[] = [];
  const endpointNodeTraces: number[] = [];
  const endpointNodeLast: number[] = [];
  // Nodes are services plus peers named by dictionary values: an upper bound, so the per-node arrays never grow.
  let maxNodes = nodes.names.length;
  for (const c of PEER_COLUMNS) maxNodes += table.dict(c).values.length;
  // (caller, callee) → edge, (tree node, callee) → tree node, (endpoint, node) → index: node ids stay below maxNodes.
  const edgeIds = new PairIndex(maxNodes, maxNodes);
  const treeIds = new PairIndex(maxNodes, 1024);
  const endpointNodeIds = new PairIndex(maxNodes, 64);
  const nodeTraces = new Int32Array(maxNodes);
  const nodeLast = new Int32Array(maxNodes).fill(-1);

  // Every span is written once in pre-order before any child reads it: no fill needed.
  const ctx = new Int32Array(n);
  const attrTree = new Int32Array(n);
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
  const serviceNode = nodes.serviceNode;
  // Per span, computed once in row order: CALL when it is a call span (client, producer, or a non-server span
  // naming a peer that is not a consumer), QUEUE when it publishes to a queue (producer or messaging span that is
  // not a server or consumer span). Without span kinds, a messaging span is a consumer when `messaging.operation`
  // says so, else when it enters its service (parent in another service, or a true root; an orphan's missing parent
  // proves nothing). The same pass counts what the sample buffers must hold (heads, spans entering another
  // service, call spans: a span gives at most one call sample as a callee and one as a caller), so they never grow.
  const peerBits = nodes.peerBits();
  const flags = new Uint8Array(n);
  let entering = 0;
  let heads = 0;
  let callSpans = 0;
  let maxEnd = 0;
  for (let r = 0; r < n; r++) {
    const k = kind[r]!;
    if (k !== 0) spansWithKind++;
    if (endNano[r]! > maxEnd) maxEnd = endNano[r]!;
    const p = parent[r]!;
    if (p < 0) heads++;
    else if (svc[p] !== svc[r]) entering++;
    if (k === SERVER || k === CONSUMER) continue;
    const bits = peerBits[r]!;
    if (k !== CLIENT && k !== PRODUCER && bits === 0) continue;
    const messaging = (bits & 1) === 1;
    let consumer = false;
    if ((k === 0 || k === INTERNAL) && messaging) {
      const role = nodes.messagingRole(r);
      const enters = p >= 0 ? svc[p] !== svc[r] : parentRefType[r] === 0;
      consumer = role === 1 || (role === 0 && enters);
    }
    let f = k === CLIENT || k === PRODUCER || (bits !== 0 && !consumer) ? CALL : 0;
    if ((k === PRODUCER || messaging) && !consumer) f |= QUEUE;
    flags[r] = f;
    if (f & CALL) callSpans++;
  }
  const callCap = Math.max(1, entering + callSpans);
  const callGroup = new Int32Array(callCap);
  const callDur = new Float64Array(callCap);
  const callErr = new Uint8Array(callCap);
  let cn = 0;
  const nodeCap = Math.max(1, heads + entering + callSpans);
  const nodeGroup = new Int32Array(nodeCap);
  const nodeDur = new Float64Array(nodeCap);
  const nodeErr = new Uint8Array(nodeCap);
  let nn = 0;

  for (let trace = 0; trace < traceCount; trace++) {
    let roots = 0;
    for (let o = orderOffsets[trace]!, end = orderOffsets[trace + 1]!; o < end; o++) {
      const i = order[o]!;
      const p = parent[i]!;
      const s = svc[i]!;
      const node = serviceNode[s]!;
      let c: number;
      if (p < 0) {
        nodeGroup[nn] = node;
        nodeDur[nn] = dur[i]!;
        nodeErr[nn++] = err[i]!;
        c = -1;
        if (parentRefType[i] === 0) {
          const epKey = s * opCount + ops[i]!;
          let ep = endpointIds.get(epKey);
          if (ep === undefined) {
            ep = endpointService.length;
            endpointIds.set(epKey, ep);
            endpointService.push(node);
            endpointOperation.push(opDict.values[ops[i]!]!);
            endpointRoot.push(newTreeNode(-1, node, ep));
            endpointTraces.push(0);
          }
          c = endpointRoot[ep]!;
          treeCalls[c]!++;
          touch(c, trace);
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
        const fp = flags[p]!;
        const q = fp & QUEUE ? nodes.peerOf(p, true) : -1;
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
        } else if ((fp & CALL) !== 0) {
          from = serviceNode[svc[p]!]!;
          fromTree = ctx[p]!;
          d = dur[p]!;
          e = err[p]! | err[i]!;
          source = 1;
        } else {
          from = serviceNode[svc[p]!]!;
          fromTree = ctx[p]!;
          d = dur[i]!;
          e = err[i]!;
          source = 2;
        }
        callGroup[cn] = edgeOf(from, node, source);
        callDur[cn] = d;
        callErr[cn++] = e;
        nodeGroup[nn] = node;
        nodeDur[nn] = dur[i]!;
        nodeErr[nn++] = err[i]!;
        c = callInto(fromTree, node, trace);
      } else {
        c = ctx[p]!;
      }
      ctx[i] = c;
      attrTree[i] = c;
      const fi = flags[i]!;
      if ((fi & CALL) === 0) continue;
      const q = fi & QUEUE ? nodes.peerOf(i, true) : -1;
      let peer = q;
      if (q < 0) {
        let crossChild = false;
        for (let k = childOffsets[i]!, kEnd = childOffsets[i + 1]!; k < kEnd; k++) {
          if (svc[children[k]!] !== s) {
            crossChild = true;
            break;
          }
        }
        if (crossChild) continue;
        peer = nodes.peerOf(i, false);
        if (peer < 0) {
          unresolvedCalls++;
          continue;
        }
        if (peer === node) continue;
      }
      callGroup[cn] = edgeOf(node, peer, 1);
      callDur[cn] = dur[i]!;
      callErr[cn++] = err[i]!;
      nodeGroup[nn] = peer;
      nodeDur[nn] = dur[i]!;
      nodeErr[nn++] = err[i]!;
      attrTree[i] = callInto(c, peer, trace);
    }
    if (roots === 0) rootlessTraces++;
    else if (roots > 1) multiRootTraces++;
  }

  const nodeCount = nodes.names.length;
  const traces = new Int32Array(nodeCount);
  traces.set(nodeTraces.subarray(0, Math.min(nodeCount, nodeTraces.length)));
  return {
    nodes,
    edgeFrom,
    edgeTo,
    edgeStats: summarizeGroups(edgeFrom.length, cn, callGroup, callDur, callErr),
    edgeSource,
    nodeStats: summarizeGroups(nodeCount, nn, nodeGroup, nodeDur, nodeErr),
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
