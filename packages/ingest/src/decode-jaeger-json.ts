// Jaeger JSON decoder: the Jaeger UI's "Download JSON" / query API shape {"data":[{traceID, spans, processes}]},
// a bare trace object, or an array of traces or of spans. Microsecond times, typed tags, logs, references.
import {
  type AttributeTriple,
  AttributeType,
  ParentRefType,
  SpanKind,
  type SpanLinkInput,
  StatusCode,
} from '@aiops/span-model';
import type { DecodeOptions } from './decode-otlp-json.ts';
import type { DecodeResult } from './decode-result.ts';
import { IngestErrorCode } from './ingest-error.ts';
import { DecodeContext, SpanProblem } from './internal/decode-context.ts';
import { inputText, parseJson, typeName } from './internal/json-text.ts';
import {
  checkedId,
  durationNanosFromMicros,
  intText,
  lostPrecision,
  nanosFromMicros,
  plainTypeText,
} from './internal/values.ts';

const DEFAULTS = { source: '<input>' } as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const KIND_BY_TAG: Readonly<Record<string, SpanKind>> = {
  client: SpanKind.Client,
  server: SpanKind.Server,
  producer: SpanKind.Producer,
  consumer: SpanKind.Consumer,
  internal: SpanKind.Internal,
};

/** A Jaeger tag `{key, type, value}` → triple. */
function tagTriple(tag: unknown, field: string, ctx: DecodeContext): AttributeTriple {
  if (!isObj(tag) || typeof tag.key !== 'string')
    throw new SpanProblem('wrong type', `${field}: expected {key, type, value}, got ${typeName(tag)}`);
  const { key, value } = tag;
  const type = typeof tag.type === 'string' ? tag.type.toLowerCase() : '';
  switch (type) {
    case 'string':
      return [key, AttributeType.String, typeof value === 'string' ? value : value == null ? '' : String(value)];
    case 'bool':
    case 'boolean':
      return [key, AttributeType.Bool, String(value === true || value === 'true')];
    case 'int64':
    case 'int': {
      const t = intText(value);
      if (t === undefined)
        throw new SpanProblem('wrong type', `${field}.value: expected an int64, got ${typeName(value)}`);
      if (lostPrecision(value))
        ctx.count(
          'tagprecision',
          (n) => `${n} int64 tags were written as JSON numbers beyond 2^53 (digits may be lost)`,
        );
      return [key, AttributeType.Int, t];
    }
    case 'float64':
    case 'float': {
      const n = Number(value);
      if (value === null || value === '' || (Number.isNaN(n) && value !== 'NaN'))
        throw new SpanProblem('wrong type', `${field}.value: expected a float64, got ${typeName(value)}`);
      return [key, AttributeType.Double, String(n)];
    }
    case 'binary':
      return [
        key,
        AttributeType.Bytes,
        Array.isArray(value) ? Buffer.from(value as number[]).toString('base64') : String(value ?? ''),
      ];
    default: {
      const [t, text] = plainTypeText(value);
      return [key, t, text];
    }
  }
}

function tagList(tags: unknown, field: string, ctx: DecodeContext): AttributeTriple[] {
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags)) throw new SpanProblem('wrong type', `${field}: expected an array, got ${typeName(tags)}`);
  return tags.map((t, i) => tagTriple(t, `${field}[${i}]`, ctx));
}

function idText(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string')
    throw new SpanProblem('wrong type', `${field}: expected a hex id string, got ${typeName(v)}`);
  return v;
}

interface TraceState {
  processes: Obj;
  resources: Map<unknown, AttributeTriple[]>;
  lastProcess: unknown;
}

function processResource(process: unknown, st: TraceState, ctx: DecodeContext): AttributeTriple[] {
  let triples = st.resources.get(process);
  if (!triples) {
    if (!isObj(process)) throw new SpanProblem('wrong type', `process: expected an object, got ${typeName(process)}`);
    const name = typeof process.serviceName === 'string' ? process.serviceName : '';
    triples = [['service.name', AttributeType.String, name], ...tagList(process.tags, 'process.tags', ctx)];
    st.resources.set(process, triples);
  }
  return triples;
}

