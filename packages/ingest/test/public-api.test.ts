// The public API of @aiops/ingest: the runtime exports of src/index.ts. A change to this list is a change to
// the package's surface and needs a changeset (STYLE.md §7).
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';

describe('@aiops/ingest public API', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(api).sort()).toEqual([
      'IngestError',
      'IngestErrorCode',
      'JaegerSource',
      'SourceError',
      'TRACE_FILE_EXTENSIONS',
      'TRACE_FORMATS',
      'TempoSource',
      'ZipkinSource',
      'decodeJaegerJson',
      'decodeOtlpJson',
      'decodeOtlpProtobuf',
      'decodeTraces',
      'decodeZipkinJson',
      'detectTraceFormat',
      'expandTracePaths',
      'isIngestError',
      'isSourceError',
      'isTraceFormat',
      'jaegerSource',
      'readTraceFile',
      'readTraceFileBatches',
      'rejectedCount',
      'tempoSource',
      'traceQlFromQuery',
      'zipkinSource',
    ]);
  });
});
