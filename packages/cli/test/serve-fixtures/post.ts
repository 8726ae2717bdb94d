// Raw HTTP POSTs for the serve tests (node:http, so a response that arrives before the body is sent is read).
import http from 'node:http';

/** A response: status, headers and body. */
export interface Posted {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * POSTs `body` (or `chunks` of it, sent as they are generated, without Content-Length when `chunked`) and resolves
 * with the response, even when the server answers before reading everything and closes the connection.
 */
export function post(
  port: number,
  path: string,
  body: Uint8Array | { chunk: Uint8Array; times: number },
  headers: Record<string, string> = {},
  chunked = false,
): Promise<Posted> {
  return new Promise((resolve, reject) => {
    const total = body instanceof Uint8Array ? body.length : body.chunk.length * body.times;
    const req = http.request({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      headers: { ...headers, ...(chunked ? {} : { 'content-length': String(total) }) },
      agent: false,
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (body instanceof Uint8Array) {
      req.end(body);
      return;
    }
    let sent = 0;
    const pump = () => {
      while (sent < body.times && !answered && !req.destroyed) {
        sent++;
        if (!req.write(body.chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}
