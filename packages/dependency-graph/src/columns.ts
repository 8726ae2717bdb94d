// The derived span-model columns the dependency graph reads, for sources that load only what an analysis needs.
import type { DictionaryColumnName } from '@aiops/span-model';

/**
 * The derived dictionary columns {@link dependencyGraph} reads (peer and backing-store inference), beyond the
 * columns every lean read keeps (ids, service, operation, kind, times, status, resource, failure signals). Pass it
 * as `SpanQuery.analysisColumns` with `detail: 'analysis'` to read only these from a store.
 *
 * @example
 * ```ts
 * const spans = await source.spans({ detail: 'analysis', analysisColumns: DEPENDENCY_GRAPH_COLUMNS });
 * const graph = dependencyGraph(spans);
 * ```
 */
export const DEPENDENCY_GRAPH_COLUMNS: readonly DictionaryColumnName[] = [
  'peerService',
  'serverAddress',
  'dbSystem',
  'dbName',
  'messagingSystem',
  'messagingDestination',
];
