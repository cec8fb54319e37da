// Dense triangular algebra in f64 for the NIW clusters.
//
// Matrices are row-major with a row stride `ld` (in elements). The sampler keeps every
// cluster matrix in an ld×ld block with ld = d rounded up to a multiple of 4 and everything
// outside the lower triangle zero, so the blocked SIMD kernels below can run over whole
// 4-row blocks without tails. Kernels write only their out-parameters (or the matrix they
// update in place, as documented) and allocate nothing.
//
// Two factors appear:
//   L  lower, S = L Lᵀ                (the Cholesky factor of the NIW scatter S_n)
//   W  lower, W = L⁻¹, S⁻¹ = Wᵀ W      (its inverse; what the sampler keeps per cluster)
// Keeping W turns the Mahalanobis term (x−μ)ᵀ S⁻¹ (x−μ) = ‖W (x−μ)‖² into independent row
// dot products, which vectorise, instead of a sequential forward substitution.

/** In-place Cholesky factorisation of the SPD matrix in the lower triangle of `a` (d×d,
 * stride ld); the strict upper triangle is zeroed. Returns false (leaving `a` partly
 * overwritten) if a pivot is not positive. Golub & Van Loan, Matrix Computations 4th ed.,
 * Alg. 4.2.1 (row-oriented, "Cholesky–Banachiewicz"). */
export function cholFactor(a: usize, d: i32, ld: i32): bool {
  for (let i = 0; i < d; i++) {
    const ri = a + ((<usize>(i * ld)) << 3);
    for (let j = 0; j <= i; j++) {
      const rj = a + ((<usize>(j * ld)) << 3);
      let s = load<f64>(ri + (<usize>j << 3));
      for (let k = 0; k < j; k++) s -= load<f64>(ri + (<usize>k << 3)) * load<f64>(rj + (<usize>k << 3));
      if (i == j) {
        if (!(s > 0.0) || !isFinite(s)) return false;
        store<f64>(ri + (<usize>i << 3), Math.sqrt(s));
      } else {
        store<f64>(ri + (<usize>j << 3), s / load<f64>(rj + (<usize>j << 3)));
      }
    }
    for (let j = i + 1; j < ld; j++) store<f64>(ri + (<usize>j << 3), 0.0);
  }
  return true;
}

/** out = L⁻¹ for lower-triangular L (d×d, stride ld); out is lower with a zero strict upper
 * triangle. `out` must not alias `l`. Column-by-column forward substitution on unit vectors. */
export function triInvLower(l: usize, out: usize, d: i32, ld: i32): void {
  for (let i = 0; i < d; i++) {
    const ro = out + ((<usize>(i * ld)) << 3);
    for (let j = 0; j < ld; j++) store<f64>(ro + (<usize>j << 3), 0.0);
  }
  for (let j = 0; j < d; j++) {
    // Column j of L⁻¹: solve L y = e_j; y[i] = 0 for i < j.
    for (let i = j; i < d; i++) {
      const rl = l + ((<usize>(i * ld)) << 3);
      let s: f64 = i == j ? 1.0 : 0.0;
      for (let k = j; k < i; k++) {
        s -= load<f64>(rl + (<usize>k << 3)) * load<f64>(out + ((<usize>(k * ld + j)) << 3));
      }
      store<f64>(out + ((<usize>(i * ld + j)) << 3), s / load<f64>(rl + (<usize>i << 3)));
    }
  }
}

/** Forward substitution: out = L⁻¹ b (L lower d×d, stride ld). `out` may alias `b`. */
export function solveLower(l: usize, b: usize, out: usize, d: i32, ld: i32): void {
  for (let i = 0; i < d; i++) {
    const rl = l + ((<usize>(i * ld)) << 3);
    let s = load<f64>(b + (<usize>i << 3));
    for (let k = 0; k < i; k++) s -= load<f64>(rl + (<usize>k << 3)) * load<f64>(out + (<usize>k << 3));
    store<f64>(out + (<usize>i << 3), s / load<f64>(rl + (<usize>i << 3)));
  }
}

/** log det(L Lᵀ) = 2 Σ log L_ii; also log det(S) = −2 Σ log W_ii via `sign` = −1. */
export function logDetFactor(l: usize, d: i32, ld: i32, sign: f64): f64 {
  let s = 0.0;
  for (let i = 0; i < d; i++) s += Math.log(load<f64>(l + ((<usize>(i * ld + i)) << 3)));
  return 2.0 * sign * s;
}

