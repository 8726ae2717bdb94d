// The public API of @aiops/anomaly: the runtime exports of src/index.ts. A change to this list is a change to
// the package's surface and needs a changeset (STYLE.md §7).
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';

describe('@aiops/anomaly public API', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(api).sort()).toEqual([
      'ANOMALY_COLUMNS',
      'ANOMALY_KINDS',
      'TRACE_FEATURE_NAMES',
      'createAnomalyStream',
      'detectAnomalies',
      'severityLevel',
      'traceSeries',
    ]);
  });
});
