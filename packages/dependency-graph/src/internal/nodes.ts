// Node registry: services by dictionary code, and backing stores / external systems inferred from client spans.
import { type DictColumn, isCacheSystem, type SpanTable, utf8At } from '@aiops/span-model';

/** What a node of the dependency graph is. */
export type NodeKind = 'service' | 'database' | 'cache' | 'queue' | 'external';

// A more specific kind replaces a vaguer one when the same peer name is seen with both.
const KIND_RANK: Record<NodeKind, number> = { service: 4, database: 3, cache: 3, queue: 3, external: 1 };

const KIND_INDEX: Record<NodeKind, number> = { service: 0, database: 1, cache: 2, queue: 3, external: 4 };
const COLUMNS = [
  'peerService',
  'serverAddress',
  'dbSystem',
  'dbName',
  'messagingSystem',
  'messagingDestination',
] as const;
const COLUMN_INDEX: Record<string, number> = Object.fromEntries(COLUMNS.map((c, i) => [c, i]));

/** Interns graph nodes; service nodes first, peers as they are met. */
export class NodeRegistry {
  readonly names: string[] = [];
  readonly kinds: NodeKind[] = [];
  readonly byName: Map<string, number> = new Map();
  /** Node of each service dictionary code (−1 for codes no span uses). */
  readonly serviceNode: Int32Array;
  readonly #cols: Record<string, DictColumn>;
  // Node per dictionary code, per (kind, column): the hot loop resolves a peer with two array reads.
  readonly #cache: (Int32Array | undefined)[] = [];
  // 1 where the dictionary value is non-empty, per column: compare integers in the hot loop, not strings.
  readonly #present: Record<string, Uint8Array> = {};
  // 1 database, 2 cache, per db.system code.
  readonly #dbKind: Uint8Array;
  readonly #table: SpanTable;
  #opKeys: Set<number> | undefined;

  constructor(table: SpanTable) {
    this.#table = table;
    const svc = table.dict('service');
    const used = new Uint8Array(svc.values.length);
    const codes = svc.codes;
    for (let i = 0; i < codes.length; i++) used[codes[i]!] = 1;
    this.serviceNode = new Int32Array(svc.values.length).fill(-1);
    for (let c = 0; c < used.length; c++) {
      if (!used[c]) continue;
      const name = svc.values[c] || '(unknown service)';
      let id = this.byName.get(name);
      if (id === undefined) id = this.#add(name, 'service');
      this.serviceNode[c] = id;
    }
    this.#cols = {
      peerService: table.dict('peerService'),
      serverAddress: table.dict('serverAddress'),
      dbSystem: table.dict('dbSystem'),
      dbName: table.dict('dbName'),
      messagingSystem: table.dict('messagingSystem'),
      messagingDestination: table.dict('messagingDestination'),
    };
    for (const [name, col] of Object.entries(this.#cols)) {
      this.#present[name] = Uint8Array.from(col.values, (v) => (v !== '' ? 1 : 0));
    }
    this.#dbKind = Uint8Array.from(this.#cols.dbSystem!.values, (v) => (v === '' ? 0 : isCacheSystem(v) ? 2 : 1));
  }

