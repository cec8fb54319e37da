// SVD projection (METHOD.md §2): the top-k right singular vectors of an N×C matrix R without
// forming anything larger than C×C.
//
// R's right singular vectors are the eigenvectors of the Gram matrix RᵀR (of the scatter
// matrix (R − 1μᵀ)ᵀ(R − 1μᵀ) when centred), and its singular values are the square roots of
// the eigenvalues. The Gram matrix is accumulated over fixed blocks of BLOCK rows, streaming,
// so the caller never needs all N rows in wasm memory; the fixed blocking makes the result
// independent of how the caller chunks its rows. The symmetric eigenproblem is then solved as
// in LAPACK's dsyevx: Householder tridiagonalisation (Golub & Van Loan 4th ed. §8.3.1), all
// eigenvalues of the tridiagonal matrix by implicit QL (the EISPACK tql1 algorithm, Bowdler,
// Martin, Reinsch & Wilkinson 1968), eigenvectors only for the k wanted eigenvalues by
// inverse iteration with reorthogonalisation inside clusters (as in LAPACK dstein), and the
// Householder back-transformation of those k vectors. That costs (4/3)C³ + O(kC²) flops
// instead of the ~9C³ of a full eigendecomposition with vectors.
//
// All buffers are raw heap blocks owned by the accumulator (freed by gramFree) or by the
// caller; nothing here allocates per row.

import { dotSimd, dotScalar, axpySimd, axpyScalar } from "./simd/vec";

// Every SIMD kernel here has a scalar twin, selected by a `simd` flag that the exports pass
// through, so tests can hold the two paths against each other (they agree to rounding: the
// SIMD reductions sum in a different order).

// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, n: i32, simd: bool): f64 {
  return simd ? dotSimd(a, b, n) : dotScalar(a, b, n);
}

/** Rows per Gram block: long enough to amortise the loads of the Gram matrix, short enough
 * for the transposed block (C × BLOCK f64) to stay in cache for moderate C. */
export const BLOCK: i32 = 128;

const EPS: f64 = 2.220446049250313e-16;

// Accumulator layout (64 bytes at `acc`):
//   0 c (i32)  4 cp = c rounded up to a multiple of 4 (i32)  8 centred (i32)
//  12 pending rows in the buffer (i32)  16 rows committed and flushed (f64)
//  24 buffer (BLOCK × c f64, row-major)  32 xt (cp × BLOCK f64, the block transposed)
//  40 gram (cp × cp f64; the upper triangle is the accumulated sum)  48 mean (c f64)
//  56 chunk mean scratch (c f64)  60 SIMD kernels (i32, 1) or their scalar twins (0)
const ACC_BYTES: usize = 64;

// @ts-ignore: decorator
@inline function f64At(base: usize, i: i32): usize {
  return base + (<usize>i << 3);
}

function allocZeroed(bytes: usize): usize {
  const p = heap.alloc(bytes);
  memory.fill(p, 0, bytes);
  return p;
}

export function gramCreate(c: i32, centred: bool, simd: bool): usize {
  const acc = heap.alloc(ACC_BYTES);
  const cp = (c + 3) & ~3;
  store<i32>(acc, c, 0);
  store<i32>(acc, cp, 4);
  store<i32>(acc, centred ? 1 : 0, 8);
  store<i32>(acc, 0, 12);
  store<f64>(acc, 0.0, 16);
  store<u32>(acc, <u32>allocZeroed(<usize>BLOCK * <usize>c * 8), 24);
  store<u32>(acc, <u32>allocZeroed(<usize>cp * <usize>BLOCK * 8), 32);
  store<u32>(acc, <u32>allocZeroed(<usize>cp * <usize>cp * 8), 40);
  store<u32>(acc, <u32>allocZeroed(<usize>c * 8), 48);
  store<u32>(acc, <u32>allocZeroed(<usize>c * 8), 56);
  store<i32>(acc, simd ? 1 : 0, 60);
  return acc;
}

export function gramFree(acc: usize): void {
  for (let o: usize = 24; o <= 56; o += 8) heap.free(<usize>load<u32>(acc + o));
  heap.free(acc);
}

// @ts-ignore: decorator
@inline function accC(acc: usize): i32 {
  return load<i32>(acc, 0);
}
// @ts-ignore: decorator
@inline function accBuf(acc: usize): usize {
  return <usize>load<u32>(acc, 24);
}

/** Where the caller writes the next rows (f64, row-major, c per row). */
export function gramWritePtr(acc: usize): usize {
  return accBuf(acc) + ((<usize>load<i32>(acc, 12) * <usize>accC(acc)) << 3);
}

/** How many rows still fit in the buffer before the next commit must happen. */
export function gramCapacity(acc: usize): i32 {
  return BLOCK - load<i32>(acc, 12);
}

/** Rows accumulated so far (committed). */
export function gramRows(acc: usize): f64 {
  return load<f64>(acc, 16) + <f64>load<i32>(acc, 12);
}

/** Accepts m rows the caller wrote at gramWritePtr. Returns −1, or, when a value is NaN or
 * infinite, its index (row·c + column) relative to the written rows; those rows are then
 * not accepted (the accumulator is unchanged). */
