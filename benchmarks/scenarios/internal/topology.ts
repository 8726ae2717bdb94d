// Builds the service graph of a scenario: services at levels, operations, call steps grouped into stages,
// and backing stores (databases, caches, queues, external APIs).
import type { EdgeKind, ScenarioTopology, ServiceKind, TopologyCall, TruthEdge, TruthEntry } from '../types.ts';
import {
  baseOf,
  DB_SYSTEMS,
  ENTRY_ROUTES,
  EXTERNAL_APIS,
  INTERNAL_VERBS,
  LOW_TRAFFIC_NAMES,
  podSuffix,
  ROUTE_TEMPLATES,
  resourceOf,
  SERVICE_NAMES,
  SQL_SHAPES,
  stackTraceOf,
  TABLES,
  TOPICS,
} from './names.ts';
import type { Random } from './random.ts';

/** What a caller does when a call fails. */
export type CallPolicy = 'propagate' | 'fallback' | 'ignore' | 'retry';

/** A node: application service or backing store. */
export interface Node {
  readonly index: number;
  readonly name: string;
  readonly kind: ServiceKind;
  readonly level: number;
  /** db.system / 'redis' / 'kafka'. */
  readonly system: string;
  /** server.address of the node. */
  readonly address: string;
  readonly port: number;
  /** db.name (databases). */
  readonly dbName: string;
  /** Pod (host) names of application services. */
  readonly pods: string[];
  /** IPv4 address per pod. */
  readonly podIps: string[];
  readonly version: string;
  /** Latency noise shape for this service. */
  readonly sigma: number;
  readonly ops: number[];
  readonly stackTrace: string;
  /** Databases owned by this service (cache misses fall back to the first). */
  readonly dbs: number[];
  readonly lowTraffic: boolean;
}

/** One call made by an operation. */
export interface Step {
  readonly kind: EdgeKind;
  /** Callee node. */
  readonly target: number;
  /** Callee operation (http, consume), else -1. */
  readonly targetOp: number;
  /** Client span name. */
  readonly spanName: string;
  readonly method: string;
  /** Route template (http), URL path (external), statement (db/cache), topic (produce). */
  readonly detail: string;
  /** db.operation / cache command. */
  readonly dbOperation: string;
  readonly table: string;
  /** Median latency of the call itself (db, cache, external, produce), ms. */
  readonly medianMs: number;
  readonly policy: CallPolicy;
  readonly maxRetries: number;
  readonly timeoutMs: number;
  /** Probability that the call is made at all (optional calls). */
  readonly probability: number;
}

/** An operation of an application service. */
export interface Op {
  readonly index: number;
  readonly service: number;
  /** Server (or consumer) span name. */
  readonly name: string;
  readonly method: string;
  readonly route: string;
  /** Median self time, ms (split into work before, between and after the stages). */
  readonly selfMs: number;
  /** Steps grouped into stages: stages run one after the other, the steps of a stage concurrently. */
  readonly stages: Step[][];
  /** Name of an internal span wrapping the work before the first stage, or ''. */
  readonly internalSpan: string;
  readonly consumer: boolean;
  /** Entry weight (0 when not an entry). */
  weight: number;
}

/** The whole topology. */
export interface Topology {
  readonly nodes: Node[];
  readonly ops: Op[];
  readonly entries: number[];
  readonly byName: Map<string, number>;
}

/** Resolved sizes. */
export interface TopologySizes {
  readonly services: number;
  readonly fanOut: number;
  readonly depth: number;
  readonly databases: number;
  readonly caches: number;
  readonly queues: number;
  readonly externals: number;
  readonly entryEndpoints: number;
  readonly lowTrafficServices: number;
  readonly sigma: number;
}

function fill(template: string, r: string): string {
  return template.replace('{r}', r);
}

