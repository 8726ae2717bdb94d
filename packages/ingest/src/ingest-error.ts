// IngestError: the one error type for inputs that cannot be decoded at all (not a trace format, broken JSON or
// protobuf, a wrong structure). It names the file and the position so that a user can open the file and look.

/** Why an input could not be decoded. */
export const IngestErrorCode = {
  /** The input is empty (or only whitespace). */
  EmptyInput: 'EMPTY_INPUT',
  /** The input is none of the formats aiops reads. */
  UnknownFormat: 'UNKNOWN_FORMAT',
  /** A format aiops recognises but does not read (e.g. Zipkin v1). */
  UnsupportedFormat: 'UNSUPPORTED_FORMAT',
  /** JSON with a syntax error. */
  InvalidJson: 'INVALID_JSON',
  /** JSON that ends in the middle of a value. */
  TruncatedJson: 'TRUNCATED_JSON',
  /** Protobuf whose length prefixes run past the end of the input. */
  TruncatedProtobuf: 'TRUNCATED_PROTOBUF',
  /** Protobuf with an invalid wire type or varint. */
  InvalidProtobuf: 'INVALID_PROTOBUF',
  /** Valid JSON with the wrong structure at some path (e.g. `spans` is not an array). */
  WrongType: 'WRONG_TYPE',
  /** Every span of the input was rejected: nothing could be kept. */
  NoValidSpans: 'NO_VALID_SPANS',
  /** Gzip data that cannot be decompressed. */
  InvalidGzip: 'INVALID_GZIP',
  /** A path given to the file functions does not exist or cannot be read. */
  FileNotReadable: 'FILE_NOT_READABLE',
} as const;
/** A value of {@link IngestErrorCode}. */
export type IngestErrorCode = (typeof IngestErrorCode)[keyof typeof IngestErrorCode];

/** Fields of an {@link IngestError}. */
export interface IngestErrorInit {
  /** What went wrong. */
  readonly code: IngestErrorCode;
  /** File name (or the `source` option; '<input>' when none was given). */
  readonly file: string;
  /** Where: `byte 1234`, `line 3 column 7`, or a JSON path such as `resourceSpans[0].scopeSpans[1].spans[7]`. */
  readonly position: string;
  /** What is wrong there, without file and position (they are prepended). */
  readonly detail: string;
}

/**
 * The error thrown when an input cannot be decoded at all.
 *
 * **Details** `message` reads `<file>: <position>: <detail>` (position omitted when empty), for example
 * `traces.json: line 2 column 1 (byte 79): invalid JSON: unexpected ']'`. `code`, `file`, `position` and `detail`
 * are also available as fields. Individual bad spans do not throw: they are counted in `DecodeResult.rejected`.
 *
 * **Complexity** O(1).
 *
 * **Gotchas** Recognise it with {@link isIngestError} (or `err.name === 'IngestError'`) rather than `instanceof` when
 * two copies of this package may be loaded.
 *
 * @example
 * ```ts
 * try {
 *   decodeTraces('[{"traceId":', { source: 'a.json' });
 * } catch (err) {
 *   if (isIngestError(err)) console.error(err.code, err.message); // TRUNCATED_JSON a.json: line 1 column 13 ...
 * }
 * ```
 */
export class IngestError extends Error {
  /** What went wrong. */
  readonly code: IngestErrorCode;
  /** The file (or source) name. */
  readonly file: string;
  /** Where in the file. */
  readonly position: string;
  /** The message without file and position. */
  readonly detail: string;

  /** Creates the error; the message is built from the fields. */
  constructor(init: IngestErrorInit) {
    super(init.position ? `${init.file}: ${init.position}: ${init.detail}` : `${init.file}: ${init.detail}`);
    this.name = 'IngestError';
    this.code = init.code;
    this.file = init.file;
    this.position = init.position;
    this.detail = init.detail;
  }
}

/**
 * True when `value` is an {@link IngestError} (from any copy of this package).
 *
 * @example
 * ```ts
 * if (isIngestError(err)) process.exitCode = 2;
 * ```
 */
export function isIngestError(value: unknown): value is IngestError {
  return value instanceof Error && value.name === 'IngestError' && typeof (value as IngestError).code === 'string';
}