export function gramCommit(acc: usize, m: i32): i32 {
  const c = accC(acc);
  const start = gramWritePtr(acc);
  const total = m * c;
  for (let i = 0; i < total; i++) {
    const v = load<f64>(f64At(start, i));
    if (!isFinite(v)) return i;
  }
  const pending = load<i32>(acc, 12) + m;
  store<i32>(acc, pending, 12);
  if (pending == BLOCK) gramFlush(acc);
  return -1;
}

/** Adds the pending rows of the buffer to the Gram matrix. */
function gramFlush(acc: usize): void {
  const m = load<i32>(acc, 12);
  if (m == 0) return;
  const c = accC(acc);
  const cp = load<i32>(acc, 4);
  const centred = load<i32>(acc, 8) != 0;
  const buf = accBuf(acc);
  const xt = <usize>load<u32>(acc, 32);
  const gram = <usize>load<u32>(acc, 40);
  const mean = <usize>load<u32>(acc, 48);
  const cmean = <usize>load<u32>(acc, 56);
  const nA = load<f64>(acc, 16);
  const nB = <f64>m;

  if (centred) {
    // Chunk mean first, so the chunk's own scatter is formed from centred values (Chan,
    // Golub & LeVeque 1979 pairwise update; no n·μμᵀ cancellation).
    memory.fill(cmean, 0, <usize>c << 3);
    for (let r = 0; r < m; r++) {
      const row = buf + ((<usize>r * <usize>c) << 3);
      for (let j = 0; j < c; j++) store<f64>(f64At(cmean, j), load<f64>(f64At(cmean, j)) + load<f64>(f64At(row, j)));
    }
    for (let j = 0; j < c; j++) store<f64>(f64At(cmean, j), load<f64>(f64At(cmean, j)) / nB);
  }
  // Transpose into xt (cp × BLOCK); rows m..BLOCK of the block and columns c..cp stay 0.
  for (let j = 0; j < c; j++) {
    const dst = xt + ((<usize>j * <usize>BLOCK) << 3);
    const mu = centred ? load<f64>(f64At(cmean, j)) : 0.0;
    for (let r = 0; r < m; r++) {
      store<f64>(f64At(dst, r), load<f64>(buf + ((<usize>r * <usize>c + <usize>j) << 3)) - mu);
    }
    for (let r = m; r < BLOCK; r++) store<f64>(f64At(dst, r), 0.0);
  }
  if (load<i32>(acc, 60) != 0) gramBlockUpdate(xt, gram, cp);
  else gramBlockUpdateScalar(xt, gram, cp);
  if (centred) {
    // Merge: M2 = M2_A + M2_B + (nA·nB/n)·δδᵀ, mean = mean_A + δ·nB/n, δ = mean_B − mean_A.
    const n = nA + nB;
    const f = (nA * nB) / n;
    for (let j = 0; j < c; j++) {
      store<f64>(f64At(cmean, j), load<f64>(f64At(cmean, j)) - load<f64>(f64At(mean, j)));
    }
    if (f > 0.0) {
      for (let i = 0; i < c; i++) {
        const di = f * load<f64>(f64At(cmean, i));
        const grow = gram + ((<usize>i * <usize>cp) << 3);
        for (let j = i; j < c; j++) {
          store<f64>(f64At(grow, j), load<f64>(f64At(grow, j)) + di * load<f64>(f64At(cmean, j)));
        }
      }
    }
    const g = nB / n;
    for (let j = 0; j < c; j++) store<f64>(f64At(mean, j), load<f64>(f64At(mean, j)) + load<f64>(f64At(cmean, j)) * g);
  }
  store<f64>(acc, nA + nB, 16);
  store<i32>(acc, 0, 12);
}

/** gram[i][j] += Σ_r xt[i][r]·xt[j][r] for the 4×2 blocks on or above the diagonal
 * (xt: cp × BLOCK, cp a multiple of 4). Register-blocked: each pass over the block loads
 * four rows of xt for i and two for j and keeps eight f64x2 sums, i.e. 6 loads per 8
 * multiply-adds instead of 2 per 1 for plain dot products. */