/** Builds a topology from sizes; deterministic for the random stream. */
export function buildTopology(sizes: TopologySizes, rng: Random): Topology {
  const nodes: Node[] = [];
  const ops: Op[] = [];
  const byName = new Map<string, number>();
  const nLow = Math.min(sizes.lowTrafficServices, LOW_TRAFFIC_NAMES.length, Math.max(0, sizes.services - 2));
  const nBackend = sizes.services - 1 - nLow;
  const depth = Math.max(1, Math.min(sizes.depth, nBackend));
  const addNode = (
    name: string,
    kind: ServiceKind,
    level: number,
    extra: { system?: string; address?: string; port?: number; dbName?: string; lowTraffic?: boolean } = {},
  ): Node => {
    let unique = name;
    for (let k = 2; byName.has(unique); k++) unique = `${name}-${k}`;
    const pods: string[] = [];
    const podIps: string[] = [];
    if (kind === 'service') {
      const nPods = rng.int(1, 3);
      const rs = rng.u32();
      for (let p = 0; p < nPods; p++) {
        pods.push(`${unique}-${podSuffix(rs, rng.u32())}`);
        podIps.push(`10.${rng.int(0, 3)}.${rng.int(0, 255)}.${rng.int(2, 254)}`);
      }
    }
    const node: Node = {
      index: nodes.length,
      name: unique,
      kind,
      level,
      system: extra.system ?? '',
      address: extra.address ?? unique,
      port: extra.port ?? 8080,
      dbName: extra.dbName ?? '',
      pods,
      podIps,
      version: `${rng.int(1, 3)}.${rng.int(0, 12)}.${rng.int(0, 30)}`,
      sigma: extra.lowTraffic ? sizes.sigma * 3 : sizes.sigma,
      ops: [],
      stackTrace: stackTraceOf(unique, '/', 'java.lang.IllegalStateException'),
      dbs: [],
      lowTraffic: extra.lowTraffic ?? false,
    };
    nodes.push(node);
    byName.set(unique, node.index);
    return node;
  };

  // Application services: frontend at level 0, low-traffic entries at level 0, the rest spread over levels 1..depth.
  addNode(SERVICE_NAMES[0]!, 'service', 0);
  for (let i = 0; i < nLow; i++) addNode(LOW_TRAFFIC_NAMES[i]!, 'service', 0, { lowTraffic: true });
  for (let i = 0; i < nBackend; i++) {
    const name = SERVICE_NAMES[i + 1] ?? `service-${i + 1}`;
    addNode(name, 'service', 1 + Math.floor((i * depth) / nBackend));
  }
  const apps = nodes.slice();
  const atLevel = (l: number): Node[] => apps.filter((n) => n.level === l && !n.lowTraffic);

  // HTTP edges: mostly to the next level, sometimes deeper; every backend service gets at least one caller.
  const callees = new Map<number, Set<number>>();
  for (const n of apps) callees.set(n.index, new Set());
  for (const n of apps) {
    if (n.level >= depth) continue;
    const next = atLevel(n.level + 1);
    const deeper = apps.filter((m) => m.level > n.level + 1);
    const k = n.index === 0 ? Math.min(next.length, sizes.fanOut + 3) : rng.int(1, sizes.fanOut);
    for (let j = 0; j < k; j++) {
      const pool = deeper.length > 0 && rng.chance(0.25) ? deeper : next;
      if (pool.length > 0) callees.get(n.index)!.add(rng.pick(pool).index);
    }
    if (n.lowTraffic && next.length === 0) continue;
  }
  for (const n of apps) {
    if (n.level === 0) continue;
    if (apps.some((m) => callees.get(m.index)!.has(n.index))) continue;
    const parents = atLevel(n.level - 1);
    callees.get(rng.pick(parents).index)!.add(n.index);
  }

  // Backing stores.
  const backend = apps.filter((n) => n.level > 0);
  const dbNodes: Node[] = [];
  for (let i = 0; i < sizes.databases; i++) {
    const [system, port] = DB_SYSTEMS[i % DB_SYSTEMS.length]!;
    const owner = backend.length > 0 ? backend[(i * 7 + rng.int(0, backend.length - 1)) % backend.length]! : apps[0]!;
    const base = baseOf(owner.name);
    const short = system === 'postgresql' ? 'postgres' : system;
    const db = addNode(`${base}-${short}`, 'database', owner.level + 1, { system, port, dbName: `${base}_db` });
    dbNodes.push(db);
    owner.dbs.push(db.index);
    if (backend.length > 1 && rng.chance(0.3)) {
      const other = rng.pick(backend);
      if (!other.dbs.includes(db.index)) other.dbs.push(db.index);
    }
  }
  const cacheOwners = new Map<number, number>();
  for (let i = 0; i < sizes.caches; i++) {
    const shallow = backend.filter((n) => n.level <= 2);
    const owner = rng.pick(shallow.length > 0 ? shallow : apps);
    const cache = addNode(`${baseOf(owner.name)}-redis`, 'cache', owner.level + 1, {
      system: 'redis',
      port: 6379,
    });
    cacheOwners.set(cache.index, owner.index);
  }
  const queueLinks: [number, number, number][] = [];
  for (let i = 0; i < sizes.queues; i++) {
    const topic = TOPICS[i % TOPICS.length]! + (i >= TOPICS.length ? `.${i}` : '');
    const producers = backend.filter((n) => n.level < depth);
    const producer = rng.pick(producers.length > 0 ? producers : apps);
    const consumers = backend.filter((n) => n.index !== producer.index);
    const consumer = rng.pick(consumers.length > 0 ? consumers : apps);
    const q = addNode(topic, 'queue', producer.level + 1, { system: 'kafka', address: 'kafka-0.kafka', port: 9092 });
    queueLinks.push([producer.index, q.index, consumer.index]);
  }
  const externalOwners = new Map<number, number>();
  for (let i = 0; i < sizes.externals; i++) {
    const [peer, host] = EXTERNAL_APIS[i % EXTERNAL_APIS.length]!;
    const owner = rng.pick(backend.length > 0 ? backend : apps);
    const ext = addNode(peer, 'external', owner.level + 1, { address: host, port: 443 });
    externalOwners.set(ext.index, owner.index);
  }

  // Operations of every application service.
  const newOp = (service: Node, method: string, route: string, consumer = false): Op => {
    const op: Op = {
      index: ops.length,
      service: service.index,
      name: consumer ? route : `${method} ${route}`,
      method,
      route,
      selfMs: rng.lognormal(service.level === 0 ? 4 : 2.5, 0.5),
      stages: [],
      internalSpan: rng.chance(0.3) ? `${rng.pick(INTERNAL_VERBS)} ${resourceOf(service.name)}` : '',
      consumer,
      weight: 0,
    };
    ops.push(op);
    service.ops.push(op.index);
    return op;
  };
  for (const n of apps) {
    if (n.index === 0) {
      const count = Math.max(1, Math.min(sizes.entryEndpoints, ENTRY_ROUTES.length));
      for (let i = 0; i < count; i++) newOp(n, ENTRY_ROUTES[i]![0], ENTRY_ROUTES[i]![1]);
    } else {
      const r = resourceOf(n.name);
      const templates = rng.shuffle(ROUTE_TEMPLATES.slice()).slice(0, n.lowTraffic ? 1 : rng.int(1, 3));
      for (const [m, t] of templates)
        newOp(n, m, n.lowTraffic ? fill(t, r).replace('/api/v1/', '/admin/') : fill(t, r));
    }
  }
  const consumerOps = new Map<number, number>();
  for (const [, q, c] of queueLinks) {
    const op = newOp(nodes[c]!, 'process', `process ${nodes[q]!.name}`, true);
    consumerOps.set(q, op.index);
  }

  // Steps: distribute each caller's callees over its operations, then group them into stages.
  const pending = new Map<number, Step[]>();
  const push = (op: number, s: Step): void => {
    let list = pending.get(op);
    if (!list) pending.set(op, (list = []));
    list.push(s);
  };
  const serverOps = (n: Node): number[] => n.ops.filter((o) => !ops[o]!.consumer);
  const pickPolicy = (): [CallPolicy, number] => {
    const x = rng.next();
    if (x < 0.72) return ['propagate', 0];
    if (x < 0.84) return ['retry', 2];
    if (x < 0.94) return ['fallback', 0];
    return ['ignore', 0];
  };
  const httpStep = (callee: Node): Step => {
    const targetOp = ops[rng.pick(serverOps(callee))]!;
    const [policy, maxRetries] = pickPolicy();
    return {
      kind: 'http',
      target: callee.index,
      targetOp: targetOp.index,
      spanName: `${targetOp.method} ${targetOp.route}`,
      method: targetOp.method,
      detail: targetOp.route,
      dbOperation: '',
      table: '',
      medianMs: 0,
      policy,
      maxRetries,
      timeoutMs: rng.pick([500, 1000, 2000, 3000]),
      probability: policy === 'ignore' ? 0.9 : 1,
    };
  };
  for (const n of apps) {
    const mine = serverOps(n);
    const targets = [...callees.get(n.index)!];
    if (targets.length === 0) continue;
    const used = new Map<number, Set<number>>(mine.map((o) => [o, new Set<number>()]));
    const add = (o: number, c: number): void => {
      if (used.get(o)!.has(c)) return;
      used.get(o)!.add(c);
      push(o, httpStep(nodes[c]!));
    };
    // Every callee is called by some operation; every operation calls something (entries: 2-4 services).
    for (const c of targets) add(rng.pick(mine), c);
    for (const o of mine) {
      const want = n.index === 0 ? Math.min(targets.length, rng.int(2, 4)) : 1;
      for (let tries = 0; used.get(o)!.size < want && tries < 20; tries++) add(o, rng.pick(targets));
      for (const c of targets) if (rng.chance(0.2)) add(o, c);
    }
  }
  const dbStep = (db: Node): Step => {
    const table = rng.pick(TABLES);
    const [operation, shape] = rng.pick(SQL_SHAPES);
    const statement =
      db.system === 'mongodb'
        ? `{"find":"${table}","filter":{"owner_id":"?"},"limit":50}`
        : db.system === 'mysql'
          ? shape
              .replaceAll('{t}', table)
              .replace(/\$\d/g, '?')
              .replace(/ RETURNING id$/, '')
          : shape.replaceAll('{t}', table);
    const dbOperation = db.system === 'mongodb' ? 'find' : operation;
    return {
      kind: 'db',
      target: db.index,
      targetOp: -1,
      spanName: `${dbOperation} ${table}`,
      method: '',
      detail: statement,
      dbOperation,
      table,
      medianMs: rng.lognormal(dbOperation === 'SELECT' || dbOperation === 'find' ? 2 : 4, 0.6),
      policy: 'propagate',
      maxRetries: 0,
      timeoutMs: 5000,
      probability: 1,
    };
  };
  for (const n of apps) {
    for (const d of n.dbs) {
      const mine = serverOps(n);
      const first = rng.pick(mine);
      for (const o of mine) {
        if (o !== first && !rng.chance(0.6)) continue;
        const k = rng.int(1, 2);
        for (let j = 0; j < k; j++) push(o, dbStep(nodes[d]!));
      }
    }
  }
  for (const [cache, owner] of cacheOwners) {
    const mine = serverOps(nodes[owner]!);
    const c = nodes[cache]!;
    const key = baseOf(nodes[owner]!.name);
    const first = rng.pick(mine);
    for (const o of mine) {
      if (o !== first && !rng.chance(0.5)) continue;
      push(o, {
        kind: 'cache',
        target: cache,
        targetOp: -1,
        spanName: 'GET',
        method: '',
        detail: `GET ${key}:{id}`,
        dbOperation: 'GET',
        table: '',
        medianMs: rng.lognormal(0.4, 0.3),
        policy: 'fallback',
        maxRetries: 0,
        timeoutMs: 200,
        probability: 1,
      });
    }
    void c;
  }
  for (const [ext, owner] of externalOwners) {
    const e = nodes[ext]!;
    const api = EXTERNAL_APIS.find((a) => e.name.startsWith(a[0]))!;
    push(rng.pick(serverOps(nodes[owner]!)), {
      kind: 'external',
      target: ext,
      targetOp: -1,
      spanName: api[2],
      method: api[2],
      detail: api[3],
      dbOperation: '',
      table: '',
      medianMs: rng.lognormal(60, 0.3),
      policy: rng.chance(0.5) ? 'retry' : 'propagate',
      maxRetries: 1,
      timeoutMs: 3000,
      probability: 1,
    });
  }
  for (const [p, q] of queueLinks) {
    push(rng.pick(serverOps(nodes[p]!)), {
      kind: 'produce',
      target: q,
      targetOp: consumerOps.get(q)!,
      spanName: `publish ${nodes[q]!.name}`,
      method: '',
      detail: nodes[q]!.name,
      dbOperation: '',
      table: '',
      medianMs: rng.lognormal(1.2, 0.3),
      policy: 'ignore',
      maxRetries: 0,
      timeoutMs: 1000,
      probability: 1,
    });
  }
  // Consumers do some database work of their own.
  for (const op of ops) {
    if (!op.consumer) continue;
    const n = nodes[op.service]!;
    const db = n.dbs[0] ?? dbNodes[0]?.index;
    if (db !== undefined) push(op.index, dbStep(nodes[db]!));
  }

  for (const op of ops) {
    const steps = pending.get(op.index) ?? [];
    const cache = steps.filter((s) => s.kind === 'cache');
    const dbs = steps.filter((s) => s.kind === 'db');
    const calls = rng.shuffle(steps.filter((s) => s.kind === 'http' || s.kind === 'external'));
    const produce = steps.filter((s) => s.kind === 'produce');
    for (const s of cache) op.stages.push([s]);
    const dbFirst = rng.chance(0.6);
    if (dbFirst) for (const s of dbs) op.stages.push([s]);
    for (let i = 0; i < calls.length; ) {
      const k = Math.min(calls.length - i, rng.chance(0.5) ? rng.int(2, 4) : 1);
      op.stages.push(calls.slice(i, i + k));
      i += k;
    }
    if (!dbFirst) for (const s of dbs) op.stages.push([s]);
    for (const s of produce) op.stages.push([s]);
  }

  // Entry weights: Zipf over the frontend endpoints, a small fixed share for low-traffic services.
  const entries: number[] = [];
  const front = nodes[0]!.ops;
  front.forEach((o, i) => {
    ops[o]!.weight = 1 / (i + 1);
    entries.push(o);
  });
  const frontTotal = front.reduce((s, o) => s + ops[o]!.weight, 0);
  for (const o of front) ops[o]!.weight = (ops[o]!.weight / frontTotal) * (1 - 0.02 * nLow);
  for (const n of apps) {
    if (!n.lowTraffic) continue;
    for (const o of n.ops) {
      ops[o]!.weight = 0.02 / n.ops.length;
      entries.push(o);
    }
  }
  return { nodes, ops, entries, byName };
}

