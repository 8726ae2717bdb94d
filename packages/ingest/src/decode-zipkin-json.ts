// Zipkin v2 JSON decoder: an array of spans (POST /api/v2/spans, GET /api/v2/trace/{id}), with localEndpoint as the
// service, remoteEndpoint as peer attributes, annotations as events, and shared client/server spans split in two.
import { type AttributeTriple, AttributeType, normalizeId, SpanKind, StatusCode } from '@aiops/span-model';
import type { DecodeOptions } from './decode-otlp-json.ts';
import type { DecodeResult } from './decode-result.ts';
import { IngestErrorCode } from './ingest-error.ts';
import { DecodeContext, SpanProblem } from './internal/decode-context.ts';
import { inputText, parseJson, typeName } from './internal/json-text.ts';
import { checkedId, kindOf, nanosFromMicros, plainTypeText } from './internal/values.ts';

const DEFAULTS = { source: '<input>' } as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The attribute that keeps the original (shared) span id on the server half of a split Zipkin span. */
const SHARED_ID_KEY = 'zipkin.shared_span_id';

/** A stable id for the server half of a shared span: FNV-1a of 'server:' + id, never zero. */
function derivedServerId(spanIdHex: string): string {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x050c5d1f | 0;
  const s = `server:${spanIdHex}`;
  for (let i = 0; i < s.length; i++) {
    h1 = Math.imul(h1 ^ s.charCodeAt(i), 0x01000193);
    h2 = Math.imul(h2 ^ s.charCodeAt(i), 0x01000193) ^ (h2 >>> 15);
  }
  const hex = (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
  return hex === '0000000000000000' ? '0000000000000001' : hex;
}

function strField(o: Obj, key: string, field = key): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new SpanProblem('wrong type', `${field}: expected a string, got ${typeName(v)}`);
  return v;
}

function endpoint(v: unknown, field: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new SpanProblem('wrong type', `${field}: expected an endpoint object, got ${typeName(v)}`);
  return v;
}

interface Planned {
  key: string; // trace + span id, normalised
  serverSplit: boolean; // the server half of a shared span: gets a derived id
}

function spanKey(s: Obj): string {
  const t = typeof s.traceId === 'string' ? (normalizeId(s.traceId, 16) ?? s.traceId) : '';
  const id = typeof s.id === 'string' ? (normalizeId(s.id, 8) ?? s.id) : '';
  return `${t}/${id}`;
}

function serviceOf(s: Obj): string {
  const le = s.localEndpoint;
  return isObj(le) && typeof le.serviceName === 'string' ? le.serviceName : '';
}