export function gramBlockUpdate(xt: usize, gram: usize, cp: i32): void {
  const rowBytes = <usize>BLOCK << 3;
  for (let i0 = 0; i0 < cp; i0 += 4) {
    const a0 = xt + <usize>i0 * rowBytes;
    const a1 = a0 + rowBytes;
    const a2 = a1 + rowBytes;
    const a3 = a2 + rowBytes;
    for (let j0 = i0; j0 < cp; j0 += 2) {
      const b0 = xt + <usize>j0 * rowBytes;
      const b1 = b0 + rowBytes;
      let s00 = f64x2.splat(0.0);
      let s01 = f64x2.splat(0.0);
      let s10 = f64x2.splat(0.0);
      let s11 = f64x2.splat(0.0);
      let s20 = f64x2.splat(0.0);
      let s21 = f64x2.splat(0.0);
      let s30 = f64x2.splat(0.0);
      let s31 = f64x2.splat(0.0);
      for (let r: usize = 0; r < rowBytes; r += 16) {
        const x0 = v128.load(b0 + r);
        const x1 = v128.load(b1 + r);
        const y0 = v128.load(a0 + r);
        s00 = f64x2.add(s00, f64x2.mul(y0, x0));
        s01 = f64x2.add(s01, f64x2.mul(y0, x1));
        const y1 = v128.load(a1 + r);
        s10 = f64x2.add(s10, f64x2.mul(y1, x0));
        s11 = f64x2.add(s11, f64x2.mul(y1, x1));
        const y2 = v128.load(a2 + r);
        s20 = f64x2.add(s20, f64x2.mul(y2, x0));
        s21 = f64x2.add(s21, f64x2.mul(y2, x1));
        const y3 = v128.load(a3 + r);
        s30 = f64x2.add(s30, f64x2.mul(y3, x0));
        s31 = f64x2.add(s31, f64x2.mul(y3, x1));
      }
      const g0 = gram + ((<usize>i0 * <usize>cp + <usize>j0) << 3);
      const rs = <usize>cp << 3;
      addPair(g0, s00, s01);
      addPair(g0 + rs, s10, s11);
      addPair(g0 + 2 * rs, s20, s21);
      addPair(g0 + 3 * rs, s30, s31);
    }
  }
}

/** Scalar twin of gramBlockUpdate: the same entries (j from the 4-aligned block start of i),
 * each a plain left-to-right dot product over the block. */
export function gramBlockUpdateScalar(xt: usize, gram: usize, cp: i32): void {
  const rowBytes = <usize>BLOCK << 3;
  for (let i = 0; i < cp; i++) {
    const a = xt + <usize>i * rowBytes;
    const grow = gram + ((<usize>i * <usize>cp) << 3);
    for (let j = i & ~3; j < cp; j++) {
      const b = xt + <usize>j * rowBytes;
      let s = 0.0;
      for (let r: usize = 0; r < rowBytes; r += 8) s += load<f64>(a + r) * load<f64>(b + r);
      store<f64>(f64At(grow, j), load<f64>(f64At(grow, j)) + s);
    }
  }
}

// @ts-ignore: decorator
@inline function addPair(p: usize, a: v128, b: v128): void {
  store<f64>(p, load<f64>(p) + (f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1)));
  store<f64>(p, load<f64>(p, 8) + (f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1)), 8);
}

// ---------------------------------------------------------------------------------------
// Symmetric eigenproblem.

/** Householder reduction of the symmetric n×n matrix held in the lower triangle of `a`
 * (row stride ld f64s) to tridiagonal T = Qᵀ A Q: diagonal d[0..n), off-diagonal e[0..n−1)
 * (e[j] = T[j][j+1]; e[n−1] = 0). Q = H_0 H_1 ⋯ H_{n−3}, H_j = I − tau[j]·v vᵀ acting on
 * indices j+1..n−1, with v (v[0] = 1) stored in the unused upper part of row j:
 * a[j][j+1..n). p, q and w are scratch f64[n]. The lower triangle is destroyed.
 *
 * Each step needs p = τ B v over the trailing block B and then the rank-2 update
 * B ← B − v wᵀ − w vᵀ; for large n both stream B from memory. The update of step j and the
 * product of step j+1 are fused into one pass over B (the next reflector only needs the
 * updated first column, which is updated ahead of the pass), halving the memory traffic. */
