// OTLP JSON decoder: the protobuf canonical JSON mapping of ExportTraceServiceRequest (one document), and JSON-lines
// files as written by the OpenTelemetry Collector's file exporter (one request per line).
import { type AttributeTriple, AttributeType, type SpanTableBuilder } from '@aiops/span-model';
import type { DecodeResult } from './decode-result.ts';
import { IngestError, IngestErrorCode } from './ingest-error.ts';
import { DecodeContext, SpanProblem } from './internal/decode-context.ts';
import { inputText, jsonSyntaxError, locateJsonError, typeName } from './internal/json-text.ts';
import {
  anyValueTypeText,
  checkedId,
  keyValueTriples,
  kindOf,
  lostPrecision,
  nanosOf,
  statusOf,
} from './internal/values.ts';

/** Options of the decoders. */
export interface DecodeOptions {
  /** File name (or any label) used in error messages and rejected-span positions. Default `'<input>'`. */
  readonly source?: string;
}

const DEFAULTS = { source: '<input>' } as const;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function list(o: Obj, camel: string, snake: string, path: string, ctx: DecodeContext): unknown[] {
  const v = o[camel] ?? o[snake];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v))
    throw ctx.error(IngestErrorCode.WrongType, `${path}.${camel}`, `expected an array, got ${typeName(v)}`);
  return v;
}

function str(o: Obj, camel: string, snake: string, path: string): string {
  const v = o[camel] ?? o[snake];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string')
    throw new SpanProblem('wrong type', `${path}${camel}: expected a string, got ${typeName(v)}`);
  return v;
}

function addSpanAttributes(b: SpanTableBuilder, attrs: unknown): void {
  if (attrs === undefined || attrs === null) return;
  if (!Array.isArray(attrs))
    throw new SpanProblem('wrong type', `attributes: expected an array, got ${typeName(attrs)}`);
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i] as { key?: unknown; value?: { stringValue?: unknown } } | null;
    if (kv === null || typeof kv !== 'object' || typeof kv.key !== 'string')
      throw new SpanProblem('wrong type', `attributes[${i}]: expected {key, value}, got ${typeName(kv)}`);
    const key = b.internAttributeKey(kv.key);
    const v = kv.value;
    if (v !== null && typeof v === 'object' && typeof v.stringValue === 'string')
      b.addAttributeCoded(key, AttributeType.String, v.stringValue);
    else {
      const [t, text] = anyValueTypeText(v, `attributes[${i}].value`);
      b.addAttributeCoded(key, t, text);
    }
  }
}

function decodeSpan(s: unknown, ctx: DecodeContext): void {
  const b = ctx.builder;
  if (!isObj(s)) throw new SpanProblem('wrong type', `expected a span object, got ${typeName(s)}`);
  b.setTraceId(checkedId(str(s, 'traceId', 'trace_id', ''), 16));
  b.setSpanId(checkedId(str(s, 'spanId', 'span_id', ''), 8));
  const parent = str(s, 'parentSpanId', 'parent_span_id', '');
  if (parent !== '') b.setParentSpanId(checkedId(parent, 8));
  b.setOperation(str(s, 'name', 'name', ''));
  const kindRaw = s.kind;
  const kind = kindOf(kindRaw);
  if (kind === undefined)
    ctx.count('kind', (n) => `${n} spans have an unknown kind (kept as unspecified), e.g. ${JSON.stringify(kindRaw)}`);
  else b.setKind(kind);
  const startRaw = s.startTimeUnixNano ?? s.start_time_unix_nano;
  const endRaw = s.endTimeUnixNano ?? s.end_time_unix_nano;
  if (startRaw !== undefined) {
    if (lostPrecision(startRaw) || lostPrecision(endRaw))
      ctx.count(
        'precision',
        (n) => `${n} spans have times written as JSON numbers beyond 2^53: nanoseconds may be off`,
      );
    const start = nanosOf(startRaw, 'startTimeUnixNano');
    const end = endRaw === undefined ? start : nanosOf(endRaw, 'endTimeUnixNano');
    if (endRaw === undefined) ctx.count('noend', (n) => `${n} spans have no endTimeUnixNano (kept with duration 0)`);
    b.setStartEndUnixNano(start, end);
  }
  b.setTraceState(str(s, 'traceState', 'trace_state', ''));
  addSpanAttributes(b, s.attributes);
  const status = s.status;
  if (isObj(status)) {
    const code = statusOf(status.code);
    if (code === undefined)
      throw new SpanProblem('wrong type', `status.code: unknown status ${JSON.stringify(status.code)}`);
    b.setStatus(code, str(status, 'message', 'message', 'status.'));
  } else if (status !== undefined && status !== null)
    throw new SpanProblem('wrong type', `status: expected an object, got ${typeName(status)}`);
  const events = s.events;
  if (Array.isArray(events))
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (!isObj(e)) throw new SpanProblem('wrong type', `events[${i}]: expected an object, got ${typeName(e)}`);
      const t = e.timeUnixNano ?? e.time_unix_nano;
      b.addEvent({
        timeUnixNano: t === undefined ? 0n : nanosOf(t, `events[${i}].timeUnixNano`),
        name: str(e, 'name', 'name', `events[${i}].`),
        attributes: keyValueTriples(e.attributes, `events[${i}].attributes`),
      });
    }
  const links = s.links;
  if (Array.isArray(links))
    for (let i = 0; i < links.length; i++) {
      const l = links[i];
      if (!isObj(l)) throw new SpanProblem('wrong type', `links[${i}]: expected an object, got ${typeName(l)}`);
      b.addLink({
        traceId: str(l, 'traceId', 'trace_id', `links[${i}].`),
        spanId: str(l, 'spanId', 'span_id', `links[${i}].`),
        traceState: str(l, 'traceState', 'trace_state', `links[${i}].`),
        attributes: keyValueTriples(l.attributes, `links[${i}].attributes`),
      });
    }
  const dropped =
    Number(s.droppedAttributesCount ?? 0) + Number(s.droppedEventsCount ?? 0) + Number(s.droppedLinksCount ?? 0);
  if (dropped > 0) ctx.count('dropped', (n) => `${n} spans report attributes, events or links dropped by the producer`);
}

