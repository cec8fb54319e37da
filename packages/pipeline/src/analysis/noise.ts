// The sampler's share of the class means (METHOD.md §12). Each class mean log-density is an MCMC
// estimate: rerunning the sampler with another seed moves it by about its Monte Carlo standard
// error (MCSE), measured at 1–4 nats, often more than the gaps the split reads. So the analysis
// propagates it: a class mean is read as m_c + mcse_c·z_c with z_c standard normal (a normal
// measurement-error model; the MCSE is a jackknife over independent chains, which makes the
// normal a fair first description of a mean of many draws). Here: that model for the split.

import type { Rng } from "@classfit/wasm-core";
import { gapSplit } from "./bimodality.js";
import { argsort, kendallTauB } from "./stats.js";

/** What the measurement-error model reads of a class: its MCSE and start gap, where measured. */
export interface WithSampler {
  sampler?: { mcse: number | null; startGap?: number | null | undefined } | undefined;
}

/**
 * A class mean's standard error for the measurement-error model: its MCSE, 0 (exact) when not
 * measured (single chain, or fits older than §12). With chains started from both sides of K
 * (METHOD.md §12.6) the pooled mean is the midpoint of the two halves' means, and either half
 * could be the nearer to the posterior, so half the start gap is added in quadrature.
 */
export function samplerSe(r: WithSampler): number {
  const mcse = r.sampler?.mcse ?? 0;
  const half = (r.sampler?.startGap ?? 0) / 2;
  return half === 0 ? mcse : Math.sqrt(mcse * mcse + half * half);
}

/** |z| below this is "within sampler noise": the two-sided 5% normal quantile. */
export const GAP_Z_THRESHOLD = 1.96;
/** A high group that changes in more than this share of draws is "within sampler noise". */
export const GROUP_CHANGE_THRESHOLD = 0.05;

/** How the largest-gap split of one stage fares when the class means move within their MCSE. */
export interface SplitNoise {
  /** Classes whose mean carries an MCSE > 0 (the others count as exact). */
  classesWithMcse: number;
  /** The classes either side of the largest gap (class indices) and their MCSEs (nats). */
  border: { low: number; high: number; lowMcse: number; highMcse: number };
  /** Largest gap ÷ √(mcse_low² + mcse_high²); null when both are 0 (exact as far as known). */
  gapZ: number | null;
  /** Monte Carlo draws of all class means. */
  draws: number;
  /** Share of draws whose class ranking equals the point estimates' ranking. */
  rankingUnchanged: number;
  /** Mean Kendall τ-b between the point means and each draw's means. */
  meanKendallTau: number;
  /** Share of draws whose largest gap puts another set of classes above it. */
  highGroupChanged: number;
  /** Per class (ascending class index): share of draws in which it lands in the high group. */
  pHigh: { classIndex: number; p: number }[];
  /** |gapZ| < 1.96, or the high group changes in more than 5% of draws. */
  withinNoise: boolean;
}

/**
 * The split's stability under the measurement-error model: the largest gap's z from the two
 * classes bordering it, and, over `draws` draws of every class mean as m_c + mcse_c·z_c, how
 * often the ranking and the high group stay as they are. `means`, `se` and `classIndex` are
 * positional (one entry per class).
 */
export function splitNoise(
  means: readonly number[],
  se: readonly number[],
  classIndex: readonly number[],
  rng: Rng,
  draws: number,
): SplitNoise {
  const n = means.length;
  if (se.length !== n || classIndex.length !== n) throw new RangeError("splitNoise: means, se and classes differ");
  if (!Number.isInteger(draws) || draws < 1)
    throw new RangeError(`splitNoise: draws must be a positive integer, got ${draws}`);
  const point = gapSplit(means);
  const a = point.low[point.low.length - 1] as number;
  const b = point.high[0] as number;
  const sa = se[a] as number;
  const sb = se[b] as number;
  const gapSe = Math.sqrt(sa * sa + sb * sb);
  const gapZ = gapSe > 0 ? point.gap / gapSe : null;

  const pointOrder = argsort(means);
  const pointHigh = new Uint8Array(n);
  for (const i of point.high) pointHigh[i] = 1;
  const highCount = new Float64Array(n);
  let sameRanking = 0;
  let changed = 0;
  let tauSum = 0;
  let tauCount = 0;
  const z = rng.normal(n * draws);
  const x = new Array<number>(n);
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < n; i++) x[i] = (means[i] as number) + (se[i] as number) * (z[d * n + i] as number);
    const order = argsort(x);
    let same = true;
    for (let i = 0; i < n && same; i++) same = order[i] === pointOrder[i];
    if (same) sameRanking++;
    const tau = kendallTauB(means, x);
    if (!Number.isNaN(tau)) {
      tauSum += tau;
      tauCount++;
    }
    const g = gapSplit(x);
    const inHigh = new Uint8Array(n);
    for (const i of g.high) inHigh[i] = 1;
    let differs = false;
    for (let i = 0; i < n; i++) {
      if (inHigh[i] === 1) highCount[i] = (highCount[i] as number) + 1;
      if (inHigh[i] !== pointHigh[i]) differs = true;
    }
    if (differs) changed++;
  }
  const highGroupChanged = changed / draws;
  const pHigh = Array.from({ length: n }, (_, i) => ({
    classIndex: classIndex[i] as number,
    p: (highCount[i] as number) / draws,
  })).sort((p, q) => p.classIndex - q.classIndex);
  return {
    classesWithMcse: se.filter((v) => v > 0).length,
    border: { low: classIndex[a] as number, high: classIndex[b] as number, lowMcse: sa, highMcse: sb },
    gapZ,
    draws,
    rankingUnchanged: sameRanking / draws,
    meanKendallTau: tauCount > 0 ? tauSum / tauCount : Number.NaN,
    highGroupChanged,
    pHigh,
    withinNoise: (gapZ !== null && Math.abs(gapZ) < GAP_Z_THRESHOLD) || highGroupChanged > GROUP_CHANGE_THRESHOLD,
  };
}