export function tridiagonalize(
  a: usize,
  n: i32,
  ld: i32,
  d: usize,
  e: usize,
  tau: usize,
  p: usize,
  q: usize,
  w: usize,
  simd: bool,
): void {
  const ldb = <usize>ld << 3;
  if (n >= 3) {
    // Step 0's product, unfused.
    const t0 = householder(a, n, ldb, 0, d, e, tau);
    if (t0 != 0.0) trailingProduct(a, n, ldb, 0, p, simd);
  }
  for (let j = 0; j < n - 2; j++) {
    const m = n - j - 1;
    const v = a + <usize>j * ldb + (<usize>(j + 1) << 3);
    const b0 = a + <usize>(j + 1) * ldb + (<usize>(j + 1) << 3); // B[0][0]
    const tj = load<f64>(f64At(tau, j));
    if (tj != 0.0) {
      // p ← τ·(B v); w = p − (τ/2)(pᵀv)·v.
      let pv = 0.0;
      for (let t = 0; t < m; t++) {
        const pt = load<f64>(f64At(p, t)) * tj;
        store<f64>(f64At(p, t), pt);
        pv += pt * load<f64>(f64At(v, t));
      }
      const kk = 0.5 * tj * pv;
      for (let t = 0; t < m; t++) store<f64>(f64At(w, t), load<f64>(f64At(p, t)) - kk * load<f64>(f64At(v, t)));
      // Update B's first column ahead of the pass (the next reflector is built from it).
      const w0 = load<f64>(w);
      const v0 = load<f64>(v);
      for (let t = 0; t < m; t++) {
        const el = b0 + <usize>t * ldb;
        store<f64>(el, load<f64>(el) - (load<f64>(f64At(v, t)) * w0 + load<f64>(f64At(w, t)) * v0));
      }
    }
    let tn = 0.0;
    const vn = v + ldb + 8; // next reflector: upper part of row j+1
    if (j + 1 < n - 2) {
      tn = householder(a, n, ldb, j + 1, d, e, tau);
      if (tn != 0.0) memory.fill(q, 0, <usize>(m - 1) << 3);
    }
    if (tj == 0.0 && tn == 0.0) continue;
    // One pass over rows 1..m−1 of B: finish the rank-2 update (columns 1..t) and, with the
    // updated row still in cache, add its share of the next product q = B' v'.
    for (let t = 1; t < m; t++) {
      const row = b0 + <usize>t * ldb + 8;
      if (tj != 0.0) {
        if (simd) rank2Row(row, v + 8, w + 8, load<f64>(f64At(v, t)), load<f64>(f64At(w, t)), t);
        else rank2RowScalar(row, v + 8, w + 8, load<f64>(f64At(v, t)), load<f64>(f64At(w, t)), t);
      }
      if (tn != 0.0) {
        const vt = load<f64>(f64At(vn, t - 1));
        const s = simd ? symvRow(row, vn, q, vt, t - 1) : symvRowScalar(row, vn, q, vt, t - 1);
        store<f64>(f64At(q, t - 1), load<f64>(f64At(q, t - 1)) + s + load<f64>(f64At(row, t - 1)) * vt);
      }
    }
    if (tn != 0.0) memory.copy(p, q, <usize>(m - 1) << 3);
  }
  if (n >= 2) {
    store<f64>(f64At(d, n - 2), load<f64>(a + <usize>(n - 2) * ldb + (<usize>(n - 2) << 3)));
    store<f64>(f64At(e, n - 2), load<f64>(a + <usize>(n - 1) * ldb + (<usize>(n - 2) << 3)));
  }
  if (n >= 1) {
    store<f64>(f64At(d, n - 1), load<f64>(a + <usize>(n - 1) * ldb + (<usize>(n - 1) << 3)));
    store<f64>(f64At(e, n - 1), 0.0);
  }
  for (let j = n - 2; j < n; j++) if (j >= 0) store<f64>(f64At(tau, j), 0.0);
}

/** Builds reflector j from column j below the diagonal (LAPACK dlarfg): stores v (v[0] = 1)
 * in a[j][j+1..n), sets d[j] = a[j][j], e[j] = beta, tau[j]; returns tau (0: H_j = I). */
function householder(a: usize, n: i32, ldb: usize, j: i32, d: usize, e: usize, tau: usize): f64 {
  const m = n - j - 1;
  const v = a + <usize>j * ldb + (<usize>(j + 1) << 3);
  let scale = 0.0;
  for (let t = 0; t < m; t++) {
    const x = load<f64>(a + <usize>(j + 1 + t) * ldb + (<usize>j << 3));
    store<f64>(f64At(v, t), x);
    if (t > 0) scale = Math.max(scale, Math.abs(x));
  }
  store<f64>(f64At(d, j), load<f64>(a + <usize>j * ldb + (<usize>j << 3)));
  const alpha = load<f64>(v);
  let xnorm = 0.0;
  if (scale > 0.0) {
    // Scaled sum of squares: no overflow or underflow for any finite column.
    let ss = 0.0;
    for (let t = 1; t < m; t++) {
      const x = load<f64>(f64At(v, t)) / scale;
      ss += x * x;
    }
    xnorm = scale * Math.sqrt(ss);
  }
  if (xnorm == 0.0) {
    store<f64>(f64At(tau, j), 0.0);
    store<f64>(f64At(e, j), alpha);
    store<f64>(v, 1.0);
    return 0.0;
  }
  // beta = −sign(alpha)·‖x‖, tau = (beta − alpha)/beta, v = x/(alpha − beta).
  const beta = alpha >= 0.0 ? -Math.hypot(alpha, xnorm) : Math.hypot(alpha, xnorm);
  const tj = (beta - alpha) / beta;
  const sc = 1.0 / (alpha - beta);
  store<f64>(v, 1.0);
  for (let t = 1; t < m; t++) store<f64>(f64At(v, t), load<f64>(f64At(v, t)) * sc);
  store<f64>(f64At(tau, j), tj);
  store<f64>(f64At(e, j), beta);
  return tj;
}

/** p = B v (unscaled) over the trailing block of step j, B = a[j+1.., j+1..] (lower), with
 * v the reflector stored in row j; one pass per row (dot with v and axpy into p). */
function trailingProduct(a: usize, n: i32, ldb: usize, j: i32, p: usize, simd: bool): void {
  const m = n - j - 1;
  const v = a + <usize>j * ldb + (<usize>(j + 1) << 3);
  const b0 = a + <usize>(j + 1) * ldb + (<usize>(j + 1) << 3);
  memory.fill(p, 0, <usize>m << 3);
  for (let t = 0; t < m; t++) {
    const row = b0 + <usize>t * ldb;
    const vt = load<f64>(f64At(v, t));
    const s = simd ? symvRow(row, v, p, vt, t) : symvRowScalar(row, v, p, vt, t);
    store<f64>(f64At(p, t), load<f64>(f64At(p, t)) + s + load<f64>(f64At(row, t)) * vt);
  }
}

