// Concrete mitigation text for a single point of failure, by node kind.
import type { SinglePointOfFailure } from '../dependency-graph.ts';

const list = (names: readonly string[], max = 4): string =>
  names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;

/** What to do about `spof`, naming its direct callers. */
export function mitigationFor(
  spof: Omit<SinglePointOfFailure, 'mitigation'>,
  directCallers: readonly string[],
): string {
  const name = spof.service;
  const pct = `${Math.round(spof.traceShare * 1000) / 10}%`;
  const scope = `${spof.endpointsAffected} endpoint${spof.endpointsAffected === 1 ? '' : 's'} (${pct} of traces)`;
  const who = directCallers.length > 0 ? list(directCallers) : 'its callers';
  const cut = spof.articulationPoint ? ` ${name} is an articulation point: without it the graph falls apart.` : '';
  switch (spof.kind) {
    case 'database':
      return `Give ${name} a synchronous replica with automatic failover; in ${who} set connection-pool limits and query timeouts, and serve hot reads from a cache or read replica, so ${scope} survive a primary failover.${cut}`;
    case 'cache':
      return `Make ${who} treat a ${name} outage as a miss (short timeout, fall back to the source of truth, protect it with a concurrency limit), and run ${name} replicated (e.g. Redis Sentinel or Cluster); ${scope} depend on it.${cut}`;
    case 'queue':
      return `Run the broker behind ${name} replicated (replication factor ≥ 3, min in-sync replicas 2); let the producers ${who} buffer and retry idempotently so ${scope} keep publishing through a broker failover.${cut}`;
    case 'external':
      return `Wrap calls from ${who} to ${name} in a timeout, retries with backoff and a circuit breaker with a fallback (cached answer or deferred request), and consider a second provider; ${scope} depend on it.${cut}`;
    default:
      return directCallers.length === 0
        ? `${name} is the entry point of ${scope}: run at least 2 replicas across zones behind a load balancer with health checks, and shed load before it saturates.${cut}`
        : `Run ${name} with at least 2 replicas across zones; give ${who} timeouts, retries with backoff and a circuit breaker with a degraded response, so ${scope} survive its outage.${cut}`;
  }
}