function decodeSpan(s: unknown, st: TraceState, ctx: DecodeContext): void {
  const b = ctx.builder;
  if (!isObj(s)) throw new SpanProblem('wrong type', `expected a span object, got ${typeName(s)}`);
  const traceId = idText(s.traceID, 'traceID');
  const spanId = idText(s.spanID, 'spanID');
  // Resource and scope apply to the spans that begin after them.
  let process: unknown = s.process;
  if (typeof s.processID === 'string') {
    process = st.processes[s.processID] ?? s.process;
    if (process === undefined)
      ctx.count('noprocess', (n) => `${n} spans name a processID missing from "processes" (service unknown)`);
  }
  const resource = process === undefined ? [] : processResource(process, st, ctx);
  const tags = tagList(s.tags, 'tags', ctx);
  let scopeName = '';
  let scopeVersion = '';
  for (const [k, , v] of tags) {
    if (k === 'otel.scope.name' || k === 'otel.library.name') scopeName = v;
    else if (k === 'otel.scope.version' || k === 'otel.library.version') scopeVersion = v;
  }
  if (process !== st.lastProcess) {
    b.setResource(resource);
    st.lastProcess = process;
  }
  b.setScope(scopeName, scopeVersion);
  ctx.begin();
  b.setTraceId(checkedId(traceId, 16));
  b.setSpanId(checkedId(spanId, 8));
  if (typeof s.operationName === 'string') b.setOperation(s.operationName);
  else if (s.operationName != null)
    throw new SpanProblem('wrong type', `operationName: expected a string, got ${typeName(s.operationName)}`);
  if (s.startTime !== undefined && s.startTime !== null) {
    const start = nanosFromMicros(s.startTime, 'startTime');
    const duration = s.duration == null ? 0n : durationNanosFromMicros(s.duration, 'duration');
    b.setStartDurationNano(start, duration);
  } else if (s.duration !== undefined) durationNanosFromMicros(s.duration, 'duration'); // type check only
  // References: the first CHILD_OF in the same trace is the parent; else the first FOLLOWS_FROM; the rest are links.
  const refs = s.references ?? [];
  if (!Array.isArray(refs)) throw new SpanProblem('wrong type', `references: expected an array, got ${typeName(refs)}`);
  let parentIndex = -1;
  let parentType: ParentRefType = ParentRefType.None;
  for (let i = 0; i < refs.length; i++) {
    const r = refs[i];
    if (!isObj(r)) throw new SpanProblem('wrong type', `references[${i}]: expected an object, got ${typeName(r)}`);
    const sameTrace = r.traceID === undefined || r.traceID === traceId;
    const type = String(r.refType ?? 'CHILD_OF').toUpperCase();
    if (!sameTrace) continue;
    if (type === 'CHILD_OF' && parentType !== ParentRefType.ChildOf) {
      parentIndex = i;
      parentType = ParentRefType.ChildOf;
    } else if (type === 'FOLLOWS_FROM' && parentType === ParentRefType.None) {
      parentIndex = i;
      parentType = ParentRefType.FollowsFrom;
    }
  }
  if (parentIndex >= 0)
    b.setParentSpanId(checkedId(idText((refs[parentIndex] as Obj).spanID, 'references.spanID'), 8), parentType);
  else if (typeof s.parentSpanID === 'string') b.setParentSpanId(checkedId(s.parentSpanID, 8));
  for (let i = 0; i < refs.length; i++) {
    if (i === parentIndex) continue;
    const r = refs[i] as Obj;
    const link: SpanLinkInput = {
      traceId: idText(r.traceID ?? traceId, `references[${i}].traceID`),
      spanId: idText(r.spanID, `references[${i}].spanID`),
      attributes: [['opentracing.ref_type', AttributeType.String, String(r.refType ?? 'CHILD_OF').toLowerCase()]],
    };
    b.addLink(link);
  }
  // Tags: all kept as attributes; span.kind / otel.status_code / error also set kind and status.
  let statusCode: StatusCode | undefined;
  let statusMessage = '';
  let error = false;
  for (const [k, t, v] of tags) {
    b.addAttribute(k, t, v);
    if (k === 'span.kind') {
      const kind = KIND_BY_TAG[v.toLowerCase()];
      if (kind !== undefined) b.setKind(kind);
    } else if (k === 'otel.status_code') {
      const u = v.toUpperCase();
      statusCode = u === 'ERROR' ? StatusCode.Error : u === 'OK' ? StatusCode.Ok : StatusCode.Unset;
    } else if (k === 'otel.status_description') statusMessage = v;
    else if (k === 'error' && v === 'true') error = true;
  }
  if (statusCode === undefined && error) statusCode = StatusCode.Error;
  if (statusCode !== undefined) b.setStatus(statusCode, statusMessage);
  // Logs → events; the 'event' field is the event name.
  const logs = s.logs ?? [];
  if (!Array.isArray(logs)) throw new SpanProblem('wrong type', `logs: expected an array, got ${typeName(logs)}`);
  for (let i = 0; i < logs.length; i++) {
    const log = logs[i];
    if (!isObj(log)) throw new SpanProblem('wrong type', `logs[${i}]: expected an object, got ${typeName(log)}`);
    const fields = tagList(log.fields, `logs[${i}].fields`, ctx);
    let name = '';
    const attributes: AttributeTriple[] = [];
    for (const f of fields) {
      if (f[0] === 'event' && name === '' && f[1] === AttributeType.String) name = f[2];
      else attributes.push(f);
    }
    b.addEvent({ timeUnixNano: nanosFromMicros(log.timestamp, `logs[${i}].timestamp`), name, attributes });
  }
  if (Array.isArray(s.warnings))
    for (const w of s.warnings) ctx.warn(`span ${spanId || '?'}: Jaeger warning: ${String(w)}`);
}

function decodeSpans(spans: unknown[], path: string, st: TraceState, ctx: DecodeContext): void {
  for (let j = 0; j < spans.length; j++) {
    try {
      decodeSpan(spans[j], st, ctx);
    } catch (e) {
      if (!(e instanceof SpanProblem)) throw e;
      ctx.abort();
      ctx.reject(e.reason, `${path}[${j}]`, e.message);
      continue;
    }
    ctx.commit(() => `${path}[${j}]`);
  }
}

