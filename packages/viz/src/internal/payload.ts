// The data embedded in the HTML pages: column arrays (one array per field, strings interned), never one object per
// span, so a 5,000-span trace stays a few hundred kilobytes and parses in milliseconds.
import { type SpanTable, spanIdAt, traceIdAt, utf8At } from '@aiops/span-model';
import { SpanFlag, type TraceLayout } from './trace-layout.ts';

/** One trace (or table) in display order: index i is the i-th row of the waterfall. */
export interface TracePayload {
  readonly traceIds: readonly string[];
  /** Absolute start of time 0, ns since the epoch, as a decimal string. */
  readonly baseUnixNano: string;
  readonly totalMs: number;
  readonly services: readonly string[];
  readonly colors: readonly string[];
  readonly operations: readonly string[];
  readonly svc: readonly number[];
  readonly op: readonly number[];
  readonly parent: readonly number[];
  readonly depth: readonly number[];
  readonly start: readonly number[];
  readonly dur: readonly number[];
  readonly self: readonly number[];
  readonly flags: readonly number[];
  readonly kind: readonly number[];
  readonly status: readonly number[];
  readonly statusMessages: readonly string[];
  readonly sm: readonly number[];
  readonly spanId: readonly string[];
  /** Critical-path segments as flat triples [index, startMs, endMs, ...]. */
  readonly cp: readonly number[];
  readonly attrKeys: readonly string[];
  readonly attrOff: readonly number[];
  readonly attrK: readonly number[];
  readonly attrV: readonly string[];
  readonly resources: readonly string[];
  readonly res: readonly number[];
  /** Events JSON of the spans that have any: parallel arrays of index and text. */
  readonly evIdx: readonly number[];
  readonly evJson: readonly string[];
  readonly graph: ServiceGraphPayload;
  readonly heat: HeatPayload;
  readonly warnings: readonly string[];
  /** Optional per-span comparison marks (0 none, 1 added, 2 removed, 3 changed) and their text. */
  marks?: number[];
  markText?: string[];
}

/** Service graph of one trace: nodes with layered positions, edges caller → callee. */
export interface ServiceGraphPayload {
  readonly nodes: readonly {
    name: string;
    spans: number;
    errors: number;
    selfMs: number;
    x: number;
    y: number;
    color: string;
  }[];
  readonly edges: readonly { from: string; to: string; calls: number; errors: number; ms: number }[];
}

/** Exclusive time by service (x) and operation (y). */
export interface HeatPayload {
  readonly services: readonly string[];
  readonly operations: readonly string[];
  /** [serviceIndex, operationIndex, exclusiveMs, spans] */
  readonly cells: readonly (readonly [number, number, number, number])[];
}

const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#9c755f',
  '#ff9da7',
  '#1f77b4',
  '#8c564b',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
  '#aec7e8',
  '#98df8a',
  '#c5b0d5',
];

/** A distinct colour per service index: a fixed palette, then golden-angle hues. */
export function serviceColor(i: number): string {
  if (i < PALETTE.length) return PALETTE[i]!;
  const hue = Math.round((i * 137.508) % 360);
  return `hsl(${hue}, 55%, 52%)`;
}

const ms = (ns: number): number => Math.round(ns) / 1e6;

