// Utf8 Arrow vectors built straight from string arrays: offsets and UTF-8 bytes, no Arrow builder.
//
// `vectorFromArray(strings, new Utf8())` goes through Arrow's generic builder (validity bitmap, per-value chunk
// bookkeeping), which dominated `SpanTableBuilder.finish()` on small OTLP requests (24 dictionaries per table).
import { Data, Dictionary, Int32, Utf8, Vector } from 'apache-arrow';

const encoder = new TextEncoder();
// `makeData` gives a non-null column an empty validity bitmap; one shared empty array does the same without an
// allocation per vector (zero-length, so nothing can be written into it).
const NO_NULLS = new Uint8Array(0);

/**
 * One non-null Utf8 vector per string list, in order, encoded as UTF-8 (lone surrogates become U+FFFD, as with
 * `TextEncoder` and Arrow's own builder).
 *
 * All vectors share one offsets buffer and one byte buffer (each vector gets zero-based offsets and its own byte
 * range): a table's two dozen mostly one-value dictionaries then cost two allocations, not two each. ASCII is copied
 * code unit by code unit (short strings, the common case, cost less than a `TextEncoder` call); the rest of a string
 * from its first non-ASCII unit on goes through `TextEncoder.encodeInto`.
 */
export function utf8Vectors(lists: readonly (readonly string[])[]): Vector<Utf8>[] {
  let units = 0;
  let offsetSlots = 0;
  for (const strings of lists) {
    offsetSlots += strings.length + 1;
    for (let i = 0; i < strings.length; i++) units += strings[i]!.length;
  }
  const offsets = new Int32Array(offsetSlots);
  // ASCII needs exactly `units` bytes; non-ASCII may need up to 3 bytes per UTF-16 unit (grown below). Invariant:
  // `bytes` always has room for the units still to write at one byte each.
  let bytes = new Uint8Array(units + 8);
  let pos = 0;
  let slot = 0;
  const ranges: number[] = [];
  for (const strings of lists) {
    const base = pos;
    offsets[slot] = 0;
    for (let i = 0; i < strings.length; i++) {
      const s = strings[i]!;
      const len = s.length;
      let j = 0;
      for (; j < len; j++) {
        const c = s.charCodeAt(j);
        if (c >= 0x80) break;
        bytes[pos++] = c;
      }
      if (j < len) {
        const need = pos + (len - j) * 3 + (units - len);
        if (need > bytes.length) {
          const grown = new Uint8Array(Math.max(need, bytes.length * 2));
          grown.set(bytes.subarray(0, pos));
          bytes = grown;
        }
        pos += encoder.encodeInto(j === 0 ? s : s.slice(j), bytes.subarray(pos)).written;
      }
      units -= len;
      offsets[slot + i + 1] = pos - base;
    }
    ranges.push(base, pos);
    slot += strings.length + 1;
  }
  // Views are taken only now: `bytes` may have been replaced while growing.
  // `Data` is built directly (buffers in Arrow's BufferType order: offsets, values, validity), as `makeData` would
  // build it, minus its per-call visitor dispatch and buffer re-wrapping.
  const type = new Utf8();
  const out: Vector<Utf8>[] = [];
  slot = 0;
  lists.forEach((strings, k) => {
    const count = strings.length;
    const data = new Data<Utf8>(type, 0, count, 0, [
      offsets.subarray(slot, slot + count + 1),
      bytes.subarray(ranges[2 * k]!, ranges[2 * k + 1]!),
      NO_NULLS,
    ]);
    out.push(new Vector([data]));
    slot += count + 1;
  });
  return out;
}

/**
 * A non-null dictionary column: Int32 `codes` into `dictionary`, the `Data` that
 * `makeData({ type: new Dictionary(new Utf8(), new Int32()), length, nullCount: 0, data: codes, dictionary })`
 * builds, without its visitor dispatch and empty-bitmap allocation.
 */
export function dictionaryData(codes: Int32Array, dictionary: Vector<Utf8>): Data<Dictionary<Utf8, Int32>> {
  return new Data(
    new Dictionary(new Utf8(), new Int32()),
    0,
    codes.length,
    0,
    [undefined, codes, NO_NULLS],
    [],
    dictionary,
  );
}
