// The SQL of TraceStore.requestSpans: the request spans of the selected traces (root spans, or the spans entering a
// service), without decoding the other spans of the traces.
//
//   trace 7   seq 0  frontend GET /           root            → returned (no service)
//             seq 1  frontend HTTP POST       parent seq 0
//             seq 2  cart     POST /cart      parent seq 1    → returned with --service cart (parent in frontend)
//             seq 3  cart     SELECT          parent seq 2      (parent in cart: not a request of cart)
//
// A value repeated within a trace is stored once (Dictionaries' LOC_REPEAT): the value a returned span repeats is
// found in SQL (the last span before it in its trace that holds that attribute) and returned as an extra column.
import { VALUE_SLOTS } from './ddl.ts';
import { type Dictionaries, LOC_MORE, LOC_REPEAT } from './dictionaries.ts';

/** What to select: the traces (SQL conditions on `traces`) and which request spans of them. */
export interface RequestSelection {
  readonly traceWhere: readonly string[];
  /** Store service id; undefined for the root spans. */
  readonly serviceId: number | undefined;
  /** Operation name of the returned spans, any when undefined. */
  readonly operation: string | undefined;
  /**
   * The span classes the returned spans have, when known (from {@link enteringClassesSql}): the service's other
   * classes are then neither read in full nor searched for repeated values.
   */
  readonly classes?: ReadonlySet<number>;
}

/**
 * The span columns after the parent, as readSpans expects them. Value columns (and `attr_more`) that no returned
 * span class stores anything in are NULL constants: the engine then does not scan them at all.
 */
function columnsAfterParent(dicts: Dictionaries, classes: readonly number[]): string {
  const used = new Uint8Array(VALUE_SLOTS);
  let more = false;
  for (const id of classes) {
    for (const loc of dicts.shape(dicts.classOf(id).shapeId).locs) {
      if (loc >= 0) used[loc] = 1;
      else if (loc === LOC_MORE) more = true;
    }
  }
  const values = Array.from(used, (u, i) => (u ? `s.v${i}` : 'NULL::VARCHAR')).join(', ');
  return `s.class_id, s.start_off, s.duration_ns, s.status_msg, s.trace_state, ${values}, ${more ? 's.attr_more' : 'NULL::VARCHAR'}, s.events, s.links`;
}

function list(ids: readonly number[]): string {
  return ids.length === 0 ? 'NULL' : ids.join(',');
}

/** The span classes that may be returned, and every class of the service (for the parent test). */
function candidates(dicts: Dictionaries, q: RequestSelection): { emit: number[]; ofService: number[] } {
  const emit: number[] = [];
  const ofService: number[] = [];
  const nClasses = dicts.classes.committed;
  for (let id = 0; id < nClasses; id++) {
    const k = dicts.classOf(id);
    if (q.serviceId !== undefined) {
      if (dicts.opService[k.opId] !== q.serviceId) continue;
      ofService.push(id);
    } else if (k.flags >> 5 !== 0) continue;
    if ((q.operation === undefined || dicts.opName[k.opId] === q.operation) && (!q.classes || q.classes.has(id))) {
      emit.push(id);
    }
  }
  return { emit, ofService };
}

/** `sel` (the traces), then `ent`: (trace_no, seq, class_id) of each returned row and the parent id it gets. */
function returnedRows(q: RequestSelection, emit: readonly number[], ofService: readonly number[]): string[] {
  const where = q.traceWhere.length ? `WHERE ${q.traceWhere.join(' AND ')}` : '';
  const ctes = [
    `sel AS MATERIALIZED (SELECT trace_no, trace_hi, trace_lo, start_ns + base_delta AS base FROM traces ${where})`,
  ];
  if (q.serviceId === undefined) {
    ctes.push(`ent AS MATERIALIZED (
      SELECT s.trace_no, s.seq, s.class_id, s.parent_span_id AS pid FROM all_spans s
       WHERE s.class_id IN (${list(emit)}) AND s.trace_no IN (SELECT trace_no FROM sel))`);
    return ctes;
  }
  // A span enters the service when it has no parent in its trace (none, unknown or itself), or a parent of another
  // service: the rule of buildChildrenIndex (parent = the span of the trace with the parent id, not itself).
  ctes.push(
    `cand AS MATERIALIZED (
      SELECT s.trace_no, s.seq, s.class_id, s.span_id, s.parent_seq, s.parent_span_id FROM all_spans s
       WHERE s.class_id IN (${list(emit)}) AND s.trace_no IN (SELECT trace_no FROM sel))`,
    `par AS (
      SELECT c.trace_no, c.seq, p.span_id AS pid, p.class_id AS pclass
        FROM cand c JOIN all_spans p ON p.trace_no = c.trace_no AND p.seq = c.parent_seq
       WHERE c.parent_seq >= 0 AND c.parent_seq <> c.seq
      UNION ALL
      SELECT c.trace_no, c.seq, p.span_id, p.class_id
        FROM cand c JOIN all_spans p ON p.trace_no = c.trace_no AND p.span_id = c.parent_span_id
       WHERE c.parent_seq < 0 AND c.parent_span_id IS NOT NULL AND p.seq <> c.seq)`,
    `ent AS MATERIALIZED (
      SELECT c.trace_no, c.seq, c.class_id,
             CASE WHEN c.parent_seq = c.seq THEN c.span_id WHEN c.parent_seq >= 0 THEN par.pid
                  ELSE c.parent_span_id END AS pid
        FROM cand c LEFT JOIN par ON par.trace_no = c.trace_no AND par.seq = c.seq
       WHERE par.pclass IS NULL OR par.pclass NOT IN (${list(ofService)}))`,
  );
  return ctes;
}

