// Are the class means one group or two? (METHOD.md §7)
//
// Three views of the same sorted class means:
// - the authors' split: the midpoint of the largest gap between consecutive sorted means;
// - a 1- vs 2-component 1-D Gaussian mixture compared by BIC;
// - Hartigan's dip test of unimodality, with a p-value by seeded simulation under the uniform
//   (the least favourable unimodal null, Hartigan & Hartigan 1985, §3).
// Only + − × ÷, sqrt and the deterministic exp/log of detmath.ts, so Node and browsers agree.

import type { Rng } from "@classfit/wasm-core";
import { detExp, detLog } from "./detmath.js";

function checkFinite(x: ArrayLike<number>, what: string, min: number): void {
  if (x.length < min) throw new RangeError(`${what}: needs at least ${min} values, got ${x.length}`);
  for (let i = 0; i < x.length; i++)
    if (!Number.isFinite(x[i] as number)) throw new RangeError(`${what}: non-finite value ${x[i]} at index ${i}`);
}

// ---------------------------------------------------------------------------------------------
// Largest-gap split

/** The authors' high/low split of class means at the midpoint of the largest gap. */
export interface GapSplit {
  /** Midpoint of the largest gap: means above it are "high-density". */
  threshold: number;
  /** Width of the largest gap (same unit as the means, nats). */
  gap: number;
  /** Largest gap over the second-largest (∞ when the second is 0); large = one clear break. */
  gapRatio: number;
  /** Largest gap over the pooled within-group standard deviation (NaN when undefined). */
  gapToWithinSd: number;
  /** Indices (into the input) of the values above / below the threshold, ascending by value. */
  high: number[];
  low: number[];
}

/**
 * Sorts the values and splits at the midpoint of the largest gap between neighbours; on equal
 * gaps the lowest one wins, so the split is deterministic.
 */
export function gapSplit(values: ArrayLike<number>): GapSplit {
  checkFinite(values, "gapSplit", 2);
  const order = Array.from({ length: values.length }, (_, i) => i).sort(
    (a, b) => (values[a] as number) - (values[b] as number) || a - b,
  );
  const v = order.map((i) => values[i] as number);
  let best = 0;
  let gap = -1;
  let second = 0;
  for (let i = 0; i + 1 < v.length; i++) {
    const g = (v[i + 1] as number) - (v[i] as number);
    if (g > gap) {
      second = Math.max(second, gap);
      gap = g;
      best = i;
    } else second = Math.max(second, g);
  }
  const threshold = ((v[best] as number) + (v[best + 1] as number)) / 2;
  const lowV = v.slice(0, best + 1);
  const highV = v.slice(best + 1);
  let ss = 0;
  for (const part of [lowV, highV]) {
    let m = 0;
    for (const x of part) m += x;
    m /= part.length;
    for (const x of part) ss += (x - m) * (x - m);
  }
  const dof = v.length - 2;
  const within = dof > 0 ? Math.sqrt(ss / dof) : Number.NaN;
  return {
    threshold,
    gap,
    gapRatio: second > 0 ? gap / second : Number.POSITIVE_INFINITY,
    gapToWithinSd: within > 0 ? gap / within : Number.NaN,
    high: order.slice(best + 1),
    low: order.slice(0, best + 1),
  };
}

// ---------------------------------------------------------------------------------------------
// 1 vs 2 component Gaussian mixture by BIC

const LOG_2PI = 1.8378770664093453;

/** A fitted two-component 1-D Gaussian mixture with a shared variance. */
export interface TwoGaussians {
  weights: [number, number];
  means: [number, number];
  variance: number;
  logLikelihood: number;
  iterations: number;
}

export interface MixtureComparison {
  n: number;
  /** One Gaussian: maximum-likelihood mean and (biased) variance; 2 parameters. */
  one: { mean: number; variance: number; logLikelihood: number; bic: number };
  /** Two Gaussians with a common variance; 4 parameters (2 means, 1 variance, 1 weight). */
  two: TwoGaussians & { bic: number };
  /**
   * BIC(1) − BIC(2): positive favours two components. ≈ 2 log Bayes factor (Kass & Raftery
   * 1995: > 2 positive, > 6 strong, > 10 very strong evidence).
   */
  deltaBic: number;
}

