// Folds Kubernetes pod names to their workload name: `checkout-7d9f8b5c4-x2k4p` → `checkout`, `redis-0` → `redis`.

const VOWELS = /[aeiou]/;
const DIGIT = /\d/;

// Kubernetes generated suffixes use an alphabet without vowels; a segment "looks generated" when it has a digit or no
// vowel, so `frontend-proxy` or `order-service` are never cut.
function looksGenerated(segment: string): boolean {
  return DIGIT.test(segment) || !VOWELS.test(segment);
}

/**
 * The workload (logical service) name of a service name that may be a pod name.
 *
 * Deployment pods `name-<rs hash 6..10>-<5>`, DaemonSet/Job pods `name-<5>`, StatefulSet pods `name-<ordinal>`.
 */
export function workloadName(name: string): string {
  const deployment = /^(.+)-([a-z0-9]{6,10})-([a-z0-9]{5})$/.exec(name);
  if (deployment && looksGenerated(deployment[2]!) && looksGenerated(deployment[3]!)) return deployment[1]!;
  const single = /^(.+)-([a-z0-9]{5})$/.exec(name);
  if (single && DIGIT.test(single[2]!) && /[a-z]/.test(single[2]!)) return single[1]!;
  const ordinal = /^(.+[a-z])-(\d{1,2})$/.exec(name);
  if (ordinal) return ordinal[1]!;
  return name;
}
