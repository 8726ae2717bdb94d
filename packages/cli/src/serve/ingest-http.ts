// HTTP receivers of `aiops serve`: OTLP/HTTP `POST /v1/traces` (protobuf or JSON, gzip or deflate) and Zipkin v2
// `POST /api/v2/spans` (JSON). Status codes follow the OTLP/HTTP specification:
//   200 ok (partial_success when spans were rejected) · 400 malformed · 413 too large · 415 unsupported type or
//   encoding · 429 queue full (Retry-After) · 503 shutting down or store failing (Retry-After).
import type { IncomingMessage, ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import { exportResponseJson, exportResponseProtobuf, RpcCode, statusJson, statusProtobuf } from './otlp-response.ts';
import type { IngestOutcome, SpanIngestor, WireFormat } from './span-ingestor.ts';

type Reply = { status: number; body: string | Uint8Array; headers?: Record<string, string> };

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function formatOf(path: string, type: string): WireFormat | undefined {
  if (path === '/v1/traces') {
    if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'otlp-proto';
    if (type === 'application/json') return 'otlp-json';
    return undefined;
  }
  if (type === 'application/json' || type === '') return 'zipkin-json';
  return undefined;
}

function mib(n: number): string {
  return `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
}

/** Builds the reply in the request's encoding: OTLP protobuf, OTLP JSON, or Zipkin (202, plain text errors). */
function reply(format: WireFormat | undefined, status: number, message: string, rpcCode: number): Reply {
  if (format === 'otlp-proto')
    return {
      status,
      body: statusProtobuf(rpcCode, message),
      headers: { 'content-type': 'application/x-protobuf' },
    };
  if (format === 'otlp-json' || format === undefined)
    return { status, body: statusJson(rpcCode, message), headers: { 'content-type': 'application/json' } };
  return { status, body: `${message}\n`, headers: { 'content-type': 'text/plain; charset=utf-8' } };
}

function outcomeReply(format: WireFormat, o: IngestOutcome): Reply {
  switch (o.kind) {
    case 'ok':
      if (format === 'zipkin-json')
        return o.partial.rejectedSpans > 0
          ? {
              status: 202,
              body: JSON.stringify({ rejectedSpans: o.partial.rejectedSpans, errorMessage: o.partial.errorMessage }),
              headers: { 'content-type': 'application/json' },
            }
          : { status: 202, body: '' };
      return format === 'otlp-proto'
        ? {
            status: 200,
            body: exportResponseProtobuf(o.partial),
            headers: { 'content-type': 'application/x-protobuf' },
          }
        : { status: 200, body: exportResponseJson(o.partial), headers: { 'content-type': 'application/json' } };
    case 'invalid':
      return reply(format, 400, o.message, RpcCode.InvalidArgument);
    case 'busy':
    case 'unavailable': {
      const r = reply(format, o.kind === 'busy' ? 429 : 503, o.message, RpcCode.Unavailable);
      return { ...r, headers: { ...r.headers, 'retry-after': String(o.retryAfterSeconds) } };
    }
  }
}

/** How long a connection answered before its body was read keeps draining that body before it is reset. */
const LINGER_MS = 2_000;

/**
 * Answers before the body is read (413, 429 mid-body) and closes the connection with a staged half-close (RFC 9112
 * §9.6): send the response and FIN, then keep reading and discarding what the client still sends until it closes or
 * `LINGER_MS` pass. Node's own close (`socket.destroySoon`) closes the socket at once; a socket closed with unread
 * bytes sends a TCP reset, and a client still writing its body then fails with EPIPE/ECONNRESET and drops the
 * response it had not yet read, so it never learns the request was too large (and an exporter would retry it).
 */
function lingeringClose(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket || socket.destroyed) return;
  socket.destroySoon = function (this: typeof socket) {
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}

function send(res: ServerResponse, r: Reply, close = false): void {
  if (res.headersSent) return;
  const body = typeof r.body === 'string' ? Buffer.from(r.body, 'utf8') : r.body;
  res.writeHead(r.status, {
    ...r.headers,
    'content-length': String(body.length),
    ...(close ? { connection: 'close' } : {}),
  });
  // Also when the client asked for `Connection: close` and we answer before its body is in (429 before reading).
  if (close || !res.req.complete) lingeringClose(res);
  res.end(body);
}

/** Why a body was not read to its end. */
type BodyFailure = 'too-large' | 'over-budget' | 'aborted';

/**
 * Reads a body up to `max` bytes, counting every chunk against the in-flight budget as it arrives (`take`), so a
 * streamed body (no Content-Length, as the OpenTelemetry exporters send) holds only the bytes it really has.
 * Settles exactly once: with the body, or with why reading stopped (larger than `max`, over the shared budget, or
 * the client went away before the end).
 */
function readBody(
  req: IncomingMessage,
  max: number,
  take: (bytes: number) => boolean,
): Promise<{ body: Buffer } | { failure: BodyFailure }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let done = false;
    const finish = (r: { body: Buffer } | { failure: BodyFailure }) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if ('failure' in r) chunks.length = 0;
      resolve(r);
    };
    const onData = (c: Buffer) => {
      if (done) return;
      n += c.length;
      if (n > max) return finish({ failure: 'too-large' });
      if (!take(c.length)) return finish({ failure: 'over-budget' });
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => finish({ body: Buffer.concat(chunks, n) }));
    // A client that times out or dies mid-body: 'error' (ECONNRESET) and/or 'close' without 'end'.
    req.on('error', () => finish({ failure: 'aborted' }));
    req.on('close', () => finish({ failure: 'aborted' }));
  });
}

function inflate(body: Buffer, encoding: string, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | null, out: Buffer) => (err ? reject(err) : resolve(out));
    if (encoding === 'deflate') zlib.inflate(body, { maxOutputLength: max }, cb);
    else zlib.gunzip(body, { maxOutputLength: max }, cb);
  });
}

/**
 * The request listener of the OTLP/HTTP and Zipkin receivers (both paths are served on every ingest port).
 *
 * **Details** Content type and length are checked before the body is read; the body is read with a running limit
 * and decompressed with a limit on the output, so a 100 MB body or a gzip bomb costs at most the limits in memory.
 * Requests are refused with 429 before their body is read while the queue is full or too many request bytes are in
 * flight.
 */
export function ingestRequestListener(ingestor: SpanIngestor): (req: IncomingMessage, res: ServerResponse) => void {
  const { maxBodyBytes, maxDecodedBytes } = ingestor.limits;
  const inflightBusy = (): IngestOutcome => ({
    kind: 'busy',
    message: `too many request bytes in flight (${mib(ingestor.inflightBytes)} of ${mib(ingestor.limits.maxInflightBytes)}); retry later`,
    retryAfterSeconds: 1,
  });
  return (req, res) => {
    void handle(req, res).catch((err) => {
      send(res, reply(undefined, 500, `internal error: ${err instanceof Error ? err.message : String(err)}`, 13));
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.now();
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/v1/traces' && path !== '/api/v2/spans') {
      req.resume();
      send(res, {
        status: 404,
        body: `not found: ${path} (ingest endpoints: POST /v1/traces, POST /api/v2/spans)\n`,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      send(res, {
        status: 405,
        body: `${req.method} not allowed: ${path} takes POST\n`,
        headers: { 'content-type': 'text/plain; charset=utf-8', allow: 'POST' },
      });
      return;
    }
    const type = mediaType(req);
    const format = formatOf(path, type);
    const jsonish = path === '/v1/traces' ? undefined : 'zipkin-json';
    if (!format) {
      req.resume();
      ingestor.stats.requestsInvalid++;
      const expected =
        path === '/v1/traces' ? 'application/x-protobuf or application/json' : 'application/json (Zipkin v2 JSON)';
      send(
        res,
        reply(
          jsonish,
          415,
          `unsupported content type "${type}" for ${path}: send ${expected}`,
          RpcCode.InvalidArgument,
        ),
      );
      return;
    }
    const encoding = String(req.headers['content-encoding'] ?? 'identity')
      .trim()
      .toLowerCase();
    if (!['identity', 'gzip', 'x-gzip', 'deflate', ''].includes(encoding)) {
      req.resume();
      ingestor.stats.requestsInvalid++;
      send(res, reply(format, 415, `unsupported content encoding "${encoding}": send gzip, deflate or identity`, 3));
      return;
    }
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    const tooLarge = `request body larger than the limit of ${mib(maxBodyBytes)} (split the export into smaller batches)`;
    if (declared > maxBodyBytes) {
      ingestor.stats.requestsInvalid++;
      send(res, reply(format, 413, tooLarge, RpcCode.ResourceExhausted), true);
      req.resume();
      return;
    }
    const busy = ingestor.busyNow();
    // A declared length is reserved up front (so concurrent large uploads cannot overshoot the budget together); a
    // streamed body is counted chunk by chunk as it arrives. Reserving the 16 MiB maximum for every streamed body,
    // as this once did, let four ordinary exporter requests fill the 64 MiB budget and throttled everything else.
    const declaredBytes = Number.isFinite(declared) ? declared : 0;
    if (busy || !ingestor.reserve(declaredBytes)) {
      if (!busy) ingestor.stats.requestsThrottled++;
      req.resume();
      send(res, outcomeReply(format, busy ?? inflightBusy()));
      return;
    }
    let held = declaredBytes;
    let received = 0;
    const releaseBody = () => {
      ingestor.release(held);
      held = 0;
    };
    try {
      const read = await readBody(req, maxBodyBytes, (bytes) => {
        received += bytes;
        const more = received - held; // chunks within a declared length were reserved already
        if (more <= 0) return true;
        if (!ingestor.grow(more, held)) return false;
        held += more;
        return true;
      });
      if ('failure' in read) {
        if (read.failure === 'aborted') return;
        if (read.failure === 'over-budget') {
          ingestor.stats.requestsThrottled++;
          send(res, outcomeReply(format, inflightBusy()), true);
          req.resume();
          return;
        }
        ingestor.stats.requestsInvalid++;
        send(res, reply(format, 413, tooLarge, RpcCode.ResourceExhausted), true);
        req.resume();
        return;
      }
      const raw = read.body;
      let body: Buffer = raw;
      if (encoding !== 'identity' && encoding !== '') {
        try {
          body = await inflate(raw, encoding, maxDecodedBytes);
        } catch (err) {
          ingestor.stats.requestsInvalid++;
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
            send(
              res,
              reply(
                format,
                413,
                `decompressed request body larger than the limit of ${mib(maxDecodedBytes)}`,
                RpcCode.ResourceExhausted,
              ),
            );
          } else {
            send(res, reply(format, 400, `invalid ${encoding} body: ${(err as Error).message}`, 3));
          }
          return;
        }
        ingestor.hold(body.length);
        held += body.length;
      }
      // The body's bytes are returned once decoded: from then on the queue's span bound accounts for the request.
      const outcome = await ingestor.ingest(format, body, receivedAt, releaseBody);
      send(res, outcomeReply(format, outcome));
    } finally {
      releaseBody();
    }
  }
}
