// Convergence diagnostics for MCMC draws of one scalar quantity: rank-normalised split-R̂,
// folded split-R̂, bulk/tail/mean effective sample sizes and Monte Carlo standard errors.
//
// Method: Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization,
// folding, and localization: An improved R̂ for assessing convergence of MCMC", Bayesian
// Analysis 16(2), cited below as VGSCB (§3.1 split-R̂, §3.2 multi-chain ESS, §4 rank
// normalisation, folding and quantile ESS, §4.4 quantile MCSE). Where the paper leaves a detail
// open we follow its reference implementation, the R package `posterior` (1.4.0 checked:
// `rhat`, `ess_bulk`, `ess_tail`, `ess_mean`, `ess_quantile`, `mcse_mean`, `mcse_quantile` and
// the internals `.split_chains`, `z_scale`, `fold_draws`, `.rhat`, `.ess`), so that the numbers
// agree with posterior to rounding (the tests pin this):
//
// - Splitting: each chain of length n is cut into draws [0, ⌊n/2⌋) and [⌈n/2⌉, n); for odd
//   n the middle draw is dropped (posterior's `.split_chains`; ArviZ does the same).
//   Statistics that are not per-half (the median used for folding, the quantiles behind the
//   tail indicators, mean, sd, and the sorted draws of the quantile MCSE) use every draw,
//   the middle one included, exactly as posterior does.
// - Constant input: posterior returns NA when all the (transformed) draws it is handed are
//   equal to within machine epsilon (`should_return_NA`/`is_constant`, pooled over chains;
//   its per-chain check is commented out in the code); we return NaN at the same places. So
//   the ESS of a quantile indicator is NaN when the indicator is constant, which for integer
//   draws happens whenever the top value holds 5% or more of them (the 95% quantile is then
//   the maximum), and the tail ESS with it.
// - Non-finite draws: posterior returns NA; here they are a caller bug, so RangeError.
// - ESS needs at least 3 draws per half chain (posterior's `.ess`): chains of 4 or 5 draws
//   give R̂ but NaN effective sample sizes.
//
// Determinism: every number is built from + − × ÷, sqrt, abs, comparisons and wasm's Φ⁻¹
// (and, for the quantile MCSE, wasm's beta quantile), all of which IEEE-754 or the wasm
// module fix bit for bit, with sums taken in a fixed order. The one logarithm (the ESS cap
// 1/log10(S)) is a short +−×÷ series below instead of Math.log10, whose last bit may differ
// between engines. Autocovariances are computed directly (O(n·lag) per chain, only up to the
// lag where Geyer's sequence stops) rather than by FFT: exact in the same way everywhere and
// cheap for the few thousand draws per chain we see.
import type { Core } from "./core.js";
import { betaQuantile, normPpf } from "./stats.js";

/** Draws of one scalar: one array per chain, all chains the same length (≥ 4). */
export type Chains = readonly ArrayLike<number>[];

export interface ConvergenceSummary {
  /** max(rhatBulk, rhatTail): VGSCB §4's recommended R̂. NaN for constant draws. */
  readonly rhat: number;
  /** Rank-normalised split-R̂ (VGSCB §3.1 split-R̂ of the z-scores of the pooled ranks, §4). */
  readonly rhatBulk: number;
  /** Rank-normalised split-R̂ of the draws folded about their median (VGSCB §4). */
  readonly rhatTail: number;
  /** ESS of the rank-normalised split chains (VGSCB §4). */
  readonly essBulk: number;
  /** min of the ESS of the 5% and 95% quantile indicators (VGSCB §4). */
  readonly essTail: number;
  /** ESS of the raw split chains: the ESS relevant to the MCSE of the mean. */
  readonly essMean: number;
  /** sd / sqrt(essMean). */
  readonly mcseMean: number;
  /** Mean of all draws. */
  readonly mean: number;
  /** Sample standard deviation (n − 1 denominator) of all draws. */
  readonly sd: number;
}