/** Rank-one update (sigma = +1) or downdate (sigma = −1) of the Cholesky factor L in place:
 * L' L'ᵀ = L Lᵀ + sigma·x xᵀ. `x` (length d) is destroyed. Returns false when a downdate
 * would leave a non-positive pivot (the downdated matrix is not numerically positive
 * definite); L is then partly modified and must be rebuilt by the caller.
 * The LINPACK dchud/dchdd Givens scheme (Golub & Van Loan 4th ed. §6.5.4; Seeger 2004,
 * "Low rank updates for the Cholesky decomposition"). Column-oriented, hence scalar. */
export function cholRank1(l: usize, x: usize, d: i32, ld: i32, sigma: f64): bool {
  for (let k = 0; k < d; k++) {
    const pkk = l + ((<usize>(k * ld + k)) << 3);
    const lkk = load<f64>(pkk);
    const xk = load<f64>(x + (<usize>k << 3));
    const r2 = lkk * lkk + sigma * xk * xk;
    if (!(r2 > 1e-300) || !isFinite(r2) || (sigma < 0.0 && r2 <= 1e-14 * lkk * lkk)) return false;
    const r = Math.sqrt(r2);
    const c = r / lkk;
    const s = xk / lkk;
    store<f64>(pkk, r);
    for (let i = k + 1; i < d; i++) {
      const pik = l + ((<usize>(i * ld + k)) << 3);
      const px = x + (<usize>i << 3);
      const lik = (load<f64>(pik) + sigma * s * load<f64>(px)) / c;
      store<f64>(pik, lik);
      store<f64>(px, c * load<f64>(px) - s * lik);
    }
  }
  return true;
}

/** Rank-one update (sigma = +1) or downdate (sigma = −1) of the precision held through its
 * inverse factor W (P = Wᵀ W, W lower d×d, stride ld): W' such that W'ᵀW' = WᵀW + sigma·v vᵀ.
 * `v` is destroyed. Returns false on a failed downdate (non-positive pivot), W partly
 * modified. With J the index reversal, J P J = (J Wᵀ J)(J Wᵀ J)ᵀ is an ordinary lower
 * Cholesky factorisation whose k-th column is row d−1−k of W read backwards, so the
 * LINPACK scheme of cholRank1 runs over rows of W from the last to the first, and each
 * inner loop is a contiguous row prefix: SIMD over pairs of columns. No reductions, so the
 * scalar twin below is bit-identical. */
export function precRank1Simd(w: usize, v: usize, d: i32, ld: i32, sigma: f64): bool {
  for (let kk = d - 1; kk >= 0; kk--) {
    const row = w + ((<usize>(kk * ld)) << 3);
    const wkk = load<f64>(row + (<usize>kk << 3));
    const vk = load<f64>(v + (<usize>kk << 3));
    const r2 = wkk * wkk + sigma * vk * vk;
    if (!(r2 > 1e-300) || !isFinite(r2) || (sigma < 0.0 && r2 <= 1e-14 * wkk * wkk)) return false;
    const r = Math.sqrt(r2);
    const c = r / wkk;
    const s = vk / wkk;
    store<f64>(row + (<usize>kk << 3), r);
    const ic = 1.0 / c;
    const vc = f64x2.splat(c);
    const vic = f64x2.splat(ic);
    const vss = f64x2.splat(sigma * s);
    const vs = f64x2.splat(s);
    let j = 0;
    for (; j + 2 <= kk; j += 2) {
      const o = <usize>j << 3;
      const wn = f64x2.mul(f64x2.add(v128.load(row + o), f64x2.mul(vss, v128.load(v + o))), vic);
      v128.store(row + o, wn);
      v128.store(v + o, f64x2.sub(f64x2.mul(vc, v128.load(v + o)), f64x2.mul(vs, wn)));
    }
    for (; j < kk; j++) {
      const o = <usize>j << 3;
      const wn = (load<f64>(row + o) + sigma * s * load<f64>(v + o)) * ic;
      store<f64>(row + o, wn);
      store<f64>(v + o, c * load<f64>(v + o) - s * wn);
    }
  }
  return true;
}

/** Scalar twin of precRank1Simd (same operation order, bit-identical). */
export function precRank1Scalar(w: usize, v: usize, d: i32, ld: i32, sigma: f64): bool {
  for (let kk = d - 1; kk >= 0; kk--) {
    const row = w + ((<usize>(kk * ld)) << 3);
    const wkk = load<f64>(row + (<usize>kk << 3));
    const vk = load<f64>(v + (<usize>kk << 3));
    const r2 = wkk * wkk + sigma * vk * vk;
    if (!(r2 > 1e-300) || !isFinite(r2) || (sigma < 0.0 && r2 <= 1e-14 * wkk * wkk)) return false;
    const r = Math.sqrt(r2);
    const c = r / wkk;
    const s = vk / wkk;
    store<f64>(row + (<usize>kk << 3), r);
    const ic = 1.0 / c;
    for (let j = 0; j < kk; j++) {
      const o = <usize>j << 3;
      const wn = (load<f64>(row + o) + sigma * s * load<f64>(v + o)) * ic;
      store<f64>(row + o, wn);
      store<f64>(v + o, c * load<f64>(v + o) - s * wn);
    }
  }
  return true;
}

