// classfit-core: the flat WebAssembly ABI.
//
// Every export is a plain function over numbers and linear-memory pointers (byte offsets).
// The internal modules (rng.ts, simd/…, stats.ts, linalg.ts, niw.ts, gibbs.ts, …) stay
// private: only this file decides what the host can call. The one hand-written host wrapper
// is ../src/core.ts; nothing else should call these exports directly.
//
// Ownership rule, unless an export says otherwise: buffers passed in are owned by the caller
// (allocated with `alloc`, released with `free`); the callee only reads inputs and writes
// out-parameters, never keeps a pointer past its return, and never allocates in a hot loop.
// Objects created by a `*_create` export are owned by the caller and released by the
// matching `*_free`.
//
// Numbers that must be exact integers (seeds, stream indices) arrive as f64 holding an
// integer in [0, 2^53) so that JavaScript can pass them without BigInt.

import { RNG_BYTES, rngSeed, nextU64, uniform, uniformInt, normal, gamma } from "./rng";
import { dotSimd, dotScalar, axpySimd, axpyScalar } from "./simd/vec";
import { zigguratFill, zigguratNormal } from "./ziggurat";
import { lgamma } from "./special";

// ---------------------------------------------------------------------------------------
// Memory

/** Allocates `bytes` bytes (16-byte aligned) of linear memory. Caller owns the block and
 * releases it with `free`. Called by the TS wrapper for every buffer it passes in. May grow
 * memory, which detaches every view the host holds (the wrapper re-creates views). */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Releases a block from `alloc`. */
export function free(ptr: usize): void {
  heap.free(ptr);
}

function checkedU64(x: f64, what: string): u64 {
  if (!(x >= 0.0 && x < 9007199254740992.0 && Math.floor(x) == x)) {
    throw new Error(what + " must be an integer in [0, 2^53)");
  }
  return <u64>x;
}

// ---------------------------------------------------------------------------------------
// Random numbers (rng.ts). Called by the wrapper's Rng class.

/** Creates a generator seeded from (seed, stream); caller owns it (rng_free). Distinct
 * streams of one seed are independent generators, e.g. one per chain or per work unit. */
export function rng_create(seed: f64, stream: f64): usize {
  const s = heap.alloc(RNG_BYTES);
  rngSeed(s, checkedU64(seed, "seed"), checkedU64(stream, "stream"));
  return s;
}

/** Releases a generator from rng_create. */
export function rng_free(s: usize): void {
  heap.free(s);
}

/** Copies generator state `src` into `dst` (both from rng_create): a saved state replays. */
export function rng_copy(dst: usize, src: usize): void {
  memory.copy(dst, src, RNG_BYTES);
}

/** Writes the next n raw 64-bit outputs as pairs of u32 (low word first) into `out`
 * (caller-owned, 8·n bytes). For checking the generator against its reference vectors. */
export function rng_fill_u64(s: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u64>(out + (<usize>i << 3), nextU64(s));
}

/** Fills out[0..n) (f64, caller-owned) with uniforms on [0, 1). */
export function rng_fill_uniform(s: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(out + (<usize>i << 3), uniform(s));
}

/** Fills out[0..n) (u32, caller-owned) with uniform integers in [0, bound), bound ≥ 1. */
export function rng_fill_int(s: usize, bound: u32, out: usize, n: i32): void {
  if (bound == 0) throw new Error("rng_fill_int: bound must be >= 1");
  for (let i = 0; i < n; i++) store<u32>(out + (<usize>i << 2), uniformInt(s, bound));
}

/** Fills out[0..n) (f64, caller-owned) with standard normals. */
export function rng_fill_normal(s: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(out + (<usize>i << 3), normal(s));
}

/** Fills out[0..n) (f64, caller-owned) with standard normals by the ziggurat (ziggurat.ts): the
 * stream of the noise of noisy forward passes (models' NoisyClassifier). A different stream
 * from rng_fill_normal's polar method on the same generator. */
export function rng_fill_ziggurat(s: usize, out: usize, n: i32): void {
  zigguratFill(s, out, n);
}

/** rng_fill_ziggurat one draw at a time through the plain reference (state in memory): the
 * same bits, for the tests that hold the fast kernel to it. */
export function rng_fill_ziggurat_ref(s: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(out + (<usize>i << 3), zigguratNormal(s));
}

