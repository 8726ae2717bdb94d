// The store's small dictionary tables (services, operations, resources, scopes, strings, attribute shapes), mirrored
// in memory by the single writer so that a batch is encoded without a database round trip per string.

import type { AttributeTriple } from '@aiops/span-model';
import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * An attribute shape: the ordered keys and type tags of a span's attributes, and where each value is stored:
 * `locs[i]` ≥ 0 is a value column (`v0`..), {@link LOC_REPEAT} means "same value as the previous occurrence of this
 * key and type in the trace (in `seq` order)", {@link LOC_MORE} means the next entry of `attr_more`.
 */
export interface Shape {
  readonly keys: readonly string[];
  readonly types: Uint8Array;
  readonly locs: Int8Array;
}

/** Location of a value repeated from an earlier span of the same trace. */
export const LOC_REPEAT = -1;
/** Location of a value kept in the `attr_more` JSON list. */
export const LOC_MORE = -2;

/** What spans of one class share: operation (and so service), resource, scope, attribute shape, flags. */
export interface SpanClass {
  readonly opId: number;
  readonly resourceId: number;
  readonly scopeId: number;
  readonly shapeId: number;
  /** kind | status << 3 | parent reference type << 5. */
  readonly flags: number;
}

/** A parsed instrumentation scope. */
export interface ScopeInfo {
  readonly name: string;
  readonly version: string;
  readonly attributes: readonly AttributeTriple[];
}

export class Interned {
  readonly values: string[] = [];
  readonly ids: Map<string, number> = new Map();
  committed = 0;
  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(s);
      this.ids.set(s, id);
    }
    return id;
  }
  load(rows: readonly (readonly [number, string])[]): void {
    this.values.length = 0;
    this.ids.clear();
    for (const [id, s] of rows) {
      this.values[id] = s;
      this.ids.set(s, id);
    }
    this.committed = this.values.length;
  }
  pending(): [number, string][] {
    const out: [number, string][] = [];
    for (let i = this.committed; i < this.values.length; i++) out.push([i, this.values[i]!]);
    return out;
  }
}

async function rowsOf(conn: DuckDBConnection, sql: string): Promise<[number, string][]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRows().map((r) => [Number(r[0]), String(r[1])]);
}

/** In-memory mirror of the dictionary tables. */
export class Dictionaries {
  readonly services: Interned = new Interned();
  readonly resources: Interned = new Interned();
  readonly scopes: Interned = new Interned();
  readonly strings: Interned = new Interned();
  readonly shapes: Interned = new Interned();
  /** Span classes: `${opId},${resourceId},${scopeId},${shapeId},${flags}` (flags = kind | status << 3 | ref << 5). */
  readonly classes: Interned = new Interned();
  /** Operation key `${serviceId}\u0000${name}` → op id. */
  readonly ops: Interned = new Interned();
  opService: number[] = [];
  opName: string[] = [];
  #shapeCache: Shape[] = [];
  #classCache: SpanClass[] = [];
  #resourceCache: (readonly AttributeTriple[])[] = [];
  #scopeCache: ScopeInfo[] = [];
  /** Bumped by every {@link load}: caches derived from the dictionaries are valid for one generation. */
  generation = 0;

  /** Loads every dictionary table. */
  async load(conn: DuckDBConnection): Promise<void> {
    this.generation++;
    this.services.load(await rowsOf(conn, 'SELECT service_id, name FROM services'));
    this.resources.load(await rowsOf(conn, 'SELECT resource_id, json FROM resources'));
    this.scopes.load(await rowsOf(conn, 'SELECT scope_id, json FROM scopes'));
    this.strings.load(await rowsOf(conn, 'SELECT string_id, text FROM strings'));
    this.shapes.load(await rowsOf(conn, 'SELECT shape_id, json FROM shapes'));
    this.classes.load(await rowsOf(conn, 'SELECT class_id, fields FROM span_classes'));
    const ops = (await conn.runAndReadAll('SELECT op_id, service_id, name FROM operations')).getRows();
    this.ops.load(ops.map((r) => [Number(r[0]), `${Number(r[1])}\u0000${String(r[2])}`]));
    this.opService = [];
    this.opName = [];
    for (const r of ops) {
      this.opService[Number(r[0])] = Number(r[1]);
      this.opName[Number(r[0])] = String(r[2]);
    }
    this.#shapeCache = [];
    this.#classCache = [];
    this.#resourceCache = [];
    this.#scopeCache = [];
    if (this.strings.values.length === 0) this.strings.intern('');
  }

