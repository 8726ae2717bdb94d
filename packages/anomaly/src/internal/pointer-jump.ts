// Pointer jumping over parent-like arrays, and a typed hash set of int pairs: the small primitives of the series pass.

/**
 * Replaces each `link[i]` by the fixed point of following links (`link[r] === r`), in O(n log depth). Chains that
 * never settle (parent cycles) stop after 64 passes, pointing somewhere on their cycle.
 */
export function jump(link: Int32Array): void {
  const n = link.length;
  for (let pass = 0; pass < 64; pass++) {
    let changed = false;
    for (let i = 0; i < n; i++) {
      const a = link[i]!;
      const b = link[a]!;
      if (a !== b) {
        link[i] = b;
        changed = true;
      }
    }
    if (!changed) return;
  }
}

/** A growable open-addressing set of (a, b) int pairs. */
export class PairSet {
  #a: Int32Array;
  #b: Int32Array;
  #size = 0;
  #mask: number;
  constructor(capacity: number) {
    let c = 16;
    while (c < capacity * 2) c *= 2;
    this.#a = new Int32Array(c).fill(-1);
    this.#b = new Int32Array(c);
    this.#mask = c - 1;
  }
  /** Adds the pair; true when it was not there. Both values must be ≥ 0. */
  add(a: number, b: number): boolean {
    if (this.#size * 2 >= this.#a.length) this.#grow();
    let s = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x632be5ab, 0x85ebca6b)) >>> 0;
    s = (s ^ (s >>> 15)) & this.#mask;
    for (;;) {
      const x = this.#a[s]!;
      if (x < 0) {
        this.#a[s] = a;
        this.#b[s] = b;
        this.#size++;
        return true;
      }
      if (x === a && this.#b[s] === b) return false;
      s = (s + 1) & this.#mask;
    }
  }
  #grow(): void {
    const oa = this.#a;
    const ob = this.#b;
    this.#a = new Int32Array(oa.length * 2).fill(-1);
    this.#b = new Int32Array(oa.length * 2);
    this.#mask = this.#a.length - 1;
    this.#size = 0;
    for (let i = 0; i < oa.length; i++) if (oa[i]! >= 0) this.add(oa[i]!, ob[i]!);
  }
}