/** ‖W r‖² for lower W (d×d, stride ld, ld a multiple of 4, zero outside the lower triangle,
 * rows d..ld−1 zero) and r of length ld (entries past d ignored against zero columns).
 * Four rows at a time: the four row dot products are independent accumulator chains that
 * share every load of r, and a block starting at row j only needs columns < j + 4. */
export function mahalSimd(w: usize, r: usize, d: i32, ld: i32): f64 {
  let total = f64x2.splat(0.0);
  const stride = <usize>ld << 3;
  for (let j = 0; j < d; j += 4) {
    const r0 = w + <usize>j * stride;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const r3 = r2 + stride;
    let a0 = f64x2.splat(0.0);
    let a1 = f64x2.splat(0.0);
    let a2 = f64x2.splat(0.0);
    let a3 = f64x2.splat(0.0);
    const len = <usize>(j + 4) << 3;
    for (let o: usize = 0; o < len; o += 16) {
      const rv = v128.load(r + o);
      a0 = f64x2.add(a0, f64x2.mul(v128.load(r0 + o), rv));
      a1 = f64x2.add(a1, f64x2.mul(v128.load(r1 + o), rv));
      a2 = f64x2.add(a2, f64x2.mul(v128.load(r2 + o), rv));
      a3 = f64x2.add(a3, f64x2.mul(v128.load(r3 + o), rv));
    }
    // Horizontal sums of (a0, a1) and (a2, a3) two at a time, then square and accumulate.
    const s01 = f64x2.add(v128.shuffle<f64>(a0, a1, 0, 2), v128.shuffle<f64>(a0, a1, 1, 3));
    const s23 = f64x2.add(v128.shuffle<f64>(a2, a3, 0, 2), v128.shuffle<f64>(a2, a3, 1, 3));
    total = f64x2.add(total, f64x2.add(f64x2.mul(s01, s01), f64x2.mul(s23, s23)));
  }
  return f64x2.extract_lane(total, 0) + f64x2.extract_lane(total, 1);
}

/** mahalSimd for B vectors at once: out[p] = ‖W r_p‖² for r_p = rs + p·ld (f64, padded),
 * p < B. Each 4-row block of W is loaded once into cache and used for every vector, so the
 * factor streams from memory once per B points instead of once per point; per vector the
 * arithmetic is exactly mahalSimd's, so the results are bit-identical to it. `tot` is
 * scratch of 16·B bytes. */
export function mahalBatch(w: usize, rs: usize, B: i32, d: i32, ld: i32, tot: usize, out: usize): void {
  const stride = <usize>ld << 3;
  for (let p = 0; p < B; p++) v128.store(tot + (<usize>p << 4), f64x2.splat(0.0));
  for (let j = 0; j < d; j += 4) {
    const r0 = w + <usize>j * stride;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const r3 = r2 + stride;
    const len = <usize>(j + 4) << 3;
    for (let p = 0; p < B; p++) {
      const r = rs + <usize>p * stride;
      let a0 = f64x2.splat(0.0);
      let a1 = f64x2.splat(0.0);
      let a2 = f64x2.splat(0.0);
      let a3 = f64x2.splat(0.0);
      for (let o: usize = 0; o < len; o += 16) {
        const rv = v128.load(r + o);
        a0 = f64x2.add(a0, f64x2.mul(v128.load(r0 + o), rv));
        a1 = f64x2.add(a1, f64x2.mul(v128.load(r1 + o), rv));
        a2 = f64x2.add(a2, f64x2.mul(v128.load(r2 + o), rv));
        a3 = f64x2.add(a3, f64x2.mul(v128.load(r3 + o), rv));
      }
      const s01 = f64x2.add(v128.shuffle<f64>(a0, a1, 0, 2), v128.shuffle<f64>(a0, a1, 1, 3));
      const s23 = f64x2.add(v128.shuffle<f64>(a2, a3, 0, 2), v128.shuffle<f64>(a2, a3, 1, 3));
      const tp = tot + (<usize>p << 4);
      v128.store(tp, f64x2.add(v128.load(tp), f64x2.add(f64x2.mul(s01, s01), f64x2.mul(s23, s23))));
    }
  }
  for (let p = 0; p < B; p++) {
    const t = v128.load(tot + (<usize>p << 4));
    store<f64>(out + (<usize>p << 3), f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1));
  }
}