  /** Id of an operation of a service, added when new. */
  op(serviceId: number, name: string): number {
    const before = this.ops.values.length;
    const id = this.ops.intern(`${serviceId}\u0000${name}`);
    if (id === before) {
      this.opService[id] = serviceId;
      this.opName[id] = name;
    }
    return id;
  }

  /** Id of the span class with these fields, added when new. */
  spanClass(opId: number, resourceId: number, scopeId: number, shapeId: number, flags: number): number {
    return this.classes.intern(`${opId},${resourceId},${scopeId},${shapeId},${flags}`);
  }

  /** The fields of span class `id`. */
  classOf(id: number): SpanClass {
    let k = this.#classCache[id];
    if (!k) {
      const [opId, resourceId, scopeId, shapeId, flags] = this.classes.values[id]!.split(',').map(Number) as [
        number,
        number,
        number,
        number,
        number,
      ];
      k = { opId, resourceId, scopeId, shapeId, flags };
      this.#classCache[id] = k;
    }
    return k;
  }

  /** The keys and types of shape `id`. */
  shape(id: number): Shape {
    let s = this.#shapeCache[id];
    if (!s) {
      const entries = JSON.parse(this.shapes.values[id]!) as [string, number, number][];
      s = {
        keys: entries.map((p) => p[0]),
        types: Uint8Array.from(entries, (p) => p[1]),
        locs: Int8Array.from(entries, (p) => p[2]),
      };
      this.#shapeCache[id] = s;
    }
    return s;
  }

  /** The attribute triples of resource `id`. */
  resource(id: number): readonly AttributeTriple[] {
    let r = this.#resourceCache[id];
    if (!r) {
      const json = this.resources.values[id]!;
      r = json === '' ? [] : (JSON.parse(json) as AttributeTriple[]);
      this.#resourceCache[id] = r;
    }
    return r;
  }

  /** The scope `id`. */
  scope(id: number): ScopeInfo {
    let s = this.#scopeCache[id];
    if (!s) {
      const json = this.scopes.values[id]!;
      const o = json === '' ? {} : (JSON.parse(json) as Partial<ScopeInfo>);
      s = { name: o.name ?? '', version: o.version ?? '', attributes: o.attributes ?? [] };
      this.#scopeCache[id] = s;
    }
    return s;
  }

  /** Inserts the entries added since the last commit (inside the caller's transaction). */
  async writePending(conn: DuckDBConnection): Promise<void> {
    const simple: [Interned, string][] = [
      [this.services, 'services'],
      [this.resources, 'resources'],
      [this.scopes, 'scopes'],
      [this.strings, 'strings'],
      [this.shapes, 'shapes'],
      [this.classes, 'span_classes'],
    ];
    for (const [dict, table] of simple) {
      const rows = dict.pending();
      if (rows.length === 0) continue;
      const appender = await conn.createAppender(table);
      for (const [id, text] of rows) {
        appender.appendInteger(id);
        appender.appendVarchar(text);
        appender.endRow();
      }
      appender.closeSync();
    }
    const ops = this.ops.pending();
    if (ops.length > 0) {
      const appender = await conn.createAppender('operations');
      for (const [id] of ops) {
        appender.appendInteger(id);
        appender.appendInteger(this.opService[id]!);
        appender.appendVarchar(this.opName[id]!);
        appender.appendBigInt(0n);
        appender.endRow();
      }
      appender.closeSync();
    }
  }

  /** Marks the pending entries as stored (after COMMIT). */
  commit(): void {
    for (const d of [this.services, this.resources, this.scopes, this.strings, this.shapes, this.classes, this.ops]) {
      d.committed = d.values.length;
    }
  }
}
