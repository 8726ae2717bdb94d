// A lean instrumentation of `node:http` / `node:https` servers and clients: one SERVER span per incoming request and
// one CLIENT span per outgoing request, W3C/B3/Jaeger context through the global propagator, and the request's
// context kept across the request/response events — at a fraction of the per-request CPU of
// `@opentelemetry/instrumentation-http` (see benchmarks/overhead/RESULTS.md).
// Reference: https://opentelemetry.io/docs/specs/semconv/http/http-spans/ (stable HTTP conventions)
import type { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { isTracingSuppressed, type RPCMetadata, RPCType, setRPCMetadata } from '@opentelemetry/core';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
} from '@opentelemetry/instrumentation';

/** Options of {@link NodeHttpInstrumentation}. */
export interface NodeHttpInstrumentationConfig extends InstrumentationConfig {
  /** Incoming requests for which no span is made (e.g. health checks); their handlers run untraced. */
  readonly ignoreIncomingRequest?: (req: http.IncomingMessage) => boolean;
}

type HttpModule = typeof http;
type RequestFn = typeof http.request;
type EmitFn = (event: string | symbol, ...args: unknown[]) => boolean;

const VERSION = '0.1.0';
const HEADER_SETTER: TextMapSetter<http.ClientRequest> = {
  set(carrier, key, value) {
    carrier.setHeader(key, value);
  },
};
const kBound: unique symbol = Symbol('aiops.http.boundContext');

/**
 * Makes every event of `emitter` run in `ctx` (so a listener added anywhere — a body parser's `end` handler, a
 * response callback — sees the request's span): one wrapper on the instance's `emit`, not one per listener.
 */
function bindEmitter(emitter: EventEmitter, ctx: Context): void {
  const holder = emitter as EventEmitter & { [kBound]?: Context };
  if (holder[kBound] !== undefined) {
    holder[kBound] = ctx;
    return;
  }
  holder[kBound] = ctx;
  const emit = emitter.emit as EmitFn;
  emitter.emit = function boundEmit(this: EventEmitter & { _events?: Record<string | symbol, unknown> }): boolean {
    const bound = holder[kBound] as Context;
    // biome-ignore lint/complexity/noArguments: forwarded as is to emit, no rest-array copy per event
    const args = arguments;
    // Most events of a request (prefinish, socket, free, …) have no listener, or run in the right context
    // already: those cost one property read and no context switch.
    if (this._events?.[args[0] as string | symbol] === undefined || context.active() === bound)
      return emit.apply(this, args as unknown as Parameters<EmitFn>);
    return context.with(bound, applyEmit, undefined, emit, this, args);
  } as EmitFn;
}

function applyEmit(emit: EmitFn, target: EventEmitter, args: IArguments): boolean {
  return emit.apply(target, args as unknown as Parameters<EmitFn>);
}

interface HostAndPort {
  readonly address?: string;
  readonly port: number;
}

/** `host[:port]` of a Host header; IPv6 literals in brackets. */
function parseHostAndPort(host: string, defaultPort: number): HostAndPort {
  const close = host.lastIndexOf(']');
  const colon = host.lastIndexOf(':');
  if (colon > close) {
    const port = Number(host.slice(colon + 1));
    return { address: host.slice(host.startsWith('[') ? 1 : 0, close > 0 ? close : colon), port: port || defaultPort };
  }
  return { address: host.startsWith('[') ? host.slice(1, close) : host, port: defaultPort };
}

// A service talks to (and is called as) a handful of hosts: parse each Host value once. Bounded, so that a client
// sending random Host headers cannot grow it.
const HOST_CACHE_LIMIT = 256;
const hostCache: [Map<string, HostAndPort>, Map<string, HostAndPort>] = [new Map(), new Map()];

function hostAndPort(host: string | undefined, defaultPort: number): HostAndPort {
  if (!host) return { port: defaultPort };
  const cache = hostCache[defaultPort === 443 ? 1 : 0];
  let hp = cache.get(host);
  if (hp === undefined) {
    hp = parseHostAndPort(host, defaultPort);
    if (cache.size >= HOST_CACHE_LIMIT) cache.clear();
    cache.set(host, hp);
  }
  return hp;
}

function serverAttributes(req: http.IncomingMessage, scheme: string): Attributes {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const { address, port } = hostAndPort(req.headers.host, scheme === 'https' ? 443 : 80);
  const a: Attributes = {
    'http.request.method': req.method ?? 'GET',
    'url.scheme': scheme,
    'url.path': q < 0 ? url : url.slice(0, q),
    'server.port': port,
    'network.protocol.version': req.httpVersion,
  };
  if (address) a['server.address'] = address;
  const peer = req.socket?.remoteAddress;
  if (peer) a['network.peer.address'] = peer;
  const ua = req.headers['user-agent'];
  if (ua) a['user_agent.original'] = ua;
  return a;
}

