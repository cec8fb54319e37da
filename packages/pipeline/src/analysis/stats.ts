// Descriptive statistics and Spearman's rank correlation, with a percentile bootstrap.
//
// Everything here uses only + − × ÷ and Math.sqrt (plus sorting), so results are identical
// in every JavaScript engine; randomness comes from wasm-core's seeded Rng.

import type { Rng } from "@classfit/wasm-core";

/** Arithmetic mean; NaN for an empty array. */
export function mean(x: ArrayLike<number>): number {
  if (x.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] as number;
  return s / x.length;
}

/** Variance with divisor n − ddof (ddof = 1: unbiased sample variance). NaN if n ≤ ddof. */
export function variance(x: ArrayLike<number>, ddof = 1): number {
  const n = x.length;
  if (n <= ddof) return Number.NaN;
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = (x[i] as number) - m;
    s += d * d;
  }
  return s / (n - ddof);
}

/** Standard error of the mean (sample sd / √n); NaN for n < 2. */
export function standardError(x: ArrayLike<number>): number {
  return Math.sqrt(variance(x, 1) / x.length);
}

/**
 * Quantile by linear interpolation between order statistics (Hyndman & Fan type 7, the
 * default of R, NumPy and SciPy). `sorted` must be ascending and non-empty.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError("quantile of an empty sample");
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile level must lie in [0, 1], got ${p}`);
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  return a + (h - lo) * ((sorted[hi] as number) - a);
}

/** Ascending copy, as a Float64Array (numeric sort; NaN is rejected by callers). */
export function sortedCopy(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x).sort();
}

/** Indices 0..n−1 ordered by x ascending; ties keep index order (stable), so the order is deterministic. */
export function argsort(x: ArrayLike<number>): Uint32Array {
  const idx = new Uint32Array(x.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => (x[a] as number) - (x[b] as number) || a - b);
}

/**
 * Mid-ranks (1-based; tied values share the mean of their ranks), as scipy.stats.rankdata
 * with method "average".
 */
export function midranks(x: ArrayLike<number>): Float64Array {
  const order = argsort(x);
  const counts = new Float64Array(x.length).fill(1);
  return weightedMidranks(x, order, counts);
}

/**
 * Mid-ranks of a multiset: item i occurs counts[i] times (0 = absent). `order` is argsort(x).
 * Returns the rank each copy of item i gets (1-based), so a bootstrap resample is ranked in
 * O(n) without sorting again.
 */
function weightedMidranks(x: ArrayLike<number>, order: Uint32Array, counts: ArrayLike<number>): Float64Array {
  const n = order.length;
  const r = new Float64Array(n);
  let below = 0;
  let i = 0;
  while (i < n) {
    const v = x[order[i] as number] as number;
    let j = i;
    let c = 0;
    while (j < n && (x[order[j] as number] as number) === v) {
      c += counts[order[j] as number] as number;
      j++;
    }
    const rank = below + (c + 1) / 2;
    for (let k = i; k < j; k++) r[order[k] as number] = rank;
    below += c;
    i = j;
  }
  return r;
}

/** Spearman's ρ of a multiset given precomputed sort orders; NaN if either variable is constant. */
function spearmanCounts(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  ox: Uint32Array,
  oy: Uint32Array,
  counts: ArrayLike<number>,
): number {
  const rx = weightedMidranks(x, ox, counts);
  const ry = weightedMidranks(y, oy, counts);
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] as number;
  // Mid-ranks of N items always average (N + 1)/2, ties or not.
  const m = (total + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] as number;
    if (c === 0) continue;
    const dx = (rx[i] as number) - m;
    const dy = (ry[i] as number) - m;
    sxy += c * dx * dy;
    sxx += c * dx * dx;
    syy += c * dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return sxy / Math.sqrt(sxx * syy);
}

function checkPairs(x: ArrayLike<number>, y: ArrayLike<number>, what: string): void {
  if (x.length !== y.length) throw new RangeError(`${what}: x and y differ in length (${x.length} vs ${y.length})`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i] as number) || !Number.isFinite(y[i] as number))
      throw new RangeError(`${what}: non-finite value at index ${i} (x = ${x[i]}, y = ${y[i]})`);
  }
}

/** Spearman's rank correlation (Pearson correlation of mid-ranks, as scipy.stats.spearmanr). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPairs(x, y, "spearman");
  const ones = new Float64Array(x.length).fill(1);
  return spearmanCounts(x, y, argsort(x), argsort(y), ones);
}

/** A point estimate with a percentile-bootstrap confidence interval. */
export interface BootstrapCI {
  estimate: number;
  lower: number;
  upper: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
  /** Number of units resampled (classes, examples or bins' examples). */
  n: number;
  /** Bootstrap replicates drawn. */
  replicates: number;
  /** Replicates with a defined statistic (a resample with a constant variable has none). */
  validReplicates: number;
  /** What was resampled: "classes" or "examples". */
  unit: string;
}

export interface BootstrapOptions {
  replicates: number;
  level?: number;
  unit?: string;
}

/** Percentile interval from replicate values (NaNs dropped). */
export function percentileInterval(
  values: Float64Array,
  level: number,
): { lower: number; upper: number; valid: number } {
  const ok = sortedCopy(values.filter((v) => !Number.isNaN(v)));
  if (ok.length === 0) return { lower: Number.NaN, upper: Number.NaN, valid: 0 };
  const a = (1 - level) / 2;
  return { lower: quantileSorted(ok, a), upper: quantileSorted(ok, 1 - a), valid: ok.length };
}

/** Draws one bootstrap resample of n units as multiplicities (counts[i] = times unit i was drawn). */
export function resampleCounts(rng: Rng, n: number, counts: Float64Array): void {
  counts.fill(0);
  const draws = rng.int(n, n);
  for (let i = 0; i < n; i++) counts[draws[i] as number] = (counts[draws[i] as number] as number) + 1;
}

/**
 * Spearman's ρ with a seeded percentile bootstrap over the paired units (Efron & Tibshirani
 * 1993, ch. 13). Each replicate is ranked in O(n) from the original sort orders.
 */
export function spearmanBootstrap(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  rng: Rng,
  options: BootstrapOptions,
): BootstrapCI {
  checkPairs(x, y, "spearmanBootstrap");
  const level = options.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap level must lie in (0, 1), got ${level}`);
  if (!Number.isInteger(options.replicates) || options.replicates < 1)
    throw new RangeError(`bootstrap replicates must be a positive integer, got ${options.replicates}`);
  const n = x.length;
  const ox = argsort(x);
  const oy = argsort(y);
  const counts = new Float64Array(n).fill(1);
  const estimate = n < 2 ? Number.NaN : spearmanCounts(x, y, ox, oy, counts);
  const reps = new Float64Array(options.replicates);
  for (let b = 0; b < options.replicates; b++) {
    if (n < 2) {
      reps[b] = Number.NaN;
      continue;
    }
    resampleCounts(rng, n, counts);
    reps[b] = spearmanCounts(x, y, ox, oy, counts);
  }
  const { lower, upper, valid } = percentileInterval(reps, level);
  return {
    estimate,
    lower,
    upper,
    level,
    n,
    replicates: options.replicates,
    validReplicates: valid,
    unit: options.unit ?? "pairs",
  };
}
