// Which spans failed: status error, HTTP 5xx, or the legacy OpenTracing `error=true` tag (datasets without status).
import type { SpanTable } from '@aiops/span-model';

const TRUE = [0x74, 0x72, 0x75, 0x65]; // "true"

/** 1 for each span that failed: status code Error, HTTP status ≥ 500, or an `error` attribute equal to true. */
export function spanErrorFlags(table: SpanTable): Uint8Array {
  const { statusCode, httpStatusCode, length: n, attrOffsets, attrKey, attrKeys, attrValues } = table.columns;
  const err = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (statusCode[i] === 2 || httpStatusCode[i]! >= 500) err[i] = 1;
  }
  const errorKey = attrKeys.indexOf('error');
  if (errorKey < 0) return err;
  const { offsets, bytes } = attrValues;
  for (let i = 0; i < n; i++) {
    if (err[i]) continue;
    for (let e = attrOffsets[i]!; e < attrOffsets[i + 1]!; e++) {
      if (attrKey[e] !== errorKey) continue;
      const a = offsets[e]!;
      if (offsets[e + 1]! - a !== 4) continue;
      if (bytes[a] === TRUE[0] && bytes[a + 1] === TRUE[1] && bytes[a + 2] === TRUE[2] && bytes[a + 3] === TRUE[3]) {
        err[i] = 1;
      }
    }
  }
  return err;
}
