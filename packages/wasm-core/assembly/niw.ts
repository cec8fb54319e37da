// Normal–inverse-Wishart clusters: posterior parameters kept under rank-one moves, with the
// per-cluster constants of the Student-t posterior predictive cached so that one density
// evaluation is a single O(d²) Mahalanobis product plus a log1p.
//
// Notation (METHOD.md §3; Murphy 2007, "Conjugate Bayesian analysis of the Gaussian
// distribution", §9): prior NIW(μ0, κ0, ν0, S0) with S0 = diag(s0); a cluster with n points
// has κ_n = κ0 + n, ν_n = ν0 + n, mean μ_n and scatter S_n. Its posterior predictive is a
// multivariate Student-t with df = ν_n − d + 1, location μ_n and scale
// Σ = (κ_n + 1)/(κ_n df) · S_n. Per cluster we keep W = L⁻¹ where S_n = L Lᵀ (see chol.ts).
//
// Storage: a slot pool. Slot s owns cnt[s], mu[s] (ld f64), W[s] (ld×ld f64) and the cached
// constants; the slots in use are listed in `active` (order = creation order modulo the
// swap-remove below; deterministic). The pool grows by doubling.

import { cholFactor, triInvLower, precRank1Simd, lowerMatVecSimd, lowerTMatVec, mahalSimd } from "./chol";
import { lgamma } from "./special";
import { f64At, i32At, setF64, setI32 } from "./mem";

const LOG_PI: f64 = 1.1447298858494001741;
/** A downdate whose determinant ratio |S'|/|S| = 1 − c·a falls below this is treated as
 * failed and the cluster is rebuilt from its points: the precision update would amplify
 * rounding by 1/(1 − c·a). */
export const DOWNDATE_MIN_RATIO: f64 = 1e-8;

@unmanaged
export class Clusters {
  d: i32 = 0;
  ld: i32 = 0;
  cap: i32 = 0;
  nActive: i32 = 0;
  nFree: i32 = 0;
  rebuilds: i32 = 0;
  kappa0: f64 = 0;
  nu0: f64 = 0;
  logdetS0: f64 = 0;
  /** Cached prior-predictive constants: log t0(x) = cst0 − h0·log1p(g0·Σ (x−μ0)²/s0). */
  cst0: f64 = 0;
  h0: f64 = 0;
  g0: f64 = 0;
  mu0: usize = 0; // f64[ld]
  s0: usize = 0; // f64[ld] diagonal of S0 (padding 1)
  w0: usize = 0; // f64[ld] 1/sqrt(s0) (padding 0)
  cnt: usize = 0; // i32[cap]
  mu: usize = 0; // f64[cap·ld]
  W: usize = 0; // f64[cap·ld·ld]
  logdet: usize = 0; // f64[cap] log|S_n|
  lw: usize = 0; // f64[cap] log n + log-t constant
  lwm: usize = 0; // f64[cap] the same for the cluster with one point removed (n ≥ 2)
  h: usize = 0; // f64[cap] (ν_n + 1)/2
  g: usize = 0; // f64[cap] κ_n/(κ_n + 1)
  active: usize = 0; // i32[cap]
  pos: usize = 0; // i32[cap] index in active, −1 when free
  freeList: usize = 0; // i32[cap]
  r: usize = 0; // scratch f64[ld]
  z: usize = 0; // scratch f64[ld]
  pv: usize = 0; // scratch f64[ld]
  sm: usize = 0; // scratch f64[ld·ld]
  sl: usize = 0; // scratch f64[ld·ld]
}


/** Row stride for dimension d: d rounded up to a multiple of 4 (see chol.ts). */
export function strideFor(d: i32): i32 {
  return (d + 3) & ~3;
}

function zalloc(bytes: usize): usize {
  const p = heap.alloc(bytes > 0 ? bytes : 16);
  memory.fill(p, 0, bytes);
  return p;
}

