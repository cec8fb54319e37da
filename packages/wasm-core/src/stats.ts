// Statistics for certification (METHOD.md §9), computed in wasm (assembly/stats.ts) so that
// Node and the browser give the same bits. This module only checks arguments and names the
// bad one; every number comes from the module.
import type { Core } from "./core.js";

function finite(x: number, what: string, fn: string): void {
  if (typeof x !== "number" || !Number.isFinite(x))
    throw new RangeError(`${fn}: ${what} must be a finite number, got ${x}`);
}
function positive(x: number, what: string, fn: string): void {
  finite(x, what, fn);
  if (!(x > 0)) throw new RangeError(`${fn}: ${what} must be > 0, got ${x}`);
}
function probability(x: number, what: string, fn: string, open = false): void {
  if (typeof x !== "number" || Number.isNaN(x) || x < 0 || x > 1 || (open && (x === 0 || x === 1)))
    throw new RangeError(`${fn}: ${what} must be in ${open ? "(0, 1)" : "[0, 1]"}, got ${x}`);
}
function counts(k: number, n: number, fn: string): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${fn}: n must be an integer >= 1, got ${n}`);
  if (!Number.isSafeInteger(k) || k < 0 || k > n)
    throw new RangeError(`${fn}: k must be an integer in [0, n=${n}], got ${k}`);
}

/** Φ(x), the standard normal distribution function (Cody 1969/1993 rational approximations;
 * full relative accuracy in the lower tail down to x ≈ −37.5). */
export function normCdf(core: Core, x: number): number {
  if (Number.isNaN(x)) throw new RangeError("normCdf: x is NaN");
  return core.exports.stats_norm_cdf(x, 0);
}

/** 1 − Φ(x) = Φ(−x), accurate in the upper tail. */
export function normSf(core: Core, x: number): number {
  if (Number.isNaN(x)) throw new RangeError("normSf: x is NaN");
  return core.exports.stats_norm_cdf(x, 1);
}

/** Φ⁻¹(p) (Wichura 1988, AS 241 PPND16); −Infinity at 0, +Infinity at 1. */
export function normPpf(core: Core, p: number): number {
  probability(p, "p", "normPpf");
  return core.exports.stats_norm_ppf(p);
}

/** Regularized incomplete beta I_x(a, b) = P(X ≤ x), X ~ Beta(a, b); `upper` gives
 * 1 − I_x(a, b) computed directly (accurate when it is tiny). */
export function incompleteBeta(core: Core, x: number, a: number, b: number, upper = false): number {
  probability(x, "x", "incompleteBeta");
  positive(a, "a", "incompleteBeta");
  positive(b, "b", "incompleteBeta");
  return core.exports.stats_ibeta(x, a, b, upper ? 1 : 0);
}

/** The p-quantile of Beta(a, b): the x with I_x(a, b) = p (with 1 − I_x(a, b) = p when
 * `upper`, which keeps small upper-tail probabilities exact). */
export function betaQuantile(core: Core, p: number, a: number, b: number, upper = false): number {
  probability(p, "p", "betaQuantile");
  positive(a, "a", "betaQuantile");
  positive(b, "b", "betaQuantile");
  return core.exports.stats_beta_quantile(p, a, b, upper ? 1 : 0);
}

/** One-sided Clopper–Pearson lower confidence bound at level alpha for a binomial
 * proportion with k successes out of n: the alpha-quantile of Beta(k, n − k + 1), 0 when
 * k = 0 (CERTIFY's p_A lower bound, Cohen et al. 2019). */
export function clopperPearsonLower(core: Core, k: number, n: number, alpha: number): number {
  counts(k, n, "clopperPearsonLower");
  probability(alpha, "alpha", "clopperPearsonLower", true);
  return core.exports.stats_cp_lower(k, n, alpha);
}

/** One-sided Clopper–Pearson upper bound at level alpha: the (1 − alpha)-quantile of
 * Beta(k + 1, n − k), 1 when k = n. */
export function clopperPearsonUpper(core: Core, k: number, n: number, alpha: number): number {
  counts(k, n, "clopperPearsonUpper");
  probability(alpha, "alpha", "clopperPearsonUpper", true);
  return core.exports.stats_cp_upper(k, n, alpha);
}

/** Two-sided exact binomial test p-value of k successes in n trials against success
 * probability p (default 1/2), as R's binom.test and scipy.stats.binomtest: the probability
 * of every outcome at most (1 + 1e-7) times as likely as k. PREDICT's abstention test. */
export function binomTest(core: Core, k: number, n: number, p = 0.5): number {
  counts(k, n, "binomTest");
  probability(p, "p", "binomTest");
  return core.exports.stats_binom_test(k, n, p);
}

/** log P(X = k) for X ~ Binomial(n, p) (Loader 2000: no lgamma cancellation at large n). */
export function binomLogPmf(core: Core, k: number, n: number, p: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`binomLogPmf: n must be an integer >= 0, got ${n}`);
  if (!Number.isSafeInteger(k)) throw new RangeError(`binomLogPmf: k must be an integer, got ${k}`);
  probability(p, "p", "binomLogPmf");
  return core.exports.stats_binom_logpmf(k, n, p);
}

/** The certified L2 radius of randomized smoothing (Cohen et al. 2019, Theorem 1 with
 * p_B = 1 − p_A): σ·Φ⁻¹(pLower), or 0 (abstain) when pLower < 1/2. */
export function certifiedRadius(core: Core, sigma: number, pLower: number): number {
  positive(sigma, "sigma", "certifiedRadius");
  probability(pLower, "pLower", "certifiedRadius");
  if (pLower < 0.5) return 0;
  return sigma * core.exports.stats_norm_ppf(pLower);
}

/** The largest radius CERTIFY can return with n samples at level alpha:
 * σ·Φ⁻¹(alpha^(1/n)), reached when every sample votes for the top class. */
export function maxCertifiableRadius(core: Core, sigma: number, n: number, alpha: number): number {
  positive(sigma, "sigma", "maxCertifiableRadius");
  return sigma * core.exports.stats_norm_ppf(clopperPearsonLower(core, n, n, alpha));
}
