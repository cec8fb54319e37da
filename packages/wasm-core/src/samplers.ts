// Derived samplers over a seeded Rng (assembly/rng.ts): Beta, chi-square, categorical from
// log-weights, Dirichlet and multivariate Student-t. Each draw is a fixed function of the
// generator's stream, so the same (seed, stream) gives the same bytes in every engine.
// Functions (not Rng methods) so the Rng class keeps its small API; each takes the Core that
// created the generator.
import type { Core, Rng } from "./core.js";

function count(n: number, fn: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${fn}: n must be a non-negative integer, got ${n}`);
}
function positiveFinite(x: number, what: string, fn: string): void {
  if (typeof x !== "number" || !Number.isFinite(x) || !(x > 0))
    throw new RangeError(`${fn}: ${what} must be finite and > 0, got ${x}`);
}

/** n draws from Beta(a, b). */
export function sampleBeta(core: Core, rng: Rng, n: number, a: number, b: number): Float64Array {
  count(n, "sampleBeta");
  positiveFinite(a, "a", "sampleBeta");
  positiveFinite(b, "b", "sampleBeta");
  return core.scope((s) => {
    const out = s.alloc(Math.max(1, n) * 8);
    core.exports.rng_fill_beta(rng.ptr, a, b, out, n);
    return core.readF64(out, n);
  });
}

/** n draws from χ²(df) (df > 0, not necessarily an integer). */
export function sampleChiSquare(core: Core, rng: Rng, n: number, df: number): Float64Array {
  count(n, "sampleChiSquare");
  positiveFinite(df, "df", "sampleChiSquare");
  return core.scope((s) => {
    const out = s.alloc(Math.max(1, n) * 8);
    core.exports.rng_fill_chisq(rng.ptr, df, out, n);
    return core.readF64(out, n);
  });
}

/** n indices drawn with probability ∝ exp(logWeights[i]) (unnormalised log-weights;
 * −Infinity means weight 0). Inverse CDF over max-shifted weights, one uniform per draw. */
export function sampleCategorical(core: Core, rng: Rng, n: number, logWeights: ArrayLike<number>): Uint32Array {
  count(n, "sampleCategorical");
  const k = logWeights.length;
  if (k < 1) throw new RangeError("sampleCategorical: logWeights is empty");
  let finite = false;
  for (let i = 0; i < k; i++) {
    const w = logWeights[i] as number;
    if (Number.isNaN(w) || w === Number.POSITIVE_INFINITY)
      throw new RangeError(`sampleCategorical: logWeights[${i}] is ${w}; log-weights must be finite or -Infinity`);
    if (w !== Number.NEGATIVE_INFINITY) finite = true;
  }
  if (!finite) throw new RangeError("sampleCategorical: every log-weight is -Infinity (no outcome has weight)");
  return core.scope((s) => {
    const w = s.f64(logWeights);
    const out = s.alloc(Math.max(1, n) * 4);
    core.exports.rng_fill_categorical(rng.ptr, w, k, out, n);
    return core.readU32(out, n);
  });
}

/** n draws from Dirichlet(alpha): Float64Array, shape (n, k), row-major, rows sum to 1. */
export function sampleDirichlet(core: Core, rng: Rng, n: number, alpha: ArrayLike<number>): Float64Array {
  count(n, "sampleDirichlet");
  const k = alpha.length;
  if (k < 1) throw new RangeError("sampleDirichlet: alpha is empty");
  for (let i = 0; i < k; i++) positiveFinite(alpha[i] as number, `alpha[${i}]`, "sampleDirichlet");
  return core.scope((s) => {
    const a = s.f64(alpha);
    const out = s.alloc(Math.max(1, n * k) * 8);
    core.exports.rng_fill_dirichlet(rng.ptr, a, k, out, n);
    return core.readF64(out, n * k);
  });
}

/**
 * n draws from the multivariate Student-t with location mu (d), scale Σ = L Lᵀ given by its
 * lower Cholesky factor `chol` (Float64Array, shape (d, d), row-major; the part above the
 * diagonal is ignored) and df degrees of freedom: x = μ + L z·√(df/w), z ~ N(0, I),
 * w ~ χ²(df). Returns Float64Array, shape (n, d), row-major.
 */
export function sampleStudentT(
  core: Core,
  rng: Rng,
  n: number,
  mu: ArrayLike<number>,
  chol: ArrayLike<number>,
  df: number,
): Float64Array {
  count(n, "sampleStudentT");
  positiveFinite(df, "df", "sampleStudentT");
  const d = mu.length;
  if (d < 1) throw new RangeError("sampleStudentT: mu is empty");
  if (chol.length !== d * d)
    throw new RangeError(`sampleStudentT: chol must have d·d = ${d * d} entries for d = ${d}, got ${chol.length}`);
  for (let i = 0; i < d; i++) {
    if (!Number.isFinite(mu[i] as number)) throw new RangeError(`sampleStudentT: mu[${i}] is ${mu[i]}`);
    for (let j = 0; j <= i; j++) {
      const v = chol[i * d + j] as number;
      if (!Number.isFinite(v)) throw new RangeError(`sampleStudentT: chol[${i}][${j}] is ${v}`);
    }
  }
  return core.scope((s) => {
    const m = s.f64(mu);
    const l = s.f64(chol);
    const out = s.alloc(Math.max(1, n * d) * 8);
    core.exports.rng_fill_mvt(rng.ptr, m, l, d, df, out, n);
    return core.readF64(out, n * d);
  });
}
