// Test helpers: build small traces from timeline rows (times in µs) and print critical paths the way the diagrams
// above each test read them.
import { readFileSync } from 'node:fs';
import { type AttributeMap, type SpanInput, type SpanTable, spanIdAt, spanTableFromRows } from '@aiops/span-model';
import type { CriticalPathResult } from '../src/index.ts';

export const BASE = 1_700_000_000_000_000_000n;
export const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** Extra fields of a drawn span. */
export interface DrawOptions {
  readonly service?: string;
  readonly operation?: string;
  readonly followsFrom?: boolean;
  readonly trace?: string;
  readonly status?: 'ok' | 'error';
  readonly kind?: 'server' | 'client' | 'internal' | 'producer' | 'consumer';
  readonly attributes?: AttributeMap;
}

/** [name, parent name ('' for a root; an unknown name makes an orphan), start µs, end µs, options]. */
export type Drawn = readonly [string, string, number, number, DrawOptions?];

const idOf = (name: string): string => Buffer.from(name.padEnd(8, '_').slice(0, 8)).toString('hex');

/** A span input from a drawn row (for building bigger tables in tests). */
export function drawnSpan([name, parent, start, end, o = {}]: Drawn): SpanInput {
  return {
    traceId: o.trace ?? TRACE,
    spanId: idOf(name),
    ...(parent ? { parentSpanId: idOf(parent) } : {}),
    ...(o.followsFrom ? { parentRefType: 'follows_from' as const } : {}),
    service: o.service ?? name,
    operation: o.operation ?? `op-${name}`,
    ...(o.kind ? { kind: o.kind } : {}),
    ...(o.status ? { statusCode: o.status } : {}),
    ...(o.attributes ? { attributes: o.attributes } : {}),
    startUnixNano: BASE + BigInt(Math.round(start * 1000)),
    endUnixNano: BASE + BigInt(Math.round(end * 1000)),
  };
}

/** A table from drawn rows; span ids encode the names so that {@link nameAt} reads them back. */
export function draw(rows: readonly Drawn[]): SpanTable {
  return spanTableFromRows(rows.map(drawnSpan));
}

/** The drawn name of span `row`. */
export function nameAt(table: SpanTable, row: number): string {
  return Buffer.from(spanIdAt(table, row), 'hex').toString().replace(/_+$/, '');
}

/** Absolute µs (as drawn) of a ns offset relative to the table base. */
export function usAt(table: SpanTable, offsetNano: number): number {
  return Number(table.times.baseUnixNano - BASE) / 1000 + offsetNano / 1000;
}

/** The path as 'name start..end' strings, latest first, in drawn µs. */
export function pathText(table: SpanTable, path: CriticalPathResult): string[] {
  return path.segments.map((s) => `${nameAt(table, s.row)} ${usAt(table, s.startNano)}..${usAt(table, s.endNano)}`);
}

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: { refType: string; spanID: string }[];
  startTime: number;
  duration: number;
  processID: string;
}

/** A table from a Jaeger UI JSON trace file (bare trace or `{data: [...]}`), ids padded to hex width. */
export function tableFromJaegerFile(path: string): SpanTable {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as {
    data?: unknown[];
    spans?: JaegerSpan[];
    processes?: Record<string, { serviceName: string }>;
  };
  const trace = (doc.data ? doc.data[0] : doc) as {
    spans: JaegerSpan[];
    processes: Record<string, { serviceName: string }>;
  };
  return spanTableFromRows(
    trace.spans.map((s) => {
      const ref = s.references?.[0];
      return {
        traceId: s.traceID,
        spanId: s.spanID,
        ...(ref ? { parentSpanId: ref.spanID } : {}),
        ...(ref?.refType === 'FOLLOWS_FROM' ? { parentRefType: 'follows_from' as const } : {}),
        service: trace.processes[s.processID]?.serviceName ?? s.processID,
        operation: s.operationName,
        startUnixNano: BigInt(s.startTime) * 1000n,
        durationNano: BigInt(s.duration) * 1000n,
      };
    }),
  );
}