function normalLogPdf(x: number, m: number, v: number): number {
  const d = x - m;
  return -0.5 * (LOG_2PI + detLog(v) + (d * d) / v);
}

/**
 * EM for two Gaussians with one shared variance (the equal-variance model keeps the
 * likelihood bounded: with free variances a component can collapse onto one class mean and
 * the likelihood diverges, which with ~10 class means would always "find" two modes).
 * Started from every split of the sorted values into a left and right part (capped at 64
 * evenly spaced splits); the best local maximum wins. Deterministic, no randomness.
 */
export function fitTwoGaussians(values: ArrayLike<number>, maxIter = 1000, tol = 1e-12): TwoGaussians {
  checkFinite(values, "fitTwoGaussians", 3);
  const x = Float64Array.from(values).sort();
  const n = x.length;
  let total = 0;
  for (const v of x) total += v;
  const grand = total / n;
  let tss = 0;
  for (const v of x) tss += (v - grand) * (v - grand);
  if (tss === 0) throw new RangeError("fitTwoGaussians: all values are equal; a mixture is undefined");
  const floor = (tss / n) * 1e-10; // guards 0/0 when the two parts are each constant
  const splits: number[] = [];
  const maxStarts = 64;
  if (n - 1 <= maxStarts) for (let k = 1; k < n; k++) splits.push(k);
  else for (let s = 0; s < maxStarts; s++) splits.push(1 + Math.floor((s * (n - 2)) / (maxStarts - 1)));
  let best: TwoGaussians | undefined;
  const r = new Float64Array(n);
  for (const k of splits) {
    let m0 = 0;
    let m1 = 0;
    for (let i = 0; i < k; i++) m0 += x[i] as number;
    for (let i = k; i < n; i++) m1 += x[i] as number;
    m0 /= k;
    m1 /= n - k;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const d = (x[i] as number) - (i < k ? m0 : m1);
      ss += d * d;
    }
    let v = Math.max(ss / n, floor);
    let w0 = k / n;
    let ll = Number.NEGATIVE_INFINITY;
    let it = 0;
    for (; it < maxIter; it++) {
      // E step: responsibilities of component 0, and the log-likelihood at the current parameters.
      let llNew = 0;
      for (let i = 0; i < n; i++) {
        const a = detLog(w0) + normalLogPdf(x[i] as number, m0, v);
        const b = detLog(1 - w0) + normalLogPdf(x[i] as number, m1, v);
        const mx = Math.max(a, b);
        const lse = mx + detLog(detExp(a - mx) + detExp(b - mx));
        r[i] = detExp(a - lse);
        llNew += lse;
      }
      // M step.
      let s0 = 0;
      let sx0 = 0;
      let sx1 = 0;
      for (let i = 0; i < n; i++) {
        const ri = r[i] as number;
        s0 += ri;
        sx0 += ri * (x[i] as number);
        sx1 += (1 - ri) * (x[i] as number);
      }
      const s1 = n - s0;
      if (s0 < 1e-9 || s1 < 1e-9) break; // one component emptied: this start degenerates to one Gaussian
      m0 = sx0 / s0;
      m1 = sx1 / s1;
      w0 = s0 / n;
      let sv = 0;
      for (let i = 0; i < n; i++) {
        const d0 = (x[i] as number) - m0;
        const d1 = (x[i] as number) - m1;
        const ri = r[i] as number;
        sv += ri * d0 * d0 + (1 - ri) * d1 * d1;
      }
      v = Math.max(sv / n, floor);
      const done = llNew - ll <= tol * (1 + Math.abs(llNew));
      ll = llNew;
      if (done) break;
    }
    if (!(w0 > 0 && w0 < 1)) continue;
    // Log-likelihood at the final parameters.
    let llFinal = 0;
    for (let i = 0; i < n; i++) {
      const a = detLog(w0) + normalLogPdf(x[i] as number, m0, v);
      const b = detLog(1 - w0) + normalLogPdf(x[i] as number, m1, v);
      const mx = Math.max(a, b);
      llFinal += mx + detLog(detExp(a - mx) + detExp(b - mx));
    }
    if (best === undefined || llFinal > best.logLikelihood + 1e-12) {
      const swap = m0 > m1;
      best = {
        weights: swap ? [1 - w0, w0] : [w0, 1 - w0],
        means: swap ? [m1, m0] : [m0, m1],
        variance: v,
        logLikelihood: llFinal,
        iterations: it + 1,
      };
    }
  }
  if (best === undefined) throw new RangeError("fitTwoGaussians: every start collapsed to one component");
  return best;
}

