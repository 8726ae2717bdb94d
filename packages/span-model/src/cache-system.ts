// Which `db.system` values name a cache (a call expected to be fast, whose miss falls through to a database).
//
// Reference: OpenTelemetry semantic conventions, `db.system.name` well-known values; instrumentations of
// in-process caches (`lru-cache`, `node-cache`, Caffeine, Ehcache) that record their calls as database spans.

const CACHE_SYSTEMS: ReadonlySet<string> = new Set([
  'redis',
  'memcached',
  'valkey',
  'keydb',
  'dragonfly',
  'dragonflydb',
  'hazelcast',
  'aerospike',
  'coherence',
  'oracle.coherence',
  'geode',
  'ehcache',
  'caffeine',
  'infinispan',
  'lru-cache',
  'node-cache',
]);

/** `cache` / `intersystems_cache` is InterSystems Caché, a database, not a cache. */
const NOT_CACHES: ReadonlySet<string> = new Set(['cache', 'intersystems_cache']);

/**
 * Whether a `db.system` value (the span model's `dbSystem` column) names a cache.
 *
 * **Details** Known cache systems (Redis, Memcached, Valkey, KeyDB, Dragonfly, Hazelcast, Aerospike, Coherence,
 * Geode, Ehcache, Caffeine, Infinispan, lru-cache, node-cache), and any other value containing `cache`
 * (`jcache`, `guava-cache`). Case and surrounding spaces are ignored.
 *
 * **Complexity** O(length of `dbSystem`).
 *
 * **Gotchas** `cache` alone is InterSystems Caché, a database (OTel's deprecated `db.system` value), so it is
 * not a cache. An empty string is not a cache. Look at service or peer names yourself when spans carry no
 * `db.system`.
 *
 * @example
 * ```ts
 * isCacheSystem('redis'); // true
 * isCacheSystem('lru-cache'); // true
 * isCacheSystem('postgresql'); // false
 * isCacheSystem('cache'); // false (InterSystems Caché)
 * ```
 */
export function isCacheSystem(dbSystem: string): boolean {
  const s = dbSystem.trim().toLowerCase();
  if (CACHE_SYSTEMS.has(s)) return true;
  return s.includes('cache') && !NOT_CACHES.has(s);
}
