// Binary ids read as 32-bit words, so hashing and comparing an id costs two or four integer reads, not 8 or 16
// byte reads.

/**
 * `bytes` as `words` int32 words: a zero-copy view when the bytes are 4-byte aligned (Arrow buffers are 8-byte
 * aligned), else an aligned copy.
 */
export function int32Words(bytes: Uint8Array, words: number): Int32Array {
  if (bytes.byteOffset % 4 === 0) return new Int32Array(bytes.buffer, bytes.byteOffset, words);
  return new Int32Array(bytes.slice(0, words * 4).buffer);
}

/** A well-mixed 32-bit hash of a 64-bit id given as two words. */
export function hash2(lo: number, hi: number): number {
  let h = Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(hi ^ 0x7f4a7c15, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x27d4eb2f);
  return h ^ (h >>> 13);
}

/** A well-mixed 32-bit hash of a 128-bit id given as four words. */
export function hash4(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b ^ 0x7f4a7c15, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15) ^ c, 0x27d4eb2f) ^ Math.imul(d ^ 0x165667b1, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 13);
}

/** The smallest power of two ≥ max(minimum, 2·count): an open-addressing table at most half full. */
export function tableSize(count: number, minimum = 16): number {
  let size = minimum;
  while (size < count * 2) size *= 2;
  return size;
}
