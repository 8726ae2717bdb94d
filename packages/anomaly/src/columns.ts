// The derived span-model columns anomaly detection reads, for sources that load only what an analysis needs.
import type { DictionaryColumnName } from '@aiops/span-model';

/**
 * The derived dictionary columns {@link detectAnomalies} and {@link traceSeries} read (peer names of uninstrumented
 * calls, service versions for deployment hypotheses), beyond the columns every lean read keeps (ids, service,
 * operation, kind, times, status and message, resource, error type, failure signals). Pass it as
 * `SpanQuery.analysisColumns` with `detail: 'analysis'` to read only these from a store.
 *
 * @example
 * ```ts
 * const spans = await source.spans({ fromUnixNano, toUnixNano, detail: 'analysis', analysisColumns: ANOMALY_COLUMNS });
 * const report = detectAnomalies(spans, { baseline });
 * ```
 */
export const ANOMALY_COLUMNS: readonly DictionaryColumnName[] = ['peerService', 'serviceVersion'];
