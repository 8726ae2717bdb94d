// The public API of @aiops/critical-path: the runtime exports of src/index.ts. A change to this list is a change to
// the package's surface and needs a changeset (STYLE.md §7).
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';

describe('@aiops/critical-path public API', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(api).sort()).toEqual([
      'HeadKind',
      'aggregateCriticalPath',
      'analyzeSlowTraces',
      'criticalPath',
      'criticalPaths',
      'topDownCriticalPath',
      'traceBottleneck',
    ]);
  });
});