/** Scalar twin of mahalSimd: Σ_j (Σ_{i≤j} W_ji r_i)², plain left-to-right sums. */
export function mahalScalar(w: usize, r: usize, d: i32, ld: i32): f64 {
  let total = 0.0;
  for (let j = 0; j < d; j++) {
    const row = w + ((<usize>(j * ld)) << 3);
    let s = 0.0;
    for (let i = 0; i <= j; i++) s += load<f64>(row + (<usize>i << 3)) * load<f64>(r + (<usize>i << 3));
    total += s * s;
  }
  return total;
}

/** out = W r like lowerMatVec, four rows at a time (see mahalSimd); out has length ≥ ld
 * (rows d..ld−1 give 0) and must not alias r. r has length ld with zero padding. */
export function lowerMatVecSimd(w: usize, r: usize, out: usize, d: i32, ld: i32): void {
  const stride = <usize>ld << 3;
  for (let j = 0; j < d; j += 4) {
    const r0 = w + <usize>j * stride;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const r3 = r2 + stride;
    let a0 = f64x2.splat(0.0);
    let a1 = f64x2.splat(0.0);
    let a2 = f64x2.splat(0.0);
    let a3 = f64x2.splat(0.0);
    const len = <usize>(j + 4) << 3;
    for (let o: usize = 0; o < len; o += 16) {
      const rv = v128.load(r + o);
      a0 = f64x2.add(a0, f64x2.mul(v128.load(r0 + o), rv));
      a1 = f64x2.add(a1, f64x2.mul(v128.load(r1 + o), rv));
      a2 = f64x2.add(a2, f64x2.mul(v128.load(r2 + o), rv));
      a3 = f64x2.add(a3, f64x2.mul(v128.load(r3 + o), rv));
    }
    const o = <usize>j << 3;
    v128.store(out + o, f64x2.add(v128.shuffle<f64>(a0, a1, 0, 2), v128.shuffle<f64>(a0, a1, 1, 3)));
    v128.store(out + o, f64x2.add(v128.shuffle<f64>(a2, a3, 0, 2), v128.shuffle<f64>(a2, a3, 1, 3)), 16);
  }
}

/** out = W r (lower d×d, stride ld) for j < d; out has length ≥ d. `out` must not alias r. */
export function lowerMatVec(w: usize, r: usize, out: usize, d: i32, ld: i32): void {
  for (let j = 0; j < d; j++) {
    const row = w + ((<usize>(j * ld)) << 3);
    let s = 0.0;
    for (let i = 0; i <= j; i++) s += load<f64>(row + (<usize>i << 3)) * load<f64>(r + (<usize>i << 3));
    store<f64>(out + (<usize>j << 3), s);
  }
}

/** out = Wᵀ z (W lower d×d, stride ld): four rows at a time, each block one SIMD pass
 * out[0..j+4) += Σ_r z_{j+r} W_{j+r}[0..j+4), so `out` is loaded and stored once per block
 * rather than once per row. `out` has length ≥ ld (entries past d are written zero) and
 * must not alias z; z has length ≥ ld with z[d..ld) finite (rows past d of W are zero). */
export function lowerTMatVec(w: usize, z: usize, out: usize, d: i32, ld: i32): void {
  for (let i = 0; i < ld; i++) store<f64>(out + (<usize>i << 3), 0.0);
  const stride = <usize>ld << 3;
  for (let j = 0; j < d; j += 4) {
    const r0 = w + <usize>j * stride;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const r3 = r2 + stride;
    const zj = z + (<usize>j << 3);
    const z0 = f64x2.splat(load<f64>(zj));
    const z1 = f64x2.splat(j + 1 < d ? load<f64>(zj, 8) : 0.0);
    const z2 = f64x2.splat(j + 2 < d ? load<f64>(zj, 16) : 0.0);
    const z3 = f64x2.splat(j + 3 < d ? load<f64>(zj, 24) : 0.0);
    const len = <usize>(j + 4) << 3;
    for (let o: usize = 0; o < len; o += 16) {
      const acc = f64x2.add(
        f64x2.add(f64x2.mul(z0, v128.load(r0 + o)), f64x2.mul(z1, v128.load(r1 + o))),
        f64x2.add(f64x2.mul(z2, v128.load(r2 + o)), f64x2.mul(z3, v128.load(r3 + o))),
      );
      v128.store(out + o, f64x2.add(v128.load(out + o), acc));
    }
  }
}