/** Appends the spans of one parsed ExportTraceServiceRequest (JSON mapping); `prefix` starts every position. */
export function appendOtlpJsonDocument(doc: unknown, ctx: DecodeContext, prefix = ''): void {
  const b = ctx.builder;
  if (!isObj(doc))
    throw ctx.error(
      IngestErrorCode.WrongType,
      prefix.trim(),
      `expected an OTLP object with resourceSpans, got ${typeName(doc)}`,
    );
  if (!('resourceSpans' in doc) && !('resource_spans' in doc))
    throw ctx.error(
      IngestErrorCode.WrongType,
      prefix.trim(),
      `expected an OTLP object with resourceSpans, got an object with keys ${Object.keys(doc).slice(0, 6).join(', ') || '(none)'}`,
    );
  const resourceSpans = list(doc, 'resourceSpans', 'resource_spans', `${prefix}`, ctx);
  for (let r = 0; r < resourceSpans.length; r++) {
    const rs = resourceSpans[r];
    const rPath = `${prefix}resourceSpans[${r}]`;
    if (!isObj(rs)) throw ctx.error(IngestErrorCode.WrongType, rPath, `expected an object, got ${typeName(rs)}`);
    const resource = rs.resource;
    let resourceTriples: AttributeTriple[] = [];
    if (isObj(resource)) {
      try {
        resourceTriples = keyValueTriples(resource.attributes, 'attributes');
      } catch (e) {
        if (e instanceof SpanProblem) throw ctx.error(IngestErrorCode.WrongType, `${rPath}.resource`, e.message);
        throw e;
      }
    } else if (resource !== undefined && resource !== null)
      throw ctx.error(IngestErrorCode.WrongType, `${rPath}.resource`, `expected an object, got ${typeName(resource)}`);
    b.setResource(resourceTriples);
    const scopeKey =
      rs.scopeSpans !== undefined || rs.scope_spans !== undefined ? 'scopeSpans' : 'instrumentationLibrarySpans';
    const scopeSpans =
      scopeKey === 'scopeSpans'
        ? list(rs, 'scopeSpans', 'scope_spans', rPath, ctx)
        : list(rs, 'instrumentationLibrarySpans', 'instrumentation_library_spans', rPath, ctx);
    for (let k = 0; k < scopeSpans.length; k++) {
      const ss = scopeSpans[k];
      const sPath = `${rPath}.${scopeKey}[${k}]`;
      if (!isObj(ss)) throw ctx.error(IngestErrorCode.WrongType, sPath, `expected an object, got ${typeName(ss)}`);
      const scope = ss.scope ?? ss.instrumentationLibrary ?? ss.instrumentation_library;
      if (isObj(scope)) {
        try {
          b.setScope(
            str(scope, 'name', 'name', 'scope.'),
            str(scope, 'version', 'version', 'scope.'),
            keyValueTriples(scope.attributes, 'scope.attributes'),
          );
        } catch (e) {
          if (e instanceof SpanProblem) throw ctx.error(IngestErrorCode.WrongType, sPath, e.message);
          throw e;
        }
      } else b.setScope('');
      const spans = list(ss, 'spans', 'spans', sPath, ctx);
      for (let j = 0; j < spans.length; j++) {
        ctx.begin();
        try {
          decodeSpan(spans[j], ctx);
        } catch (e) {
          if (!(e instanceof SpanProblem)) throw e;
          ctx.abort();
          ctx.reject(e.reason, `${sPath}.spans[${j}]`, e.message);
          continue;
        }
        ctx.commit(() => `${sPath}.spans[${j}]`);
      }
    }
  }
}