function clientAttributes(req: http.ClientRequest, scheme: string): Attributes {
  const { address, port } = hostAndPort(
    (req.getHeader('host') as string | undefined) ?? req.host,
    scheme === 'https' ? 443 : 80,
  );
  const path = req.path;
  const q = path.indexOf('?');
  const a: Attributes = {
    'http.request.method': req.method,
    'server.port': port,
    'url.full': `${scheme}://${req.host}${port === (scheme === 'https' ? 443 : 80) ? '' : `:${port}`}${q < 0 ? path : path.slice(0, q)}`,
  };
  if (address) a['server.address'] = address;
  return a;
}

function endWithStatus(span: Span, status: number | undefined, errorFrom: number): void {
  if (status !== undefined) {
    span.setAttribute('http.response.status_code', status);
    if (status >= errorFrom) {
      span.setAttribute('error.type', String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  span.end();
}

function endWithError(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setAttribute('error.type', (error as { code?: string }).code ?? error.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  span.end();
}

/**
 * SERVER and CLIENT spans for `node:http` and `node:https`, with context propagation, made cheaply.
 *
 * **Details** Patches `Server.prototype.emit('request')` and `request`/`get` of both modules, like
 * `@opentelemetry/instrumentation-http`, with the same span names (`GET`, renamed `GET /route` when a framework
 * instrumentation sets the route in the RPC metadata), kinds and stable attributes (`http.request.method`,
 * `url.scheme`, `url.path`, `url.full`, `server.address`, `server.port`, `network.peer.address`,
 * `network.protocol.version`, `user_agent.original`, `http.response.status_code`, `http.route`, `error.type`;
 * ERROR status for 5xx on servers and 4xx/5xx on clients). What it leaves out to be cheap: no URL parsing (the
 * request line and Host header are sliced), no HTTP metrics, no hooks, attributes only on recorded spans, and the
 * context is bound with one wrapper of each emitter's `emit` instead of one per listener. Requests made inside
 * `suppressTracing` (the OTLP exporter's own) pass through untouched.
 *
 * **Complexity** O(headers) per request: one extract, one inject, a handful of attributes.
 *
 * **Gotchas** Samplers see no attributes at span start (the parent-based ratio samplers do not need them).
 * `url.query` is not recorded (it may hold secrets). Use one HTTP instrumentation, not this and the OpenTelemetry
 * one together — `start()` picks this one unless `AIOPS_HTTP_INSTRUMENTATION=opentelemetry`.
 *
 * @example
 * ```ts
 * start({ instrumentations: [new NodeHttpInstrumentation({ ignoreIncomingRequest: (r) => r.url === '/health' })] });
 * ```
 */
export class NodeHttpInstrumentation extends InstrumentationBase<NodeHttpInstrumentationConfig> {
  #patched: Set<string> = new Set();

  constructor(config: NodeHttpInstrumentationConfig = {}) {
    super('@aiops/instrumentation-node-http', VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return ['http', 'https'].map(
      (name) =>
        new InstrumentationNodeModuleDefinition(
          name,
          ['*'],
          (exports: HttpModule) => this.#patch(name, exports),
          (exports: HttpModule | undefined) => this.#unpatch(name, exports),
        ),
    );
  }

  #patch(scheme: string, exports: HttpModule): HttpModule {
    if (this.#patched.has(scheme)) return exports;
    this.#patched.add(scheme);
    const isEsm = (exports as unknown as Record<symbol, unknown>)[Symbol.toStringTag] === 'Module';
    const patchedRequest =
      (this._wrap(exports, 'request', (original) => this.#outgoing(scheme, original)) as RequestFn | undefined) ??
      exports.request;
    this._wrap(exports, 'get', () => {
      return function get(this: unknown, ...args: Parameters<RequestFn>): http.ClientRequest {
        const req = (patchedRequest as (...a: unknown[]) => http.ClientRequest).apply(this, args);
        req.end();
        return req;
      } as typeof http.get;
    });
    if (isEsm) {
      const def = (exports as unknown as { default: HttpModule }).default;
      def.request = exports.request;
      def.get = exports.get;
    }
    this._wrap(exports.Server.prototype, 'emit', (original) => this.#incoming(scheme, original as EmitFn) as never);
    return exports;
  }

  #unpatch(scheme: string, exports: HttpModule | undefined): void {
    this.#patched.delete(scheme);
    if (!exports) return;
    this._unwrap(exports, 'request');
    this._unwrap(exports, 'get');
    this._unwrap(exports.Server.prototype, 'emit');
  }

  #incoming(scheme: string, original: EmitFn): EmitFn {
    const instrumentation = this;
    return function incomingEmit(this: http.Server, event: string | symbol): boolean {
      // biome-ignore lint/complexity/noArguments: forwarded as is, no rest-array copy per server event
      const args = arguments as unknown as Parameters<EmitFn>;
      if (event !== 'request') return original.apply(this, args);
      const req = args[1] as http.IncomingMessage;
      const res = args[2] as http.ServerResponse;
      if (isTracingSuppressed(context.active())) return original.apply(this, args);
      const ignore = instrumentation.getConfig().ignoreIncomingRequest;
      if (ignore?.(req)) return original.apply(this, args);

      const parent = propagation.extract(ROOT_CONTEXT, req.headers);
      const method = req.method ?? 'GET';
      const span = instrumentation.tracer.startSpan(method, { kind: SpanKind.SERVER }, parent);
      const recording = span.isRecording();
      if (recording) span.setAttributes(serverAttributes(req, scheme));
      const rpc: RPCMetadata = { type: RPCType.HTTP, span };
      const ctx = setRPCMetadata(trace.setSpan(parent, span), rpc);
      bindEmitter(req, ctx);
      bindEmitter(res, ctx);
      let ended = false;
      const finish = (): void => {
        if (ended) return;
        ended = true;
        if (!recording) {
          span.end();
          return;
        }
        if (rpc.type === RPCType.HTTP && rpc.route) {
          span.setAttribute('http.route', rpc.route);
          span.updateName(`${method} ${rpc.route}`);
        }
        if (!res.headersSent) endWithError(span, new Error('connection closed before the response was sent'));
        else endWithStatus(span, res.statusCode, 500);
      };
      // `on`, not `once`: finish runs once anyway, and `once` builds a wrapper per listener.
      res.on('finish', finish);
      res.on('close', finish);
      return context.with(ctx, () => {
        try {
          return original.apply(this, args);
        } catch (err) {
          if (!ended) {
            ended = true;
            endWithError(span, err);
          }
          throw err;
        }
      });
    };
  }

  #outgoing(scheme: string, original: RequestFn): RequestFn {
    const instrumentation = this;
    return function outgoingRequest(this: unknown, ...args: unknown[]): http.ClientRequest {
      const parent = context.active();
      if (isTracingSuppressed(parent)) return (original as (...a: unknown[]) => http.ClientRequest).apply(this, args);
      const req = (original as (...a: unknown[]) => http.ClientRequest).apply(this, args);
      const span = instrumentation.tracer.startSpan(req.method, { kind: SpanKind.CLIENT }, parent);
      const recording = span.isRecording();
      if (recording) span.setAttributes(clientAttributes(req, req.protocol === 'https:' ? 'https' : scheme));
      try {
        propagation.inject(trace.setSpan(parent, span), req, HEADER_SETTER);
      } catch {
        // Headers already sent (a custom agent flushed them): the call goes out without our context.
      }
      // The response callback and every listener run in the caller's context, as they would untraced.
      bindEmitter(req, parent);
      let ended = false;
      const end = (fn: () => void): void => {
        if (ended) return;
        ended = true;
        if (recording) fn();
        else span.end();
      };
      let response: http.IncomingMessage | undefined;
      // `on`, not `once` (no wrapper per listener): response/end/close come once, and `end` runs once anyway.
      // 'error' stays `once`: a second error must reach the app as it would without us.
      req.prependListener('response', (res: http.IncomingMessage) => {
        response = res;
        // Nobody else listens: consume the body, as Node does when there is no 'response' listener at all.
        if (req.listenerCount('response') === 1) res.resume();
        bindEmitter(res, parent);
        const done = (): void =>
          end(() =>
            res.aborted && !res.complete
              ? endWithError(span, new Error('response aborted'))
              : endWithStatus(span, res.statusCode, 400),
          );
        res.on('end', done);
        res.on('close', done);
        res.once('error', (err: Error) => end(() => endWithError(span, err)));
      });
      req.once('error', (err: Error) => end(() => endWithError(span, err)));
      req.on('close', () =>
        end(() =>
          response
            ? endWithStatus(span, response.statusCode, 400)
            : endWithError(span, new Error('request closed before a response')),
        ),
      );
      return req;
    } as RequestFn;
  }
}