/** Appends a parsed Zipkin v2 JSON array. */
export function appendZipkinDocument(doc: unknown, ctx: DecodeContext): void {
  if (!Array.isArray(doc)) {
    if (isObj(doc) && 'traceId' in doc && 'id' in doc)
      throw ctx.error(
        IngestErrorCode.WrongType,
        '',
        'this is a single Zipkin span: Zipkin v2 JSON is an array of spans ([{...}, ...])',
      );
    throw ctx.error(IngestErrorCode.WrongType, '', `expected Zipkin v2 JSON (an array of spans), got ${typeName(doc)}`);
  }
  const first = doc.find(isObj);
  if (
    first &&
    ('binaryAnnotations' in first ||
      (Array.isArray(first.annotations) && isObj(first.annotations[0]) && 'endpoint' in first.annotations[0]))
  )
    throw ctx.error(
      IngestErrorCode.UnsupportedFormat,
      '[0]',
      'Zipkin v1 JSON (binaryAnnotations / annotation endpoints) is not supported: fetch the spans from /api/v2 instead',
    );
  // Pass 1: shared spans. A SERVER span with the id of a CLIENT span in the same trace is the server half.
  const clients = new Map<string, string>(); // key → client service
  for (const s of doc)
    if (isObj(s) && String(s.kind ?? '').toUpperCase() === 'CLIENT') clients.set(spanKey(s), serviceOf(s));
  const plans: Planned[] = doc.map((s) => {
    if (!isObj(s) || String(s.kind ?? '').toUpperCase() !== 'SERVER') return { key: '', serverSplit: false };
    const key = spanKey(s);
    return { key, serverSplit: clients.has(key) };
  });
  // Children of a shared id that run in the server's service hang under the server half.
  const serverServiceOfShared = new Map<string, string>();
  for (let i = 0; i < doc.length; i++)
    if (plans[i]!.serverSplit) serverServiceOfShared.set(plans[i]!.key, serviceOf(doc[i] as Obj));
  const b = ctx.builder;
  for (let j = 0; j < doc.length; j++) {
    const s = doc[j];
    try {
      if (!isObj(s)) throw new SpanProblem('wrong type', `expected a span object, got ${typeName(s)}`);
      const local = endpoint(s.localEndpoint, 'localEndpoint');
      const remote = endpoint(s.remoteEndpoint, 'remoteEndpoint');
      const service = local ? strField(local, 'serviceName', 'localEndpoint.serviceName') : '';
      const resource: AttributeTriple[] = service === '' ? [] : [['service.name', AttributeType.String, service]];
      const localIp = local
        ? strField(local, 'ipv4', 'localEndpoint.ipv4') || strField(local, 'ipv6', 'localEndpoint.ipv6')
        : '';
      if (localIp !== '') resource.push(['host.ip', AttributeType.String, localIp]);
      if (local && typeof local.port === 'number') resource.push(['host.port', AttributeType.Int, String(local.port)]);
      b.setResource(resource);
      ctx.begin();
      const traceId = strField(s, 'traceId');
      const id = strField(s, 'id');
      b.setTraceId(checkedId(traceId, 16));
      const plan = plans[j]!;
      const parent = strField(s, 'parentId');
      if (plan.serverSplit) {
        const shared = normalizeId(id, 8) ?? id;
        b.setSpanId(derivedServerId(shared));
        b.setParentSpanId(shared);
        b.addAttribute(SHARED_ID_KEY, AttributeType.String, shared);
        ctx.sharedSpansSplit++;
      } else {
        b.setSpanId(checkedId(id, 8));
        if (parent !== '') {
          const pKey = `${normalizeId(traceId, 16) ?? traceId}/${normalizeId(parent, 8) ?? parent}`;
          const serverService = serverServiceOfShared.get(pKey);
          const isClientHalf = String(s.kind ?? '').toUpperCase() === 'CLIENT' && spanKey(s) === pKey;
          if (serverService !== undefined && serverService === service && !isClientHalf)
            b.setParentSpanId(derivedServerId(normalizeId(parent, 8) ?? parent));
          else b.setParentSpanId(checkedId(parent, 8));
        }
      }
      b.setOperation(strField(s, 'name'));
      const kind = kindOf(s.kind);
      if (kind === undefined) throw new SpanProblem('wrong type', `kind: unknown span kind ${JSON.stringify(s.kind)}`);
      b.setKind(kind);
      // Times: microseconds. Without a timestamp, the annotations give the span's extent.
      const annotations = s.annotations ?? [];
      if (!Array.isArray(annotations))
        throw new SpanProblem('wrong type', `annotations: expected an array, got ${typeName(annotations)}`);
      const annTimes = annotations.map((a, i) => {
        if (!isObj(a)) throw new SpanProblem('wrong type', `annotations[${i}]: expected an object, got ${typeName(a)}`);
        return nanosFromMicros(a.timestamp, `annotations[${i}].timestamp`);
      });
      if (s.timestamp !== undefined && s.timestamp !== null) {
        const start = nanosFromMicros(s.timestamp, 'timestamp');
        if (s.duration === undefined || s.duration === null)
          ctx.count('noduration', (n) => `${n} Zipkin spans have no duration (kept with duration 0)`);
        b.setStartDurationNano(start, s.duration == null ? 0n : nanosFromMicros(s.duration, 'duration'));
      } else if (annTimes.length > 0) {
        let lo = annTimes[0]!;
        let hi = lo;
        for (const t of annTimes) {
          if (t < lo) lo = t;
          if (t > hi) hi = t;
        }
        b.setStartDurationNano(lo, hi - lo);
        ctx.count(
          'annotime',
          (n) => `${n} Zipkin spans have no timestamp: start and duration taken from their annotations`,
        );
      }
      // Tags: all kept; 'error' and otel.status_* set the status.
      const tags = s.tags ?? {};
      if (!isObj(tags)) throw new SpanProblem('wrong type', `tags: expected an object, got ${typeName(tags)}`);
      let status: StatusCode | undefined;
      let message = '';
      for (const k in tags) {
        const v = tags[k];
        const [t, text] = typeof v === 'string' ? [AttributeType.String, v] : plainTypeText(v);
        b.addAttribute(k, t, text);
        if (k === 'error') {
          status = StatusCode.Error;
          if (text !== '' && text !== 'true' && message === '') message = text;
        } else if (k === 'otel.status_code') {
          const u = text.toUpperCase();
          status = u === 'ERROR' ? StatusCode.Error : u === 'OK' ? StatusCode.Ok : (status ?? StatusCode.Unset);
        } else if (k === 'otel.status_description') message = text;
      }
      if (status !== undefined) b.setStatus(status, message);
      // Remote endpoint → peer attributes (tags of the same name win).
      if (remote) {
        const peer = strField(remote, 'serviceName', 'remoteEndpoint.serviceName');
        if (peer !== '' && !('peer.service' in tags)) b.addAttribute('peer.service', AttributeType.String, peer);
        const ip = strField(remote, 'ipv4', 'remoteEndpoint.ipv4') || strField(remote, 'ipv6', 'remoteEndpoint.ipv6');
        const side =
          kind === SpanKind.Client || kind === SpanKind.Producer
            ? 'server'
            : kind === SpanKind.Server || kind === SpanKind.Consumer
              ? 'client'
              : 'network.peer';
        if (ip !== '' && !(`${side}.address` in tags)) b.addAttribute(`${side}.address`, AttributeType.String, ip);
        if (typeof remote.port === 'number' && !(`${side}.port` in tags))
          b.addAttribute(`${side}.port`, AttributeType.Int, String(remote.port));
      }
      for (let i = 0; i < annotations.length; i++) {
        const a = annotations[i] as Obj;
        b.addEvent({ timeUnixNano: annTimes[i]!, name: typeof a.value === 'string' ? a.value : String(a.value ?? '') });
      }
    } catch (e) {
      if (!(e instanceof SpanProblem)) throw e;
      ctx.abort();
      ctx.reject(e.reason, `[${j}]`, e.message);
      continue;
    }
    ctx.commit(() => `[${j}]`);
  }
}

