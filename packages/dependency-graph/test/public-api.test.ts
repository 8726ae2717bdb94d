// The public API of @aiops/dependency-graph: the runtime exports of src/index.ts. A change to this list is a change to
// the package's surface and needs a changeset (STYLE.md §7).
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';

describe('@aiops/dependency-graph public API', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(api).sort()).toEqual([
      'DEFAULTS',
      'DEPENDENCY_GRAPH_COLUMNS',
      'dependencyGraph',
      'subgraph',
      'toDot',
      'toJson',
      'toMermaid',
    ]);
  });
});
