// A map from a pair of non-negative int32 keys to an int32 value, by open addressing on typed arrays: the hot pass
// looks up (caller, callee) and (tree node, callee) once per call, and a Map keyed by a ≥ 2^31 number (a heap
// number, not a small integer) costs an allocation-heavy hash each time.

/** (a, b) → value, values ≥ 0; `get` returns −1 for a missing pair. */
export class PairMap {
  #a: Int32Array;
  #b: Int32Array;
  #v: Int32Array;
  #mask: number;
  /** Number of pairs. */
  size = 0;

  constructor(capacity = 64) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.#a = new Int32Array(size).fill(-1);
    this.#b = new Int32Array(size);
    this.#v = new Int32Array(size);
    this.#mask = size - 1;
  }

  #slot(a: number, b: number): number {
    let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b ^ 0x7f4a7c15, 0xc2b2ae35);
    h ^= h >>> 15;
    let s = Math.imul(h, 0x27d4eb2f) & this.#mask;
    const ka = this.#a;
    const kb = this.#b;
    for (;;) {
      const x = ka[s]!;
      if (x < 0 || (x === a && kb[s] === b)) return s;
      s = (s + 1) & this.#mask;
    }
  }

  /** The value of (a, b), or −1. */
  get(a: number, b: number): number {
    const s = this.#slot(a, b);
    return this.#a[s]! < 0 ? -1 : this.#v[s]!;
  }

  /** Sets (a, b) to `value`. */
  set(a: number, b: number, value: number): void {
    let s = this.#slot(a, b);
    if (this.#a[s]! < 0) {
      if ((this.size + 1) * 2 > this.#a.length) {
        this.#grow();
        s = this.#slot(a, b);
      }
      this.#a[s] = a;
      this.#b[s] = b;
      this.size++;
    }
    this.#v[s] = value;
  }

  /** Calls `fn` for every pair, in no particular order. */
  forEach(fn: (a: number, b: number, value: number) => void): void {
    const ka = this.#a;
    for (let s = 0; s < ka.length; s++) if (ka[s]! >= 0) fn(ka[s]!, this.#b[s]!, this.#v[s]!);
  }

  #grow(): void {
    const ka = this.#a;
    const kb = this.#b;
    const kv = this.#v;
    this.#a = new Int32Array(ka.length * 2).fill(-1);
    this.#b = new Int32Array(ka.length * 2);
    this.#v = new Int32Array(ka.length * 2);
    this.#mask = ka.length * 2 - 1;
    for (let s = 0; s < ka.length; s++) {
      if (ka[s]! < 0) continue;
      const t = this.#slot(ka[s]!, kb[s]!);
      this.#a[t] = ka[s]!;
      this.#b[t] = kb[s]!;
      this.#v[t] = kv[s]!;
    }
  }
}

// Entries a PairIndex keeps in its dense matrix before it moves to hashing (32 MiB).
const DENSE_LIMIT = 2 ** 23;

/**
 * (a, b) → value with b below a known bound: a dense matrix of rows of `bBound` entries, grown by rows as `a` grows
 * (one array read per lookup), moved into a {@link PairMap} once it would exceed 2^23 entries.
 */
export class PairIndex {
  readonly #bBound: number;
  #dense: Int32Array | undefined;
  #hash: PairMap | undefined;

  constructor(bBound: number, rows = 16) {
    this.#bBound = Math.max(1, bBound);
    if (rows * this.#bBound <= DENSE_LIMIT) this.#dense = new Int32Array(rows * this.#bBound).fill(-1);
    else this.#hash = new PairMap(rows);
  }

  /** The value of (a, b), or −1. */
  get(a: number, b: number): number {
    const d = this.#dense;
    if (d) {
      const s = a * this.#bBound + b;
      return s < d.length ? d[s]! : -1;
    }
    return this.#hash!.get(a, b);
  }

  /** Sets (a, b) to `value` (≥ 0); b must be below the bound. */
  set(a: number, b: number, value: number): void {
    let d = this.#dense;
    if (d) {
      const s = a * this.#bBound + b;
      if (s < d.length) {
        d[s] = value;
        return;
      }
      let size = d.length * 2;
      while (size <= s) size *= 2;
      if (size <= DENSE_LIMIT) {
        const grown = new Int32Array(size).fill(-1);
        grown.set(d);
        this.#dense = grown;
        grown[s] = value;
        return;
      }
      // Too large for a matrix: move every pair into the hash map.
      const hash = new PairMap(Math.max(64, d.length >>> 4));
      for (let k = 0; k < d.length; k++)
        if (d[k]! >= 0) hash.set(Math.floor(k / this.#bBound), k % this.#bBound, d[k]!);
      this.#hash = hash;
      this.#dense = undefined;
      d = undefined;
    }
    this.#hash!.set(a, b, value);
  }
}
