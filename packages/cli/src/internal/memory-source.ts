// A TraceSource over spans held in memory (used for file: sources and tests).
import {
  buildTraceTree,
  type DataBounds,
  normalizeTraceId,
  type OperationInfo,
  type SpanQuery,
  type SpanTable,
  StatusCode,
  type TraceQuery,
  type TraceSource,
  type TraceSummary,
  takeSpans,
  traceIdAt,
} from '@aiops/span-model';

interface TraceRow {
  readonly id: string;
  readonly rows: Int32Array;
  readonly summary: TraceSummary;
  readonly serviceSet: ReadonlySet<string>;
  readonly operations: ReadonlySet<string>;
}

/** A read-only source over a span table in memory. */
export class MemorySource implements TraceSource {
  readonly kind: string;
  readonly #table: SpanTable;
  readonly #traces: TraceRow[];
  readonly #byId: Map<string, TraceRow>;

  constructor(table: SpanTable, kind = 'memory') {
    this.kind = kind;
    this.#table = table;
    const tree = buildTraceTree(table);
    const { startNano, endNano } = table.times;
    const base = table.times.baseUnixNano;
    const status = table.columns.statusCode;
    const svc = table.dict('service');
    const op = table.dict('operation');
    this.#traces = [];
    for (let t = 0; t < tree.traces.traceCount; t++) {
      const rows = tree.traces.rows.subarray(tree.traces.offsets[t]!, tree.traces.offsets[t + 1]!);
      let s = Number.POSITIVE_INFINITY;
      let e = Number.NEGATIVE_INFINITY;
      let errors = 0;
      const services = new Set<string>();
      const operations = new Set<string>();
      for (const r of rows) {
        if (startNano[r]! < s) s = startNano[r]!;
        if (endNano[r]! > e) e = endNano[r]!;
        if (status[r] === StatusCode.Error) errors++;
        services.add(svc.values[svc.codes[r]!]!);
        operations.add(`${svc.values[svc.codes[r]!]!}\u0000${op.values[op.codes[r]!]!}`);
      }
      const head = tree.order[tree.orderOffsets[t]!]!;
      const isRoot = table.columns.parentRefType[head] === 0;
      const id = traceIdAt(table, rows[0]!);
      const summary: TraceSummary = {
        traceId: id,
        rootService: isRoot ? svc.values[svc.codes[head]!]! : '',
        rootOperation: isRoot ? op.values[op.codes[head]!]! : '',
        startUnixNano: base + BigInt(s),
        durationNano: BigInt(e - s),
        spanCount: rows.length,
        services: [...services].sort(),
        errorCount: errors,
      };
      this.#traces.push({ id, rows, summary, serviceSet: services, operations });
    }
    this.#byId = new Map(this.#traces.map((t) => [t.id, t]));
  }

  async getTrace(traceId: string): Promise<SpanTable | undefined> {
    const id = normalizeTraceId(traceId);
    const t = id ? this.#byId.get(id) : undefined;
    return t ? takeSpans(this.#table, t.rows) : undefined;
  }

  #match(t: TraceRow, q: TraceQuery & SpanQuery): boolean {
    const s = t.summary;
    if (q.service && !t.serviceSet.has(q.service)) return false;
    if (q.operation) {
      if (q.service) {
        if (!t.operations.has(`${q.service}\u0000${q.operation}`)) return false;
      } else if (![...t.operations].some((o) => o.endsWith(`\u0000${q.operation}`))) return false;
    }
    if (q.fromUnixNano !== undefined && s.startUnixNano < q.fromUnixNano) return false;
    if (q.toUnixNano !== undefined && s.startUnixNano >= q.toUnixNano) return false;
    if (q.minDurationNano !== undefined && s.durationNano < q.minDurationNano) return false;
    if (q.maxDurationNano !== undefined && s.durationNano > q.maxDurationNano) return false;
    if (q.failed !== undefined && s.errorCount > 0 !== q.failed) return false;
    return true;
  }

  async searchTraces(query: TraceQuery): Promise<TraceSummary[]> {
    const out = this.#traces.filter((t) => this.#match(t, query)).map((t) => t.summary);
    out.sort((a, b) => (b.startUnixNano > a.startUnixNano ? 1 : b.startUnixNano < a.startUnixNano ? -1 : 0));
    return query.limit !== undefined ? out.slice(0, query.limit) : out;
  }

  async spans(query: SpanQuery): Promise<SpanTable> {
    const ids = query.traceIds ? new Set(query.traceIds.map((i) => normalizeTraceId(i))) : undefined;
    let picked = this.#traces.filter((t) => this.#match(t, query) && (!ids || ids.has(t.id)));
    if (query.limitTraces !== undefined) {
      picked = picked
        .sort((a, b) => (b.summary.startUnixNano > a.summary.startUnixNano ? 1 : -1))
        .slice(0, query.limitTraces);
    }
    const rows: number[] = [];
    for (const t of picked) for (const r of t.rows) rows.push(r);
    return takeSpans(this.#table, rows);
  }

  async services(): Promise<string[]> {
    const all = new Set<string>();
    for (const t of this.#traces) for (const s of t.serviceSet) all.add(s);
    return [...all].sort();
  }

  async operations(service?: string): Promise<OperationInfo[]> {
    const counts = new Map<string, number>();
    const svc = this.#table.dict('service');
    const op = this.#table.dict('operation');
    for (let r = 0; r < this.#table.numSpans; r++) {
      const s = svc.values[svc.codes[r]!]!;
      if (service && s !== service) continue;
      const k = `${s}\u0000${op.values[op.codes[r]!]!}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return [...counts]
      .map(([k, spanCount]) => {
        const [s, o] = k.split('\u0000') as [string, string];
        return { service: s, operation: o, spanCount };
      })
      .sort((a, b) => a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation));
  }

  async bounds(): Promise<DataBounds | undefined> {
    if (this.#table.numSpans === 0) return undefined;
    const { endNano, baseUnixNano } = this.#table.times;
    let e = 0;
    for (let i = 0; i < endNano.length; i++) if (endNano[i]! > e) e = endNano[i]!;
    return {
      fromUnixNano: baseUnixNano,
      toUnixNano: baseUnixNano + BigInt(e),
      spanCount: this.#table.numSpans,
      traceCount: this.#traces.length,
    };
  }

  async close(): Promise<void> {}
}