function grow(p: usize, oldBytes: usize, newBytes: usize): usize {
  const q = heap.realloc(p, newBytes);
  memory.fill(q + oldBytes, 0, newBytes - oldBytes);
  return q;
}

/** Student-t log-normaliser of a cluster with κ, ν and log|S|:
 * lgamma((df+d)/2) − lgamma(df/2) − (d/2) log(df π) − ½ log|Σ|, Σ = (κ+1)/(κ df)·S. */
export function studentConst(d: i32, kappa: f64, nu: f64, logdetS: f64): f64 {
  const df = nu - <f64>d + 1.0;
  const fd = <f64>d;
  const logdetSigma = fd * Math.log((kappa + 1.0) / (kappa * df)) + logdetS;
  return lgamma((df + fd) * 0.5) - lgamma(df * 0.5) - 0.5 * fd * (Math.log(df) + LOG_PI) - 0.5 * logdetSigma;
}

/** Creates an empty pool for dimension d with prior (μ0 f64[d], s0 f64[d] diagonal of S0,
 * κ0, ν0 > d − 1). Copies the prior; the caller keeps its buffers. */
export function clustersCreate(d: i32, mu0: usize, s0: usize, kappa0: f64, nu0: f64, cap: i32): Clusters {
  const c = changetype<Clusters>(zalloc(offsetof<Clusters>()));
  const ld = strideFor(d);
  c.d = d;
  c.ld = ld;
  c.kappa0 = kappa0;
  c.nu0 = nu0;
  const vb = <usize>ld << 3;
  c.mu0 = zalloc(vb);
  c.s0 = zalloc(vb);
  c.w0 = zalloc(vb);
  let logdet = 0.0;
  for (let j = 0; j < ld; j++) {
    const s = j < d ? f64At(s0, j) : 1.0;
    if (j < d) setF64(c.mu0, j, f64At(mu0, j));
    setF64(c.s0, j, s);
    if (j < d) {
      setF64(c.w0, j, 1.0 / Math.sqrt(s));
      logdet += Math.log(s);
    }
  }
  c.logdetS0 = logdet;
  c.cst0 = studentConst(d, kappa0, nu0, logdet);
  c.h0 = (nu0 + 1.0) * 0.5;
  c.g0 = kappa0 / (kappa0 + 1.0);
  c.r = zalloc(vb);
  c.z = zalloc(vb);
  c.pv = zalloc(vb);
  c.sm = zalloc(<usize>ld * vb);
  c.sl = zalloc(<usize>ld * vb);
  c.cap = 0;
  reserve(c, cap < 1 ? 1 : cap);
  return c;
}

/** Grows the pool to hold at least `want` slots. */
export function reserve(c: Clusters, want: i32): void {
  if (want <= c.cap) return;
  let nc = c.cap > 0 ? c.cap : 1;
  while (nc < want) nc <<= 1;
  const oc = <usize>c.cap;
  const ncu = <usize>nc;
  const ld = <usize>c.ld;
  if (oc == 0) {
    c.cnt = zalloc(ncu << 2);
    c.mu = zalloc((ncu * ld) << 3);
    c.W = zalloc((ncu * ld * ld) << 3);
    c.logdet = zalloc(ncu << 3);
    c.lw = zalloc(ncu << 3);
    c.lwm = zalloc(ncu << 3);
    c.h = zalloc(ncu << 3);
    c.g = zalloc(ncu << 3);
    c.active = zalloc(ncu << 2);
    c.pos = zalloc(ncu << 2);
    c.freeList = zalloc(ncu << 2);
  } else {
    c.cnt = grow(c.cnt, oc << 2, ncu << 2);
    c.mu = grow(c.mu, (oc * ld) << 3, (ncu * ld) << 3);
    c.W = grow(c.W, (oc * ld * ld) << 3, (ncu * ld * ld) << 3);
    c.logdet = grow(c.logdet, oc << 3, ncu << 3);
    c.lw = grow(c.lw, oc << 3, ncu << 3);
    c.lwm = grow(c.lwm, oc << 3, ncu << 3);
    c.h = grow(c.h, oc << 3, ncu << 3);
    c.g = grow(c.g, oc << 3, ncu << 3);
    c.active = grow(c.active, oc << 2, ncu << 2);
    c.pos = grow(c.pos, oc << 2, ncu << 2);
    c.freeList = grow(c.freeList, oc << 2, ncu << 2);
  }
  // New slots go on the free list so that the lowest index is handed out first.
  for (let s = nc - 1; s >= c.cap; s--) {
    setI32(c.pos, s, -1);
    setI32(c.freeList, c.nFree, s);
    c.nFree++;
  }
  c.cap = nc;
}