/** Matches R's .Machine$double.eps, posterior's tolerance in `is_constant`. */
const DOUBLE_EPS = 2.220446049250313e-16;
/** Φ(−1) and Φ(1) as posterior writes them in `.mcse_quantile`: a ±1 sd interval. */
const MCSE_Q_LOW = 0.1586553;
const MCSE_Q_HIGH = 0.8413447;

/** Checks shape and finiteness; returns the chain length. */
function validate(chains: Chains, fn: string): number {
  if (!Array.isArray(chains) || chains.length < 1) throw new RangeError(`${fn}: need at least one chain`);
  const n = (chains[0] as ArrayLike<number>).length;
  for (let c = 0; c < chains.length; c++) {
    const ch = chains[c] as ArrayLike<number>;
    if (ch == null || typeof ch.length !== "number")
      throw new RangeError(`${fn}: chain ${c} is not an array of numbers`);
    if (ch.length !== n) throw new RangeError(`${fn}: chain ${c} has ${ch.length} draws, chain 0 has ${n}`);
    if (n < 4) throw new RangeError(`${fn}: need at least 4 draws per chain, got ${n}`);
    for (let i = 0; i < n; i++) {
      const v = ch[i];
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new RangeError(`${fn}: draw ${i} of chain ${c} is not a finite number (${v})`);
    }
  }
  return n;
}

/** posterior's `.split_chains`: halves [0, ⌊n/2⌋) and [⌈n/2⌉, n) of every chain, optionally
 * after mapping each draw through `f`. */
function split(chains: Chains, f?: (x: number) => number): Float64Array[] {
  const out: Float64Array[] = [];
  for (const ch of chains) {
    const n = ch.length;
    const h = Math.floor(n / 2);
    const a = new Float64Array(h);
    const b = new Float64Array(h);
    for (let i = 0; i < h; i++) {
      const x = ch[i] as number;
      const y = ch[n - h + i] as number;
      a[i] = f ? f(x) : x;
      b[i] = f ? f(y) : y;
    }
    out.push(a, b);
  }
  return out;
}

/** All draws of all chains, chain by chain. */
function pool(chains: Chains): Float64Array {
  let total = 0;
  for (const ch of chains) total += ch.length;
  const out = new Float64Array(total);
  let k = 0;
  for (const ch of chains) for (let i = 0; i < ch.length; i++) out[k++] = ch[i] as number;
  return out;
}

function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] as number;
  return s;
}

/** Sample variance with the n − 1 denominator, about the given mean (two-pass, like R). */
function variance(x: ArrayLike<number>, mean: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] as number) - mean;
    s += d * d;
  }
  return s / (x.length - 1);
}

/** posterior's `is_constant`: max − min below machine epsilon (absolute). */
function isConstant(cols: readonly Float64Array[]): boolean {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const c of cols)
    for (const v of c) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  return Math.abs(hi - lo) < DOUBLE_EPS;
}

/** Ascending copy. Sorting numbers is exact, so the result is engine-independent. */
function sorted(x: Float64Array): Float64Array {
  return x.slice().sort();
}

/** R's `median`: the mean of the two middle order statistics for an even count. */
function median(x: Float64Array): number {
  const s = sorted(x);
  const n = s.length;
  const h = Math.floor(n / 2);
  return n % 2 === 1 ? (s[h] as number) : ((s[h - 1] as number) + (s[h] as number)) / 2;
}

/** R's default (type 7) sample quantile, in the same arithmetic as `quantile.default`. */
function quantile7(s: Float64Array, prob: number): number {
  const n = s.length;
  const index = 1 + (n - 1) * prob; // 1-based, as in R
  const lo = Math.floor(index);
  const hi = Math.ceil(index);
  const qlo = s[lo - 1] as number;
  const qhi = s[hi - 1] as number;
  if (index > lo && qhi !== qlo) {
    const h = index - lo;
    return (1 - h) * qlo + h * qhi;
  }
  return qlo;
}

/**
 * Rank normalisation (VGSCB §4, with Blom's offset 3/8, posterior's `z_scale`): pool all
 * split draws, give ties their average rank r (so integer-valued draws such as cluster counts
 * keep their distinct values), and map to z = Φ⁻¹((r − 3/8)/(S + 1/4)).
 */