/**
 * A first, narrow query: the span classes of the spans that enter a service (the service's other spans rarely share
 * a class with them), or undefined when no class can match.
 */
export function enteringClassesSql(dicts: Dictionaries, q: RequestSelection): string | undefined {
  const { emit, ofService } = candidates(dicts, q);
  if (emit.length === 0) return undefined;
  return `WITH ${returnedRows(q, emit, ofService).join(',\n')} SELECT DISTINCT class_id FROM ent`;
}

/** The query of a subset read and the repeated attributes (`${type}:${key}`) its extra columns hold. */
export interface RequestSpansSql {
  readonly sql: string;
  readonly repeatKeys: readonly string[];
}

/**
 * The query for `readSpans` with `repeatKeys`, or undefined when no span class can match (no such service, operation,
 * or no root span at all).
 */
export function requestSpansSql(dicts: Dictionaries, q: RequestSelection): RequestSpansSql | undefined {
  const nClasses = dicts.classes.committed;
  const { emit, ofService } = candidates(dicts, q);
  if (emit.length === 0) return undefined;
  // Attribute keys (with their type) that a returned span may take from an earlier span of its trace.
  const repeatKeys: string[] = [];
  for (const id of emit) {
    const shape = dicts.shape(dicts.classOf(id).shapeId);
    for (let a = 0; a < shape.keys.length; a++) {
      const key = `${shape.types[a]}:${shape.keys[a]}`;
      if (shape.locs[a] === LOC_REPEAT && !repeatKeys.includes(key)) repeatKeys.push(key);
    }
  }
  // Per repeated key and span class, where the class holds the key's value: value column c (c ≥ 0), entry j of
  // `attr_more` (-2 - j), or nowhere (-1).
  const holders: number[] = [];
  const holderLoc: Int32Array[] = repeatKeys.map(() => new Int32Array(nClasses).fill(-1));
  if (repeatKeys.length > 0) {
    for (let id = 0; id < nClasses; id++) {
      const shape = dicts.shape(dicts.classOf(id).shapeId);
      let more = 0;
      let holds = false;
      for (let a = 0; a < shape.keys.length; a++) {
        const loc = shape.locs[a]!;
        const i = loc === LOC_REPEAT ? -1 : repeatKeys.indexOf(`${shape.types[a]}:${shape.keys[a]}`);
        if (i >= 0) {
          holderLoc[i]![id] = loc >= 0 ? loc : -2 - more;
          holds = true;
        }
        if (loc === LOC_MORE) more++;
      }
      if (holds) holders.push(id);
    }
  }
  const heldValue = (i: number): string => {
    const locs = holderLoc[i]!;
    const used = new Set(locs);
    used.delete(-1);
    if (used.size === 0) return 'NULL::VARCHAR';
    const loc = `[${locs.join(',')}][s.class_id + 1]`;
    const whens = [...used]
      .sort((x, y) => x - y)
      .map((l) => `WHEN ${l} THEN ${l >= 0 ? `s.v${l}` : `json_extract_string(s.attr_more, '$[${-2 - l}]')`}`);
    return `CASE ${loc} ${whens.join(' ')} END`;
  };
  const ctes = returnedRows(q, emit, ofService);
  let repeatJoin = '';
  let repeatCols = '';
  if (repeatKeys.length > 0) {
    // The value of key k a row repeats is the last one held by a row before it in its trace (in seq order).
    ctes.push(
      `x AS (SELECT s.trace_no, s.seq, ${repeatKeys.map((_, i) => `${heldValue(i)} AS k${i}`).join(', ')}
        FROM all_spans s
       WHERE s.class_id IN (${list(holders)}) AND s.trace_no IN (SELECT trace_no FROM ent))`,
      `rep AS (SELECT e.trace_no, e.seq, ${repeatKeys.map((_, i) => `arg_max(x.k${i}, x.seq) FILTER (WHERE x.k${i} IS NOT NULL) AS r${i}`).join(', ')}
        FROM ent e JOIN x ON x.trace_no = e.trace_no AND x.seq < e.seq GROUP BY e.trace_no, e.seq)`,
    );
    repeatJoin = 'LEFT JOIN rep ON rep.trace_no = s.trace_no AND rep.seq = s.seq';
    repeatCols = `, ${repeatKeys.map((_, i) => `rep.r${i}`).join(', ')}`;
  }
  const sql = `WITH ${ctes.join(',\n')}
    SELECT sel.trace_hi, sel.trace_lo, sel.base, s.trace_no, s.seq, s.span_id, -1::INTEGER, ent.pid,
           ${columnsAfterParent(dicts, emit)}${repeatCols}
      FROM all_spans s JOIN ent ON ent.trace_no = s.trace_no AND ent.seq = s.seq
      JOIN sel ON sel.trace_no = s.trace_no ${repeatJoin}
     WHERE s.class_id IN (${list(emit)})
     ORDER BY s.trace_no, s.seq`;
  return { sql, repeatKeys };
}
