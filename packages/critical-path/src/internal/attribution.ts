// Where the time of a span is spent, by name: its service (pods folded into their workload), or — for a leaf call
// to an uninstrumented dependency (database, cache, external API, broker) — that dependency.
import { SpanKind, type SpanTable, type TraceTree, workloadCodes } from '@aiops/span-model';

/** Attributed name code per span, the names, and whether the name is a dependency rather than the span's service. */
export interface Attribution {
  readonly code: Int32Array;
  readonly names: readonly string[];
  readonly isDependency: Uint8Array;
}

/**
 * Attributes every span to a name: the span's service (pods folded when `groupPods`), or the dependency a leaf
 * client call waits on (`peer.service`, else the database name or system, else the server address, else the
 * messaging destination). A call whose callee is instrumented (it has children) stays with the caller: its own time
 * is the network and client overhead.
 */
export function attributeSpans(table: SpanTable, tree: TraceTree, groupPods: boolean): Attribution {
  const n = table.numSpans;
  const names: string[] = [];
  const index = new Map<string, number>();
  const intern = (s: string): number => {
    let c = index.get(s);
    if (c === undefined) {
      c = names.length;
      names.push(s);
      index.set(s, c);
    }
    return c;
  };
  const mapDict = (
    col: 'service' | 'peerService' | 'dbName' | 'dbSystem' | 'serverAddress' | 'messagingDestination',
  ) => {
    const d = table.dict(col);
    const m = new Int32Array(d.values.length).fill(-1);
    d.values.forEach((v, i) => {
      if (v) m[i] = intern(v);
    });
    return { codes: d.codes, map: m };
  };
  const workloads = (): { codes: Int32Array; map: Int32Array } => {
    const { codeOfService, names: workloadNames } = workloadCodes(table);
    const named = workloadNames.map((w) => (w ? intern(w) : -1));
    return { codes: table.dict('service').codes, map: codeOfService.map((w) => named[w]!) };
  };
  const svc = groupPods ? workloads() : mapDict('service');
  const targets = [mapDict('peerService'), mapDict('dbName'), mapDict('dbSystem'), mapDict('serverAddress')];
  const msg = mapDict('messagingDestination');
  const kind = table.columns.kind;
  const { childOffsets } = tree.links;
  const code = new Int32Array(n);
  const isDependency = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    code[r] = svc.map[svc.codes[r]!]!;
    if (code[r]! < 0) code[r] = intern('');
    const k = kind[r]!;
    if (childOffsets[r + 1]! > childOffsets[r]!) continue;
    if (k === SpanKind.Server || k === SpanKind.Consumer || k === SpanKind.Internal) continue;
    let target = -1;
    for (const t of targets) {
      target = t.map[t.codes[r]!]!;
      if (target >= 0) break;
    }
    if (target < 0 && k === SpanKind.Producer) target = msg.map[msg.codes[r]!]!;
    if (target >= 0 && target !== code[r]) {
      code[r] = target;
      isDependency[r] = 1;
    }
  }
  return { code, names, isDependency };
}