/** Fills out[0..n) (f64, caller-owned) with Gamma(shape, rate) draws (mean shape/rate). */
export function rng_fill_gamma(s: usize, shape: f64, rate: f64, out: usize, n: i32): void {
  if (!(shape > 0.0) || !(rate > 0.0) || !isFinite(shape) || !isFinite(rate)) {
    throw new Error("rng_fill_gamma: shape and rate must be finite and > 0");
  }
  const scale = 1.0 / rate;
  for (let i = 0; i < n; i++) store<f64>(out + (<usize>i << 3), gamma(s, shape) * scale);
}

// ---------------------------------------------------------------------------------------
// Vector kernels (simd/vec.ts). SIMD and scalar twins are both exported so the host tests
// and benchmarks can hold them against each other.

/** Σ a[i]·b[i]; a, b caller-owned f64[n]. */
export function vec_dot(a: usize, b: usize, n: i32): f64 {
  return dotSimd(a, b, n);
}

/** Scalar twin of vec_dot. */
export function vec_dot_scalar(a: usize, b: usize, n: i32): f64 {
  return dotScalar(a, b, n);
}

/** out = alpha·x + y over f64[n]; out may alias x or y. All caller-owned. */
export function vec_axpy(alpha: f64, x: usize, y: usize, out: usize, n: i32): void {
  axpySimd(alpha, x, y, out, n);
}

/** Scalar twin of vec_axpy. */
export function vec_axpy_scalar(alpha: f64, x: usize, y: usize, out: usize, n: i32): void {
  axpyScalar(alpha, x, y, out, n);
}

// ---------------------------------------------------------------------------------------
// Special functions (special.ts). Exported for the host's tests.

/** log |Γ(x)|. */
export function special_lgamma(x: f64): f64 {
  return lgamma(x);
}

// ---------------------------------------------------------------------------------------
// Statistics and extra samplers (stats.ts, rng.ts additions), SVD projection (linalg.ts).
// Each group imports what it uses beside its exports, so it reads on its own.
import { normCdf, normPpf, ibetaTail, betaQuantile, clopperPearsonLower, clopperPearsonUpper, binomTestTwoSided, logBinomRaw } from "./stats";
import { betaDraw, chiSquareDraw, logWeightsCumulative, categoricalFromCumulative, dirichletDraw, studentTDraw } from "./rng";
import { gramCreate, gramFree, gramWritePtr, gramCapacity, gramRows, gramCommit, gramFinish, projectRows, symEigTop } from "./linalg";

// Statistics. Plain functions of numbers; invalid arguments give NaN (the wrapper checks
// arguments first and names the bad one). Called by ../src/stats.ts.

/** Φ(x), or 1 − Φ(x) when upper ≠ 0 (accurate in that tail). */
export function stats_norm_cdf(x: f64, upper: i32): f64 {
  return normCdf(x, upper != 0);
}

/** Φ⁻¹(p), p in [0, 1]. */
export function stats_norm_ppf(p: f64): f64 {
  return normPpf(p);
}

/** I_x(a, b), or 1 − I_x(a, b) when upper ≠ 0. */
export function stats_ibeta(x: f64, a: f64, b: f64, upper: i32): f64 {
  return ibetaTail(x, 1.0 - x, a, b, upper != 0);
}

/** The x with I_x(a, b) = p (or 1 − I_x(a, b) = p when upper ≠ 0). */
export function stats_beta_quantile(p: f64, a: f64, b: f64, upper: i32): f64 {
  return betaQuantile(p, a, b, upper != 0);
}

/** One-sided Clopper–Pearson lower bound at level alpha for k successes out of n. */
export function stats_cp_lower(k: f64, n: f64, alpha: f64): f64 {
  return clopperPearsonLower(k, n, alpha);
}

/** One-sided Clopper–Pearson upper bound at level alpha for k successes out of n. */
export function stats_cp_upper(k: f64, n: f64, alpha: f64): f64 {
  return clopperPearsonUpper(k, n, alpha);
}

/** Two-sided exact binomial test p-value of k successes in n trials against p. */
export function stats_binom_test(k: f64, n: f64, p: f64): f64 {
  return binomTestTwoSided(k, n, p);
}

/** log P(X = k), X ~ Binomial(n, p) (Loader 2000; accurate for large n). */
export function stats_binom_logpmf(k: f64, n: f64, p: f64): f64 {
  return logBinomRaw(k, n, p, 1.0 - p);
}

// Extra samplers (rng.ts). Generators come from rng_create; buffers are caller-owned.
// Called by the Rng class in ../src/core.ts.