export function clustersFree(c: Clusters): void {
  heap.free(c.mu0);
  heap.free(c.s0);
  heap.free(c.w0);
  heap.free(c.r);
  heap.free(c.z);
  heap.free(c.pv);
  heap.free(c.sm);
  heap.free(c.sl);
  heap.free(c.cnt);
  heap.free(c.mu);
  heap.free(c.W);
  heap.free(c.logdet);
  heap.free(c.lw);
  heap.free(c.lwm);
  heap.free(c.h);
  heap.free(c.g);
  heap.free(c.active);
  heap.free(c.pos);
  heap.free(c.freeList);
  heap.free(changetype<usize>(c));
}

// @ts-ignore: decorator
@inline export function muPtr(c: Clusters, s: i32): usize {
  return c.mu + ((<usize>s * <usize>c.ld) << 3);
}
// @ts-ignore: decorator
@inline export function wPtr(c: Clusters, s: i32): usize {
  return c.W + ((<usize>s * <usize>c.ld * <usize>c.ld) << 3);
}
// @ts-ignore: decorator
@inline export function countOf(c: Clusters, s: i32): i32 {
  return i32At(c.cnt, s);
}

/** Takes a free slot (growing the pool if needed), sets it to the empty cluster (the prior)
 * and lists it as active. */
export function acquire(c: Clusters): i32 {
  if (c.nFree == 0) reserve(c, c.cap + 1);
  c.nFree--;
  const s = i32At(c.freeList, c.nFree);
  setI32(c.pos, s, c.nActive);
  setI32(c.active, c.nActive, s);
  c.nActive++;
  resetToPrior(c, s);
  return s;
}

/** Returns slot s to the free list (its cluster is dropped). */
export function release(c: Clusters, s: i32): void {
  const p = i32At(c.pos, s);
  const last = i32At(c.active, c.nActive - 1);
  setI32(c.active, p, last);
  setI32(c.pos, last, p);
  c.nActive--;
  setI32(c.pos, s, -1);
  setI32(c.cnt, s, 0);
  setI32(c.freeList, c.nFree, s);
  c.nFree++;
}

function resetToPrior(c: Clusters, s: i32): void {
  const ld = c.ld;
  const w = wPtr(c, s);
  memory.fill(w, 0, (<usize>ld * <usize>ld) << 3);
  for (let j = 0; j < c.d; j++) setF64(w, j * ld + j, f64At(c.w0, j));
  memory.copy(muPtr(c, s), c.mu0, <usize>ld << 3);
  setI32(c.cnt, s, 0);
  setF64(c.logdet, s, c.logdetS0);
  refresh(c, s);
}