  #add(name: string, kind: NodeKind): number {
    const id = this.names.length;
    this.names.push(name);
    this.kinds.push(kind);
    this.byName.set(name, id);
    return id;
  }

  #named(column: string, code: number, kind: NodeKind): number {
    const slot = KIND_INDEX[kind] * COLUMNS.length + COLUMN_INDEX[column]!;
    let cache = this.#cache[slot];
    if (!cache) {
      cache = new Int32Array(this.#cols[column]!.values.length).fill(-1);
      this.#cache[slot] = cache;
    }
    const hit = cache[code]!;
    if (hit >= 0) return hit;
    const name = this.#cols[column]!.values[code]!;
    let id = this.byName.get(name);
    if (id === undefined) id = this.#add(name, kind);
    else if (KIND_RANK[kind] > KIND_RANK[this.kinds[id]!]) this.kinds[id] = kind;
    cache[code] = id;
    return id;
  }

  /**
   * The peer a call span `row` talks to, from its attributes, or −1 when they name none. The name is
   * `peer.service`, else (queues) the destination, else `server.address`, else the database name, else the system.
   */
  peerOf(row: number, producer: boolean): number {
    const c = this.#cols;
    const db = c.dbSystem!.codes[row]!;
    const ms = c.messagingSystem!.codes[row]!;
    const kind: NodeKind =
      this.#present.messagingSystem![ms] || producer
        ? 'queue'
        : this.#dbKind[db] === 2
          ? 'cache'
          : db > 0 && this.#present.dbSystem![db]
            ? 'database'
            : 'external';
    const ps = c.peerService!.codes[row]!;
    if (this.#present.peerService![ps]) return this.#named('peerService', ps, kind);
    if (kind === 'queue') {
      const md = c.messagingDestination!.codes[row]!;
      if (this.#present.messagingDestination![md]) return this.#named('messagingDestination', md, kind);
    }
    const sa = c.serverAddress!.codes[row]!;
    if (this.#present.serverAddress![sa]) return this.#named('serverAddress', sa, kind);
    if (kind === 'database' || kind === 'cache') {
      const dn = c.dbName!.codes[row]!;
      if (this.#present.dbName![dn]) return this.#named('dbName', dn, kind);
      return this.#named('dbSystem', db, kind);
    }
    if (kind === 'queue' && this.#present.messagingSystem![ms]) return this.#named('messagingSystem', ms, kind);
    return -1;
  }

  /** Whether span `row` names a peer by attribute (`peer.service`, `db.system`, `messaging.system`). */
  namesPeer(row: number): boolean {
    const c = this.#cols;
    const p = this.#present;
    return (
      p.peerService![c.peerService!.codes[row]!] === 1 ||
      p.dbSystem![c.dbSystem!.codes[row]!] === 1 ||
      p.messagingSystem![c.messagingSystem!.codes[row]!] === 1
    );
  }

  /**
   * The `messaging.operation` (or `messaging.operation.type`) attribute of span `row`: 1 consumer side (receive,
   * process, deliver), 2 producer side (publish, send, create), 0 absent or other. Scans the span's attributes: call
   * it only for the few messaging spans without a span kind.
   */
  messagingRole(row: number): number {
    const { attrOffsets, attrKey, attrKeys, attrValues } = this.#table.columns;
    if (this.#opKeys === undefined) {
      this.#opKeys = new Set();
      attrKeys.forEach((k, i) => {
        if (k === 'messaging.operation' || k === 'messaging.operation.type') this.#opKeys!.add(i);
      });
    }
    if (this.#opKeys.size === 0) return 0;
    for (let e = attrOffsets[row]!; e < attrOffsets[row + 1]!; e++) {
      if (!this.#opKeys.has(attrKey[e]!)) continue;
      const v = utf8At(attrValues, e).toLowerCase();
      if (v === 'receive' || v === 'process' || v === 'deliver') return 1;
      if (v === 'publish' || v === 'send' || v === 'create') return 2;
    }
    return 0;
  }

  /**
   * Per span, bit 1 when it carries `messaging.system` ({@link isMessaging}) and bit 2 when it names a peer
   * ({@link namesPeer}): one pass over three dictionary code columns, for the hot loop.
   */
  peerBits(): Uint8Array {
    const n = this.#table.numSpans;
    // A column the table lacks has no codes: every span then has the empty value, code 0.
    const codes = (col: DictColumn): Int32Array => (col.codes.length === n ? col.codes : new Int32Array(n));
    const c = this.#cols;
    const ps = codes(c.peerService!);
    const db = codes(c.dbSystem!);
    const ms = codes(c.messagingSystem!);
    const pPs = this.#present.peerService!;
    const pDb = this.#present.dbSystem!;
    const pMs = this.#present.messagingSystem!;
    const out = new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      const m = pMs[ms[r]!]!;
      out[r] = m | ((m | pPs[ps[r]!]! | pDb[db[r]!]!) << 1);
    }
    return out;
  }

  /** Whether span `row` carries `messaging.system`. */
  isMessaging(row: number): boolean {
    return this.#present.messagingSystem![this.#cols.messagingSystem!.codes[row]!] === 1;
  }
}
