// The public API of @aiops/store: the runtime exports of src/index.ts. A change to this list is a change to
// the package's surface and needs a changeset (STYLE.md §7).
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';

describe('@aiops/store public API', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(api).sort()).toEqual([
      'ARROW_OUTPUT_SETTINGS',
      'ClickHouseError',
      'ClickHouseStore',
      'STORE_FILE_NAME',
      'StoreError',
      'TraceStore',
      'chdbExecutor',
      'clickHouseHttpExecutor',
      'defaultStoreDir',
      'isClickHouseError',
      'isStoreError',
      'openClickHouseStore',
      'openStore',
      'parseClickHouseUri',
    ]);
  });
});