/** Fills out[0..n) (f64) with Beta(a, b) draws; a, b finite and > 0. */
export function rng_fill_beta(s: usize, a: f64, b: f64, out: usize, n: i32): void {
  if (!(a > 0.0) || !(b > 0.0) || !isFinite(a) || !isFinite(b)) {
    throw new Error("rng_fill_beta: a and b must be finite and > 0");
  }
  for (let i = 0; i < n; i++) store<f64>(out + (<usize>i << 3), betaDraw(s, a, b));
}

/** Fills out[0..n) (f64) with χ²(df) draws; df finite and > 0. */
export function rng_fill_chisq(s: usize, df: f64, out: usize, n: i32): void {
  if (!(df > 0.0) || !isFinite(df)) throw new Error("rng_fill_chisq: df must be finite and > 0");
  for (let i = 0; i < n; i++) store<f64>(out + (<usize>i << 3), chiSquareDraw(s, df));
}

/** Fills out[0..n) (u32) with indices drawn with probability ∝ exp(logw[i]), logw f64[k]
 * (−Infinity allowed; NaN and +Infinity not; at least one finite). One uniform per draw. */
export function rng_fill_categorical(s: usize, logw: usize, k: i32, out: usize, n: i32): void {
  if (k < 1) throw new Error("rng_fill_categorical: need at least one weight");
  let finite = false;
  for (let i = 0; i < k; i++) {
    const w = load<f64>(logw + (<usize>i << 3));
    if (isNaN(w) || w == Infinity) throw new Error("rng_fill_categorical: log-weights must not be NaN or +Infinity");
    if (w != -Infinity) finite = true;
  }
  if (!finite) throw new Error("rng_fill_categorical: every log-weight is -Infinity");
  const cum = heap.alloc(<usize>k << 3);
  logWeightsCumulative(logw, k, cum);
  for (let i = 0; i < n; i++) store<u32>(out + (<usize>i << 2), <u32>categoricalFromCumulative(s, cum, k));
  heap.free(cum);
}

/** Fills out (n × k f64, row-major) with Dirichlet(alpha[0..k)) draws; alpha finite, > 0. */
export function rng_fill_dirichlet(s: usize, alpha: usize, k: i32, out: usize, n: i32): void {
  for (let i = 0; i < k; i++) {
    const a = load<f64>(alpha + (<usize>i << 3));
    if (!(a > 0.0) || !isFinite(a)) throw new Error("rng_fill_dirichlet: concentrations must be finite and > 0");
  }
  for (let i = 0; i < n; i++) dirichletDraw(s, alpha, k, out + ((<usize>i * <usize>k) << 3));
}

/** Fills out (n × d f64, row-major) with multivariate Student-t draws μ + L z·√(df/χ²_df);
 * mu f64[d], chol f64 (d, d) lower Cholesky factor of the scale (upper part ignored). */
export function rng_fill_mvt(s: usize, mu: usize, chol: usize, d: i32, df: f64, out: usize, n: i32): void {
  if (!(df > 0.0) || !isFinite(df)) throw new Error("rng_fill_mvt: df must be finite and > 0");
  for (let i = 0; i < n; i++) studentTDraw(s, mu, chol, d, df, out + ((<usize>i * <usize>d) << 3));
}

// SVD projection (linalg.ts). A Gram accumulator from linalg_gram_create is owned by the
// caller (linalg_gram_free). Called by ../src/linalg.ts.

/** New accumulator for rows of c columns; centred ≠ 0 accumulates the scatter about the
 * running mean instead of the raw Gram matrix; simd = 0 selects the scalar twins of every
 * kernel (Gram block, tridiagonalisation, back-transformation), for tests and benchmarks. */
export function linalg_gram_create(c: i32, centred: i32, simd: i32): usize {
  if (c < 1) throw new Error("linalg_gram_create: c must be >= 1");
  return gramCreate(c, centred != 0, simd != 0);
}

/** Releases an accumulator and its buffers. */
export function linalg_gram_free(acc: usize): void {
  gramFree(acc);
}

/** Where the caller writes up to linalg_gram_capacity rows (f64, row-major) before
 * linalg_gram_commit. The block belongs to the accumulator. */
export function linalg_gram_write_ptr(acc: usize): usize {
  return gramWritePtr(acc);
}

