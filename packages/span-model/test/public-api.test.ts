// The public API of @aiops/span-model: the runtime exports of src/index.ts. A change to this list is a change to
// the package's surface and needs a changeset (STYLE.md §7).
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';

describe('@aiops/span-model public API', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(api).sort()).toEqual([
      'AttributeType',
      'DERIVED_DICTIONARY_COLUMNS',
      'DICTIONARY_COLUMNS',
      'FailureSignal',
      'ParentRefType',
      'SPAN_KIND_NAMES',
      'STATUS_CODE_NAMES',
      'SpanKind',
      'SpanTable',
      'SpanTableBuilder',
      'StatusCode',
      'StringDictionary',
      'attributeStructType',
      'attributeTriple',
      'attributeValue',
      'buildChildrenIndex',
      'buildTraceIndex',
      'buildTraceTree',
      'bytesToHex',
      'concatSpanTables',
      'emptySpanTable',
      'findTrace',
      'isCacheSystem',
      'isSpanTable',
      'normalizeId',
      'normalizeTraceId',
      'parentSpanIdAt',
      'parseIdInto',
      'spanAttributeText',
      'spanAttributes',
      'spanEvents',
      'spanFailureSignals',
      'spanIdAt',
      'spanLinks',
      'spanRecord',
      'spanResource',
      'spanSchema',
      'spanTableFromArrow',
      'spanTableFromRows',
      'takeSpans',
      'traceIdAt',
      'traceRows',
      'utf8At',
      'workloadCodes',
      'workloadName',
      'writeHexId',
    ]);
  });
});
