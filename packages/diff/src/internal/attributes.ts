// Which attributes are compared between two spans, and how: the documented ignore rule and statement shapes.
import { type SpanTable, utf8At } from '@aiops/span-model';

/**
 * Attribute keys that differ between any two calls by nature (identifiers, timestamps, ports, sequence numbers):
 * the last segment of the key (after '.', '_' or '-') is one of these words.
 */
const VOLATILE_LAST_SEGMENT: ReadonlySet<string> = new Set([
  'id',
  'ids',
  'uuid',
  'guid',
  'time',
  'timestamp',
  'ts',
  'date',
  'port',
  'seq',
  'sequence',
  'nonce',
  'pid',
  'tid',
  'offset',
  'duration',
  'elapsed',
  'latency',
  'key',
]);

/** Keys always ignored whatever their name (thread names and sizes vary call to call). */
const VOLATILE_KEYS: ReadonlySet<string> = new Set([
  'thread.name',
  'http.request_content_length',
  'http.response_content_length',
  'http.request.body.size',
  'http.response.body.size',
  'messaging.message.body.size',
  'messaging.message_payload_size_bytes',
]);

/** Keys whose values are query texts: compared by shape (literals replaced by `?`). */
export const STATEMENT_KEYS: ReadonlySet<string> = new Set(['db.statement', 'db.query.text', 'sql.query']);

/** Pseudo-keys for the resource-level columns compared along with the span attributes. */
export const HOST_KEY = 'host';
export const VERSION_KEY = 'service.version';

/** Whether attribute `key` is ignored by name (see VOLATILE_LAST_SEGMENT). */
export function isVolatileKey(key: string): boolean {
  if (VOLATILE_KEYS.has(key)) return true;
  const lower = key.toLowerCase();
  const cut = Math.max(lower.lastIndexOf('.'), lower.lastIndexOf('_'), lower.lastIndexOf('-'));
  const last = cut >= 0 ? lower.slice(cut + 1) : lower;
  return VOLATILE_LAST_SEGMENT.has(last) || /[a-z](Id|ID|Ids)$/.test(key);
}

/** The shape of a query: string and number literals replaced by `?`, whitespace collapsed, IN-lists folded. */
export function statementShape(text: string): string {
  return text
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/"(?:[^"\\]|\\.)*"/g, '?')
    .replace(/\b0x[0-9a-f]+\b/gi, '?')
    .replace(/(?<![\w$])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, '?')
    .replace(/\(\s*\?(?:\s*,\s*\?)*\s*\)/g, '(?)')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The attributes of span `row` as key → text, plus host and service version, volatile keys left out. */
export function comparableAttributes(table: SpanTable, row: number): Map<string, string> {
  const c = table.columns;
  const out = new Map<string, string>();
  for (let a = c.attrOffsets[row]; a < c.attrOffsets[row + 1]; a++) {
    const key = c.attrKeys[c.attrKey[a]];
    if (key === undefined || isVolatileKey(key)) continue;
    out.set(key, utf8At(c.attrValues, a));
  }
  const host = table.stringAt('host', row);
  if (host) out.set(HOST_KEY, host);
  const version = table.stringAt('serviceVersion', row);
  if (version) out.set(VERSION_KEY, version);
  return out;
}

/** Whether `key` holds a URL or path, compared by {@link pathShape}. */
export function isPathKey(key: string): boolean {
  return /(^|[._])(url|uri|path|target|full|template)($|[._])/i.test(key) && !STATEMENT_KEYS.has(key);
}

/**
 * The shape of a URL or path: numeric, UUID and long hex segments and query values replaced by `{}`, so
 * `/users/42?page=2` and `/users/43?page=3` have the same shape.
 */
export function pathShape(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{}')
    .replace(/(?<=[/=:])(?=[0-9a-f]*\d)[0-9a-f]{8,}(?=$|[/?&#;])/gi, '{}')
    .replace(/(?<=[/=:])\d+(?=$|[/?&#;.])/g, '{}')
    .replace(/=[^&#]*/g, '={}');
}

/** Whether two values of `key` count as different (statements and paths by shape). */
export function valuesDiffer(key: string, a: string, b: string): boolean {
  if (a === b) return false;
  if (STATEMENT_KEYS.has(key)) return statementShape(a) !== statementShape(b);
  if (isPathKey(key)) return pathShape(a) !== pathShape(b);
  return true;
}
