// An embedded DuckDB database traced through @aiops/instrumentation's withDbSpan: each query is a CLIENT span with
// db.system.name=duckdb, db.namespace, db.collection.name and the parameterised statement.

import { withDbSpan } from '@aiops/instrumentation';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import type { FaultController } from './faults.ts';
import { sleep } from './service.ts';

/** A DuckDB database with traced queries. */
export class SqlDb {
  readonly #conn: DuckDBConnection;
  readonly #name: string;
  readonly #faults: FaultController;

  private constructor(conn: DuckDBConnection, name: string, faults: FaultController) {
    this.#conn = conn;
    this.#name = name;
    this.#faults = faults;
  }

  /** Opens an in-memory database named `name` (the db.namespace and peer.service). */
  static async open(name: string, faults: FaultController): Promise<SqlDb> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    return new SqlDb(await instance.connect(), name, faults);
  }

  /** Runs `sql` (with `$1`… parameters) untraced: schema and seed data. */
  async setup(sql: string): Promise<void> {
    await this.#conn.run(sql);
  }

  /** Runs a traced query on `table`; resolves to the rows as objects. */
  query(table: string, sql: string, params: DuckDBValue[] = []): Promise<Record<string, DuckDBValue>[]> {
    return withDbSpan(
      { system: 'duckdb', namespace: this.#name, collection: table, statement: sql, peerService: this.#name },
      async (span) => {
        const delay = this.#faults.dbDelayMs();
        if (delay > 0) await sleep(delay);
        const reader = await this.#conn.runAndReadAll(sql, params);
        const rows = reader.getRowObjects();
        span.setAttribute('db.response.returned_rows', rows.length);
        return rows;
      },
    );
  }
}
