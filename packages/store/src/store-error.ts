// StoreError: the failures of the embedded store that a user can act on (locked, corrupt, missing, io), with a code.

/** What went wrong, as a stable code callers can switch on. */
export type StoreErrorCode = 'locked' | 'corrupt' | 'not-found' | 'read-only' | 'io' | 'version' | 'closed';

/**
 * An error of the embedded trace store that is not a programming error: the store is locked by another process, the
 * file is not a store, a read-only store does not exist, the disk failed.
 *
 * **Details** `code` says which; `dir` names the store directory; `cause` keeps the engine's error. The message is
 * one sentence a user can act on (the cli prints it without a stack trace).
 *
 * **Gotchas** Recognise it by `err.name === 'StoreError'` or {@link isStoreError} when two copies of the package may
 * be loaded; `instanceof` works within one copy.
 *
 * @example
 * ```ts
 * try {
 *   await openStore({ dir });
 * } catch (err) {
 *   if (isStoreError(err) && err.code === 'locked') console.error(err.message);
 * }
 * ```
 */
export class StoreError extends Error {
  /** Which failure. */
  readonly code: StoreErrorCode;
  /** The store directory concerned. */
  readonly dir: string;

  /** Creates a store error. */
  constructor(code: StoreErrorCode, dir: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
    this.dir = dir;
  }
}

/**
 * Whether `value` is a {@link StoreError} (from any copy of this package).
 *
 * @example
 * ```ts
 * if (isStoreError(err) && err.code === 'locked') { ... }
 * ```
 */
export function isStoreError(value: unknown): value is StoreError {
  return value instanceof Error && value.name === 'StoreError' && typeof (value as StoreError).code === 'string';
}
