// One trace of a span table seen for comparison: its rows, primary root, duration and call-structure keys.
import {
  buildTraceIndex,
  buildTraceTree,
  FailureSignal,
  findTrace,
  type SpanTable,
  spanFailureSignals,
  type TraceTree,
  traceIdAt,
  traceRows,
} from '@aiops/span-model';

/** Interns (service, operation) pairs of several tables into one code space, so keys compare as integers. */
export class KeySpace {
  readonly services: string[] = [];
  readonly operations: string[] = [];
  readonly #byText = new Map<string, number>();

  /** Global key of every row of `table` (built once per table). */
  keysOf(table: SpanTable): Int32Array {
    const svc = table.dict('service');
    const op = table.dict('operation');
    const opCount = op.values.length;
    const local = new Map<number, number>();
    const out = new Int32Array(table.numSpans);
    for (let r = 0; r < table.numSpans; r++) {
      const pair = svc.codes[r] * opCount + op.codes[r];
      let k = local.get(pair);
      if (k === undefined) {
        const s = svc.values[svc.codes[r]] ?? '';
        const o = op.values[op.codes[r]] ?? '';
        const text = `${s}\u0000${o}`;
        k = this.#byText.get(text);
        if (k === undefined) {
          k = this.services.length;
          this.services.push(s);
          this.operations.push(o);
          this.#byText.set(text, k);
        }
        local.set(pair, k);
      }
      out[r] = k;
    }
    return out;
  }
}

/** One trace of a table, ready to be aligned. */
export interface TraceView {
  readonly table: SpanTable;
  readonly tree: TraceTree;
  /** Rows of the trace. */
  readonly rows: Int32Array;
  /** 1 for rows of the trace. */
  readonly inTrace: Uint8Array;
  /** The primary root (longest parent-less span), or the longest subtree head when no span is parent-less. */
  readonly root: number;
  /** Subtree heads of the trace other than `root` (extra roots, orphans, cycle breakers), by start. */
  readonly otherHeads: readonly number[];
  readonly traceId: string;
  /** End-to-end latency: duration of the primary root, ns. */
  readonly durationNano: number;
  /** Global call-structure key per row. */
  readonly key: Int32Array;
}

/** Selects one trace of `table` (by id, or the first) and builds its view; problems go to `warnings`. */
export function traceView(
  table: SpanTable,
  keys: KeySpace,
  traceId: string | undefined,
  label: string,
  warnings: string[],
): TraceView {
  if (table.numSpans === 0) throw new RangeError(`diff: the ${label} span table is empty`);
  const index = buildTraceIndex(table);
  let t = 0;
  if (traceId !== undefined) {
    t = findTrace(table, index, traceId);
    if (t < 0) throw new RangeError(`diff: trace ${traceId} is not in the ${label} span table`);
  } else if (index.traceCount > 1) {
    warnings.push(
      `the ${label} table holds ${index.traceCount} traces; compared the first (${traceIdAt(table, index.rows[0])})`,
    );
  }
  const tree = buildTraceTree(table, { traceIndex: index });
  const rows = traceRows(index, t);
  const inTrace = new Uint8Array(table.numSpans);
  for (const r of rows) inTrace[r] = 1;
  const { parentRefType } = table.columns;
  const { durationNano, startNano } = table.times;
  const parent = tree.links.parent;
  let root = -1;
  let rootsFound = 0;
  const heads: number[] = [];
  for (const r of rows) {
    if (parent[r] !== -1) continue;
    heads.push(r);
    if (parentRefType[r] !== 0) continue;
    rootsFound++;
    if (root < 0 || durationNano[r] > durationNano[root]) root = r;
  }
  if (root < 0) {
    for (const h of heads) if (root < 0 || durationNano[h] > durationNano[root]) root = h;
    warnings.push(`the ${label} trace has no root span; used its longest subtree head as the root`);
  } else if (rootsFound > 1) {
    warnings.push(`the ${label} trace has ${rootsFound} root spans; used the longest`);
  }
  let orphans = 0;
  for (const o of tree.issues.orphans) if (inTrace[o]) orphans++;
  if (orphans > 0) {
    warnings.push(
      `the ${label} trace has ${orphans} span(s) whose parent is missing; aligned them as separate subtrees`,
    );
  }
  const otherHeads = heads.filter((h) => h !== root).sort((a, b) => startNano[a] - startNano[b] || a - b);
  return {
    table,
    tree,
    rows,
    inTrace,
    root,
    otherHeads,
    traceId: traceIdAt(table, rows[0]),
    durationNano: durationNano[root],
    key: keys.keysOf(table),
  };
}

/** The children rows of `row`, in start order. */
export function childrenOf(view: TraceView, row: number): Int32Array {
  const { childOffsets, children } = view.tree.links;
  return children.subarray(childOffsets[row], childOffsets[row + 1]);
}

/** What counts as a failure in a comparison: handled exceptions and 4xx answers are left out (noise in a diff). */
const FAILED = FailureSignal.Status | FailureSignal.Http5xx | FailureSignal.Grpc | FailureSignal.ErrorTag;

/** Whether span `row` failed: error status, HTTP 5xx, a non-zero gRPC code or an `error` tag (any spelling). */
export function spanFailed(table: SpanTable, row: number): boolean {
  return (spanFailureSignals(table).signals[row]! & FAILED) !== 0;
}
