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

// ---------------------------------------------------------------------------------------
// NIW algebra, Cholesky up/downdates, Student-t densities, the DP-GMM collapsed Gibbs
// sampler, predictive densities and KL (niw.ts, chol.ts, gibbs.ts, predictive.ts, kl.ts).
// [section: dpgmm]