/** Rows that fit at linalg_gram_write_ptr now (1..128). */
export function linalg_gram_capacity(acc: usize): i32 {
  return gramCapacity(acc);
}

/** Accepts m written rows: −1, or the index (row·c + col) of the first NaN/Inf (rejected). */
export function linalg_gram_commit(acc: usize, m: i32): i32 {
  return gramCommit(acc, m);
}

/** Rows accepted so far. */
export function linalg_gram_rows(acc: usize): f64 {
  return gramRows(acc);
}

/** Top-k projection from the rows so far (see linalg.ts gramFinish): components (k × c),
 * singular (c), mean (c), info f64[2] = [retained energy, rows]; all caller-owned. Returns 0
 * or a negative status (−1 no rows, −2 zero energy, −3 no convergence). */
export function linalg_gram_finish(acc: usize, k: i32, components: usize, singular: usize, mean: usize, info: usize): i32 {
  return gramFinish(acc, k, components, singular, mean, info);
}

/** out (m × k) = (rows − mean)·componentsᵀ; rows (m × c), components (k × c), mean (c),
 * all f64 and caller-owned. simd = 0: scalar dot products. */
export function linalg_project(
  components: usize,
  mean: usize,
  k: i32,
  c: i32,
  rows: usize,
  m: i32,
  out: usize,
  simd: i32,
): void {
  const scratch = heap.alloc(<usize>c << 3);
  projectRows(components, mean, k, c, rows, m, out, scratch, simd != 0);
  heap.free(scratch);
}

/** Symmetric eigensolver used by the projection, exported for tests: a (n × n, symmetric,
 * row-major; destroyed), all eigenvalues descending into vals (n), top-k eigenvectors as
 * rows of vecs (k × n); simd = 0 selects the scalar kernels. Returns 0 or −3. */
export function linalg_sym_eig(a: usize, n: i32, k: i32, vals: usize, vecs: usize, simd: i32): i32 {
  return symEigTop(a, n, n, k, vals, vecs, simd != 0);
}

// ---------------------------------------------------------------------------------------
// NIW algebra, Cholesky up/downdates, Student-t densities, the DP-GMM collapsed Gibbs
// sampler, predictive densities and KL (niw.ts, chol.ts, gibbs.ts, predictive.ts, kl.ts).
// As above: the group's imports first, then the exports that wrap them.
import { Clusters, clustersCreate, clustersFree, acquire as cluAcquire, addPoint, removePoint, rebuild as cluRebuild, strideFor, muPtr, wPtr, exportChol, mahalTo, logWeightedT, logWeightedTRemoved, logPriorT, logMarginal, countOf } from "./niw";
import { cholRank1, precRank1Simd, precRank1Scalar, mahalSimd, mahalScalar, mahalBatch, lowerMatVec, lowerMatVecSimd } from "./chol";
import { Chain, chainCreate, chainFree, chainSweep, chainK, chainExport, chainAssignments, chainSetNeighbours, chainRecordCpo, chainReadCpo, splitMergeStep } from "./gibbs";
import { Mixture, mixtureCreate, mixtureFree, mixtureLogPdf } from "./predictive";
import { mixtureKl, momentsDiag } from "./kl";

/** The DP-GMM prior of one class (METHOD.md §3, the authors' choice): μ0 = mean(X),
 * S0 = diag(var(X)) / K0^(2/d) with the biased variance. A variance below 1e-12 · (largest
 * variance) — or every variance when all are zero (n = 1, identical points) — is floored
 * to that value (resp. 1) so S0 stays positive definite. data f64[n·d] row-major; writes
 * mu0 f64[d], s0 f64[d] (all caller-owned). Returns the number of floored dimensions.
 * Called by src/dpgmm.ts fitClassModel. */
export function dpgmm_prior(data: usize, n: i32, d: i32, initClusters: i32, mu0: usize, s0: usize): i32 {
  if (n < 1 || d < 1) throw new Error("dpgmm_prior: n and d must be >= 1");
  const floored = momentsDiag(data, n, d, mu0, s0);
  const scale = Math.pow(<f64>(initClusters < 1 ? 1 : initClusters), 2.0 / <f64>d);
  for (let j = 0; j < d; j++) store<f64>(s0 + (<usize>j << 3), load<f64>(s0 + (<usize>j << 3)) / scale);
  return floored;
}