/** Builds the compact page data of `table` from its layout. */
export function tracePayload(table: SpanTable, layout: TraceLayout, maxHeatOperations = 30): TracePayload {
  const n = table.numSpans;
  const { order, flags, tree } = layout;
  const { startNano, durationNano } = table.times;
  const c = table.columns;
  const t0 = layout.minStartNano;
  const serviceDict = table.dict('service');
  const operationDict = table.dict('operation');
  const statusDict = table.dict('statusMessage');
  const resourceDict = table.dict('resource');

  // Re-intern strings in order of first display, so the payload holds only what this table uses.
  const intern = (map: Map<number, number>, list: string[], values: readonly string[], code: number): number => {
    let v = map.get(code);
    if (v === undefined) {
      v = list.length;
      list.push(values[code] ?? '');
      map.set(code, v);
    }
    return v;
  };
  const services: string[] = [];
  const operations: string[] = [];
  const statusMessages: string[] = [];
  const resources: string[] = [];
  const attrKeys: string[] = [];
  const sMap = new Map<number, number>();
  const oMap = new Map<number, number>();
  const mMap = new Map<number, number>();
  const rMap = new Map<number, number>();
  const kMap = new Map<number, number>();
  const indexOfRow = new Int32Array(n);
  for (let i = 0; i < n; i++) indexOfRow[order[i]!] = i;

  const svc: number[] = [];
  const op: number[] = [];
  const parent: number[] = [];
  const depth: number[] = [];
  const start: number[] = [];
  const dur: number[] = [];
  const self: number[] = [];
  const f: number[] = [];
  const kind: number[] = [];
  const status: number[] = [];
  const sm: number[] = [];
  const spanId: string[] = [];
  const res: number[] = [];
  const attrOff: number[] = [0];
  const attrK: number[] = [];
  const attrV: string[] = [];
  const evIdx: number[] = [];
  const evJson: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = order[i]!;
    svc.push(intern(sMap, services, serviceDict.values, serviceDict.codes[r]!));
    op.push(intern(oMap, operations, operationDict.values, operationDict.codes[r]!));
    const p = tree.links.parent[r]!;
    parent.push(p < 0 ? -1 : indexOfRow[p]!);
    depth.push(tree.depth[r]!);
    start.push(ms(startNano[r]! - t0));
    dur.push(ms(durationNano[r]!));
    self.push(ms(tree.selfNano[r]!));
    f.push(flags[r]!);
    kind.push(c.kind[r]!);
    status.push(c.statusCode[r]!);
    sm.push(intern(mMap, statusMessages, statusDict.values, statusDict.codes[r]!));
    spanId.push(spanIdAt(table, r));
    res.push(intern(rMap, resources, resourceDict.values, resourceDict.codes[r]!));
    for (let a = c.attrOffsets[r]!; a < c.attrOffsets[r + 1]!; a++) {
      attrK.push(intern(kMap, attrKeys, c.attrKeys, c.attrKey[a]!));
      attrV.push(utf8At(c.attrValues, a));
    }
    attrOff.push(attrK.length);
    const ev = utf8At(c.events, r);
    if (ev) {
      evIdx.push(i);
      evJson.push(ev);
    }
  }
  const cp: number[] = [];
  for (let r = 0; r < n; r++) {
    for (let k = layout.segOffsets[r]!; k < layout.segOffsets[r + 1]!; k++) {
      cp.push(indexOfRow[r]!, ms(layout.segments[2 * k]! - t0), ms(layout.segments[2 * k + 1]! - t0));
    }
  }
  const traceIds: string[] = [];
  for (let t = 0; t < tree.traces.traceCount; t++)
    traceIds.push(traceIdAt(table, tree.traces.rows[tree.traces.offsets[t]!]!));
  const colors = services.map((_, i) => serviceColor(i));
  const base = n === 0 ? 0n : table.times.baseUnixNano + BigInt(Math.round(t0));
  return {
    traceIds,
    baseUnixNano: base.toString(),
    totalMs: ms(layout.maxEndNano - t0),
    services,
    colors,
    operations,
    svc,
    op,
    parent,
    depth,
    start,
    dur,
    self,
    flags: f,
    kind,
    status,
    statusMessages,
    sm,
    spanId,
    cp,
    attrKeys,
    attrOff,
    attrK,
    attrV,
    resources,
    res,
    evIdx,
    evJson,
    graph: serviceGraph(services, colors, svc, parent, dur, self, f),
    heat: heatOf(services, operations, svc, op, self, maxHeatOperations),
    warnings: layout.warnings,
  };
}

/** Layered positions: each node's layer is its shortest call distance from a node nobody calls (BFS). */
export function layeredPositions(
  names: readonly string[],
  edges: readonly { from: string; to: string }[],
  roots: readonly string[] = [],
): Map<string, { x: number; y: number }> {
  const out = new Map<string, { x: number; y: number }>();
  const next = new Map<string, string[]>();
  const incoming = new Map<string, number>();
  for (const e of edges) {
    if (e.from === e.to) continue;
    const list = next.get(e.from) ?? [];
    list.push(e.to);
    next.set(e.from, list);
    incoming.set(e.to, (incoming.get(e.to) ?? 0) + 1);
  }
  const layer = new Map<string, number>();
  let queue = roots.length > 0 ? [...roots] : names.filter((s) => !incoming.get(s));
  if (queue.length === 0 && names.length > 0) queue = [names[0]!];
  for (const s of queue) layer.set(s, 0);
  const visit = (): void => {
    for (let k = 0; k < queue.length; k++) {
      const s = queue[k]!;
      for (const t of next.get(s) ?? []) {
        if (!layer.has(t)) {
          layer.set(t, layer.get(s)! + 1);
          queue.push(t);
        }
      }
    }
  };
  visit();
  for (const s of names) {
    if (!layer.has(s)) {
      layer.set(s, 0);
      queue = [s];
      visit();
    }
  }
  const byLayer = new Map<number, string[]>();
  for (const s of names) {
    const l = layer.get(s)!;
    const list = byLayer.get(l) ?? [];
    list.push(s);
    byLayer.set(l, list);
  }
  for (const [l, list] of byLayer) {
    list.forEach((s, i) => {
      out.set(s, { x: l * 240, y: (i - (list.length - 1) / 2) * 90 });
    });
  }
  return out;
}

