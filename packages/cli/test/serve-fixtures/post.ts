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
 *
 * **Details** Writing stops as soon as the response head arrives; a write that fails after that (EPIPE, ECONNRESET:
 * the server closed the connection) is ignored and the response is still read to its end. A write failure *before*
 * any response rejects, naming how many bytes were sent: Node closes the socket on a failed write, so a response the
 * server sent but this client had not read yet is gone. The server's lingering close (it drains the rest of the body
 * for up to 2 s after answering) is what keeps that from happening; see `lingeringClose` in ingest-http.ts.
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
    let sentBytes = 0;
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) });
        req.destroy();
      });
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!answered)
        reject(new Error(`post ${path}: ${err.message} after ${sentBytes} of ${total} bytes, before any response`));
    });
    if (body instanceof Uint8Array) {
      sentBytes = body.length;
      req.end(body);
      return;
    }
    let sent = 0;
    const pump = () => {
      while (sent < body.times && !answered && !req.destroyed) {
        sent++;
        sentBytes += body.chunk.length;
        if (!req.write(body.chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      // Answered early: leave the body unfinished (ending it would only add a length-mismatch error); the
      // response handler destroys the request once the response is read.
      if (!req.destroyed && !answered) req.end();
    };
    pump();
  });
}