/** Returns Σ_{i<len} row[i]·v[i] and adds vt·row[i] to p[i] (SIMD, one pass over row). */
function symvRow(row: usize, v: usize, p: usize, vt: f64, len: i32): f64 {
  const vvt = f64x2.splat(vt);
  let acc = f64x2.splat(0.0);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 3;
    const r = v128.load(row + o);
    acc = f64x2.add(acc, f64x2.mul(r, v128.load(v + o)));
    v128.store(p + o, f64x2.add(v128.load(p + o), f64x2.mul(vvt, r)));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < len; i++) {
    const o = <usize>i << 3;
    const r = load<f64>(row + o);
    s += r * load<f64>(v + o);
    store<f64>(p + o, load<f64>(p + o) + vt * r);
  }
  return s;
}

/** Scalar twin of symvRow. */
function symvRowScalar(row: usize, v: usize, p: usize, vt: f64, len: i32): f64 {
  let s = 0.0;
  for (let i = 0; i < len; i++) {
    const o = <usize>i << 3;
    const r = load<f64>(row + o);
    s += r * load<f64>(v + o);
    store<f64>(p + o, load<f64>(p + o) + vt * r);
  }
  return s;
}

/** Scalar twin of rank2Row (bit-identical: no reduction, same operation order). */
function rank2RowScalar(row: usize, v: usize, w: usize, vt: f64, wt: f64, len: i32): void {
  for (let i = 0; i < len; i++) {
    const o = <usize>i << 3;
    store<f64>(row + o, load<f64>(row + o) - (vt * load<f64>(w + o) + wt * load<f64>(v + o)));
  }
}

/** row[i] −= vt·w[i] + wt·v[i] for i < len (SIMD). */
function rank2Row(row: usize, v: usize, w: usize, vt: f64, wt: f64, len: i32): void {
  const vvt = f64x2.splat(vt);
  const vwt = f64x2.splat(wt);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 3;
    const upd = f64x2.add(f64x2.mul(vvt, v128.load(w + o)), f64x2.mul(vwt, v128.load(v + o)));
    v128.store(row + o, f64x2.sub(v128.load(row + o), upd));
  }
  for (; i < len; i++) {
    const o = <usize>i << 3;
    store<f64>(row + o, load<f64>(row + o) - (vt * load<f64>(w + o) + wt * load<f64>(v + o)));
  }
}

/** All eigenvalues of the symmetric tridiagonal matrix (d, e) by implicit QL with Wilkinson
 * shifts, without vectors (EISPACK tql1 as in JAMA's tql2, vector updates removed). d is
 * overwritten with the eigenvalues (unsorted), e is destroyed. Returns false when an
 * eigenvalue needs more than 60 iterations (not seen in practice). */
export function tridiagEigenvalues(d: usize, e: usize, n: i32): bool {
  if (n == 0) return true;
  store<f64>(f64At(e, n - 1), 0.0);
  let f = 0.0;
  let tst1 = 0.0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(load<f64>(f64At(d, l))) + Math.abs(load<f64>(f64At(e, l))));
    let m = l;
    while (m < n) {
      if (Math.abs(load<f64>(f64At(e, m))) <= EPS * tst1) break;
      m++;
    }
    if (m == n) m = n - 1;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) return false;
        let g = load<f64>(f64At(d, l));
        const el = load<f64>(f64At(e, l));
        let p = (load<f64>(f64At(d, l + 1)) - g) / (2.0 * el);
        let r = Math.hypot(p, 1.0);
        if (p < 0.0) r = -r;
        store<f64>(f64At(d, l), el / (p + r));
        store<f64>(f64At(d, l + 1), el * (p + r));
        const dl1 = load<f64>(f64At(d, l + 1));
        let h = g - load<f64>(f64At(d, l));
        for (let i = l + 2; i < n; i++) store<f64>(f64At(d, i), load<f64>(f64At(d, i)) - h);
        f += h;
        p = load<f64>(f64At(d, m));
        let c = 1.0;
        let c2 = c;
        let c3 = c;
        const el1 = load<f64>(f64At(e, l + 1));
        let s = 0.0;
        let s2 = 0.0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const ei = load<f64>(f64At(e, i));
          g = c * ei;
          h = c * p;
          r = Math.hypot(p, ei);
          store<f64>(f64At(e, i + 1), s * r);
          s = ei / r;
          c = p / r;
          const di = load<f64>(f64At(d, i));
          p = c * di - s * g;
          store<f64>(f64At(d, i + 1), h + s * (c * g + s * di));
        }
        p = (-s * s2 * c3 * el1 * load<f64>(f64At(e, l))) / dl1;
        store<f64>(f64At(e, l), s * p);
        store<f64>(f64At(d, l), c * p);
      } while (Math.abs(load<f64>(f64At(e, l))) > EPS * tst1);
    }
    store<f64>(f64At(d, l), load<f64>(f64At(d, l)) + f);
    store<f64>(f64At(e, l), 0.0);
  }
  return true;
}