/** Recomputes the cached constants of slot s from cnt, W. */
export function refresh(c: Clusters, s: i32): void {
  const d = c.d;
  const ld = c.ld;
  const n = i32At(c.cnt, s);
  const w = wPtr(c, s);
  let sl = 0.0;
  for (let j = 0; j < d; j++) sl += Math.log(f64At(w, j * ld + j));
  const logdet = -2.0 * sl;
  setF64(c.logdet, s, logdet);
  const kappa = c.kappa0 + <f64>n;
  const nu = c.nu0 + <f64>n;
  const cst = studentConst(d, kappa, nu, logdet);
  setF64(c.lw, s, n > 0 ? Math.log(<f64>n) + cst : cst);
  setF64(c.h, s, (nu + 1.0) * 0.5);
  setF64(c.g, s, kappa / (kappa + 1.0));
  // The one-point-removed cluster: κ−1, ν−1 and log|S'| = log|S| + log(1 − c·a); the last
  // term depends on the point and is added by the caller (see logPredRemoved).
  if (n >= 2) {
    setF64(c.lwm, s, Math.log(<f64>(n - 1)) + studentConst(d, kappa - 1.0, nu - 1.0, logdet));
  } else {
    setF64(c.lwm, s, -Infinity);
  }
}

/** a = (x − μ_s)ᵀ S_s⁻¹ (x − μ_s); leaves x − μ_s in c.r. x is f64[ld] with zero padding. */
// @ts-ignore: decorator
@inline export function mahalTo(c: Clusters, s: i32, x: usize): f64 {
  const r = c.r;
  const m = muPtr(c, s);
  for (let o: usize = 0; o < (<usize>c.ld << 3); o += 16) {
    v128.store(r + o, f64x2.sub(v128.load(x + o), v128.load(m + o)));
  }
  return mahalSimd(wPtr(c, s), r, c.d, c.ld);
}

/** r = x − μ_s into c.r, z = W_s r into c.z; returns ‖z‖² = (x−μ_s)ᵀ S_s⁻¹ (x−μ_s). */
function diffSolve(c: Clusters, s: i32, x: usize): f64 {
  const m = muPtr(c, s);
  for (let j = 0; j < c.ld; j++) setF64(c.r, j, f64At(x, j) - f64At(m, j));
  lowerMatVecSimd(wPtr(c, s), c.r, c.z, c.d, c.ld);
  let a = 0.0;
  for (let j = 0; j < c.d; j++) a += f64At(c.z, j) * f64At(c.z, j);
  return a;
}

/** log n_s + log t_s(x) given a = mahalTo(c, s, x). */
// @ts-ignore: decorator
@inline export function logWeightedT(c: Clusters, s: i32, a: f64): f64 {
  return f64At(c.lw, s) - f64At(c.h, s) * Math.log1p(f64At(c.g, s) * a);
}

/** log (n_s − 1) + log t(x) under slot s with x itself removed (x a member, n_s ≥ 2), from
 * a = mahalTo(c, s, x), by Sherman–Morrison and the matrix determinant lemma: with
 * q = κ/(κ−1), S' = S − q r rᵀ has |S'| = |S|(1 − q a) and x − μ' = q r, so the removed
 * cluster's Mahalanobis term is q² a/(1 − q a) and its g'·(that) = q a/(1 − q a).
 * Returns NaN when 1 − q a is below DOWNDATE_MIN_RATIO (the caller then removes for real). */
export function logWeightedTRemoved(c: Clusters, s: i32, a: f64): f64 {
  const kappa = c.kappa0 + <f64>i32At(c.cnt, s);
  const q = kappa / (kappa - 1.0);
  const den = 1.0 - q * a;
  if (!(den >= DOWNDATE_MIN_RATIO)) return NaN;
  const nu = c.nu0 + <f64>i32At(c.cnt, s);
  return f64At(c.lwm, s) - 0.5 * Math.log(den) - 0.5 * nu * Math.log1p((q * a) / den);
}

/** log t0(x), the prior predictive (the new-cluster term). x is f64[≥ d]. */
export function logPriorT(c: Clusters, x: usize): f64 {
  let a = 0.0;
  for (let j = 0; j < c.d; j++) {
    const u = (f64At(x, j) - f64At(c.mu0, j)) * f64At(c.w0, j);
    a += u * u;
  }
  return c.cst0 - c.h0 * Math.log1p(c.g0 * a);
}

