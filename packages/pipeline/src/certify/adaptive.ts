// Adaptive CERTIFY: the same guarantee as Cohen et al.'s CERTIFY with far fewer noisy passes
// on the inputs where more samples cannot change the answer much.
//
// Procedure. As in CERTIFY, ĉ is the argmax of n0 selection samples. The estimation samples
// are then drawn in a fixed schedule of looks N_1 < N_2 < … < N_L = n (cumulative counts, fixed
// before any sample is drawn). The failure budget α is split over the looks in advance:
// α_j = η·α/(L − 1) for j < L and α_L = (1 − η)·α (α_1 = α when L = 1, which is exactly
// Cohen's CERTIFY). At look j, with K_j = count of ĉ among the first N_j samples:
//   • final look (j = L): p_lower = CP_lower(K_L, N_L, α_L); certify if ≥ 1/2, else abstain;
//   • futility: if even an optimistic p_A (the one-sided upper Clopper–Pearson bound at level
//     δ) could not give p_lower ≥ 1/2 (or a radius ≥ `minRadius`) at the final look, stop:
//     abstain (or, if p_lower_j = CP_lower(K_j, N_j, α_j) ≥ 1/2 already, certify with it);
//   • decisive: if p_lower_j = CP_lower(K_j, N_j, α_j) ≥ 1/2 and the radius the final look
//     would give if p_A were the current estimate K_j/N_j exceeds σ·Φ⁻¹(p_lower_j) by at most
//     ε·σ, stop and CERTIFY with radius σ·Φ⁻¹(p_lower_j).
//
// Validity (why P(p_lower reported > p_A) ≤ α still holds). Conditional on ĉ (fixed by the
// independent selection samples), the estimation samples are i.i.d. Bernoulli(p_A) indicators
// of "f(x + ε) = ĉ". Let E_j be the event CP_lower(K_j, N_j, α_j) > p_A. For a FIXED sample
// size N_j the Clopper–Pearson bound is exact-conservative, so P(E_j) ≤ α_j whatever the other
// looks do (the E_j are defined on the full sequence of draws, including draws never made
// because we stopped earlier). Whatever data-dependent rule picks the stopping look τ, the
// reported bound is p_lower_τ, and {p_lower_τ > p_A} ⊆ ∪_j E_j, so by the union bound
// P(p_lower_τ > p_A) ≤ Σ_j α_j = α. Abstaining claims nothing, so the futility rule and δ
// cost no α and the stopping rules (δ, ε, minRadius) affect cost and power only, never
// validity. A certified radius R = σ·Φ⁻¹(p_lower) with p_lower ≤ p_A implies g is constant on
// the L2 ball of radius R around x (Cohen et al., Theorem 1, with p_B ≤ 1 − p_A), so the
// statement "with probability ≥ 1 − α over the sampling, the returned radius is certified" is
// exactly Cohen et al.'s. The price is α_L < α at the last look (a slightly smaller radius
// for inputs that need all n samples) and α_j ≪ α at early looks; `η` trades the two.
// Coverage is tested empirically on a backend with known p_A (adaptive.test.ts).
import type { Rng } from "@classfit/wasm-core";
import {
  argmax,
  type CertifyParams,
  type CertifyResult,
  checkCertifyParams,
  radiusOf,
  type SmoothedClassifierBackend,
  sampleCounts,
} from "./cohen.js";
import { type CertifyStats, clopperPearsonUpper } from "./stats.js";

export interface AdaptiveOptions {
  /** Cumulative estimation sample counts at which to look, strictly increasing, ending at n.
   * Default: n/64, n/32, …, n/2, n (rounded; looks below n0 dropped). */
  looks?: readonly number[];
  /** η: share of α spent on the looks before the last (default 0.3; tuned with
   * bench/adaptive-certify.mjs, see BENCHMARKS.md). */
  earlyAlphaShare?: number;
  /** ε: stop early when the projected final radius gains at most ε·σ (default 0.075; the
   * mean loss over a population is smaller, as abstained and wrong inputs lose nothing). */
  radiusTolerance?: number;
  /** δ: level of the optimistic upper bound in the futility rule (default 0.001). */
  futilityAlpha?: number;
  /** Stop and abstain when even the optimistic final radius is below this (default 0). */
  minRadius?: number;
}

export interface ResolvedAdaptive {
  looks: number[];
  alphas: number[];
  radiusTolerance: number;
  futilityAlpha: number;
  minRadius: number;
}

/** The default look schedule for n estimation samples: n·2^−6, …, n·2^−1, n, each ≥ n0. */
export function defaultLooks(n: number, n0: number): number[] {
  const looks: number[] = [];
  for (let k = 6; k >= 1; k--) {
    const l = Math.round(n / 2 ** k);
    if (l >= Math.max(n0, 1) && l < n && looks[looks.length - 1] !== l) looks.push(l);
  }
  looks.push(n);
  return looks;
}

