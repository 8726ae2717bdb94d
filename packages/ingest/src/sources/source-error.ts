// SourceError: why a remote trace backend (Jaeger, Tempo, Zipkin) could not answer, with a stable code.

/** What went wrong. */
export type SourceErrorCode = 'unreachable' | 'timeout' | 'auth' | 'not_found' | 'bad_response' | 'schema';

/**
 * An error talking to a remote trace backend that is not a programming error.
 *
 * **Details** `url` is the request URL without credentials; `status` the HTTP status when there was a response. The
 * message is one sentence a user can act on (the cli prints it without a stack trace).
 *
 * **Gotchas** Recognise it by {@link isSourceError} (`name === 'SourceError'`) across package copies.
 *
 * @example
 * ```ts
 * try { await source.getTrace(id); } catch (err) { if (isSourceError(err) && err.code === 'auth') ... }
 * ```
 */
export class SourceError extends Error {
  /** Which failure. */
  readonly code: SourceErrorCode;
  /** The URL concerned, without credentials. */
  readonly url: string;
  /** HTTP status, when the server answered. */
  readonly status: number | undefined;

  /** Creates a source error. */
  constructor(code: SourceErrorCode, url: string, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SourceError';
    this.code = code;
    this.url = url;
    this.status = options?.status;
  }
}

/**
 * Whether `value` is a {@link SourceError} (from any copy of this package).
 *
 * @example
 * ```ts
 * if (isSourceError(err)) console.error(err.message);
 * ```
 */
export function isSourceError(value: unknown): value is SourceError {
  return value instanceof Error && value.name === 'SourceError' && typeof (value as SourceError).code === 'string';
}