/** Adds point x (f64[ld], zero padding) to slot s: μ' = (κμ + x)/(κ+1),
 * S' = S + κ/(κ+1)·(x−μ)(x−μ)ᵀ (METHOD.md §3), i.e. a precision downdate
 * P' = P − q·(Pr)(Pr)ᵀ/(1 + q a). Returns false if the factor downdate failed numerically
 * (slot left inconsistent: the caller must rebuild it from its members, x included). */
export function addPoint(c: Clusters, s: i32, x: usize): bool {
  const n = i32At(c.cnt, s);
  const kappa = c.kappa0 + <f64>n;
  const w = wPtr(c, s);
  const a = diffSolve(c, s, x);
  const q = kappa / (kappa + 1.0);
  lowerTMatVec(w, c.z, c.pv, c.d, c.ld);
  const f = Math.sqrt(q / (1.0 + q * a));
  for (let j = 0; j < c.d; j++) setF64(c.pv, j, f * f64At(c.pv, j));
  const ok = precRank1Simd(w, c.pv, c.d, c.ld, -1.0);
  const m = muPtr(c, s);
  for (let j = 0; j < c.d; j++) setF64(m, j, (kappa * f64At(m, j) + f64At(x, j)) / (kappa + 1.0));
  setI32(c.cnt, s, n + 1);
  if (ok) refresh(c, s);
  return ok;
}

/** Removes member x from slot s (n_s ≥ 2): μ' = (κμ − x)/(κ−1),
 * S' = S − κ/(κ−1)·(x−μ)(x−μ)ᵀ, a precision update P' = P + q·(Pr)(Pr)ᵀ/(1 − q a).
 * Returns false on a failed downdate of S (1 − q a below DOWNDATE_MIN_RATIO): the count and
 * mean are updated but the factor is stale; the caller must rebuild from the members. */
export function removePoint(c: Clusters, s: i32, x: usize): bool {
  const n = i32At(c.cnt, s);
  const kappa = c.kappa0 + <f64>n;
  const a = diffSolve(c, s, x);
  const q = kappa / (kappa - 1.0);
  const den = 1.0 - q * a;
  const m = muPtr(c, s);
  for (let j = 0; j < c.d; j++) setF64(m, j, (kappa * f64At(m, j) - f64At(x, j)) / (kappa - 1.0));
  setI32(c.cnt, s, n - 1);
  if (!(den >= DOWNDATE_MIN_RATIO)) return false;
  const w = wPtr(c, s);
  lowerTMatVec(w, c.z, c.pv, c.d, c.ld);
  const f = Math.sqrt(q / den);
  for (let j = 0; j < c.d; j++) setF64(c.pv, j, f * f64At(c.pv, j));
  precRank1Simd(w, c.pv, c.d, c.ld, 1.0); // an update: cannot fail
  refresh(c, s);
  return true;
}

/** Rebuilds slot s from scratch from its members: rows idx[0..m) of X (stride ldx f64s).
 * S_n = S0 + Σ (x_i − x̄)(x_i − x̄)ᵀ + (κ0 m/κ_m)(x̄ − μ0)(x̄ − μ0)ᵀ (METHOD.md §3), then
 * Cholesky and inversion. O(m d² + d³). Returns false if S_n is not numerically PD (only
 * possible with a degenerate prior). */