/** The public view of a topology. */
export function publicTopology(topo: Topology): ScenarioTopology {
  const services = topo.nodes.map((n) =>
    n.system ? { name: n.name, kind: n.kind, system: n.system } : { name: n.name, kind: n.kind },
  );
  const seen = new Set<string>();
  const edges: TruthEdge[] = [];
  const operations = topo.ops.map((op) => {
    const calls: TopologyCall[] = [];
    op.stages.forEach((stage, stageIndex) => {
      for (const s of stage) {
        const target = topo.nodes[s.target]!;
        calls.push({
          kind: s.kind,
          target: target.name,
          operation: s.kind === 'http' ? topo.ops[s.targetOp]!.name : s.spanName,
          detail: s.detail,
          stage: stageIndex,
          concurrent: stage.length > 1,
        });
        const from = topo.nodes[op.service]!.name;
        const key = `${from}>${target.name}`;
        if (!seen.has(key)) {
          seen.add(key);
          edges.push({ from, to: target.name, kind: s.kind });
        }
        if (s.kind === 'produce') {
          const consumer = topo.nodes[topo.ops[s.targetOp]!.service]!.name;
          const k2 = `${target.name}>${consumer}`;
          if (!seen.has(k2)) {
            seen.add(k2);
            edges.push({ from: target.name, to: consumer, kind: 'consume' });
          }
        }
      }
    });
    return { service: topo.nodes[op.service]!.name, name: op.name, calls };
  });
  const entries: TruthEntry[] = topo.entries.map((o) => ({
    service: topo.nodes[topo.ops[o]!.service]!.name,
    operation: topo.ops[o]!.name,
    weight: topo.ops[o]!.weight,
  }));
  return { services, edges, entries, operations };
}
