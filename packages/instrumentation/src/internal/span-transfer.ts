// Moves finished spans from the application's thread to the export worker as plain data: one flat array of
// primitives per batch (structured clone copies it in C++), resources and instrumentation scopes sent once and then
// referred to by number. The worker turns the data back into ReadableSpan-shaped objects and hands them to the real
// OTel OTLP exporter, so the wire format is OpenTelemetry's own (@opentelemetry/otlp-transformer).
//
// Per span, FIELDS values in this order:
//   resource, scope, traceId, spanId, traceFlags, traceState, parentSpanId, parentTraceId, parentFlags,
//   parentIsRemote, name, kind, startSec, startNano, endSec, endNano, durationSec, durationNano, attributes,
//   droppedAttributesCount, events, droppedEventsCount, links, droppedLinksCount, statusCode, statusMessage
import type { Attributes, HrTime, Link, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';

type InstrumentationScope = ReadableSpan['instrumentationScope'];

/** Values per span in {@link SpanBatch.spans}. */
export const FIELDS = 26;

/** A resource or scope seen for the first time in this batch: `[id, data]`. */
export type NewResource = readonly [id: number, attributes: Attributes, schemaUrl: string | undefined];
/** An instrumentation scope seen for the first time: `[id, scope as plain data]`. */
export type NewScope = readonly [id: number, scope: InstrumentationScope];

/** One batch of spans as structured-clone-friendly data. */
export interface SpanBatch {
  readonly resources: NewResource[];
  readonly scopes: NewScope[];
  /** {@link FIELDS} values per span. */
  readonly spans: unknown[];
}

type EventData = [name: string, sec: number, nano: number, attributes: Attributes | 0, dropped: number];
type LinkData = [
  traceId: string,
  spanId: string,
  traceFlags: number,
  traceState: string,
  isRemote: number,
  attributes: Attributes | 0,
  dropped: number,
];

/**
 * Application-thread side: remembers which resources/scopes the worker already knows (by identity, because the
 * OTLP serializer groups spans by identity) and flattens spans into a {@link SpanBatch}.
 */
export class SpanBatchEncoder {
  #resources = new Map<Resource, number>();
  #scopes = new Map<InstrumentationScope, number>();

  /** Flattens `spans` (what a BatchSpanProcessor hands its exporter) into transferable data. */
  encode(spans: readonly ReadableSpan[]): SpanBatch {
    const resources: NewResource[] = [];
    const scopes: NewScope[] = [];
    const out: unknown[] = new Array(spans.length * FIELDS);
    let o = 0;
    for (const span of spans) {
      let r = this.#resources.get(span.resource);
      if (r === undefined) {
        r = this.#resources.size;
        this.#resources.set(span.resource, r);
        resources.push([r, { ...span.resource.attributes }, span.resource.schemaUrl]);
      }
      let s = this.#scopes.get(span.instrumentationScope);
      if (s === undefined) {
        s = this.#scopes.size;
        this.#scopes.set(span.instrumentationScope, s);
        scopes.push([s, { ...span.instrumentationScope }]);
      }
      const ctx = span.spanContext();
      const parent = span.parentSpanContext;
      out[o++] = r;
      out[o++] = s;
      out[o++] = ctx.traceId;
      out[o++] = ctx.spanId;
      out[o++] = ctx.traceFlags;
      out[o++] = ctx.traceState?.serialize() ?? '';
      out[o++] = parent?.spanId ?? '';
      out[o++] = parent?.traceId ?? '';
      out[o++] = parent?.traceFlags ?? 0;
      out[o++] = parent === undefined || parent.isRemote === undefined ? 2 : parent.isRemote ? 1 : 0;
      out[o++] = span.name;
      out[o++] = span.kind;
      out[o++] = span.startTime[0];
      out[o++] = span.startTime[1];
      out[o++] = span.endTime[0];
      out[o++] = span.endTime[1];
      out[o++] = span.duration[0];
      out[o++] = span.duration[1];
      out[o++] = span.attributes;
      out[o++] = span.droppedAttributesCount;
      out[o++] = span.events.length === 0 ? 0 : span.events.map(eventData);
      out[o++] = span.droppedEventsCount;
      out[o++] = span.links.length === 0 ? 0 : span.links.map(linkData);
      out[o++] = span.droppedLinksCount;
      out[o++] = span.status.code;
      out[o++] = span.status.message ?? '';
    }
    return { resources, scopes, spans: out };
  }
}

function eventData(e: TimedEvent): EventData {
  return [e.name, e.time[0], e.time[1], e.attributes ?? 0, e.droppedAttributesCount ?? 0];
}

function linkData(l: Link): LinkData {
  const c = l.context;
  return [
    c.traceId,
    c.spanId,
    c.traceFlags,
    c.traceState?.serialize() ?? '',
    c.isRemote === undefined ? 2 : c.isRemote ? 1 : 0,
    l.attributes ?? 0,
    l.droppedAttributesCount ?? 0,
  ];
}

function remote(flag: number): { isRemote?: boolean } {
  return flag === 2 ? {} : { isRemote: flag === 1 };
}

function spanContextOf(
  traceId: string,
  spanId: string,
  traceFlags: number,
  traceState: string,
  isRemote: number,
): SpanContext {
  return {
    traceId,
    spanId,
    traceFlags,
    ...(traceState ? { traceState: new TraceState(traceState) } : {}),
    ...remote(isRemote),
  };
}

/** Worker side: rebuilds ReadableSpan-shaped objects, resources and scopes kept by id across batches. */
export class SpanBatchDecoder {
  #resources = new Map<number, Resource>();
  #scopes = new Map<number, InstrumentationScope>();

  /** The spans of `batch`, in order, sharing one Resource/scope object per id (so grouping matches the source). */
  decode(batch: SpanBatch): ReadableSpan[] {
    for (const [id, attributes, schemaUrl] of batch.resources)
      this.#resources.set(id, resourceFromAttributes(attributes, schemaUrl === undefined ? {} : { schemaUrl }));
    for (const [id, scope] of batch.scopes) this.#scopes.set(id, scope);
    const v = batch.spans;
    const n = v.length / FIELDS;
    const spans: ReadableSpan[] = new Array(n);
    for (let i = 0, o = 0; i < n; i++, o += FIELDS) {
      const resource = this.#resources.get(v[o] as number);
      const scope = this.#scopes.get(v[o + 1] as number);
      if (!resource || !scope) throw new RangeError('instrumentation: span batch refers to an unknown resource/scope');
      const ctx = spanContextOf(v[o + 2] as string, v[o + 3] as string, v[o + 4] as number, v[o + 5] as string, 2);
      const parentSpanId = v[o + 6] as string;
      const events = v[o + 20] as EventData[] | 0;
      const links = v[o + 22] as LinkData[] | 0;
      const statusMessage = v[o + 25] as string;
      const status: SpanStatus = { code: v[o + 24] as number, ...(statusMessage ? { message: statusMessage } : {}) };
      const span: ReadableSpan = {
        name: v[o + 10] as string,
        kind: v[o + 11] as SpanKind,
        spanContext: () => ctx,
        ...(parentSpanId
          ? {
              parentSpanContext: spanContextOf(
                v[o + 7] as string,
                parentSpanId,
                v[o + 8] as number,
                '',
                v[o + 9] as number,
              ),
            }
          : {}),
        startTime: [v[o + 12] as number, v[o + 13] as number] as HrTime,
        endTime: [v[o + 14] as number, v[o + 15] as number] as HrTime,
        duration: [v[o + 16] as number, v[o + 17] as number] as HrTime,
        attributes: v[o + 18] as Attributes,
        droppedAttributesCount: v[o + 19] as number,
        events:
          events === 0
            ? []
            : events.map(([name, sec, nano, attributes, dropped]) => ({
                name,
                time: [sec, nano] as HrTime,
                ...(attributes === 0 ? {} : { attributes }),
                droppedAttributesCount: dropped,
              })),
        droppedEventsCount: v[o + 21] as number,
        links:
          links === 0
            ? []
            : links.map(([traceId, spanId, traceFlags, traceState, isRemote, attributes, dropped]) => ({
                context: spanContextOf(traceId, spanId, traceFlags, traceState, isRemote),
                ...(attributes === 0 ? {} : { attributes }),
                droppedAttributesCount: dropped,
              })),
        droppedLinksCount: v[o + 23] as number,
        status,
        ended: true,
        resource,
        instrumentationScope: scope,
      };
      spans[i] = span;
    }
    return spans;
  }
}
