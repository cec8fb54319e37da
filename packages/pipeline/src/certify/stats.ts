// The three statistics CERTIFY and PREDICT need. The protocols take them through this small
// interface; `coreStats` binds wasm-core's implementations (computed in wasm so that Node and
// the browser give identical bits).
import { binomTest, type Core, clopperPearsonLower, normPpf } from "@classfit/wasm-core";

export interface CertifyStats {
  /** One-sided Clopper–Pearson lower bound at level alpha for k successes out of n: the
   * alpha-quantile of Beta(k, n − k + 1) (0 when k = 0). */
  clopperPearsonLower(k: number, n: number, alpha: number): number;
  /** Two-sided exact binomial test p-value of k successes out of n at success probability p. */
  binomialTestTwoSided(k: number, n: number, p: number): number;
  /** Φ⁻¹(p), the standard normal quantile. */
  normalQuantile(p: number): number;
}

/** One-sided Clopper–Pearson upper bound at level alpha: 1 − lower bound of the failures. */
export function clopperPearsonUpper(stats: CertifyStats, k: number, n: number, alpha: number): number {
  return k >= n ? 1 : 1 - stats.clopperPearsonLower(n - k, n, alpha);
}

/** wasm-core's statistics (computed in wasm: identical bits in Node and the browser; wasm-core
 * checks the arguments and names the bad one). */
export function coreStats(core: Core): CertifyStats {
  return {
    clopperPearsonLower: (k, n, alpha) => clopperPearsonLower(core, k, n, alpha),
    binomialTestTwoSided: (k, n, p) => binomTest(core, k, n, p),
    normalQuantile: (p) => normPpf(core, p),
  };
}
