// Bulk appends of typed-array columns to a DuckDB table: numbers are copied into the chunk's vectors with one memcpy
// per 2048 rows, strings are handed over as UTF-8 byte ranges (never decoded to JS strings).

import { type DuckDBConnection, DuckDBDataChunk, type DuckDBType } from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';

/** A fixed-width column: one typed-array element per row; `valid` (1 = value, 0 = NULL) when nullable. */
export interface FixedColumn {
  readonly kind: 'fixed';
  readonly type: DuckDBType;
  readonly values: Int32Array | BigInt64Array | Uint8Array | Float64Array;
  readonly valid?: Uint8Array;
}

/**
 * A text column: row k is the bytes `bytes[offsets[ref[k]] .. offsets[ref[k] + 1])`, or NULL when `ref[k] < 0`.
 * An empty byte range is stored as NULL when `emptyIsNull`.
 */
export interface TextColumn {
  readonly kind: 'text';
  readonly type: DuckDBType;
  readonly ref: Int32Array;
  readonly offsets: Int32Array;
  readonly bytes: Uint8Array;
  readonly emptyIsNull?: boolean;
}

/** A column to append. */
export type AppendColumn = FixedColumn | TextColumn;

const CHUNK = 2048;

/** Appends `n` rows given as columns (in table column order) to `table`, through one appender. */
export async function appendTypedColumns(
  conn: DuckDBConnection,
  table: string,
  n: number,
  columns: readonly AppendColumn[],
): Promise<void> {
  if (n === 0) return;
  const appender = await conn.createAppender(table);
  const types = columns.map((c) => c.type);
  const validity = new Uint8Array(CHUNK / 8);
  const strings = new Uint8Array(CHUNK * 16);
  const stringView = new DataView(strings.buffer);
  const longRows = new Int32Array(CHUNK);
  try {
    for (let lo = 0; lo < n; lo += CHUNK) {
      const hi = Math.min(n, lo + CHUNK);
      const rows = hi - lo;
      const chunk = DuckDBDataChunk.create(types, rows);
      for (let c = 0; c < columns.length; c++) {
        const col = columns[c]!;
        const vector = bindings.data_chunk_get_vector(chunk.chunk, c);
        if (col.kind === 'fixed') {
          const width = col.values.BYTES_PER_ELEMENT;
          bindings.copy_data_to_vector(
            vector,
            0,
            col.values.buffer as ArrayBuffer,
            col.values.byteOffset + lo * width,
            rows * width,
          );
          if (col.valid) {
            let any = false;
            validity.fill(0);
            for (let k = 0; k < rows; k++) {
              if (col.valid[lo + k]) validity[k >> 3]! |= 1 << (k & 7);
              else any = true;
            }
            if (any) {
              bindings.vector_ensure_validity_writable(vector);
              bindings.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, Math.ceil(rows / 64) * 8);
            }
          }
        } else {
          // duckdb_string_t (C API): 16 bytes per row; up to 12 bytes are inlined after the uint32 length. Short
          // values are written into one buffer copied with a single call; longer ones are assigned one by one
          // after that copy (they go to the vector's string heap).
          let any = false;
          validity.fill(0);
          strings.fill(0);
          const { ref, offsets, bytes } = col;
          let long = 0;
          for (let k = 0; k < rows; k++) {
            const r = ref[lo + k]!;
            if (r < 0) {
              any = true;
              continue;
            }
            const a = offsets[r]!;
            const len = offsets[r + 1]! - a;
            if (len === 0 && col.emptyIsNull) {
              any = true;
              continue;
            }
            validity[k >> 3]! |= 1 << (k & 7);
            if (len <= 12) {
              stringView.setUint32(k * 16, len, true);
              for (let i = 0; i < len; i++) strings[k * 16 + 4 + i] = bytes[a + i]!;
            } else longRows[long++] = k;
          }
          bindings.copy_data_to_vector(vector, 0, strings.buffer, 0, rows * 16);
          for (let i = 0; i < long; i++) {
            const k = longRows[i]!;
            const r = ref[lo + k]!;
            bindings.vector_assign_string_element_len(vector, k, bytes.subarray(offsets[r]!, offsets[r + 1]!));
          }
          if (any) {
            bindings.vector_ensure_validity_writable(vector);
            bindings.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, Math.ceil(rows / 64) * 8);
          }
        }
      }
      appender.appendDataChunk(chunk);
    }
  } finally {
    appender.closeSync();
  }
}