export function rebuild(c: Clusters, s: i32, X: usize, ldx: i32, idx: usize, m: i32): bool {
  const d = c.d;
  const ld = c.ld;
  c.rebuilds++;
  const xbar = c.z;
  for (let j = 0; j < ld; j++) setF64(xbar, j, 0.0);
  for (let t = 0; t < m; t++) {
    const x = X + ((<usize>i32At(idx, t) * <usize>ldx) << 3);
    for (let j = 0; j < d; j++) setF64(xbar, j, f64At(xbar, j) + f64At(x, j));
  }
  for (let j = 0; j < d; j++) setF64(xbar, j, m > 0 ? f64At(xbar, j) / <f64>m : 0.0);
  const sm = c.sm;
  memory.fill(sm, 0, (<usize>ld * <usize>ld) << 3);
  // Scatter Σ (x − x̄)(x − x̄)ᵀ, lower triangle, one SIMD axpy per row prefix (the even
  // prefix covering columns ≤ i; the column past i lands in the zeroed upper part and is
  // cleared by cholFactor).
  for (let j = d; j < ld; j++) setF64(c.r, j, 0.0);
  for (let t = 0; t < m; t++) {
    const x = X + ((<usize>i32At(idx, t) * <usize>ldx) << 3);
    for (let j = 0; j < d; j++) setF64(c.r, j, f64At(x, j) - f64At(xbar, j));
    for (let i = 0; i < d; i++) {
      const vri = f64x2.splat(f64At(c.r, i));
      const row = sm + ((<usize>(i * ld)) << 3);
      const len = <usize>((i + 2) & ~1) << 3;
      for (let o: usize = 0; o < len; o += 16) {
        v128.store(row + o, f64x2.add(v128.load(row + o), f64x2.mul(vri, v128.load(c.r + o))));
      }
    }
  }
  const kappa = c.kappa0 + <f64>m;
  const coef = (c.kappa0 * <f64>m) / kappa;
  for (let j = 0; j < d; j++) setF64(c.r, j, f64At(xbar, j) - f64At(c.mu0, j));
  for (let i = 0; i < d; i++) {
    const row = sm + ((<usize>(i * ld)) << 3);
    const ri = f64At(c.r, i);
    for (let j = 0; j <= i; j++) setF64(row, j, f64At(row, j) + coef * ri * f64At(c.r, j));
    setF64(row, i, f64At(row, i) + f64At(c.s0, i));
  }
  const mu = muPtr(c, s);
  for (let j = 0; j < d; j++) {
    setF64(mu, j, (c.kappa0 * f64At(c.mu0, j) + <f64>m * f64At(xbar, j)) / kappa);
  }
  setI32(c.cnt, s, m);
  if (!cholFactor(sm, d, ld)) return false;
  triInvLower(sm, wPtr(c, s), d, ld);
  refresh(c, s);
  return true;
}

/** Writes L = W⁻¹ of slot s (the Cholesky factor of S_n) into out, d×d row-major without
 * padding. Uses c.sl as scratch. */
export function exportChol(c: Clusters, s: i32, out: usize): void {
  const d = c.d;
  const ld = c.ld;
  triInvLower(wPtr(c, s), c.sl, d, ld);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) setF64(out, i * d + j, f64At(c.sl, i * ld + j));
  }
}

/** log of the NIW marginal likelihood of slot s's points (Murphy 2007, eq. 266):
 * −(nd/2) log π + log Γ_d(ν_n/2) − log Γ_d(ν0/2) + (ν0/2) log|S0| − (ν_n/2) log|S_n|
 * + (d/2)(log κ0 − log κ_n). */
export function logMarginal(c: Clusters, s: i32): f64 {
  const d = c.d;
  const n = <f64>i32At(c.cnt, s);
  const nu = c.nu0 + n;
  const kappa = c.kappa0 + n;
  let lg = 0.0;
  for (let j = 1; j <= d; j++) {
    const off = (1.0 - <f64>j) * 0.5;
    lg += lgamma(nu * 0.5 + off) - lgamma(c.nu0 * 0.5 + off);
  }
  const fd = <f64>d;
  return (
    -0.5 * n * fd * LOG_PI +
    lg +
    0.5 * c.nu0 * c.logdetS0 -
    0.5 * nu * f64At(c.logdet, s) +
    0.5 * fd * (Math.log(c.kappa0) - Math.log(kappa))
  );
}
