/// <reference path="./ml-isolation-forest.d.ts" />
// Isolation Forest scoring with ml-isolation-forest: an ensemble of one-tree forests on small subsamples of normal
// (reference) rows and the rows to score, constant columns dropped, threshold from the reference rows' scores.
// Reference: Liu, Ting, Zhou, "Isolation Forest", ICDM 2008.
import { IsolationForest } from 'ml-isolation-forest';
import { quantileSorted } from './stats.ts';

// Deterministic row picks.
function pick<T>(rows: readonly T[], max: number, offset: number): T[] {
  if (rows.length <= max) return rows.slice();
  const out: T[] = [];
  const step = rows.length / max;
  for (let i = 0; i < max; i++) out.push(rows[Math.floor(i * step + offset * step) % rows.length]!);
  return out;
}

/**
 * Trains `forest` with its split draws taken from `rand`. ml-isolation-forest draws split columns and values with
 * `Math.random` inside its synchronous `train`; routing those draws through the caller's seeded generator for the
 * duration of the call makes every score, and so every report, identical for identical input.
 */
function trainSeeded(forest: IsolationForest, sample: number[][], rand: () => number): void {
  const original = Math.random;
  Math.random = rand;
  try {
    forest.train(sample);
  } finally {
    Math.random = original;
  }
}

/**
 * Scores `rows` with an ensemble of isolation trees, each fitted on its own subsample of ψ = 64 rows drawn from
 * `reference` (normal data) and `rows` together: the classic unsupervised use, where small subsamples limit the
 * masking of a cluster of anomalous points (Liu et al. §3). Returns the scores of `rows` and the `quantile` of the
 * reference rows' scores.
 */
export function fitAndScore(
  reference: readonly number[][],
  rows: readonly number[][],
  quantile: number,
  trees = 40,
): { scores: number[]; threshold: number } | undefined {
  if (reference.length < 16 || rows.length === 0) return undefined;
  // Constant columns only waste splits (the library still splits on them), which hides real outliers.
  const width = reference[0]!.length;
  const keep: number[] = [];
  for (let j = 0; j < width; j++) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const r of reference) {
      lo = Math.min(lo, r[j]!);
      hi = Math.max(hi, r[j]!);
    }
    for (const r of rows) {
      lo = Math.min(lo, r[j]!);
      hi = Math.max(hi, r[j]!);
    }
    if (hi - lo > 1e-9) keep.push(j);
  }
  if (keep.length === 0) return { scores: rows.map(() => 0), threshold: 1 };
  const project = (r: readonly number[]): number[] => keep.map((j) => r[j]!);
  reference = reference.map(project);
  rows = rows.map(project);
  const pool = [...reference, ...rows];
  const ref = pick(reference, 256, 0.5);
  const rowScores = new Float64Array(rows.length);
  const refScores = new Float64Array(ref.length);
  let seed = 0x9e3779b9;
  const rand = (): number => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return (seed >>> 0) / 4294967296;
  };
  for (let t = 0; t < trees; t++) {
    const sample: number[][] = [];
    for (let k = 0; k < Math.min(64, pool.length); k++) sample.push(pool[Math.floor(rand() * pool.length)]!);
    const forest = new IsolationForest({ nEstimators: 1 });
    trainSeeded(forest, sample, rand);
    const a = forest.predict(rows as number[][]);
    const b = forest.predict(ref);
    for (let i = 0; i < a.length; i++) rowScores[i] = rowScores[i]! + a[i]! / trees;
    for (let i = 0; i < b.length; i++) refScores[i] = refScores[i]! + b[i]! / trees;
  }
  refScores.sort();
  return { scores: Array.from(rowScores), threshold: quantileSorted(refScores, quantile) };
}
