// @aiops/store: the embedded DuckDB trace store, implementing TraceSource and TraceSink from @aiops/span-model.

export {
  ClickHouseError,
  type ClickHouseErrorCode,
  isClickHouseError,
} from './clickhouse/clickhouse-error.ts';
export {
  ARROW_OUTPUT_SETTINGS,
  type ChdbSessionLike,
  type ClickHouseExecutor,
  type ClickHouseHttpOptions,
  type ClickHouseParams,
  chdbExecutor,
  clickHouseHttpExecutor,
} from './clickhouse/clickhouse-executor.ts';
export {
  type ClickHouseDescription,
  type ClickHouseOperationStats,
  type ClickHouseServiceEdge,
  ClickHouseStore,
  type OpenClickHouseStoreOptions,
  openClickHouseStore,
} from './clickhouse/clickhouse-store.ts';
export { type ClickHouseUri, parseClickHouseUri } from './clickhouse/clickhouse-uri.ts';
export { isStoreError, StoreError, type StoreErrorCode } from './store-error.ts';
export {
  defaultStoreDir,
  type OpenStoreOptions,
  openStore,
  type RequestSpanQuery,
  STORE_FILE_NAME,
  TraceStore,
} from './trace-store.ts';
