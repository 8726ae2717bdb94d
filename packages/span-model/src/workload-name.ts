// Kubernetes pod names folded to their workload: `checkout-7d9f8b5c4-x2k4p` → `checkout`.
//
// Messy data names services by pod (`service.name` set from the pod name, or a Zipkin `localEndpoint` per pod), so
// one logical service shows up under as many names as it has pods. Analyzers that group by service fold them first.
//
// Reference: Kubernetes pod naming — Deployment pods `<deployment>-<pod-template-hash>-<5>`, DaemonSet/Job pods
// `<name>-<5>`, StatefulSet pods `<name>-<ordinal>`; generated parts use the alphabet `bcdfghjklmnpqrstvwxz2456789`
// (no vowels), older hashes are decimal.
import type { SpanTable } from './span-table.ts';

/** Options of {@link workloadName} and {@link workloadCodes}. */
export interface WorkloadNameOptions {
  /**
   * Also fold StatefulSet ordinals (`redis-0` → `redis`). Off by default: `cart-2` is as often a second service
   * as the third pod of `cart`.
   */
  readonly statefulSetOrdinals?: boolean | undefined;
}

const DEFAULTS = { statefulSetOrdinals: false } as const;

const DEPLOYMENT = /^(.+)-([a-z0-9]{5,10})-([a-z0-9]{5})$/;
const SINGLE = /^(.+)-([a-z0-9]{5})$/;
const ORDINAL = /^(.+[a-z])-(\d{1,2})$/;
const VOWEL = /[aeiou]/;
const DIGIT = /\d/;
const LETTER = /[a-z]/;

/** A generated segment has a digit or no vowel, so `frontend-proxy` or `order-service` are never cut. */
function looksGenerated(segment: string): boolean {
  return DIGIT.test(segment) || !VOWEL.test(segment);
}

/**
 * The workload (logical service) name of a name that may be a Kubernetes pod name, else the name itself.
 *
 * **Details**
 * - Deployment pods `name-<hash 5–10>-<5>` when both parts look generated (a digit, or no vowel).
 * - DaemonSet/Job pods `name-<5>` when the suffix has both a digit and a letter (`node-exporter-7x2k9`).
 * - StatefulSet pods `name-<ordinal>` only with `options.statefulSetOrdinals`.
 *
 * **Complexity** O(name length).
 *
 * **Gotchas** A heuristic on the name alone: `svc-http2` folds to `svc` (it looks exactly like a DaemonSet pod).
 * Names with upper-case letters are never pod names and are returned unchanged.
 *
 * @example
 * ```ts
 * workloadName('checkout-7d9f8b5c4-x2k4p'); // 'checkout'
 * workloadName('node-exporter-7x2k9'); // 'node-exporter'
 * workloadName('order-service'); // 'order-service'
 * workloadName('redis-0'); // 'redis-0'
 * workloadName('redis-0', { statefulSetOrdinals: true }); // 'redis'
 * ```
 */
export function workloadName(name: string, options: WorkloadNameOptions = {}): string {
  const deployment = DEPLOYMENT.exec(name);
  if (deployment && looksGenerated(deployment[2]!) && looksGenerated(deployment[3]!)) return deployment[1]!;
  const single = SINGLE.exec(name);
  if (single && DIGIT.test(single[2]!) && LETTER.test(single[2]!)) return single[1]!;
  if (options.statefulSetOrdinals ?? DEFAULTS.statefulSetOrdinals) {
    const ordinal = ORDINAL.exec(name);
    if (ordinal) return ordinal[1]!;
  }
  return name;
}

/** The folded service dictionary of a table: see {@link workloadCodes}. */
export interface WorkloadCodes {
  /** Workload code per service dictionary code (index with `table.dict('service').codes[row]`). */
  readonly codeOfService: Int32Array;
  /** Workload names; code 0 is '' when the service dictionary's code 0 is ''. */
  readonly names: readonly string[];
}

/**
 * Maps the service dictionary codes of `table` to workload codes: pods of one workload share a code.
 *
 * **Details** Workload codes are numbered in the order of first appearance in the service dictionary, so a
 * table without pod names maps every code to itself (`codeOfService[c] === c`). Compare integers in loops:
 * `codeOfService[serviceCodes[row]]`.
 *
 * **Complexity** O(distinct services), not O(spans).
 *
 * **Gotchas** Built per table and per call: keep the result when looping over many rows.
 *
 * @example
 * ```ts
 * // services: ['', 'cart-7d9f8b5c4-x2k4p', 'cart-7d9f8b5c4-q8w2z', 'api']
 * const { codeOfService, names } = workloadCodes(table);
 * [...codeOfService]; // [0, 1, 1, 2]
 * names; // ['', 'cart', 'api']
 * ```
 */
export function workloadCodes(table: SpanTable, options: WorkloadNameOptions = {}): WorkloadCodes {
  const values = table.dict('service').values;
  const codeOfService = new Int32Array(values.length);
  const names: string[] = [];
  const index = new Map<string, number>();
  for (let c = 0; c < values.length; c++) {
    const name = workloadName(values[c]!, options);
    let w = index.get(name);
    if (w === undefined) {
      w = names.length;
      names.push(name);
      index.set(name, w);
    }
    codeOfService[c] = w;
  }
  return { codeOfService, names };
}