function serviceGraph(
  services: readonly string[],
  colors: readonly string[],
  svc: readonly number[],
  parent: readonly number[],
  dur: readonly number[],
  self: readonly number[],
  flags: readonly number[],
): ServiceGraphPayload {
  const spans = new Array<number>(services.length).fill(0);
  const errors = new Array<number>(services.length).fill(0);
  const selfMs = new Array<number>(services.length).fill(0);
  const edges = new Map<string, { from: string; to: string; calls: number; errors: number; ms: number }>();
  const roots = new Set<string>();
  for (let i = 0; i < svc.length; i++) {
    const s = svc[i]!;
    spans[s]!++;
    selfMs[s]! += self[i]!;
    if (flags[i]! & SpanFlag.Error) errors[s]!++;
    const p = parent[i]!;
    if (p < 0) {
      roots.add(services[s]!);
      continue;
    }
    if (svc[p] === s) continue;
    const key = `${svc[p]}>${s}`;
    let e = edges.get(key);
    if (!e) {
      e = { from: services[svc[p]!]!, to: services[s]!, calls: 0, errors: 0, ms: 0 };
      edges.set(key, e);
    }
    e.calls++;
    e.ms += dur[i]!;
    if (flags[i]! & SpanFlag.Error) e.errors++;
  }
  const edgeList = [...edges.values()].map((e) => ({ ...e, ms: Math.round(e.ms * 1e6) / 1e6 }));
  const pos = layeredPositions(services, edgeList, [...roots]);
  return {
    nodes: services.map((name, i) => ({
      name,
      spans: spans[i]!,
      errors: errors[i]!,
      selfMs: Math.round(selfMs[i]! * 1e6) / 1e6,
      x: pos.get(name)!.x,
      y: pos.get(name)!.y,
      color: colors[i]!,
    })),
    edges: edgeList,
  };
}

function heatOf(
  services: readonly string[],
  operations: readonly string[],
  svc: readonly number[],
  op: readonly number[],
  self: readonly number[],
  maxOperations: number,
): HeatPayload {
  const bySvc = new Array<number>(services.length).fill(0);
  const byOp = new Array<number>(operations.length).fill(0);
  const cell = new Map<number, [number, number]>();
  for (let i = 0; i < svc.length; i++) {
    bySvc[svc[i]!]! += self[i]!;
    byOp[op[i]!]! += self[i]!;
    const key = svc[i]! * operations.length + op[i]!;
    const v = cell.get(key) ?? [0, 0];
    v[0] += self[i]!;
    v[1]++;
    cell.set(key, v);
  }
  const svcOrder = services.map((_, i) => i).sort((a, b) => bySvc[b]! - bySvc[a]! || a - b);
  const opOrder = operations.map((_, i) => i).sort((a, b) => byOp[b]! - byOp[a]! || a - b);
  const shown = opOrder.slice(0, maxOperations);
  const other = opOrder.length > shown.length;
  const svcPos = new Map(svcOrder.map((s, i) => [s, i]));
  const opPos = new Map(shown.map((o, i) => [o, i]));
  const cells = new Map<number, [number, number, number, number]>();
  for (const [key, [total, count]] of cell) {
    const s = Math.floor(key / operations.length);
    const o = key % operations.length;
    const x = svcPos.get(s)!;
    const y = opPos.get(o) ?? shown.length;
    const k = x * (shown.length + 1) + y;
    const v = cells.get(k) ?? [x, y, 0, 0];
    v[2] += total;
    v[3] += count;
    cells.set(k, v);
  }
  return {
    services: svcOrder.map((s) => services[s]!),
    operations: [
      ...shown.map((o) => operations[o]!),
      ...(other ? [`(${opOrder.length - shown.length} other operations)`] : []),
    ],
    cells: [...cells.values()].map(([x, y, total, count]) => [x, y, Math.round(total * 1e6) / 1e6, count] as const),
  };
}