/** Sorts x[0..n) descending (insertion sort on the heap copy; n ≤ a few thousand and the
 * QL output is nearly sorted). */
function sortDescending(x: usize, n: i32): void {
  for (let i = 1; i < n; i++) {
    const v = load<f64>(f64At(x, i));
    let j = i - 1;
    while (j >= 0 && load<f64>(f64At(x, j)) < v) {
      store<f64>(f64At(x, j + 1), load<f64>(f64At(x, j)));
      j--;
    }
    store<f64>(f64At(x, j + 1), v);
  }
}

/** Deterministic start vector for inverse iteration: a fixed SplitMix64-style hash of
 * (vector index, entry), mapped to (−1, 1). No seed: the result must not depend on one. */
function startVector(b: usize, n: i32, index: i32): void {
  for (let i = 0; i < n; i++) {
    let z: u64 = ((<u64>index << 32) | <u64>i) + 0x9e3779b97f4a7c15;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    z = z ^ (z >> 31);
    store<f64>(f64At(b, i), <f64>(z >> 11) * 2.220446049250313e-16 - 1.0 + 1.1102230246251565e-16);
  }
}

/** Eigenvectors (in the tridiagonal basis) of the symmetric tridiagonal (d, e), n×n, for the
 * eigenvalues lam[0..k) sorted descending, by inverse iteration (Wilkinson 1965; LAPACK
 * dstein): LU with partial pivoting of T − λI (tiny pivots replaced by eps·‖T‖), a few
 * solves from a fixed start vector, modified Gram–Schmidt against the earlier vectors of the
 * same cluster (eigenvalues within 1e-3·‖T‖), and shifts of coincident eigenvalues apart by
 * 10·eps·‖T‖. Vectors go to y (k × n, row-major). work: scratch f64[6n]. */
function tridiagInverseIteration(
  d: usize,
  e: usize,
  n: i32,
  lam: usize,
  k: i32,
  y: usize,
  work: usize,
  simd: bool,
): void {
  // Work on T/‖T‖ so that pivots and growth factors are scale-free.
  let tnorm = 0.0;
  for (let i = 0; i < n; i++) {
    let r = Math.abs(load<f64>(f64At(d, i)));
    if (i > 0) r += Math.abs(load<f64>(f64At(e, i - 1)));
    if (i < n - 1) r += Math.abs(load<f64>(f64At(e, i)));
    tnorm = Math.max(tnorm, r);
  }
  if (tnorm == 0.0) tnorm = 1.0;
  const inv = 1.0 / tnorm;
  const dd = work;
  const du = work + (<usize>n << 3);
  const du2 = work + (<usize>(2 * n) << 3);
  const dl = work + (<usize>(3 * n) << 3);
  const piv = work + (<usize>(4 * n) << 3); // f64 flags: 1 = rows i, i+1 swapped
  const b = work + (<usize>(5 * n) << 3);
  const pivmin = EPS;
  const ortol = 1e-3;
  const pertol = 10.0 * EPS;
  const growthNeeded = 1.0 / (1e3 * <f64>n * EPS);
  let clusterStart = 0;
  let prevShift = 0.0;
  for (let q = 0; q < k; q++) {
    let shift = load<f64>(f64At(lam, q)) * inv;
    if (q > 0) {
      if (load<f64>(f64At(lam, q - 1)) * inv - shift > ortol) clusterStart = q;
      if (prevShift - shift < pertol) shift = prevShift - pertol;
    }
    prevShift = shift;
    // LU of T − shift·I with partial pivoting (LAPACK dgttrf).
    for (let i = 0; i < n; i++) {
      store<f64>(f64At(dd, i), load<f64>(f64At(d, i)) * inv - shift);
      store<f64>(f64At(piv, i), 0.0);
      store<f64>(f64At(du2, i), 0.0);
      if (i < n - 1) {
        store<f64>(f64At(du, i), load<f64>(f64At(e, i)) * inv);
        store<f64>(f64At(dl, i), load<f64>(f64At(e, i)) * inv);
      }
    }
    for (let i = 0; i < n - 1; i++) {
      const di = load<f64>(f64At(dd, i));
      const li = load<f64>(f64At(dl, i));
      if (Math.abs(di) >= Math.abs(li)) {
        const fct = di != 0.0 ? li / di : 0.0;
        store<f64>(f64At(dl, i), fct);
        store<f64>(f64At(dd, i + 1), load<f64>(f64At(dd, i + 1)) - fct * load<f64>(f64At(du, i)));
      } else {
        const fct = di / li;
        store<f64>(f64At(dd, i), li);
        store<f64>(f64At(dl, i), fct);
        const tmp = load<f64>(f64At(du, i));
        store<f64>(f64At(du, i), load<f64>(f64At(dd, i + 1)));
        store<f64>(f64At(dd, i + 1), tmp - fct * load<f64>(f64At(dd, i + 1)));
        if (i < n - 2) {
          store<f64>(f64At(du2, i), load<f64>(f64At(du, i + 1)));
          store<f64>(f64At(du, i + 1), -fct * load<f64>(f64At(du, i + 1)));
        }
        store<f64>(f64At(piv, i), 1.0);
      }
    }
    for (let i = 0; i < n; i++) {
      const di = load<f64>(f64At(dd, i));
      if (Math.abs(di) < pivmin) store<f64>(f64At(dd, i), di < 0.0 ? -pivmin : pivmin);
    }
    startVector(b, n, q);
    normalize(b, n, simd);
    let extra = -1;
    for (let iter = 0; iter < 10; iter++) {
      // Solve L U x = P b in place.
      for (let i = 0; i < n - 1; i++) {
        const fct = load<f64>(f64At(dl, i));
        if (load<f64>(f64At(piv, i)) == 0.0) {
          store<f64>(f64At(b, i + 1), load<f64>(f64At(b, i + 1)) - fct * load<f64>(f64At(b, i)));
        } else {
          const tmp = load<f64>(f64At(b, i));
          store<f64>(f64At(b, i), load<f64>(f64At(b, i + 1)));
          store<f64>(f64At(b, i + 1), tmp - fct * load<f64>(f64At(b, i + 1)));
        }
      }
      for (let i = n - 1; i >= 0; i--) {
        let s = load<f64>(f64At(b, i));
        if (i < n - 1) s -= load<f64>(f64At(du, i)) * load<f64>(f64At(b, i + 1));
        if (i < n - 2) s -= load<f64>(f64At(du2, i)) * load<f64>(f64At(b, i + 2));
        store<f64>(f64At(b, i), s / load<f64>(f64At(dd, i)));
      }
      let growth = 0.0;
      for (let i = 0; i < n; i++) growth = Math.max(growth, Math.abs(load<f64>(f64At(b, i))));
      // Rescale first so the Gram–Schmidt sums cannot overflow.
      if (growth > 0.0) {
        const g = 1.0 / growth;
        for (let i = 0; i < n; i++) store<f64>(f64At(b, i), load<f64>(f64At(b, i)) * g);
      }
      for (let r = clusterStart; r < q; r++) {
        const yr = y + ((<usize>r * <usize>n) << 3);
        const s = dot(yr, b, n, simd);
        for (let i = 0; i < n; i++) store<f64>(f64At(b, i), load<f64>(f64At(b, i)) - s * load<f64>(f64At(yr, i)));
      }
      const nrm = normalize(b, n, simd);
      if (nrm == 0.0) {
        // Fully inside the span of the cluster's earlier vectors: restart elsewhere.
        startVector(b, n, q + 7919 * (iter + 1));
        normalize(b, n, simd);
        continue;
      }
      if (extra >= 0) {
        if (++extra >= 2) break;
      } else if (growth * Math.sqrt(<f64>n) >= growthNeeded) {
        extra = 0;
      }
    }
    memory.copy(y + ((<usize>q * <usize>n) << 3), b, <usize>n << 3);
  }
}

