// An in-process LRU cache with TTL (what the cart service keeps carts in), traced as a cache client through
// @aiops/instrumentation's withDbSpan, so every get/set is a CLIENT span with db.* attributes.
import { withDbSpan } from '@aiops/instrumentation';
import type { FaultController } from './faults.ts';
import { sleep } from './service.ts';

/** A least-recently-used cache of JSON values with a time to live. */
export class LruCache<V> {
  readonly #map = new Map<string, { value: V; expires: number }>();
  readonly #capacity: number;
  readonly #ttlMs: number;
  readonly #name: string;
  readonly #faults: FaultController;

  constructor(name: string, capacity: number, ttlMs: number, faults: FaultController) {
    this.#name = name;
    this.#capacity = capacity;
    this.#ttlMs = ttlMs;
    this.#faults = faults;
  }

  /** The value of `key`, or undefined (a miss, or expired). */
  get(key: string): Promise<V | undefined> {
    return withDbSpan(
      { system: 'lru-cache', operation: 'GET', namespace: this.#name, collection: 'carts', peerService: this.#name },
      async (span) => {
        const delay = this.#faults.dbDelayMs();
        if (delay > 0) await sleep(delay);
        const hit = this.#map.get(key);
        const fresh = hit !== undefined && hit.expires > Date.now();
        span.setAttribute('cache.hit', fresh);
        if (!fresh) {
          if (hit) this.#map.delete(key);
          return undefined;
        }
        this.#map.delete(key);
        this.#map.set(key, hit);
        return hit.value;
      },
    );
  }

  /** Stores `value` under `key`, evicting the least recently used entry when full. */
  set(key: string, value: V): Promise<void> {
    return withDbSpan(
      { system: 'lru-cache', operation: 'SET', namespace: this.#name, collection: 'carts', peerService: this.#name },
      async () => {
        const delay = this.#faults.dbDelayMs();
        if (delay > 0) await sleep(delay);
        this.#map.delete(key);
        this.#map.set(key, { value, expires: Date.now() + this.#ttlMs });
        while (this.#map.size > this.#capacity) this.#map.delete(this.#map.keys().next().value as string);
      },
    );
  }

  /** Removes `key`. */
  delete(key: string): Promise<void> {
    return withDbSpan(
      { system: 'lru-cache', operation: 'DEL', namespace: this.#name, collection: 'carts', peerService: this.#name },
      async () => {
        this.#map.delete(key);
      },
    );
  }
}
