// The public API of @aiops/instrumentation: the runtime exports of src/index.ts. A change to this list is a change to
// the package's surface and needs a changeset (STYLE.md §7).
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';

describe('@aiops/instrumentation public API', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(api).sort()).toEqual([
      'DEFAULTS',
      'JaegerPropagator',
      'NodeHttpInstrumentation',
      'UBER_BAGGAGE_PREFIX',
      'UBER_TRACE_ID_HEADER',
      'WorkerSpanExporter',
      'esmHookReady',
      'propagatorFromNames',
      'resolveInstrumentationConfig',
      'spanContextFromUberTraceId',
      'start',
      'withDbSpan',
    ]);
  });
});