function zScale(core: Core, cols: readonly Float64Array[]): Float64Array[] {
  const h = (cols[0] as Float64Array).length;
  const S = cols.length * h;
  const vals = new Float64Array(S);
  cols.forEach((c, j) => {
    vals.set(c, j * h);
  });
  const order = Array.from({ length: S }, (_, i) => i);
  order.sort((a, b) => (vals[a] as number) - (vals[b] as number));
  const z = new Float64Array(S);
  let i = 0;
  while (i < S) {
    const v = vals[order[i] as number] as number;
    let j = i + 1;
    while (j < S && vals[order[j] as number] === v) j++;
    // Positions i..j−1 (0-based) hold ranks i+1..j; their average is exact in binary.
    const r = (i + 1 + j) / 2;
    const zi = normPpf(core, (r - 0.375) / (S + 0.25));
    for (let k = i; k < j; k++) z[order[k] as number] = zi;
    i = j;
  }
  return cols.map((_, j) => z.subarray(j * h, (j + 1) * h));
}

/**
 * Split-R̂ of already split (and transformed) chains, VGSCB §3.1 as posterior's `.rhat`:
 * R̂ = sqrt(((n−1)/n·W + B/n) / W) with B = n·var(chain means), W = mean within-chain var.
 */
function rhatOfSplit(cols: readonly Float64Array[]): number {
  if (isConstant(cols)) return Number.NaN;
  const n = (cols[0] as Float64Array).length;
  const means = cols.map((c) => sum(c) / n);
  let w = 0;
  cols.forEach((c, j) => {
    w += variance(c, means[j] as number);
  });
  const varWithin = w / cols.length;
  const varBetween = n * variance(means, sum(means) / means.length);
  return Math.sqrt((varBetween / varWithin + n - 1) / n);
}

/**
 * ESS of already split chains: VGSCB §3.2, i.e. Stan's multi-chain estimator as in
 * posterior's `.ess`. Autocorrelations are combined across chains as
 * ρ̂_t = 1 − (W − mean_m acov_m(t)) / var⁺, truncated by Geyer's initial positive
 * sequence on pairs ρ̂_{2k} + ρ̂_{2k+1} and made monotone (Geyer's initial monotone
 * sequence), with τ̂ = −1 + 2·Σ_{t<T} ρ̂_t + ρ̂_T (the "improved" antithetic-friendly end
 * term) capped below at 1/log10(S), so ESS ≤ S·log10(S).
 */
function essOfSplit(cols: readonly Float64Array[]): number {
  const m = cols.length;
  const n = (cols[0] as Float64Array).length;
  if (n < 3 || isConstant(cols)) return Number.NaN;
  const means = cols.map((c) => sum(c) / n);
  // Centred chains; a chain with zero variance has all autocovariances 0 (posterior).
  const centred = cols.map((c, j) => {
    const mu = means[j] as number;
    const y = new Float64Array(n);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const d = (c[i] as number) - mu;
      y[i] = d;
      s += d * d;
    }
    return s === 0 ? null : y;
  });
  // Chain-averaged biased (1/n) autocovariance at `lag`, Geyer (1992)'s recommendation.
  const acovMean = (lag: number): number => {
    let total = 0;
    for (const y of centred) {
      if (y === null) continue;
      let s = 0;
      for (let i = 0; i + lag < n; i++) s += (y[i] as number) * (y[i + lag] as number);
      total += s / n;
    }
    return total / m;
  };
  const meanVar = (acovMean(0) * n) / (n - 1);
  let varPlus = (meanVar * (n - 1)) / n;
  if (m > 1) varPlus += variance(means, sum(means) / m);

  const rho = new Float64Array(n);
  let t = 0;
  let rhoEven = 1;
  rho[0] = rhoEven;
  let rhoOdd = 1 - (meanVar - acovMean(1)) / varPlus;
  rho[1] = rhoOdd;
  // Initial positive sequence: stop at the first pair sum that is not positive.
  while (t < n - 5 && !Number.isNaN(rhoEven + rhoOdd) && rhoEven + rhoOdd > 0) {
    t += 2;
    rhoEven = 1 - (meanVar - acovMean(t)) / varPlus;
    rhoOdd = 1 - (meanVar - acovMean(t + 1)) / varPlus;
    if (rhoEven + rhoOdd >= 0) {
      rho[t] = rhoEven;
      rho[t + 1] = rhoOdd;
    }
  }
  const maxT = t;
  if (rhoEven > 0) rho[maxT] = rhoEven;
  // Initial monotone sequence: no pair sum may exceed the previous one.
  t = 0;
  while (t <= maxT - 4) {
    t += 2;
    const prev = (rho[t - 2] as number) + (rho[t - 1] as number);
    if ((rho[t] as number) + (rho[t + 1] as number) > prev) {
      rho[t] = prev / 2;
      rho[t + 1] = rho[t] as number;
    }
  }
  const S = m * n;
  // posterior sums rho_hat_t[1:max_t] in R, which for max_t = 0 is just ρ̂_0.
  let acc = 0;
  for (let k = 0; k < Math.max(1, maxT); k++) acc += rho[k] as number;
  let tau = -1 + 2 * acc + (rho[maxT] as number);
  const tauBound = 1 / log10(S);
  if (tau < tauBound) tau = tauBound;
  return S / tau;
}