/** Creates one Gibbs chain (gibbs.ts) over data f64[n·d] (copied) with prior μ0 f64[d],
 * diagonal S0 f64[d], κ0, ν0 > d − 1, α ~ Gamma(alphaShape, alphaRate), initClusters random
 * initial clusters, splitMerge split–merge proposals before each Gibbs scan (0 = the plain
 * Neal Alg. 3 sampler of the paper), generator stream (seed, chain). Caller owns the chain (gibbs_free).
 * Called by src/dpgmm.ts. */
export function gibbs_create(
  data: usize, n: i32, d: i32, mu0: usize, s0: usize, kappa0: f64, nu0: f64,
  alphaShape: f64, alphaRate: f64, initClusters: i32, splitMerge: i32, seed: f64, chain: f64,
): usize {
  if (n < 1 || d < 1) throw new Error("gibbs_create: n and d must be >= 1");
  if (!(kappa0 > 0.0) || !(nu0 > <f64>d - 1.0)) throw new Error("gibbs_create: need kappa0 > 0 and nu0 > d - 1");
  if (!(alphaShape > 0.0) || !(alphaRate > 0.0)) throw new Error("gibbs_create: alpha prior must have shape, rate > 0");
  return changetype<usize>(
    chainCreate(data, n, d, mu0, s0, kappa0, nu0, alphaShape, alphaRate, initClusters,
      splitMerge < 0 ? 0 : splitMerge, checkedU64(seed, "seed"), checkedU64(chain, "chain")),
  );
}

/** Runs `count` sweeps of collapsed Gibbs (Neal 2000 Alg. 3) plus the α step after each. */
export function gibbs_sweep(ch: usize, count: i32): void {
  for (let i = 0; i < count; i++) chainSweep(changetype<Chain>(ch));
}
/** Current number of clusters. */
export function gibbs_k(ch: usize): i32 {
  return chainK(changetype<Chain>(ch));
}
/** Current concentration α. */
export function gibbs_alpha(ch: usize): f64 {
  return changetype<Chain>(ch).alpha;
}
/** log joint of the current state: NIW marginals + CRP prior + α prior. */
export function gibbs_log_joint(ch: usize): f64 {
  return changetype<Chain>(ch).logJoint;
}
/** Runs `count` split–merge proposals alone (no Gibbs scan, no α step); for benchmarks. */
export function gibbs_split_merge(ch: usize, count: i32): void {
  for (let i = 0; i < count; i++) splitMergeStep(changetype<Chain>(ch));
}
/** Sets the number of split–merge proposals per sweep from now on (the wrapper turns them
 * off after burn-in). */
export function gibbs_set_split_merge(ch: usize, count: i32): void {
  changetype<Chain>(ch).splitMerge = count < 0 ? 0 : count;
}
/** on = 1: the following sweeps accumulate p(x_i | z_−i, X_−i), the leave-one-out predictive
 * of every point given the others' current clusters (one trace's conditional predictive
 * ordinate; the normaliser of the Gibbs weights, so it costs one log per point); on = 0 stops.
 * Called by src/dpgmm.ts around kept sweeps. Chain-owned buffers; no effect on the draws. */
export function gibbs_record_cpo(ch: usize, on: i32): void {
  chainRecordCpo(changetype<Chain>(ch), on);
}
/** Writes log mean over the recorded sweeps of the leave-one-out predictive into caller-owned
 * out f64[n]; returns how many sweeps were recorded. Called by src/dpgmm.ts. */
export function gibbs_read_cpo(ch: usize, out: usize): i32 {
  return chainReadCpo(changetype<Chain>(ch), out);
}
/** Makes half of the split–merge pairs (i, one of i's nn nearest neighbours) from now on;
 * 0 = uniform pairs only (the default). Computes the neighbour table once, O(n² d).
 * Called by src/dpgmm.ts right after gibbs_create. */
export function gibbs_set_neighbours(ch: usize, nn: i32): void {
  chainSetNeighbours(changetype<Chain>(ch), nn);
}
/** Accepted split–merge proposals so far. */
export function gibbs_split_merge_accepted(ch: usize): i32 {
  return changetype<Chain>(ch).smAccepted;
}
/** How many cluster factors were rebuilt from their points (failed downdates) so far. */
export function gibbs_rebuilds(ch: usize): i32 {
  return changetype<Chain>(ch).cl.rebuilds;
}
/** Writes the current clusters (increasing slot order) into caller-owned counts i32[K],
 * means f64[K·d], chol f64[K·d·d] (L with S_n = L Lᵀ, row-major lower); K = gibbs_k. */
