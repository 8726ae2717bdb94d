import { ANOMALY_COLUMNS, detectAnomalies } from '@aiops/anomaly';
import { DEPENDENCY_GRAPH_COLUMNS, dependencyGraph, toJson } from '@aiops/dependency-graph';
import { openStore, type TraceStore } from '@aiops/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shopStore } from './analysis-fixtures.ts';

// analyze-dependencies and detect-trace-anomaly read the store with `detail: 'analysis'` and only the derived
// columns their analyzer declares (DEPENDENCY_GRAPH_COLUMNS, ANOMALY_COLUMNS). On the shop store (see
// analysis-fixtures.ts: frontend → checkout → orders-db (db.system postgresql, peer.service) and → payment
// (peer.service, server.address; refused in traces 3, 9, 15)) the lean read must give the analyzers exactly what
// the full read gives; with no derived column at all the graph must lose its peers (so the lists matter).
let store: TraceStore;
let cleanup: () => void;

beforeAll(async () => {
  const s = await shopStore();
  cleanup = s.cleanup;
  store = await openStore({ dir: s.dir, readOnly: true });
});
afterAll(async () => {
  await store.close();
  cleanup();
});

describe('lean reads with the analyzers’ declared columns', () => {
  it('give the dependency graph of the full read', async () => {
    const full = toJson(dependencyGraph(await store.spans({})));
    const lean = toJson(
      dependencyGraph(await store.spans({ detail: 'analysis', analysisColumns: DEPENDENCY_GRAPH_COLUMNS })),
    );
    expect(lean).toEqual(full);
    expect(full.edges.map((e) => `${e.from}->${e.to}:${e.calls}`).sort()).toEqual([
      'checkout->orders-db:20',
      'checkout->payment:23',
      'frontend->checkout:23',
    ]);
    const bare = toJson(dependencyGraph(await store.spans({ detail: 'analysis', analysisColumns: [] })));
    expect(bare.edges.some((e) => e.to === 'orders-db')).toBe(false);
  });

  it('give the anomaly report of the full read', async () => {
    const full = detectAnomalies(await store.spans({}), { algorithm: 'auto' });
    const lean = detectAnomalies(await store.spans({ detail: 'analysis', analysisColumns: ANOMALY_COLUMNS }), {
      algorithm: 'auto',
    });
    expect(JSON.stringify(lean)).toBe(JSON.stringify(full));
  });
});