function decodeTrace(trace: Obj, path: string, ctx: DecodeContext): void {
  const processes = trace.processes ?? {};
  if (!isObj(processes))
    throw ctx.error(IngestErrorCode.WrongType, `${path}processes`, `expected an object, got ${typeName(processes)}`);
  const spans = trace.spans;
  if (!Array.isArray(spans))
    throw ctx.error(IngestErrorCode.WrongType, `${path}spans`, `expected an array of spans, got ${typeName(spans)}`);
  if (Array.isArray(trace.warnings))
    for (const w of trace.warnings) ctx.warn(`trace ${String(trace.traceID ?? '?')}: Jaeger warning: ${String(w)}`);
  decodeSpans(spans, `${path}spans`, { processes, resources: new Map(), lastProcess: null }, ctx);
}

/** Appends a parsed Jaeger JSON document. */
export function appendJaegerDocument(doc: unknown, ctx: DecodeContext): void {
  if (Array.isArray(doc)) {
    // An array of traces, or an array of spans (as written by Jaeger's anonymizer).
    if (doc.length > 0 && isObj(doc[0]) && !('spans' in doc[0])) {
      decodeSpans(doc, '', { processes: {}, resources: new Map(), lastProcess: null }, ctx);
      return;
    }
    doc.forEach((t, i) => {
      if (!isObj(t))
        throw ctx.error(IngestErrorCode.WrongType, `[${i}]`, `expected a trace object, got ${typeName(t)}`);
      decodeTrace(t, `[${i}].`, ctx);
    });
    return;
  }
  if (!isObj(doc))
    throw ctx.error(IngestErrorCode.WrongType, '', `expected a Jaeger JSON object, got ${typeName(doc)}`);
  if ('data' in doc) {
    if (!Array.isArray(doc.data))
      throw ctx.error(IngestErrorCode.WrongType, 'data', `expected an array of traces, got ${typeName(doc.data)}`);
    if (Array.isArray(doc.errors))
      for (const e of doc.errors)
        ctx.warn(`Jaeger query error: ${isObj(e) ? String(e.msg ?? JSON.stringify(e)) : String(e)}`);
    doc.data.forEach((t, i) => {
      if (!isObj(t))
        throw ctx.error(IngestErrorCode.WrongType, `data[${i}]`, `expected a trace object, got ${typeName(t)}`);
      decodeTrace(t, `data[${i}].`, ctx);
    });
    return;
  }
  if ('spans' in doc) {
    decodeTrace(doc, '', ctx);
    return;
  }
  const keys = Object.keys(doc);
  throw ctx.error(
    IngestErrorCode.WrongType,
    '',
    'spanID' in doc
      ? `this is a single Jaeger span (keys ${keys.slice(0, 6).join(', ')}), not a trace: expected {"data":[{traceID, spans, processes}]} or {traceID, spans, processes}`
      : `expected Jaeger JSON {"data":[{traceID, spans, processes}]} or {traceID, spans, processes}, got an object with keys ${keys.slice(0, 6).join(', ') || '(none)'}`,
  );
}

/**
 * Decodes Jaeger JSON (UI "Download JSON", the query API `/api/traces`, or a bare trace) into a span table.
 *
 * **Details**
 * - Accepts `{"data":[trace...]}`, one trace `{traceID, spans, processes}`, an array of traces, or an array of spans.
 * - Times are microseconds (numbers or decimal strings; RFC 3339 strings too) → exact nanoseconds.
 * - `references`: the first CHILD_OF in the same trace is the parent; when there is none, the first FOLLOWS_FROM is
 *   the parent with `ParentRefType.FollowsFrom`; every other reference becomes a link with `opentracing.ref_type`.
 * - Tags keep their types (string, bool, int64, float64, binary → base64); process tags become the resource with
 *   `service.name`. Tags `span.kind`, `otel.status_code`/`otel.status_description` and `error=true` also set kind and
 *   status (the tags are kept as attributes too); `otel.scope.name`/`version` set the scope.
 * - Logs become events (the `event` field is the name). Trace and span `warnings` are returned in `warnings`.
 *
 * **Complexity** O(input): one `JSON.parse` and one pass.
 *
 * **Gotchas** Throws {@link IngestError} for invalid or truncated JSON, a wrong structure, a single span instead of a
 * trace, or when every span was rejected. Duplicate span ids are kept (the trace tree reports them).
 *
 * @example
 * ```ts
 * const { spans, warnings } = decodeJaegerJson(fs.readFileSync('trace.json'), { source: 'trace.json' });
 * ```
 */
export function decodeJaegerJson(input: Uint8Array | string, options: DecodeOptions = {}): DecodeResult {
  const ctx = new DecodeContext(options.source ?? DEFAULTS.source);
  const text = inputText(input);
  if (text.trim() === '') throw ctx.error(IngestErrorCode.EmptyInput, '', 'the input is empty');
  appendJaegerDocument(parseJson(text, ctx.source), ctx);
  return ctx.result('jaeger');
}