export function gibbs_export(ch: usize, counts: usize, means: usize, chol: usize): i32 {
  return chainExport(changetype<Chain>(ch), counts, means, chol);
}
/** Writes the assignments i32[n] (indices into the gibbs_export order). */
export function gibbs_assignments(ch: usize, out: usize): void {
  chainAssignments(changetype<Chain>(ch), out);
}
/** Releases a chain. */
export function gibbs_free(ch: usize): void {
  chainFree(changetype<Chain>(ch));
}

/** out f64[m] = log of the mean over the R rows of exp(v), for v f64[R·m] row-major (each column
 * a point, each row a replicate), by a running log-sum-exp; −∞ stays −∞. Caller-owned buffers.
 * Called by src/dpgmm.ts to pool per-chain log-densities. */
export function vec_log_mean_exp_rows(v: usize, R: i32, m: i32, out: usize): void {
  for (let i = 0; i < m; i++) {
    let mx = -Infinity;
    for (let r = 0; r < R; r++) {
      const x = load<f64>(v + ((<usize>r * <usize>m + <usize>i) << 3));
      if (x > mx) mx = x;
    }
    if (mx == -Infinity) {
      store<f64>(out + (<usize>i << 3), -Infinity);
      continue;
    }
    let sum = 0.0;
    for (let r = 0; r < R; r++) sum += Math.exp(load<f64>(v + ((<usize>r * <usize>m + <usize>i) << 3)) - mx);
    store<f64>(out + (<usize>i << 3), mx + Math.log(sum / <f64>R));
  }
}

/** Builds the predictive mixture of T traces (predictive.ts): ks i32[T], alphas f64[T],
 * counts i32[ΣK], means f64[ΣK·d], chol f64[ΣK·d·d], prior μ0/s0 f64[d], κ0, ν0; variant
 * 0 = exact, 1 = paper, 2 = mean-log (exact weights, mean of logs). Inputs are copied; the
 * caller owns the mixture (mix_free). */
export function mix_create(
  d: i32, T: i32, ks: usize, alphas: usize, counts: usize, means: usize, chol: usize,
  mu0: usize, s0: usize, kappa0: f64, nu0: f64, variant: i32,
): usize {
  if (d < 1 || T < 1) throw new Error("mix_create: d and T must be >= 1");
  return changetype<usize>(mixtureCreate(d, T, ks, alphas, counts, means, chol, mu0, s0, kappa0, nu0, variant));
}
/** out f64[m] = log predictive density of each row of points f64[m·d] (METHOD.md §4). */
export function mix_logpdf(mx: usize, points: usize, m: i32, out: usize): void {
  mixtureLogPdf(changetype<Mixture>(mx), points, m, out);
}
/** Monte Carlo D_KL(p ‖ q) (kl.ts), q the diagonal (full = 0) or full-covariance (full = 1)
 * Gaussian of data f64[n·d]; M samples per trace; streams (seed, t). Writes out f64[2] =
 * (estimate, standard error). */
export function mix_kl(mx: usize, data: usize, n: i32, M: i32, seed: f64, full: i32, out: usize): void {
  if (n < 1 || M < 1) throw new Error("mix_kl: n and M must be >= 1");
  mixtureKl(changetype<Mixture>(mx), data, n, M, checkedU64(seed, "seed"), full, out);
}
/** Releases a mixture. */
export function mix_free(mx: usize): void {
  mixtureFree(changetype<Mixture>(mx));
}

// Single-cluster hooks over unpadded vectors, for the property tests of niw.ts/chol.ts.

function padded(x: usize, d: i32): usize {
  const ld = strideFor(d);
  const p = heap.alloc(<usize>ld << 3);
  memory.fill(p, 0, <usize>ld << 3);
  memory.copy(p, x, <usize>d << 3);
  return p;
}

/** A cluster pool with prior (μ0 f64[d], s0 f64[d], κ0, ν0); caller frees with clu_free. */
export function clu_create(d: i32, mu0: usize, s0: usize, kappa0: f64, nu0: f64): usize {
  return changetype<usize>(clustersCreate(d, mu0, s0, kappa0, nu0, 4));
}
export function clu_free(h: usize): void {
  clustersFree(changetype<Clusters>(h));
}
/** A new empty cluster (the prior); returns its slot. */
export function clu_acquire(h: usize): i32 {
  return cluAcquire(changetype<Clusters>(h));
}
/** Adds x f64[d] by a rank-one move; 1 if the factor update succeeded. */
export function clu_add(h: usize, s: i32, x: usize): i32 {
  const c = changetype<Clusters>(h);
  const p = padded(x, c.d);
  const ok = addPoint(c, s, p);
  heap.free(p);
  return ok ? 1 : 0;
}
/** Removes member x f64[d]; if the downdate fails (or `force` is set) the cluster is rebuilt
 * from members f64[m·d] (the points left). Returns 1 for a clean downdate, 0 for a rebuild. */