/**
 * log10(x) for x > 0 from + − × ÷ alone: x = m·2^e with m ∈ [√½, √2) by exact halvings,
 * then ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| < 0.172, summed to s^39 (< 1e-30).
 * Only used for the ESS cap, where the last bits matter for reproducibility, not accuracy.
 */
function log10(x: number): number {
  let m = x;
  let e = 0;
  while (m >= Math.SQRT2) {
    m /= 2;
    e++;
  }
  while (m < Math.SQRT1_2) {
    m *= 2;
    e--;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let term = s;
  let acc = 0;
  for (let k = 1; k < 40; k += 2) {
    acc += term / k;
    term *= s2;
  }
  // Math.LN2 and Math.LN10 are constants (the doubles nearest ln 2, ln 10), not computed.
  return (2 * acc + e * Math.LN2) / Math.LN10;
}

function bulkRhat(core: Core, chains: Chains): number {
  return rhatOfSplit(zScale(core, split(chains)));
}

function tailRhat(core: Core, chains: Chains): number {
  const med = median(pool(chains));
  return rhatOfSplit(
    zScale(
      core,
      split(chains, (x) => Math.abs(x - med)),
    ),
  );
}

/** ESS of the indicator I(x ≤ q_prob), q the type-7 quantile of all draws (VGSCB §4). */
function quantileEss(chains: Chains, all: Float64Array, prob: number): number {
  if (isConstant([all])) return Number.NaN;
  // posterior nudges prob = 1 inside the sample so the indicator is not constant by design.
  const p = prob === 1 ? (all.length - 0.5) / all.length : prob;
  const q = quantile7(sorted(all), p);
  return essOfSplit(split(chains, (x) => (x <= q ? 1 : 0)));
}

function tailEss(chains: Chains, all: Float64Array): number {
  // Math.min propagates NaN, as R's min does NA.
  return Math.min(quantileEss(chains, all, 0.05), quantileEss(chains, all, 0.95));
}

function meanEss(chains: Chains): number {
  return essOfSplit(split(chains));
}

function meanMcse(chains: Chains, all: Float64Array): number {
  const mu = sum(all) / all.length;
  return Math.sqrt(variance(all, mu)) / Math.sqrt(meanEss(chains));
}

function checkProb(prob: number, fn: string): void {
  if (typeof prob !== "number" || !(prob >= 0 && prob <= 1))
    throw new RangeError(`${fn}: prob must be in [0, 1], got ${prob}`);
}

/** Bulk R̂: split-R̂ of the rank-normalised draws (VGSCB §4). */
export function rhatBulk(core: Core, chains: Chains): number {
  validate(chains, "rhatBulk");
  return bulkRhat(core, chains);
}

/** Tail R̂: bulk R̂ of |x − median(x)|, which sees chains that differ in scale (VGSCB §4). */
export function rhatTail(core: Core, chains: Chains): number {
  validate(chains, "rhatTail");
  return tailRhat(core, chains);
}

/** max(bulk R̂, tail R̂) (VGSCB §4, posterior's `rhat`); NaN if either is NaN. Values
 * above 1.01 suggest the chains have not mixed. */
export function rhat(core: Core, chains: Chains): number {
  validate(chains, "rhat");
  return Math.max(bulkRhat(core, chains), tailRhat(core, chains));
}

/** Bulk ESS: ESS of the rank-normalised split chains (VGSCB §4, posterior's `ess_bulk`). */
export function essBulk(core: Core, chains: Chains): number {
  validate(chains, "essBulk");
  return essOfSplit(zScale(core, split(chains)));
}

/** Tail ESS: min of the ESS of the 5% and 95% quantile indicators (posterior's `ess_tail`). */
export function essTail(chains: Chains): number {
  validate(chains, "essTail");
  return tailEss(chains, pool(chains));
}

/** ESS for the estimate of the prob-quantile: ESS of the indicator I(x ≤ q̂_prob) on split
 * chains (VGSCB §4, posterior's `ess_quantile`). */
export function essQuantile(chains: Chains, prob: number): number {
  validate(chains, "essQuantile");
  checkProb(prob, "essQuantile");
  return quantileEss(chains, pool(chains), prob);
}

/** ESS for the mean: the classic split-chain ESS of the raw draws (posterior's `ess_mean`). */
export function essMean(chains: Chains): number {
  validate(chains, "essMean");
  return meanEss(chains);
}

/** Monte Carlo standard error of the mean: sd / sqrt(essMean) (posterior's `mcse_mean`). */
export function mcseMean(chains: Chains): number {
  validate(chains, "mcseMean");
  return meanMcse(chains, pool(chains));
}

/**
 * Monte Carlo standard error of the prob-quantile (VGSCB §4.4, posterior's `mcse_quantile`):
 * with E = essQuantile, take a = Beta(E·p + 1, E·(1 − p) + 1) quantiles at Φ(∓1), read the
 * order statistics of all S draws at ⌊a₁S⌋ and ⌈a₂S⌉ (clamped to 1..S), and halve their
 * difference. NaN where essQuantile is NaN.
 */
export function mcseQuantile(core: Core, chains: Chains, prob: number): number {
  validate(chains, "mcseQuantile");
  checkProb(prob, "mcseQuantile");
  const all = pool(chains);
  const ess = quantileEss(chains, all, prob);
  if (Number.isNaN(ess)) return Number.NaN;
  const a1 = betaQuantile(core, MCSE_Q_LOW, ess * prob + 1, ess * (1 - prob) + 1);
  const a2 = betaQuantile(core, MCSE_Q_HIGH, ess * prob + 1, ess * (1 - prob) + 1);
  const s = sorted(all);
  const S = s.length;
  const th1 = s[Math.max(Math.floor(a1 * S), 1) - 1] as number;
  const th2 = s[Math.min(Math.ceil(a2 * S), S) - 1] as number;
  return (th2 - th1) / 2;
}

/** All of the above for one quantity, sharing the pooled draws. */
export function convergenceSummary(core: Core, chains: Chains): ConvergenceSummary {
  validate(chains, "convergenceSummary");
  const all = pool(chains);
  const mean = sum(all) / all.length;
  const z = zScale(core, split(chains));
  const rhatBulk = rhatOfSplit(z);
  const rhatTail = tailRhat(core, chains);
  return {
    rhat: Math.max(rhatBulk, rhatTail),
    rhatBulk,
    rhatTail,
    essBulk: essOfSplit(z),
    essTail: tailEss(chains, all),
    essMean: meanEss(chains),
    mcseMean: meanMcse(chains, all),
    mean,
    sd: Math.sqrt(variance(all, mean)),
  };
}