function normalize(b: usize, n: i32, simd: bool): f64 {
  const s = Math.sqrt(dot(b, b, n, simd));
  if (s > 0.0) {
    const g = 1.0 / s;
    for (let i = 0; i < n; i++) store<f64>(f64At(b, i), load<f64>(f64At(b, i)) * g);
  }
  return s;
}

/** x ← Q x with Q = H_0 ⋯ H_{n−3} from tridiagonalize (reflectors applied last first). */
function applyQ(a: usize, n: i32, ld: i32, tau: usize, x: usize, simd: bool): void {
  const ldb = <usize>ld << 3;
  for (let j = n - 3; j >= 0; j--) {
    const tj = load<f64>(f64At(tau, j));
    if (tj == 0.0) continue;
    const m = n - j - 1;
    const v = a + <usize>j * ldb + (<usize>(j + 1) << 3);
    const xs = x + (<usize>(j + 1) << 3);
    const s = tj * dot(v, xs, m, simd);
    if (simd) axpySimd(-s, v, xs, xs, m);
    else axpyScalar(-s, v, xs, xs, m);
  }
}

/** Makes the entry of largest magnitude (the first such, on ties) positive. */
function fixSign(x: usize, n: i32): void {
  let best = 0;
  let bv = -1.0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(load<f64>(f64At(x, i)));
    if (a > bv) {
      bv = a;
      best = i;
    }
  }
  if (load<f64>(f64At(x, best)) < 0.0) {
    for (let i = 0; i < n; i++) store<f64>(f64At(x, i), -load<f64>(f64At(x, i)));
  }
}

/** Eigen-decomposition of the symmetric n×n matrix in the lower triangle of `a` (row stride
 * ld; destroyed): all eigenvalues descending into vals[0..n), the eigenvectors of the top k
 * as rows of vecs (k × n, row-major), each with its largest-magnitude entry positive.
 * Returns 0, or −3 when QL fails to converge. */
