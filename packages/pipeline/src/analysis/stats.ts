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
  const plan = rankPlan(x);
  const out = new Float64Array(x.length);
  rankInto(plan, new Float64Array(x.length).fill(1), out);
  return out;
}

/** Sort order of one variable and where its runs of tied values start (plus n at the end). */
interface RankPlan {
  order: Uint32Array;
  groupStarts: Uint32Array;
}

function rankPlan(x: ArrayLike<number>): RankPlan {
  const order = argsort(x);
  const starts: number[] = [];
  for (let k = 0; k < order.length; k++)
    if (k === 0 || (x[order[k] as number] as number) !== (x[order[k - 1] as number] as number)) starts.push(k);
  starts.push(order.length);
  return { order, groupStarts: Uint32Array.from(starts) };
}

/**
 * Mid-ranks of a multiset into `out`: item i occurs counts[i] times (0 = absent), and every
 * copy of it gets rank out[i] (1-based). A bootstrap resample is thus ranked in O(n) from the
 * original sort order, without sorting again or allocating.
 */
function rankInto(plan: RankPlan, counts: ArrayLike<number>, out: Float64Array): void {
  const { order, groupStarts } = plan;
  let below = 0;
  for (let g = 0; g + 1 < groupStarts.length; g++) {
    const s = groupStarts[g] as number;
    const e = groupStarts[g + 1] as number;
    let c = 0;
    for (let k = s; k < e; k++) c += counts[order[k] as number] as number;
    const rank = below + (c + 1) / 2;
    for (let k = s; k < e; k++) out[order[k] as number] = rank;
    below += c;
  }
}

/**
 * Rank plans of xb, where xb[i] = x[i] + shift[group[i]] changes from call to call, without sorting
 * all n values again. Each group's members are sorted by (x, index) once. fl(x + s) is
 * non-decreasing in x, so a group's order under xb differs from it only where rounding made two
 * values equal, and then index order decides (one insertion pass restores it). The groups' orders
 * then merge into the ascending (value, index) order, which is a strict total order: the
 * permutation argsort(xb) gives, exactly. O(n log G) per call against argsort's O(n log n)
 * comparator calls; the buffers are allocated once, and the returned plan is overwritten by the
 * next call.
 */
function shiftedRanker(x: ArrayLike<number>, group: ArrayLike<number>, G: number): (xb: ArrayLike<number>) => RankPlan {
  const n = x.length;
  // The groups' members in (x, index) order, one group after another; off[g] is where g starts.
  const sorted = new Uint32Array(n);
  const off = new Uint32Array(G + 1);
  for (let i = 0; i < n; i++) off[(group[i] as number) + 1] = (off[(group[i] as number) + 1] as number) + 1;
  for (let g = 0; g < G; g++) off[g + 1] = (off[g + 1] as number) + (off[g] as number);
  const fill = off.slice(0, G);
  for (const i of argsort(x)) {
    const g = group[i] as number;
    sorted[fill[g] as number] = i;
    fill[g] = (fill[g] as number) + 1;
  }
  const runs = new Uint32Array(n);
  const order = new Uint32Array(n);
  const starts = new Uint32Array(n + 1);
  const pos = new Uint32Array(G);
  const hv = new Float64Array(G);
  const hi = new Uint32Array(G);
  const hg = new Uint32Array(G);
  return (xb) => {
    runs.set(sorted);
    for (let g = 0; g < G; g++) {
      const base = off[g] as number;
      const end = off[g + 1] as number;
      for (let k = base + 1; k < end; k++) {
        const v = runs[k] as number;
        const xv = xb[v] as number;
        let j = k - 1;
        for (; j >= base; j--) {
          const u = runs[j] as number;
          const xu = xb[u] as number;
          if (xv < xu || (xv === xu && v < u)) runs[j + 1] = u;
          else break;
        }
        runs[j + 1] = v;
      }
    }
    // Merge the G runs through a binary min-heap of their heads, keyed by (value, index).
    let size = 0;
    const sift = (k0: number) => {
      let k = k0;
      for (;;) {
        const l = 2 * k + 1;
        let m = k;
        if (
          l < size &&
          ((hv[l] as number) < (hv[m] as number) || (hv[l] === hv[m] && (hi[l] as number) < (hi[m] as number)))
        )
          m = l;
        const r = l + 1;
        if (
          r < size &&
          ((hv[r] as number) < (hv[m] as number) || (hv[r] === hv[m] && (hi[r] as number) < (hi[m] as number)))
        )
          m = r;
        if (m === k) return;
        const tv = hv[k] as number;
        const ti = hi[k] as number;
        const tg = hg[k] as number;
        hv[k] = hv[m] as number;
        hi[k] = hi[m] as number;
        hg[k] = hg[m] as number;
        hv[m] = tv;
        hi[m] = ti;
        hg[m] = tg;
        k = m;
      }
    };
    for (let g = 0; g < G; g++) {
      pos[g] = off[g] as number;
      if ((off[g] as number) === (off[g + 1] as number)) continue;
      const i = runs[off[g] as number] as number;
      hv[size] = xb[i] as number;
      hi[size] = i;
      hg[size] = g;
      size++;
    }
    for (let k = (size >> 1) - 1; k >= 0; k--) sift(k);
    for (let k = 0; size > 0; k++) {
      const g = hg[0] as number;
      order[k] = hi[0] as number;
      const p = (pos[g] as number) + 1;
      pos[g] = p;
      if (p < (off[g + 1] as number)) {
        const i = runs[p] as number;
        hv[0] = xb[i] as number;
        hi[0] = i;
      } else {
        size--;
        hv[0] = hv[size] as number;
        hi[0] = hi[size] as number;
        hg[0] = hg[size] as number;
      }
      sift(0);
    }
    let m = 0;
    for (let k = 0; k < n; k++)
      if (k === 0 || (xb[order[k] as number] as number) !== (xb[order[k - 1] as number] as number)) starts[m++] = k;
    starts[m++] = n;
    return { order, groupStarts: starts.subarray(0, m) };
  };
}