/** Appends OTLP JSON text: one document, or JSON lines (one request per line). */
export function appendOtlpJsonText(text: string, ctx: DecodeContext): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const firstEnd = text.indexOf('\n', text.search(/\S/));
    const problem = locateJsonError(text);
    // JSON lines: the first line is a whole value and the error is "data after the value" on a later line.
    if (problem && !problem.truncated && firstEnd > 0 && problem.offset > firstEnd && /^\s*\{/.test(text)) {
      appendOtlpJsonLines(text, ctx);
      return;
    }
    throw jsonSyntaxError(text, ctx.source);
  }
  appendOtlpJsonDocument(doc, ctx);
}

/** Appends JSON lines; an unreadable line is counted as rejected ('invalid JSON line') and the rest is kept. */
export function appendOtlpJsonLines(text: string, ctx: DecodeContext, firstLine = 1): void {
  let lineNo = firstLine - 1;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.trim() === '') continue;
    appendOtlpJsonLine(line, lineNo, ctx);
  }
}

/** Appends one JSON line of a Collector file-exporter file. */
export function appendOtlpJsonLine(line: string, lineNo: number, ctx: DecodeContext): void {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    const err = jsonSyntaxError(line, ctx.source);
    const where = err.position.replace(/^line 1 /, `line ${lineNo} `);
    ctx.reject('invalid JSON line', where, `${err.detail} (the whole line is skipped; counts lines, not spans)`);
    return;
  }
  try {
    appendOtlpJsonDocument(doc, ctx, `line ${lineNo} `);
  } catch (e) {
    if (!(e instanceof IngestError)) throw e;
    ctx.reject('invalid JSON line', e.position, `${e.detail} (the rest of the line is skipped)`);
  }
}

/**
 * Decodes OTLP JSON (`ExportTraceServiceRequest` in the protobuf JSON mapping) into a span table.
 *
 * **Details**
 * - Reads one document or JSON lines (the OpenTelemetry Collector's file exporter writes one request per line).
 * - Field names in lowerCamelCase or snake_case; ids in hex (OTLP/JSON) or base64 (generic protobuf JSON, e.g.
 *   Jaeger's storage fixtures); int64 as strings or numbers; kinds and status codes as numbers or enum names
 *   (`SPAN_KIND_SERVER`, `STATUS_CODE_ERROR`); the deprecated `instrumentationLibrarySpans` too.
 * - A span with a missing or invalid id, time, or a field of the wrong type is rejected (counted by reason with its
 *   JSON path, e.g. `resourceSpans[0].scopeSpans[1].spans[7]`); the other spans are kept.
 *
 * **Complexity** O(input): one `JSON.parse`, then one pass over the objects into the builder.
 *
 * **Gotchas** Throws {@link IngestError} for input that is not JSON, is truncated, or has the wrong structure
 * (e.g. `resourceSpans` not an array), and when every span was rejected. Times written as JSON numbers beyond 2^53
 * were already rounded by the producer's JSON; a warning says so.
 *
 * @example
 * ```ts
 * const { spans, rejected } = decodeOtlpJson(fs.readFileSync('traces.json', 'utf8'), { source: 'traces.json' });
 * ```
 */
export function decodeOtlpJson(input: Uint8Array | string, options: DecodeOptions = {}): DecodeResult {
  const ctx = new DecodeContext(options.source ?? DEFAULTS.source);
  const text = inputText(input);
  if (text.trim() === '') throw ctx.error(IngestErrorCode.EmptyInput, '', 'the input is empty');
  appendOtlpJsonText(text, ctx);
  return ctx.result('otlp-json');
}
