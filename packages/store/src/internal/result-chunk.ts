// The memory of one DuckDB result chunk, read column by column straight off the vectors (no value conversion):
// shared by the full and the analysis span readers.
import bindings from '@duckdb/node-bindings';

/** Per column: its vector data, an Int32 view for 4-byte columns, and the validity bitmap (undefined = no NULLs). */
export interface Chunk {
  readonly rows: number;
  readonly data: Uint8Array[];
  readonly i32: (Int32Array | undefined)[];
  readonly valid: (Uint8Array | undefined)[];
  /** Keeps the native chunk (which owns the memory above) alive. */
  readonly owner: unknown;
}

/**
 * The first `columns` vectors of the native chunk `raw` with `rows` rows; `widths[c]` is column c's entry width in
 * bytes (4, 8, or 16 for VARCHAR's `duckdb_string_t`), 16 past the end of `widths`.
 */
export function chunkOf(raw: unknown, rows: number, widths: readonly number[], columns: number = widths.length): Chunk {
  const data: Uint8Array[] = [];
  const i32: (Int32Array | undefined)[] = [];
  const valid: (Uint8Array | undefined)[] = [];
  for (let c = 0; c < columns; c++) {
    const vector = bindings.data_chunk_get_vector(raw as never, c);
    const width = widths[c] ?? 16;
    const bytes = bindings.vector_get_data(vector, rows * width);
    data.push(bytes);
    i32.push(
      width === 4
        ? bytes.byteOffset % 4 === 0
          ? new Int32Array(bytes.buffer, bytes.byteOffset, rows)
          : new Int32Array(bytes.slice().buffer)
        : undefined,
    );
    valid.push(bindings.vector_get_validity(vector, Math.ceil(rows / 64) * 8) ?? undefined);
  }
  return { rows, data, i32, valid, owner: raw };
}

/** Whether row `i` is not NULL under the validity bitmap `valid`. */
export function isValid(valid: Uint8Array | undefined, i: number): boolean {
  return valid === undefined || ((valid[i >> 3]! >> (i & 7)) & 1) === 1;
}