/** argsort(xb) for xb[i] = x[i] + shift[group[i]], by the merge that the bootstrap's group
 * error uses (the same permutation: see shiftedRanker). Float64Array xb is returned too. */
export function argsortGroupShifted(
  x: ArrayLike<number>,
  group: ArrayLike<number>,
  shift: ArrayLike<number>,
): { order: Uint32Array; xb: Float64Array } {
  const xb = Float64Array.from(x, (v, i) => v + (shift[group[i] as number] as number));
  return { order: shiftedRanker(x, group, shift.length)(xb).order, xb };
}

/** Spearman's ρ of a multiset given the variables' rank plans; NaN if either is constant. */
function spearmanCounts(
  px: RankPlan,
  py: RankPlan,
  counts: ArrayLike<number>,
  rx: Float64Array,
  ry: Float64Array,
): number {
  rankInto(px, counts, rx);
  rankInto(py, counts, ry);
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
  const n = x.length;
  const ones = new Float64Array(n).fill(1);
  return spearmanCounts(rankPlan(x), rankPlan(y), ones, new Float64Array(n), new Float64Array(n));
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
  /**
   * Measurement error of x: each replicate also redraws x_i as x_i + se_i·z_i, z_i standard
   * normal from `rng` (a stream of its own, so the resamples are the same as without it). The
   * class means are sampler estimates whose Monte Carlo error is known (METHOD.md §12: the
   * analysis must propagate it rather than read the means as exact); one z per unit per
   * replicate, so a class drawn twice keeps one value. With every se 0 this is not used at all
   * and the interval is exactly the plain bootstrap's.
   */
  xError?: { se: ArrayLike<number>; rng: Rng };
  /**
   * Measurement error shared by groups of units: each replicate redraws x_i as
   * x_i + se[g]·z_g with g = group[i] and one z_g per group. Examples' log-densities under one
   * class fit share that fit's sampler error, which moves the class as a whole (a chain's partition
   * lifts or lowers all of its points' densities together), so the class mean's MCSE is drawn once
   * per class. Not with `xError`.
   */
  xGroupError?: { group: ArrayLike<number>; se: ArrayLike<number>; rng: Rng };
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
  const px = rankPlan(x);
  const py = rankPlan(y);
  const rx = new Float64Array(n);
  const ry = new Float64Array(n);
  const counts = new Float64Array(n).fill(1);
  const estimate = n < 2 ? Number.NaN : spearmanCounts(px, py, counts, rx, ry);
  const reps = new Float64Array(options.replicates);
  const se = options.xError?.se;
  if (se !== undefined && se.length !== n)
    throw new RangeError(`spearmanBootstrap: ${se.length} standard errors for ${n} pairs`);
  const noisy = se !== undefined && Array.from(se).some((v) => v > 0);
  const ge = options.xGroupError;
  if (ge !== undefined && se !== undefined) throw new RangeError("spearmanBootstrap: xError or xGroupError, not both");
  if (ge !== undefined && ge.group.length !== n)
    throw new RangeError(`spearmanBootstrap: ${ge.group.length} group labels for ${n} pairs`);
  const groupNoisy = ge !== undefined && Array.from(ge.se).some((v) => v > 0);
  const xb = new Float64Array(n);
  const rankShifted = groupNoisy && ge !== undefined ? shiftedRanker(x, ge.group, ge.se.length) : undefined;
  for (let b = 0; b < options.replicates; b++) {
    if (n < 2) {
      reps[b] = Number.NaN;
      continue;
    }
    resampleCounts(rng, n, counts);
    if (noisy && options.xError !== undefined) {
      const z = options.xError.rng.normal(n);
      for (let i = 0; i < n; i++) xb[i] = (x[i] as number) + (se[i] as number) * (z[i] as number);
      reps[b] = spearmanCounts(rankPlan(xb), py, counts, rx, ry);
    } else if (rankShifted !== undefined && ge !== undefined) {
      const z = ge.rng.normal(ge.se.length);
      for (let i = 0; i < n; i++) {
        const g = ge.group[i] as number;
        xb[i] = (x[i] as number) + (ge.se[g] as number) * (z[g] as number);
      }
      reps[b] = spearmanCounts(rankShifted(xb), py, counts, rx, ry);
    } else reps[b] = spearmanCounts(px, py, counts, rx, ry);
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

/**
 * Kendall's τ-b of two paired samples (Kendall 1945: ties in either variable shrink the
 * denominator, so identical orderings give 1 even with ties); NaN when either is constant.
 * O(n²): meant for class counts, not examples.
 */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPairs(x, y, "kendallTauB");
  let s = 0;
  let untiedX = 0;
  let untiedY = 0;
  for (let i = 0; i < x.length; i++)
    for (let j = i + 1; j < x.length; j++) {
      const dx = (x[i] as number) - (x[j] as number);
      const dy = (y[i] as number) - (y[j] as number);
      if (dx !== 0) untiedX++;
      if (dy !== 0) untiedY++;
      if (dx !== 0 && dy !== 0) s += dx > 0 === dy > 0 ? 1 : -1;
    }
  return untiedX === 0 || untiedY === 0 ? Number.NaN : s / Math.sqrt(untiedX * untiedY);
}
