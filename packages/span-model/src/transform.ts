// Whole-table operations: wrap Arrow tables, concatenate, take rows.
import { Table } from 'apache-arrow';
import { spanSchema } from './schema.ts';
import { emptySpanTable, SpanTable } from './span-table.ts';
import { SpanTableBuilder } from './span-table-builder.ts';

/**
 * Wraps an Arrow table in the span schema (for example read from Arrow IPC) as a {@link SpanTable}.
 *
 * **Details** A table of several record batches is merged into one (dictionaries unified).
 *
 * **Gotchas** Throws a TypeError naming the first missing column when the schema is not {@link spanSchema}.
 *
 * @example
 * ```ts
 * const spans = spanTableFromArrow(tableFromIPC(bytes));
 * ```
 */
export function spanTableFromArrow(table: Table): SpanTable {
  for (const f of spanSchema.fields) {
    if (!table.schema.fields.some((g) => g.name === f.name)) {
      throw new TypeError(`span-model: column "${f.name}" is missing from the Arrow table`);
    }
  }
  if (table.batches.length <= 1) return new SpanTable(table);
  return concatSpanTables(table.batches.map((b) => new SpanTable(new Table(spanSchema, [b]))));
}

/**
 * Concatenates span tables into one.
 *
 * **Complexity** O(total spans + attributes).
 *
 * @example
 * ```ts
 * const all = concatSpanTables([a, b]);
 * ```
 */
export function concatSpanTables(tables: readonly SpanTable[]): SpanTable {
  if (tables.length === 0) return emptySpanTable();
  if (tables.length === 1) return tables[0]!;
  const b = new SpanTableBuilder({ initialCapacity: tables.reduce((s, t) => s + t.numSpans, 0) });
  for (const t of tables) b.appendRows(t);
  return b.finish();
}

/**
 * A new span table with the given rows of `table`, in that order.
 *
 * @example
 * ```ts
 * const oneTrace = takeSpans(table, traceRows(index, 0));
 * ```
 */
export function takeSpans(table: SpanTable, rows: ArrayLike<number>): SpanTable {
  const b = new SpanTableBuilder({ initialCapacity: rows.length });
  b.appendRows(table, rows);
  return b.finish();
}
