// @aiops/span-model: the Apache Arrow columnar span model shared by every aiops package.
export { isCacheSystem } from './cache-system.ts';
export {
  FAILURE_SIGNAL_ATTRIBUTE_KEYS,
  FailureSignal,
  type SpanFailureSignals,
  spanFailureSignals,
} from './failure-signals.ts';
export { bytesToHex, normalizeId, normalizeTraceId, parseIdInto, writeHexId } from './ids.ts';
export {
  type AttributeMap,
  type AttributeValue,
  attributeTriple,
  attributeValue,
  parentSpanIdAt,
  type SpanInput,
  type SpanRecord,
  spanAttributes,
  spanAttributeText,
  spanEvents,
  spanIdAt,
  spanLinks,
  spanRecord,
  spanResource,
  spanTableFromRows,
  traceIdAt,
} from './records.ts';
export {
  type AttributeTriple,
  AttributeType,
  attributeStructType,
  DERIVED_DICTIONARY_COLUMNS,
  DICTIONARY_COLUMNS,
  type DictionaryColumnName,
  ParentRefType,
  SPAN_KIND_NAMES,
  SpanKind,
  STATUS_CODE_NAMES,
  StatusCode,
  spanSchema,
} from './schema.ts';
export {
  type DictColumn,
  emptySpanTable,
  isSpanTable,
  type SpanColumns,
  SpanTable,
  type SpanTimes,
  type Utf8Column,
  utf8At,
} from './span-table.ts';
export {
  type SpanEventInput,
  type SpanLinkInput,
  type SpanRejectReason,
  SpanTableBuilder,
  type SpanTableBuilderOptions,
} from './span-table-builder.ts';
export {
  ANALYSIS_ATTRIBUTE_KEYS,
  type AttributeColumnsInput,
  DERIVED_ATTRIBUTE_KEYS,
  HOST_RESOURCE_KEYS,
  type SpanColumnsInput,
  spanTableFromColumns,
} from './span-table-from-columns.ts';
export { StringDictionary } from './string-dictionary.ts';
export { buildTraceIndex, findTrace, type TraceIndex, traceRows } from './trace-index.ts';
export type {
  AppendResult,
  CriticalPathSegment,
  DataBounds,
  OperationInfo,
  SpanQuery,
  TraceQuery,
  TraceSink,
  TraceSource,
  TraceSummary,
} from './trace-source.ts';
export {
  buildChildrenIndex,
  buildTraceTree,
  type ChildrenIndex,
  type ClockSkew,
  type TraceIssues,
  type TraceTree,
  type TreeOptions,
} from './trace-tree.ts';
export { concatSpanTables, spanTableFromArrow, takeSpans } from './transform.ts';
export { type WorkloadCodes, type WorkloadNameOptions, workloadCodes, workloadName } from './workload-name.ts';