export function symEigTop(a: usize, n: i32, ld: i32, k: i32, vals: usize, vecs: usize, simd: bool): i32 {
  const nb = <usize>n << 3;
  const d = heap.alloc(nb);
  const e = heap.alloc(nb);
  const tau = heap.alloc(nb);
  const work = heap.alloc(nb * 6);
  const d2 = heap.alloc(nb);
  const e2 = heap.alloc(nb);
  tridiagonalize(a, n, ld, d, e, tau, work, work + nb, work + 2 * nb, simd);
  memory.copy(d2, d, nb);
  memory.copy(e2, e, nb);
  let status = 0;
  if (!tridiagEigenvalues(d2, e2, n)) {
    status = -3;
  } else {
    sortDescending(d2, n);
    memory.copy(vals, d2, nb);
    tridiagInverseIteration(d, e, n, d2, k, vecs, work, simd);
    for (let q = 0; q < k; q++) {
      const x = vecs + ((<usize>q * <usize>n) << 3);
      applyQ(a, n, ld, tau, x, simd);
      fixSign(x, n);
    }
  }
  heap.free(d);
  heap.free(e);
  heap.free(tau);
  heap.free(work);
  heap.free(d2);
  heap.free(e2);
  return status;
}

/** Finishes a projection from the rows accumulated so far (the accumulator stays usable, and
 * later rows give the same result as if this call had not happened):
 * components (k × c) = top-k eigenvectors of the Gram/scatter matrix, singular (c) = square
 * roots of all its eigenvalues (negative rounding clamped to 0), descending; mean (c) = the
 * column means when centred, zeros otherwise; info[0] = retained energy
 * Σ_{i<k} s_i² / Σ_i s_i², info[1] = rows. Returns 0, −1 (no rows), −2 (all-zero energy:
 * nothing to project), −3 (eigenvalue iteration failed). */
export function gramFinish(acc: usize, k: i32, components: usize, singular: usize, mean: usize, info: usize): i32 {
  const c = accC(acc);
  const cp = load<i32>(acc, 4);
  const gram = <usize>load<u32>(acc, 40);
  const accMean = <usize>load<u32>(acc, 48);
  const cb = <usize>c << 3;
  const gramBytes = (<usize>cp * <usize>cp) << 3;
  // A partial block is flushed for this result only: the state is restored afterwards so that
  // rows added later still fall into the same fixed blocks as without this call.
  const pending = load<i32>(acc, 12);
  const savedN = load<f64>(acc, 16);
  let savedGram: usize = 0;
  let savedMean: usize = 0;
  if (pending > 0) {
    savedGram = heap.alloc(gramBytes);
    memory.copy(savedGram, gram, gramBytes);
    savedMean = heap.alloc(cb);
    memory.copy(savedMean, accMean, cb);
    gramFlush(acc);
  }
  const n = load<f64>(acc, 16);
  // Copy the accumulated upper triangle into the lower triangle of a fresh c×c matrix.
  const a = heap.alloc(cb * <usize>c);
  for (let i = 0; i < c; i++) {
    const arow = a + <usize>i * cb;
    for (let j = 0; j <= i; j++) {
      store<f64>(f64At(arow, j), load<f64>(gram + ((<usize>j * <usize>cp + <usize>i) << 3)));
    }
  }
  if (load<i32>(acc, 8) != 0) memory.copy(mean, accMean, cb);
  else memory.fill(mean, 0, cb);
  if (pending > 0) {
    memory.copy(gram, savedGram, gramBytes);
    memory.copy(accMean, savedMean, cb);
    store<f64>(acc, savedN, 16);
    store<i32>(acc, pending, 12);
    heap.free(savedGram);
    heap.free(savedMean);
  }
  if (n == 0.0) {
    heap.free(a);
    return -1;
  }
  let total = 0.0;
  for (let i = 0; i < c; i++) total += Math.max(0.0, load<f64>(a + <usize>i * cb + (<usize>i << 3)));
  if (!(total > 0.0)) {
    heap.free(a);
    return -2;
  }
  const status = symEigTop(a, c, c, k, singular, components, load<i32>(acc, 60) != 0);
  heap.free(a);
  if (status != 0) return status;
  let all = 0.0;
  let kept = 0.0;
  for (let i = 0; i < c; i++) {
    const lam = Math.max(0.0, load<f64>(f64At(singular, i)));
    all += lam;
    if (i < k) kept += lam;
    store<f64>(f64At(singular, i), Math.sqrt(lam));
  }
  store<f64>(info, all > 0.0 ? kept / all : 0.0);
  store<f64>(info, n, 8);
  return 0;
}

/** out (m × k) = (rows − mean) · componentsᵀ for rows (m × c); scratch: f64[c]. */
export function projectRows(
  components: usize,
  mean: usize,
  k: i32,
  c: i32,
  rows: usize,
  m: i32,
  out: usize,
  scratch: usize,
  simd: bool,
): void {
  const cb = <usize>c << 3;
  for (let r = 0; r < m; r++) {
    const row = rows + <usize>r * cb;
    for (let j = 0; j < c; j++) store<f64>(f64At(scratch, j), load<f64>(f64At(row, j)) - load<f64>(f64At(mean, j)));
    const orow = out + ((<usize>r * <usize>k) << 3);
    for (let q = 0; q < k; q++) store<f64>(f64At(orow, q), dot(components + <usize>q * cb, scratch, c, simd));
  }
}
