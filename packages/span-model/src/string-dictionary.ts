// String interning: maps strings (or UTF-8 byte ranges) to dense integer codes, so hot loops compare integers.

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * A growable dictionary of distinct strings with dense codes 0..size-1.
 *
 * **Details** `intern(s)` returns the code of `s`, adding it when new. `internUtf8(bytes, start, end)` does the same
 * for a UTF-8 byte range without allocating a string when the bytes were seen before (FNV-1a hash over the bytes,
 * verified byte by byte), which is what keeps the protobuf decoder free of per-span string churn.
 *
 * **Complexity** O(length of the string) per call, amortised.
 *
 * @example
 * ```ts
 * const d = new StringDictionary();
 * d.intern('frontend'); // 0
 * d.intern('cart');     // 1
 * d.intern('frontend'); // 0
 * d.values;             // ['frontend', 'cart']
 * ```
 */
export class StringDictionary {
  /** The distinct strings, indexed by code. */
  readonly values: string[] = [];
  private readonly byString = new Map<string, number>();
  // Open-addressing table over UTF-8 bytes: slot → code + 1 (0 = empty).
  private slots = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private bytes: Uint8Array[] = [];
  private used = 0;

  /** Number of distinct strings. */
  get size(): number {
    return this.values.length;
  }

  /** Code of `s`, added when new. */
  intern(s: string): number {
    let code = this.byString.get(s);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(s);
      this.byString.set(s, code);
    }
    return code;
  }

  /** Code of `s`, or -1 when it was never interned. */
  lookup(s: string): number {
    return this.byString.get(s) ?? -1;
  }

  /** Code of the UTF-8 text `buf[start..end)`, added when new; a string is allocated only for new text. */
  internUtf8(buf: Uint8Array, start: number, end: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const mask = this.slots.length - 1;
    let slot = h & mask;
    const len = end - start;
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === 0) break;
      if (this.hashes[slot] === h) {
        const b = this.bytes[entry - 1]!;
        if (b.length === len) {
          let same = true;
          for (let i = 0; i < len; i++) {
            if (b[i] !== buf[start + i]) {
              same = false;
              break;
            }
          }
          if (same) return this.codeOfEntry[entry - 1]!;
        }
      }
      slot = (slot + 1) & mask;
    }
    const text = decoder.decode(buf.subarray(start, end));
    const code = this.intern(text);
    this.bytes.push(buf.slice(start, end));
    this.codeOfEntry.push(code);
    this.slots[slot] = this.bytes.length;
    this.hashes[slot] = h;
    if (++this.used * 2 > this.slots.length) this.grow();
    return code;
  }

  private codeOfEntry: number[] = [];

  private grow(): void {
    const oldSlots = this.slots;
    const oldHashes = this.hashes;
    this.slots = new Int32Array(oldSlots.length * 2);
    this.hashes = new Int32Array(oldSlots.length * 2);
    const mask = this.slots.length - 1;
    for (let i = 0; i < oldSlots.length; i++) {
      const entry = oldSlots[i]!;
      if (entry === 0) continue;
      let slot = oldHashes[i]! & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = entry;
      this.hashes[slot] = oldHashes[i]!;
    }
  }
}
