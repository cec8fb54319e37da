// classfit-core: the flat WebAssembly ABI.
//
// Every export is a plain function over numbers and linear-memory pointers (byte offsets).
// The internal modules (rng.ts, simd/…, and the math that later lands beside them) stay
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
// [section: linalg-stats]
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
 * running mean instead of the raw Gram matrix. */
export function linalg_gram_create(c: i32, centred: i32): usize {
  if (c < 1) throw new Error("linalg_gram_create: c must be >= 1");
  return gramCreate(c, centred != 0);
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
 * all f64 and caller-owned. */
export function linalg_project(components: usize, mean: usize, k: i32, c: i32, rows: usize, m: i32, out: usize): void {
  const scratch = heap.alloc(<usize>c << 3);
  projectRows(components, mean, k, c, rows, m, out, scratch);
  heap.free(scratch);
}

/** Symmetric eigensolver used by the projection, exported for tests: a (n × n, symmetric,
 * row-major; destroyed), all eigenvalues descending into vals (n), top-k eigenvectors as
 * rows of vecs (k × n). Returns 0 or −3. */
export function linalg_sym_eig(a: usize, n: i32, k: i32, vals: usize, vecs: usize): i32 {
  return symEigTop(a, n, n, k, vals, vecs);
}

// ---------------------------------------------------------------------------------------
// NIW algebra, Cholesky up/downdates, Student-t densities, the DP-GMM collapsed Gibbs
// sampler, predictive densities and KL (niw.ts, chol.ts, gibbs.ts, predictive.ts, kl.ts).
// [section: dpgmm]
