// @aiops/store: the embedded DuckDB trace store, implementing TraceSource and TraceSink from @aiops/span-model.
export { isStoreError, StoreError, type StoreErrorCode } from './store-error.ts';
export {
  defaultStoreDir,
  type OpenStoreOptions,
  openStore,
  STORE_FILE_NAME,
  TraceStore,
} from './trace-store.ts';