export function clu_remove(h: usize, s: i32, x: usize, members: usize, m: i32, force: i32): i32 {
  const c = changetype<Clusters>(h);
  const p = padded(x, c.d);
  const ok = force == 0 && removePoint(c, s, p);
  heap.free(p);
  if (ok) return 1;
  const ld = c.ld;
  const mm: i32 = m > 0 ? m : 1;
  const X = heap.alloc(<usize>mm * (<usize>ld << 3));
  const idx = heap.alloc(<usize>mm << 2);
  for (let i = 0; i < m; i++) {
    memory.fill(X + <usize>i * (<usize>ld << 3), 0, <usize>ld << 3);
    memory.copy(X + <usize>i * (<usize>ld << 3), members + ((<usize>i * <usize>c.d) << 3), <usize>c.d << 3);
    store<i32>(idx + (<usize>i << 2), i);
  }
  const built = cluRebuild(c, s, X, ld, idx, m);
  heap.free(X);
  heap.free(idx);
  if (!built) throw new Error("clu_remove: rebuilt scatter is not positive definite");
  return 0;
}
/** Writes μ_n f64[d] and L f64[d·d] (S_n = L Lᵀ); returns the count. */
export function clu_read(h: usize, s: i32, mu: usize, chol: usize): i32 {
  const c = changetype<Clusters>(h);
  memory.copy(mu, muPtr(c, s), <usize>c.d << 3);
  exportChol(c, s, chol);
  return countOf(c, s);
}
/** Writes W = L⁻¹ f64[d·d] as kept by the pool. */
export function clu_read_inverse(h: usize, s: i32, out: usize): void {
  const c = changetype<Clusters>(h);
  const w = wPtr(c, s);
  for (let i = 0; i < c.d; i++) memory.copy(out + ((<usize>(i * c.d)) << 3), w + ((<usize>(i * c.ld)) << 3), <usize>c.d << 3);
}
/** log t_s(x), the cluster's Student-t posterior predictive at x f64[d]. */
export function clu_logt(h: usize, s: i32, x: usize): f64 {
  const c = changetype<Clusters>(h);
  const p = padded(x, c.d);
  const n = countOf(c, s);
  const r = logWeightedT(c, s, mahalTo(c, s, p)) - (n > 0 ? Math.log(<f64>n) : 0.0);
  heap.free(p);
  return r;
}
/** log t(x) under slot s with member x removed (closed form); NaN if ill-conditioned. */
export function clu_logt_removed(h: usize, s: i32, x: usize): f64 {
  const c = changetype<Clusters>(h);
  const p = padded(x, c.d);
  const n = countOf(c, s);
  const r = logWeightedTRemoved(c, s, mahalTo(c, s, p)) - Math.log(<f64>(n - 1));
  heap.free(p);
  return r;
}
/** log t0(x), the prior predictive. */
export function clu_logt0(h: usize, x: usize): f64 {
  return logPriorT(changetype<Clusters>(h), x);
}
/** log marginal likelihood of slot s's points. */
export function clu_log_marginal(h: usize, s: i32): f64 {
  return logMarginal(changetype<Clusters>(h), s);
}

function padMat(a: usize, d: i32): usize {
  const ld = strideFor(d);
  const p = heap.alloc((<usize>ld * <usize>ld) << 3);
  memory.fill(p, 0, (<usize>ld * <usize>ld) << 3);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) store<f64>(p + ((<usize>(i * ld + j)) << 3), load<f64>(a + ((<usize>(i * d + j)) << 3)));
  }
  return p;
}
function unpadMat(p: usize, a: usize, d: i32): void {
  const ld = strideFor(d);
  for (let i = 0; i < d; i++) memory.copy(a + ((<usize>(i * d)) << 3), p + ((<usize>(i * ld)) << 3), <usize>d << 3);
}

