// The small HTTP framework every shop service is built on: routing, JSON bodies, the fault middleware and
// control endpoint (`/__fault`, `/__health`), and a keep-alive client for calls to other services.

import { Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { trace } from '@opentelemetry/api';
import { FaultController, type FaultSpec } from './faults.ts';
import { doHandlerWork, handlerWorkFromEnv } from './handler-work.ts';

/** A parsed request. */
export interface ShopRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

/** What a handler answers. */
export interface ShopReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A route: `path` may hold `:name` parameters. */
export interface Route {
  readonly method: string;
  readonly path: string;
  readonly handler: (req: ShopRequest) => Promise<ShopReply>;
}

/** A running service. */
export interface RunningService {
  readonly name: string;
  readonly port: number;
  readonly faults: FaultController;
  close(): Promise<void>;
}

/** Thrown by {@link callService} for a non-2xx answer or a transport failure. */
export class CallError extends Error {
  readonly status: number;
  readonly target: string;
  constructor(target: string, status: number, message: string) {
    super(message);
    this.name = 'CallError';
    this.status = status;
    this.target = target;
  }
}

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function matchRoute(route: Route, method: string, path: string): Record<string, string> | undefined {
  if (route.method !== method) return undefined;
  const want = route.path.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(':')) params[w.slice(1)] = decodeURIComponent(g);
    else if (w !== g) return undefined;
  }
  return params;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function send(res: ServerResponse, reply: ShopReply): void {
  const body = JSON.stringify(reply.body ?? null);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...reply.headers,
  });
  res.end(body);
}

/**
 * Starts a service on `port` (0 = any) with the given routes, the fault middleware and the control endpoints:
 * `POST /__fault` (body: a {@link FaultSpec}) → 201 with the fault record; `GET /__fault` → active faults;
 * `DELETE /__fault[/id]` → ends faults (written to the ground-truth file); `GET /__health` → 200.
 */
export async function startService(options: {
  name: string;
  port: number;
  routes: readonly Route[];
  faults?: FaultController;
  truthFile?: string | undefined;
}): Promise<RunningService> {
  const faults = options.faults ?? new FaultController(options.name, options.truthFile);
  const work = handlerWorkFromEnv();
  let workSink = 0;
  const sockets = new Set<Socket>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    if (path === '/__health') return send(res, { status: 200, body: { service: options.name, ok: true } });
    if (path === '/__fault' || path.startsWith('/__fault/')) {
      if (method === 'POST') {
        const r = faults.inject(body as FaultSpec);
        return send(res, typeof r === 'string' ? { status: 400, body: { error: r } } : { status: 201, body: r });
      }
      if (method === 'DELETE') {
        const id = path.slice('/__fault/'.length) || undefined;
        return send(res, { status: 200, body: faults.clear(id) });
      }
      return send(res, { status: 200, body: faults.list() });
    }
    const fault = faults.forRequest(path);
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    if (fault.action === 'reply') {
      const headers: Record<string, string> = fault.status === 429 ? { 'retry-after': '1' } : {};
      return send(res, { status: fault.status, body: { error: fault.reason }, headers });
    }
    for (const route of options.routes) {
      const params = matchRoute(route, method, path);
      if (!params) continue;
      // Name the server span after the route, as framework instrumentations (express, fastify) do.
      const span = trace.getActiveSpan();
      span?.setAttribute('http.route', route.path);
      span?.updateName(`${method} ${route.path}`);
      // Benchmarks only (SHOP_HANDLER_WORK): CPU work a real service would do per request.
      if (work > 0) workSink = (workSink + doHandlerWork(work, path.length)) | 0;
      try {
        return send(
          res,
          await route.handler({ method, path, params, query: url.searchParams, headers: req.headers, body }),
        );
      } catch (err) {
        // A failed downstream call becomes 502 (or 504 for a timeout), as a real gateway would answer.
        // A caller's own mistake (4xx other than 429) passes through; a rate limit upstream is our 503.
        const status =
          err instanceof CallError
            ? err.status >= 400 && err.status < 500 && err.status !== 429
              ? err.status
              : err.status === 504
                ? 504
                : err.status === 429
                  ? 503
                  : 502
            : 500;
        return send(res, { status, body: { error: err instanceof Error ? err.message : String(err) } });
      }
    }
    send(res, { status: 404, body: { error: `no route for ${method} ${path}` } });
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, { status: 500, body: { error: String(err) } });
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const port = await listen(options.port);
  faults.onDown = (down) => {
    if (down) {
      server.close();
      for (const s of sockets) s.destroy();
    } else {
      listen(port).catch(() => {});
    }
  };
  return {
    name: options.name,
    port,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        faults.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        if (!server.listening) resolve();
      }),
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/**
 * Calls another service over HTTP with a JSON body and a timeout; resolves to the parsed JSON answer, throws
 * {@link CallError} for a non-2xx status (status kept), a timeout (504) or a connection failure (503).
 */
export function callService(
  target: string,
  baseUrl: string,
  path: string,
  options: { method?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<unknown> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}${path}`,
      {
        method: options.method ?? 'GET',
        agent,
        timeout: options.timeoutMs ?? 2000,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {}
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(body);
          else {
            const msg = (body as { error?: string } | undefined)?.error ?? text;
            reject(new CallError(target, status, `${target} answered ${status}: ${msg}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new CallError(target, 504, `${target} timed out`)));
    req.on('error', (err) =>
      reject(err instanceof CallError ? err : new CallError(target, 503, `${target} unreachable: ${err.message}`)),
    );
    req.end(payload);
  });
}

/** The URL of a downstream service from `SHOP_<NAME>_URL` (e.g. SHOP_AUTH_SERVICE_URL). */
export function serviceUrl(name: string): string {
  const key = `SHOP_${name.toUpperCase().replace(/-/g, '_')}_URL`;
  const v = process.env[key];
  if (!v) throw new TypeError(`example-shop: ${key} is not set`);
  return v;
}

/**
 * Runs a service from its entry file: port from SHOP_PORT, ground truth from SHOP_GROUND_TRUTH. `build` gets the
 * service's fault controller (for its database/cache) and returns the routes. Reports the port to the launcher.
 */
export async function runServiceMain(
  name: string,
  build: (faults: FaultController) => readonly Route[] | Promise<readonly Route[]>,
): Promise<void> {
  const faults = new FaultController(name, process.env.SHOP_GROUND_TRUTH);
  const routes = await build(faults);
  const svc = await startService({ name, port: Number(process.env.SHOP_PORT ?? 0), routes, faults });
  const stop = (): void => {
    // Record active faults in the ground truth before exiting (instrumentation flushes on the same signal).
    svc.faults.clear();
    void svc.close();
    // Whatever still holds the event loop (keep-alive sockets, the database), leave within 2 s.
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (process.send) process.send({ ready: true, service: name, port: svc.port });
  else process.stdout.write(`${name} listening on http://127.0.0.1:${svc.port}\n`);
}