/** Checks the options and splits α over the looks. */
export function resolveAdaptive(params: CertifyParams, opts: AdaptiveOptions = {}): ResolvedAdaptive {
  checkCertifyParams(params, "adaptive certify");
  const looks = opts.looks ? [...opts.looks] : defaultLooks(params.n, params.n0);
  if (looks.length === 0) throw new RangeError("adaptive certify: looks must not be empty");
  looks.forEach((l, i) => {
    if (!Number.isSafeInteger(l) || l < 1)
      throw new RangeError(`adaptive certify: looks[${i}] = ${l} is not a positive integer`);
    if (i > 0 && l <= (looks[i - 1] ?? 0))
      throw new RangeError(`adaptive certify: looks must increase strictly (looks[${i}] = ${l})`);
  });
  if (looks[looks.length - 1] !== params.n)
    throw new RangeError(`adaptive certify: the last look (${looks[looks.length - 1]}) must equal n (${params.n})`);
  const eta = opts.earlyAlphaShare ?? 0.3;
  if (!(eta > 0 && eta < 1)) throw new RangeError(`adaptive certify: earlyAlphaShare must be in (0, 1), got ${eta}`);
  const eps = opts.radiusTolerance ?? 0.075;
  if (!(eps >= 0 && Number.isFinite(eps)))
    throw new RangeError(`adaptive certify: radiusTolerance must be a finite number ≥ 0, got ${eps}`);
  const delta = opts.futilityAlpha ?? 0.001;
  if (!(delta > 0 && delta < 1))
    throw new RangeError(`adaptive certify: futilityAlpha must be in (0, 1), got ${delta}`);
  const minRadius = opts.minRadius ?? 0;
  if (!(minRadius >= 0 && Number.isFinite(minRadius)))
    throw new RangeError(`adaptive certify: minRadius must be a finite number ≥ 0, got ${minRadius}`);
  const L = looks.length;
  const alphas = looks.map((_, j) =>
    L === 1 ? params.alpha : j < L - 1 ? (eta * params.alpha) / (L - 1) : (1 - eta) * params.alpha,
  );
  return { looks, alphas, radiusTolerance: eps, futilityAlpha: delta, minRadius };
}

/**
 * The decision at one look from ĉ's cumulative count: "certify"/"abstain" to stop, or
 * "continue". Exposed for tests and for the benchmark (which replays it on counts).
 */
export function lookDecision(
  stats: CertifyStats,
  sigma: number,
  n: number,
  r: ResolvedAdaptive,
  j: number,
  countTop: number,
): { stop: boolean; pLower: number } {
  const N = r.looks[j] as number;
  const alpha = r.alphas[j] as number;
  const finalAlpha = r.alphas[r.alphas.length - 1] as number;
  const pLower = stats.clopperPearsonLower(countTop, N, alpha);
  if (j === r.looks.length - 1) return { stop: true, pLower };
  // Futility: the best final bound an optimistic p_A could give.
  const pUp = clopperPearsonUpper(stats, countTop, N, r.futilityAlpha);
  const bestFinal = stats.clopperPearsonLower(Math.round(pUp * n), n, finalAlpha);
  // Stopping here reports the bound at this look (valid at α_j), which abstains unless ≥ 1/2.
  if (bestFinal < 0.5 || radiusOf(stats, sigma, bestFinal) < r.minRadius) return { stop: true, pLower };
  if (pLower < 0.5) return { stop: false, pLower };
  // Decisive: little left to gain by sampling on, if p_A were the current estimate.
  const projected = stats.clopperPearsonLower(Math.round((countTop / N) * n), n, finalAlpha);
  const gain = radiusOf(stats, sigma, projected) - radiusOf(stats, sigma, pLower);
  return { stop: gain <= r.radiusTolerance * sigma, pLower };
}

/** Adaptive CERTIFY (see the file comment for the procedure and its validity). */
export async function certifyAdaptive(
  backend: SmoothedClassifierBackend,
  input: Float32Array,
  params: CertifyParams,
  rng: Rng,
  stats: CertifyStats,
  opts: AdaptiveOptions | ResolvedAdaptive = {},
): Promise<CertifyResult> {
  const r = "alphas" in opts ? opts : resolveAdaptive(params, opts);
  const counts0 = await sampleCounts(backend, input, params.sigma, params.n0, rng, params.batchSize);
  const top = argmax(counts0);
  let drawn = 0;
  let countTop = 0;
  for (let j = 0; j < r.looks.length; j++) {
    const N = r.looks[j] as number;
    const counts = await sampleCounts(backend, input, params.sigma, N - drawn, rng, params.batchSize);
    countTop += counts[top] ?? 0;
    drawn = N;
    const d = lookDecision(stats, params.sigma, params.n, r, j, countTop);
    if (d.stop) {
      const abstain = d.pLower < 0.5;
      return {
        top,
        prediction: abstain ? -1 : top,
        countTop,
        estimationSamples: N,
        samples: params.n0 + N,
        pLower: d.pLower,
        radius: abstain ? 0 : radiusOf(stats, params.sigma, d.pLower),
      };
    }
  }
  throw new Error("adaptive certify: unreachable (the last look always stops)");
}
