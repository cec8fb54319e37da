// CERTIFY and PREDICT of randomized smoothing, exactly as Cohen, Rosenfeld & Kolter (2019),
// "Certified Adversarial Robustness via Randomized Smoothing", ICML, Algorithms 1–2 and their
// reference code (github.com/locuslab/smoothing, core.py), with the noise added in the
// network's normalised input space (METHOD.md §9).
import type { Rng } from "@classfit/wasm-core";
import type { CertifyStats } from "./stats.js";

/**
 * What the protocols need from a model: counts of the base classifier's predictions over
 * `samples` noisy copies x + ε, ε ~ N(0, σ² I), of one normalised example, drawing all noise
 * from `rng` (consumed sequentially, so two calls of m and k samples use the same draws as one
 * of m + k), `batchSize` noisy copies per forward pass.
 */
export interface SmoothedClassifierBackend {
  readonly numClasses: number;
  countNoisy(input: Float32Array, sigma: number, samples: number, rng: Rng, batchSize: number): Promise<Int32Array>;
}

export interface CertifyParams {
  /** Noise level σ > 0 (in normalised input units). */
  sigma: number;
  /** Selection samples n0 ≥ 1. */
  n0: number;
  /** Estimation samples n ≥ n0. */
  n: number;
  /** Failure probability α ∈ (0, 1). */
  alpha: number;
  /** Noisy copies per forward pass. */
  batchSize: number;
}

export const COHEN_DEFAULTS: CertifyParams = { sigma: 0.5, n0: 100, n: 100_000, alpha: 0.001, batchSize: 1000 };

/** Per-example result of CERTIFY. */
export interface CertifyResult {
  /** ĉ: the class selected from the n0 selection samples (argmax; lowest index on ties). */
  top: number;
  /** ĉ, or −1 when abstaining (p_lower < 0.5). */
  prediction: number;
  /** Count of ĉ among the estimation samples. */
  countTop: number;
  /** Estimation samples drawn (n for Cohen; the stopping look for the adaptive procedure). */
  estimationSamples: number;
  /** Noisy forward passes spent in all: n0 + estimationSamples. */
  samples: number;
  /** Lower confidence bound on p_A = P(f(x + ε) = ĉ). */
  pLower: number;
  /** Certified L2 radius σ·Φ⁻¹(p_lower); 0 when abstaining. */
  radius: number;
}

function fail(where: string, msg: string): never {
  throw new RangeError(`${where}: ${msg}`);
}

/** Validates CERTIFY parameters, naming the offending one. */
export function checkCertifyParams(p: CertifyParams, where = "certify"): void {
  if (!(Number.isFinite(p.sigma) && p.sigma > 0)) fail(where, `sigma must be a finite number > 0, got ${p.sigma}`);
  if (!(p.alpha > 0 && p.alpha < 1)) fail(where, `alpha must be in (0, 1), got ${p.alpha}`);
  if (!Number.isSafeInteger(p.n0) || p.n0 < 1) fail(where, `n0 must be a positive integer, got ${p.n0}`);
  if (!Number.isSafeInteger(p.n) || p.n < 1) fail(where, `n must be a positive integer, got ${p.n}`);
  if (p.n0 > p.n) fail(where, `n0 (${p.n0}) must not exceed n (${p.n})`);
  if (!Number.isSafeInteger(p.batchSize) || p.batchSize < 1)
    fail(where, `batchSize must be a positive integer, got ${p.batchSize}`);
}

/** Index of the largest count, lowest index on ties (numpy.argmax). */
export function argmax(counts: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < counts.length; c++) if ((counts[c] ?? 0) > (counts[best] ?? 0)) best = c;
  return best;
}

