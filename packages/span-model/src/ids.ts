// Trace and span ids: parsing from hex or base64, normalising to lower-case hex, binary form.

const HEX = '0123456789abcdef';
const HEX_PAIRS: string[] = Array.from({ length: 256 }, (_, i) => HEX[i >> 4]! + HEX[i & 15]!);

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Writes a hex id into `out` at `offset`, right-aligned in `width` bytes (shorter ids are zero-padded on the left,
 * so a 64-bit Zipkin trace id and its 128-bit zero-padded form are the same bytes).
 *
 * **Details** Accepts upper and lower case; an odd number of digits is padded with one leading zero.
 *
 * **Complexity** O(width).
 *
 * @returns true when `hex` was a valid hex id of at most `width` bytes and not all zeros; false otherwise
 *   (the bytes written are then unspecified).
 * @example
 * ```ts
 * const bytes = new Uint8Array(16);
 * writeHexId('4bf92f3577b34da6', bytes, 0, 16); // zero-padded 128-bit form
 * ```
 */
export function writeHexId(hex: string, out: Uint8Array, offset: number, width: number): boolean {
  const n = hex.length;
  if (n === 0 || n > width * 2) return false;
  const digits = width * 2;
  let nonZero = false;
  for (let i = 0; i < digits; i++) {
    const src = i - (digits - n);
    const v = src < 0 ? 0 : hexNibble(hex.charCodeAt(src));
    if (v < 0) return false;
    if (v !== 0) nonZero = true;
    if ((i & 1) === 0) out[offset + (i >> 1)] = v << 4;
    else out[offset + (i >> 1)]! |= v;
  }
  return nonZero;
}

/**
 * Lower-case hex of `length` bytes of `bytes` starting at `offset`.
 *
 * **Complexity** O(length).
 *
 * @example
 * ```ts
 * bytesToHex(new Uint8Array([0xab, 0x01]), 0, 2); // 'ab01'
 * ```
 */
export function bytesToHex(bytes: Uint8Array, offset = 0, length: number = bytes.length - offset): string {
  let s = '';
  for (let i = 0; i < length; i++) s += HEX_PAIRS[bytes[offset + i]!];
  return s;
}

const B64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Normalises an id as written by any supported format into lower-case hex of `width` bytes.
 *
 * **Details** Hex ids (any case, 64-bit or 128-bit for trace ids) are zero-padded on the left; base64 ids (as in
 * OTLP/JSON written by protobuf's canonical JSON mapping, e.g. by the Jaeger storage fixtures) are decoded when the
 * text is not hex. Returns `undefined` when the text is neither, is longer than `width` bytes, or is all zeros.
 *
 * **Gotchas** A 16-character base64 string that is also valid hex is read as hex: ambiguous only for ids whose base64
 * uses just [0-9a-fA-F], which canonical base64 of 8 or 16 bytes cannot be (it has length 12 or 24).
 *
 * @example
 * ```ts
 * normalizeId('5B8EFFF798038103D269B633813FC60C', 16); // '5b8efff798038103d269b633813fc60c'
 * normalizeId('W47/95gDgQPSabYzgT/GDA==', 16);           // the same id, from base64
 * normalizeId('d269b633813fc60c', 16);                   // '0000000000000000d269b633813fc60c'
 * ```
 */
export function normalizeId(text: string, width: 8 | 16): string | undefined {
  const bytes = new Uint8Array(width);
  return parseIdInto(text, bytes, 0, width) ? bytesToHex(bytes, 0, width) : undefined;
}

/**
 * Parses an id (hex or base64, see {@link normalizeId}) into `out` at `offset`, right-aligned in `width` bytes.
 *
 * @returns false when the id is not valid hex or base64 of at most `width` bytes, or is all zeros.
 * @example
 * ```ts
 * const buf = new Uint8Array(8);
 * parseIdInto('AAAAAAAAAAE=', buf, 0, 8); // true
 * ```
 */
export function parseIdInto(text: string, out: Uint8Array, offset: number, width: number): boolean {
  const t = text.trim();
  if (/^[0-9a-fA-F]+$/.test(t) && t.length <= width * 2) return writeHexId(t, out, offset, width);
  if (!B64.test(t)) return false;
  let raw: Buffer;
  try {
    raw = Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64');
  } catch {
    return false;
  }
  // Base64 ids are whole binary ids: 16 or 8 bytes for trace ids (a 64-bit id), 8 for span ids.
  if (raw.length !== width && !(width === 16 && raw.length === 8)) return false;
  out.fill(0, offset, offset + width);
  out.set(raw, offset + width - raw.length);
  for (let i = 0; i < raw.length; i++) if (raw[i] !== 0) return true;
  return false;
}

/**
 * Normalises a trace id as a user types it: 32 or 16 hex digits, any case, surrounding spaces ignored.
 * A 64-bit id becomes its zero-padded 128-bit form.
 *
 * @returns 32 lower-case hex digits, or `undefined` when the text is not a trace id.
 * @example
 * ```ts
 * normalizeTraceId(' D269B633813FC60C '); // '0000000000000000d269b633813fc60c'
 * ```
 */
export function normalizeTraceId(text: string): string | undefined {
  const t = text.trim();
  if (!/^[0-9a-fA-F]{1,32}$/.test(t)) return undefined;
  const bytes = new Uint8Array(16);
  return writeHexId(t, bytes, 0, 16) ? bytesToHex(bytes, 0, 16) : undefined;
}