/** 1 vs 2 component Gaussian mixture of the values, compared by BIC (Schwarz 1978). */
export function compareMixtures(values: ArrayLike<number>): MixtureComparison {
  checkFinite(values, "compareMixtures", 3);
  const n = values.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += values[i] as number;
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((values[i] as number) - m) ** 2;
  const v = ss / n;
  if (v === 0) throw new RangeError("compareMixtures: all values are equal; no mixture can be compared");
  // Maximum-likelihood Gaussian: ℓ = −n/2 (log 2πv + 1).
  const ll1 = -0.5 * n * (LOG_2PI + detLog(v) + 1);
  const logn = detLog(n);
  const bic1 = -2 * ll1 + 2 * logn;
  const two = fitTwoGaussians(values);
  const bic2 = -2 * two.logLikelihood + 4 * logn;
  return {
    n,
    one: { mean: m, variance: v, logLikelihood: ll1, bic: bic1 },
    two: { ...two, bic: bic2 },
    deltaBic: bic1 - bic2,
  };
}

// ---------------------------------------------------------------------------------------------
// Hartigan's dip

/**
 * Hartigan's dip statistic of a sample: the sup distance between its empirical CDF and the
 * closest unimodal CDF (Hartigan & Hartigan 1985). A port of algorithm AS 217 (Hartigan 1985)
 * as revised in R's diptest package (Maechler, dip.c: the cycle guard), with min.is.0 = FALSE,
 * so the dip of n points is at least 1/(2n). Range [1/(2n), 1/4]. O(n) after sorting.
 */