/** Calls the backend and checks what comes back. */
export async function sampleCounts(
  backend: SmoothedClassifierBackend,
  input: Float32Array,
  sigma: number,
  samples: number,
  rng: Rng,
  batchSize: number,
): Promise<Int32Array> {
  const counts = await backend.countNoisy(input, sigma, samples, rng, batchSize);
  if (counts.length !== backend.numClasses)
    throw new Error(`smoothing backend returned ${counts.length} counts for ${backend.numClasses} classes`);
  let total = 0;
  for (const c of counts) total += c;
  if (total !== samples)
    throw new Error(`smoothing backend returned counts summing to ${total} for ${samples} samples`);
  return counts;
}

/** Radius σ·Φ⁻¹(p_lower), or 0 (abstain) when p_lower < 0.5 — Cohen et al., Algorithm 1. */
export function radiusOf(stats: CertifyStats, sigma: number, pLower: number): number {
  return pLower < 0.5 ? 0 : sigma * stats.normalQuantile(pLower);
}

/** CERTIFY(f, σ, x, n0, n, α). All noise comes from `rng`: n0 selection draws, then n estimation draws. */
export async function certify(
  backend: SmoothedClassifierBackend,
  input: Float32Array,
  params: CertifyParams,
  rng: Rng,
  stats: CertifyStats,
): Promise<CertifyResult> {
  checkCertifyParams(params);
  const counts0 = await sampleCounts(backend, input, params.sigma, params.n0, rng, params.batchSize);
  const top = argmax(counts0);
  const counts = await sampleCounts(backend, input, params.sigma, params.n, rng, params.batchSize);
  const countTop = counts[top] ?? 0;
  return finishCertify(stats, params.sigma, top, countTop, params.n, params.n0, params.alpha);
}

/** The CERTIFY decision from ĉ's count k out of n estimation samples, bound at level alpha. */
export function finishCertify(
  stats: CertifyStats,
  sigma: number,
  top: number,
  countTop: number,
  n: number,
  n0: number,
  alpha: number,
): CertifyResult {
  const pLower = stats.clopperPearsonLower(countTop, n, alpha);
  const abstain = pLower < 0.5;
  return {
    top,
    prediction: abstain ? -1 : top,
    countTop,
    estimationSamples: n,
    samples: n0 + n,
    pLower,
    radius: abstain ? 0 : radiusOf(stats, sigma, pLower),
  };
}

export interface PredictParams {
  sigma: number;
  n: number;
  alpha: number;
  batchSize: number;
}

export interface PredictResult {
  /** The predicted class, or −1 when abstaining. */
  prediction: number;
  /** The two most frequent classes (lowest index first on ties) and their counts. */
  top: number;
  second: number;
  countTop: number;
  countSecond: number;
  /** Two-sided binomial test p-value of countTop out of countTop + countSecond at 1/2. */
  pValue: number;
}

/** The PREDICT decision from counts: abstain unless the binomial test rejects at level alpha. */
export function predictFromCounts(stats: CertifyStats, counts: ArrayLike<number>, alpha: number): PredictResult {
  if (counts.length < 2) throw new RangeError(`predict: need at least 2 classes, got ${counts.length}`);
  const top = argmax(counts);
  let second = top === 0 ? 1 : 0;
  for (let c = 0; c < counts.length; c++) if (c !== top && (counts[c] ?? 0) > (counts[second] ?? 0)) second = c;
  const countTop = counts[top] ?? 0;
  const countSecond = counts[second] ?? 0;
  const pValue = stats.binomialTestTwoSided(countTop, countTop + countSecond, 0.5);
  return { prediction: pValue <= alpha ? top : -1, top, second, countTop, countSecond, pValue };
}

/** PREDICT(f, σ, x, n, α) — Cohen et al., Algorithm 1 (left). */
export async function predict(
  backend: SmoothedClassifierBackend,
  input: Float32Array,
  params: PredictParams,
  rng: Rng,
  stats: CertifyStats,
): Promise<PredictResult> {
  checkCertifyParams({ ...params, n0: 1 }, "predict");
  const counts = await sampleCounts(backend, input, params.sigma, params.n, rng, params.batchSize);
  return predictFromCounts(stats, counts, params.alpha);
}