/**
 * Decodes Zipkin v2 JSON (an array of spans) into a span table.
 *
 * **Details**
 * - `localEndpoint.serviceName` is the service (resource `service.name`; its ip and port become `host.ip`/`host.port`).
 * - `remoteEndpoint` becomes `peer.service` and `server.address`/`server.port` (CLIENT, PRODUCER) or
 *   `client.address`/`client.port` (SERVER, CONSUMER), unless tags of those names exist.
 * - Shared spans (a SERVER span with the id of a CLIENT span of the same trace, as B3 single-id propagation makes):
 *   the server half gets a derived span id, the client becomes its parent, its original id is kept in the
 *   attribute `zipkin.shared_span_id`, and children in the server's service are moved under it. The count is
 *   `sharedSpansSplit`.
 * - `annotations` become events; tags are kept as string attributes; the `error` tag sets status error with its value
 *   as message; `otel.status_code`/`otel.status_description` are honoured. 64- and 128-bit ids.
 * - Times are microseconds → exact nanoseconds. A span without `timestamp` takes its extent from its annotations
 *   (counted in `warnings`), or is rejected as `missing start time` when it has none.
 *
 * **Complexity** O(spans) with two passes over the parsed array.
 *
 * **Gotchas** Throws {@link IngestError} for invalid JSON, a non-array, Zipkin v1 JSON, or when every span was
 * rejected. Zipkin tags are untyped: `http.status_code` stays the string `"200"` (derived columns still parse it).
 *
 * @example
 * ```ts
 * const { spans, sharedSpansSplit } = decodeZipkinJson(await (await fetch(zipkinUrl)).text());
 * ```
 */
export function decodeZipkinJson(input: Uint8Array | string, options: DecodeOptions = {}): DecodeResult {
  const ctx = new DecodeContext(options.source ?? DEFAULTS.source);
  const text = inputText(input);
  if (text.trim() === '') throw ctx.error(IngestErrorCode.EmptyInput, '', 'the input is empty');
  appendZipkinDocument(parseJson(text, ctx.source), ctx);
  return ctx.result('zipkin');
}
