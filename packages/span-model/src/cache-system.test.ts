import { describe, expect, it } from 'vitest';
import { isCacheSystem } from './cache-system.ts';

describe('isCacheSystem', () => {
  it('knows the cache systems OTel and cache instrumentations name', () => {
    for (const s of ['redis', 'memcached', 'valkey', 'hazelcast', 'aerospike', 'geode', 'ehcache', 'caffeine']) {
      expect(isCacheSystem(s)).toBe(true);
    }
    expect(isCacheSystem('lru-cache')).toBe(true);
    expect(isCacheSystem(' Redis ')).toBe(true);
    expect(isCacheSystem('guava-cache')).toBe(true);
  });

  it('says no for databases, InterSystems Caché and an empty value', () => {
    for (const s of [
      'postgresql',
      'mysql',
      'mongodb',
      'cassandra',
      'elasticsearch',
      'cache',
      'intersystems_cache',
      '',
    ]) {
      expect(isCacheSystem(s)).toBe(false);
    }
  });
});