export function dipStatistic(values: ArrayLike<number>): number {
  checkFinite(values, "dipStatistic", 1);
  const n = values.length;
  // 1-based arrays, as in AS 217, keep the port checkable line by line.
  const x = new Float64Array(n + 1);
  x.set(Float64Array.from(values).sort(), 1);
  if (n < 2 || x[n] === x[1]) return 1 / (2 * n);
  const mn = new Int32Array(n + 1);
  const mj = new Int32Array(n + 1);
  const gcm = new Int32Array(n + 1);
  const lcm = new Int32Array(n + 1);
  const X = (i: number) => x[i] as number;
  const I = (a: Int32Array, i: number) => a[i] as number;

  // Indices mn over which combination is necessary for the convex minorant (GCM).
  mn[1] = 1;
  for (let j = 2; j <= n; j++) {
    mn[j] = j - 1;
    for (;;) {
      const mnj = I(mn, j);
      const mnmnj = I(mn, mnj);
      if (mnj === 1 || (X(j) - X(mnj)) * (mnj - mnmnj) < (X(mnj) - X(mnmnj)) * (j - mnj)) break;
      mn[j] = mnmnj;
    }
  }
  // Indices mj for the concave majorant (LCM).
  mj[n] = n;
  for (let k = n - 1; k >= 1; k--) {
    mj[k] = k + 1;
    for (;;) {
      const mjk = I(mj, k);
      const mjmjk = I(mj, mjk);
      if (mjk === n || (X(k) - X(mjk)) * (mjk - mjmjk) < (X(mjk) - X(mjmjk)) * (k - mjk)) break;
      mj[k] = mjmjk;
    }
  }

  let low = 1;
  let high = n;
  let dip = 1; // min.is.0 = FALSE: counts, scaled by 1/(2n) at the end
  for (;;) {
    // Change points of the GCM from high down to low.
    gcm[1] = high;
    let i = 1;
    while (I(gcm, i) > low) {
      gcm[i + 1] = I(mn, I(gcm, i));
      i++;
    }
    let ig = i;
    const lGcm = i;
    let ix = ig - 1;
    // Change points of the LCM from low up to high.
    lcm[1] = low;
    i = 1;
    while (I(lcm, i) < high) {
      lcm[i + 1] = I(mj, I(lcm, i));
      i++;
    }
    let ih = i;
    const lLcm = i;
    let iv = 2;

    // Largest distance between the GCM and the LCM from low to high.
    let d = 0;
    if (lGcm !== 2 || lLcm !== 2) {
      do {
        const gcmix = I(gcm, ix);
        const lcmiv = I(lcm, iv);
        if (gcmix > lcmiv) {
          // The next point of either is from the LCM: the distance is computed here.
          const gcmi1 = I(gcm, ix + 1);
          const dx = lcmiv - gcmi1 + 1 - ((X(lcmiv) - X(gcmi1)) * (gcmix - gcmi1)) / (X(gcmix) - X(gcmi1));
          iv++;
          if (dx >= d) {
            d = dx;
            ig = ix + 1;
            ih = iv - 1;
          }
        } else {
          // The next point is from the GCM.
          const lcmiv1 = I(lcm, iv - 1);
          const dx = ((X(gcmix) - X(lcmiv1)) * (lcmiv - lcmiv1)) / (X(lcmiv) - X(lcmiv1)) - (gcmix - lcmiv1 - 1);
          ix--;
          if (dx >= d) {
            d = dx;
            ig = ix + 1;
            ih = iv;
          }
        }
        if (ix < 1) ix = 1;
        if (iv > lLcm) iv = lLcm;
      } while (I(gcm, ix) !== I(lcm, iv));
    } else d = 1;

    if (d < dip) break;

    // Dip of the convex minorant on [low, modal interval].
    let dipL = 0;
    for (let j = ig; j < lGcm; j++) {
      let maxT = 1;
      const jb = I(gcm, j + 1);
      const je = I(gcm, j);
      if (je - jb > 1 && X(je) !== X(jb)) {
        const c = (je - jb) / (X(je) - X(jb));
        for (let jj = jb; jj <= je; jj++) {
          const t = jj - jb + 1 - (X(jj) - X(jb)) * c;
          if (maxT < t) maxT = t;
        }
      }
      if (dipL < maxT) dipL = maxT;
    }
    // Dip of the concave majorant on [modal interval, high].
    let dipU = 0;
    for (let j = ih; j < lLcm; j++) {
      let maxT = 1;
      const jb = I(lcm, j);
      const je = I(lcm, j + 1);
      if (je - jb > 1 && X(je) !== X(jb)) {
        const c = (je - jb) / (X(je) - X(jb));
        for (let jj = jb; jj <= je; jj++) {
          const t = (X(jj) - X(jb)) * c - (jj - jb - 1);
          if (maxT < t) maxT = t;
        }
      }
      if (dipU < maxT) dipU = maxT;
    }
    const dipNew = Math.max(dipU, dipL);
    if (dip < dipNew) dip = dipNew;
    // Without this guard the cycle can repeat forever (Maechler 1994, diptest dip.c).
    if (low === I(gcm, ig) && high === I(lcm, ih)) break;
    low = I(gcm, ig);
    high = I(lcm, ih);
  }
  return dip / (2 * n);
}

export interface DipTest {
  n: number;
  dip: number;
  /** P(dip of n uniforms ≥ observed), estimated as (1 + #{sim ≥ obs}) / (1 + simulations). */
  pValue: number;
  simulations: number;
}

/**
 * Hartigan's dip test with a p-value by seeded simulation: `simulations` samples of n
 * uniforms (the uniform is the least favourable unimodal null, so the test is conservative).
 */
export function dipTest(values: ArrayLike<number>, rng: Rng, simulations = 10000): DipTest {
  checkFinite(values, "dipTest", 3);
  if (!Number.isInteger(simulations) || simulations < 1)
    throw new RangeError(`dipTest: simulations must be a positive integer, got ${simulations}`);
  const n = values.length;
  const dip = dipStatistic(values);
  let atLeast = 0;
  // Draw in blocks to keep the number of calls into wasm small.
  const block = Math.max(1, Math.floor(65536 / n));
  for (let done = 0; done < simulations; ) {
    const m = Math.min(block, simulations - done);
    const u = rng.uniform(m * n);
    for (let s = 0; s < m; s++) {
      // A relative tolerance keeps ties with the observed value (equal up to rounding) counted.
      if (dipStatistic(u.subarray(s * n, (s + 1) * n)) >= dip * (1 - 1e-12)) atLeast++;
    }
    done += m;
  }
  return { n, dip, pValue: (1 + atLeast) / (1 + simulations), simulations };
}