/** ‖W r‖² for lower W f64[d·d] and r f64[d]; simd = 0 uses the scalar twin. */
export function tri_mahal(w: usize, r: usize, d: i32, simd: i32): f64 {
  const pw = padMat(w, d);
  const pr = padded(r, d);
  const v = simd != 0 ? mahalSimd(pw, pr, d, strideFor(d)) : mahalScalar(pw, pr, d, strideFor(d));
  heap.free(pw);
  heap.free(pr);
  return v;
}
/** out f64[B] = ‖W r_p‖² for the B rows of rs f64[B·d] with the batched kernel (bit-identical
 * to tri_mahal's SIMD kernel per row). */
export function tri_mahal_batch(w: usize, rs: usize, B: i32, d: i32, out: usize): void {
  const ld = strideFor(d);
  const pw = padMat(w, d);
  const pr = heap.alloc((<usize>B * <usize>ld) << 3);
  memory.fill(pr, 0, (<usize>B * <usize>ld) << 3);
  for (let p = 0; p < B; p++) memory.copy(pr + ((<usize>(p * ld)) << 3), rs + ((<usize>(p * d)) << 3), <usize>d << 3);
  const tot = heap.alloc(<usize>B << 4);
  mahalBatch(pw, pr, B, d, ld, tot, out);
  heap.free(tot);
  heap.free(pr);
  heap.free(pw);
}
/** out f64[d] = W r (lower W f64[d·d]); simd = 0 uses the scalar twin. */
export function tri_matvec(w: usize, r: usize, d: i32, simd: i32, out: usize): void {
  const ld = strideFor(d);
  const pw = padMat(w, d);
  const pr = padded(r, d);
  const po = heap.alloc(<usize>ld << 3);
  if (simd != 0) lowerMatVecSimd(pw, pr, po, d, ld);
  else lowerMatVec(pw, pr, po, d, ld);
  memory.copy(out, po, <usize>d << 3);
  heap.free(po);
  heap.free(pr);
  heap.free(pw);
}
/** In place: W'ᵀW' = WᵀW + sigma·v vᵀ (W lower f64[d·d]; v f64[d] destroyed). 1 = ok. */
export function tri_prec_rank1(w: usize, v: usize, d: i32, sigma: f64, simd: i32): i32 {
  const pw = padMat(w, d);
  const pv = padded(v, d);
  const ok = simd != 0 ? precRank1Simd(pw, pv, d, strideFor(d), sigma) : precRank1Scalar(pw, pv, d, strideFor(d), sigma);
  unpadMat(pw, w, d);
  memory.copy(v, pv, <usize>d << 3);
  heap.free(pw);
  heap.free(pv);
  return ok ? 1 : 0;
}
/** In place: L'L'ᵀ = LLᵀ + sigma·x xᵀ (L lower f64[d·d]; x f64[d] destroyed). 1 = ok,
 * 0 = failed downdate. */
export function tri_chol_rank1(l: usize, x: usize, d: i32, sigma: f64): i32 {
  return cholRank1(l, x, d, d, sigma) ? 1 : 0;
}

/** Peak of the f64x2 multiply-add pipeline, for bench/gibbs-sweep.mjs: `iters` rounds of
 * 8 independent f64x2 mul+add chains (32 flops per round). Returns a checksum. */
export function bench_simd_peak(iters: i32): f64 {
  const m = f64x2.splat(0.999999);
  const c = f64x2.splat(1e-7);
  let a0 = f64x2.splat(1.0), a1 = f64x2.splat(1.1), a2 = f64x2.splat(1.2), a3 = f64x2.splat(1.3);
  let a4 = f64x2.splat(1.4), a5 = f64x2.splat(1.5), a6 = f64x2.splat(1.6), a7 = f64x2.splat(1.7);
  for (let i = 0; i < iters; i++) {
    a0 = f64x2.add(f64x2.mul(a0, m), c);
    a1 = f64x2.add(f64x2.mul(a1, m), c);
    a2 = f64x2.add(f64x2.mul(a2, m), c);
    a3 = f64x2.add(f64x2.mul(a3, m), c);
    a4 = f64x2.add(f64x2.mul(a4, m), c);
    a5 = f64x2.add(f64x2.mul(a5, m), c);
    a6 = f64x2.add(f64x2.mul(a6, m), c);
    a7 = f64x2.add(f64x2.mul(a7, m), c);
  }
  const s = f64x2.add(f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3)), f64x2.add(f64x2.add(a4, a5), f64x2.add(a6, a7)));
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}
