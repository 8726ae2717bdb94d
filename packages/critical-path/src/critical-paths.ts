// The critical paths of every trace of a table at once, as typed arrays: the input of bottleneck ranking,
// aggregated critical paths and slow-trace analysis over millions of spans.
//
//   trace 0:  0 root |========================|        path: root 70..100, b 40..70, root 0..40
//             1 b            |==========|
//   trace 1:  2 root |=======|                        path: root 0..30
//
// Algorithm: per trace, the last-finishing-child walk of CRISP from the head's end back to its start (see
// criticalPath for the rules: clipping, FOLLOWS_FROM, orphans, several roots).
// Reference: CRISP, Zhang et al., ATC'22; jaeger-ui computeCriticalPath.
import type { TraceTree } from '@aiops/span-model';
import { graftOrphans } from './internal/graft.ts';
import { chooseHeads, HEAD_GIVEN } from './internal/heads.ts';
import { createWalker, walkCriticalPath } from './internal/walk.ts';

/** How the head of a trace's path was chosen, as stored in {@link CriticalPaths.headKind}. */
export const HeadKind = {
  /** The trace has no span to start from (only a parent cycle, or no spans). */
  None: 0,
  /** The trace's root span (the longest root when there are several). */
  Root: 1,
  /** No root span: the longest span whose parent is missing. */
  Orphan: 2,
  /** Chosen by the caller (`options.heads`). */
  Given: 3,
} as const;
/** A value of {@link HeadKind}. */
export type HeadKind = (typeof HeadKind)[keyof typeof HeadKind];

/** Options of {@link criticalPaths}. */
export interface CriticalPathsOptions {
  /**
   * Head row per trace ordinal (-1: choose as usual). Use it to compute the path of a service's entry span instead
   * of the root. Rows must belong to their trace.
   */
  readonly heads?: Int32Array;
  /** Graft orphan subtrees under the span enclosing them in time (see criticalPath). Default true. */
  readonly graftOrphans?: boolean;
  /** Clock-skew tolerance of grafting, ns. Default 5 ms. */
  readonly graftToleranceNano?: number;
}

const DEFAULTS = { graftOrphans: true, graftToleranceNano: 5e6 } as const;

/**
 * The critical paths of every trace in a tree, columnar.
 *
 * **Details** Trace `t` owns segments `segmentOffsets[t] .. segmentOffsets[t+1]`, latest first; times are ns
 * relative to `tree.table.times.baseUnixNano`.
 */
export interface CriticalPaths {
  /** The tree the paths were computed on. */
  readonly tree: TraceTree;
  /** Head row per trace (-1 when none). */
  readonly head: Int32Array;
  /** {@link HeadKind} per trace. */
  readonly headKind: Uint8Array;
  /** Number of root spans per trace. */
  readonly rootCount: Int32Array;
  /** Number of orphan subtree heads per trace. */
  readonly orphanCount: Int32Array;
  /** Duration of the head per trace, ns (= sum of its segments). */
  readonly totalNano: Float64Array;
  /** Start of each trace's segments; traceCount + 1 entries. */
  readonly segmentOffsets: Int32Array;
  /** Span row of each segment. */
  readonly segmentRow: Int32Array;
  /** Segment start, ns relative to the table base. */
  readonly segmentStartNano: Float64Array;
  /** Segment end, ns relative to the table base. */
  readonly segmentEndNano: Float64Array;
  /** Exclusive time on its trace's critical path per span, ns (0 when not on it). */
  readonly exclusiveNano: Float64Array;
  /** 1 for each span the path passes through (including spans fully covered by a child on the path). */
  readonly onPath: Uint8Array;
  /** Graft parent per row for orphans grafted under the span enclosing them (-1 otherwise); empty when none. */
  readonly graftParent: Int32Array;
  /** Number of orphans grafted. */
  readonly grafted: number;
}

/**
 * Computes the critical path of every trace in `tree`.
 *
 * **Details** Same rules as {@link criticalPath} — children clipped to their parent, FOLLOWS_FROM children never
 * block, the longest root (or, without a root, the longest orphan subtree) is the head — but results stay in
 * typed arrays: no per-span object, no strings.
 *
 * **Complexity** O(n) plus sorting the children of on-path spans whose children do not finish in start order;
 * O(n) memory. Measured above 1M spans/s (benchmarks/critical-path/RESULTS.md).
 *
 * **Gotchas** Orphan subtrees of a rooted trace are grafted under the span enclosing them in time (`graftParent`);
 * those that fit no span stay off the path (`onPath` 0): compute them with {@link criticalPath}'s `head` option.
 * A given head (`options.heads`) follows grafts inside its subtree too.
 *
 * @example
 * ```ts
 * const tree = buildTraceTree(table);
 * const paths = criticalPaths(tree);
 * for (let t = 0; t < tree.traces.traceCount; t++) {
 *   for (let s = paths.segmentOffsets[t]; s < paths.segmentOffsets[t + 1]; s++) {
 *     paths.segmentRow[s]; // latest segment first
 *   }
 * }
 * ```
 */
export function criticalPaths(tree: TraceTree, options: CriticalPathsOptions = {}): CriticalPaths {
  const traceCount = tree.traces.traceCount;
  const chosen = chooseHeads(tree);
  const head = chosen.head;
  const headKind = chosen.kind;
  if (options.heads) {
    if (options.heads.length !== traceCount) {
      throw new RangeError(
        `critical-path: options.heads has ${options.heads.length} entries, expected ${traceCount} (one per trace)`,
      );
    }
    for (let t = 0; t < traceCount; t++) {
      const h = options.heads[t]!;
      if (h < 0) continue;
      if (tree.traces.traceOfRow[h] !== t) throw new RangeError(`critical-path: head row ${h} is not in trace ${t}`);
      head[t] = h;
      headKind[t] = HEAD_GIVEN;
    }
  }
  const { startNano, endNano } = tree.table.times;
  const graft =
    (options.graftOrphans ?? DEFAULTS.graftOrphans)
      ? graftOrphans(tree, options.graftToleranceNano ?? DEFAULTS.graftToleranceNano)
      : undefined;
  const w = createWalker(tree, tree.table.numSpans, graft ?? tree.links);
  const totalNano = new Float64Array(traceCount);
  const segmentOffsets = new Int32Array(traceCount + 1);
  for (let t = 0; t < traceCount; t++) {
    segmentOffsets[t] = w.segCount;
    const h = head[t]!;
    if (h < 0) continue;
    totalNano[t] = endNano[h]! - startNano[h]!;
    walkCriticalPath(w, h, startNano[h]!, endNano[h]!);
  }
  segmentOffsets[traceCount] = w.segCount;
  return {
    tree,
    head,
    headKind,
    rootCount: chosen.rootCount,
    orphanCount: chosen.orphanCount,
    totalNano,
    segmentOffsets,
    segmentRow: w.segRow.subarray(0, w.segCount),
    segmentStartNano: w.segStart.subarray(0, w.segCount),
    segmentEndNano: w.segEnd.subarray(0, w.segCount),
    exclusiveNano: w.exclusive,
    onPath: w.onPath,
    graftParent: graft?.graftParent ?? new Int32Array(0),
    grafted: graft?.grafted ?? 0,
  };
}
