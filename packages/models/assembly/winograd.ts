// Winograd F(2×2, 3×3) convolution for 3×3, stride-1, dilation-1 convolutions, f32, NHWC
// activations and HWIO filters (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural
// Networks", §4: Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A). Each 2×2 output tile costs 16 multiplies per
// (input channel, output channel) pair instead of the direct method's 36, which is why it beats
// XNNPACK's direct convolution here (wasm SIMD is 128-bit without FMA, so multiplies are the cost).
//
// Layouts, all f32, all buffers owned by the caller (tfjs heap; scratch malloc'd and freed by
// src/kernels/winograd.ts):
//   U  transformed filter, shape (16, cin, cout): U[k][c][o] = (G g_{c,o} Gᵀ)[k / 4][k % 4]
//   V  transformed input tiles of one block, shape (16, tb, cin)
//   M  products of one block, shape (16, tb, cout)
// Tiles are numbered over (image, tile row, tile col) of the OUTPUT, 2×2 outputs each; a block is
// tb consecutive tiles (tb a multiple of 4), so small feature maps still fill whole blocks.
// Output (oy, ox) reads input (oy − padT + ky, ox − padL + kx); taps outside read zero.
//
// The filter gradient uses the same transforms (by linearity of the forward formula):
// dG = Gᵀ [Σ_tiles (Bᵀ d B) ⊙ (A dY Aᵀ)] G, i.e. 16 GEMMs reducing over tiles, and the output
// transform once at the end. The input gradient of a 3×3 stride-1 convolution is itself one:
// the filter rotated by 180° with in/out channels swapped and padding 2 − pad (winogradFilter's
// `flip`), so it runs through winogradConv.
//
// SIMD lanes are 4 channels (input transform, output transform) or 4 output channels (GEMM); no
// horizontal sums and mul then add (no FMA), so winogradConvScalar / winogradFilterGradScalar,
// with the same operation order, agree with the SIMD kernels bit for bit.
import { ld, ldf } from "./masked";


/**
 * U (16, a, b) from a 3×3 filter: flip = 0: g = w[:, :, a, b] with w of shape (3, 3, a, b) (the
 * forward filter); flip = 1: g = w[2 − ky, 2 − kx, b, a] with w of shape (3, 3, b, a) (the filter
 * of the input-gradient convolution). Gg Gᵀ with G = [[1,0,0],[½,½,½],[½,−½,½],[0,0,1]].
 */
export function winogradFilter(w: usize, u: usize, a: i32, b: i32, flip: i32): void {
  const plane = <usize>(a * b) << 2;
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) {
      // g[ky][kx] into 9 locals.
      const src = flip ? w + ((<usize>(j * a + i)) << 2) : w + ((<usize>(i * b + j)) << 2);
      const g00 = load<f32>(src + plane * (flip ? 8 : 0));
      const g01 = load<f32>(src + plane * (flip ? 7 : 1));
      const g02 = load<f32>(src + plane * (flip ? 6 : 2));
      const g10 = load<f32>(src + plane * (flip ? 5 : 3));
      const g11 = load<f32>(src + plane * 4);
      const g12 = load<f32>(src + plane * (flip ? 3 : 5));
      const g20 = load<f32>(src + plane * (flip ? 2 : 6));
      const g21 = load<f32>(src + plane * (flip ? 1 : 7));
      const g22 = load<f32>(src + plane * (flip ? 0 : 8));
      // G g (4 × 3), column by column.
      const r00 = g00;
      const r10 = (g00 + g10 + g20) * 0.5;
      const r20 = (g00 - g10 + g20) * 0.5;
      const r30 = g20;
      const r01 = g01;
      const r11 = (g01 + g11 + g21) * 0.5;
      const r21 = (g01 - g11 + g21) * 0.5;
      const r31 = g21;
      const r02 = g02;
      const r12 = (g02 + g12 + g22) * 0.5;
      const r22 = (g02 - g12 + g22) * 0.5;
      const r32 = g22;
      const dst = u + ((<usize>(i * b + j)) << 2);
      filterRow(dst, plane, 0, r00, r01, r02);
      filterRow(dst, plane, 1, r10, r11, r12);
      filterRow(dst, plane, 2, r20, r21, r22);
      filterRow(dst, plane, 3, r30, r31, r32);
    }
  }
}

// @ts-ignore: decorator
@inline
function filterRow(dst: usize, plane: usize, i: i32, r0: f32, r1: f32, r2: f32): void {
  const p = dst + plane * <usize>(i * 4);
  store<f32>(p, r0);
  store<f32>(p + plane, (r0 + r1 + r2) * 0.5);
  store<f32>(p + 2 * plane, (r0 - r1 + r2) * 0.5);
  store<f32>(p + 3 * plane, r2);
}

/** Bᵀ d B of one 4×4 patch at p for 4 channels, into V at q (positions kStride bytes apart);
 * y0..y3 / x0..x3 say which patch rows / columns lie inside the image (others read zero). */
// @ts-ignore: decorator
@inline
function inputTile(
  p: usize,
  pix: usize,
  row: usize,
  q: usize,
  kStride: usize,
  y0: bool,
  y1: bool,
  y2: bool,
  y3: bool,
  x0: bool,
  x1: bool,
  x2: bool,
  x3: bool,
): void {
  // Bᵀ d along each row (x), then along each column (y).
  let d0 = ld(p, y0 && x0);
  let d1 = ld(p + pix, y0 && x1);
  let d2 = ld(p + 2 * pix, y0 && x2);
  let d3 = ld(p + 3 * pix, y0 && x3);
  const a00 = f32x4.sub(d0, d2);
  const a01 = f32x4.add(d1, d2);
  const a02 = f32x4.sub(d2, d1);
  const a03 = f32x4.sub(d1, d3);
  const p1 = p + row;
  d0 = ld(p1, y1 && x0);
  d1 = ld(p1 + pix, y1 && x1);
  d2 = ld(p1 + 2 * pix, y1 && x2);
  d3 = ld(p1 + 3 * pix, y1 && x3);
  const a10 = f32x4.sub(d0, d2);
  const a11 = f32x4.add(d1, d2);
  const a12 = f32x4.sub(d2, d1);
  const a13 = f32x4.sub(d1, d3);
  const p2 = p1 + row;
  d0 = ld(p2, y2 && x0);
  d1 = ld(p2 + pix, y2 && x1);
  d2 = ld(p2 + 2 * pix, y2 && x2);
  d3 = ld(p2 + 3 * pix, y2 && x3);
  const a20 = f32x4.sub(d0, d2);
  const a21 = f32x4.add(d1, d2);
  const a22 = f32x4.sub(d2, d1);
  const a23 = f32x4.sub(d1, d3);
  const p3 = p2 + row;
  d0 = ld(p3, y3 && x0);
  d1 = ld(p3 + pix, y3 && x1);
  d2 = ld(p3 + 2 * pix, y3 && x2);
  d3 = ld(p3 + 3 * pix, y3 && x3);
  const a30 = f32x4.sub(d0, d2);
  const a31 = f32x4.add(d1, d2);
  const a32 = f32x4.sub(d2, d1);
  const a33 = f32x4.sub(d1, d3);
  v128.store(q, f32x4.sub(a00, a20));
  v128.store(q + kStride, f32x4.sub(a01, a21));
  v128.store(q + 2 * kStride, f32x4.sub(a02, a22));
  v128.store(q + 3 * kStride, f32x4.sub(a03, a23));
  v128.store(q + 4 * kStride, f32x4.add(a10, a20));
  v128.store(q + 5 * kStride, f32x4.add(a11, a21));
  v128.store(q + 6 * kStride, f32x4.add(a12, a22));
  v128.store(q + 7 * kStride, f32x4.add(a13, a23));
  v128.store(q + 8 * kStride, f32x4.sub(a20, a10));
  v128.store(q + 9 * kStride, f32x4.sub(a21, a11));
  v128.store(q + 10 * kStride, f32x4.sub(a22, a12));
  v128.store(q + 11 * kStride, f32x4.sub(a23, a13));
  v128.store(q + 12 * kStride, f32x4.sub(a10, a30));
  v128.store(q + 13 * kStride, f32x4.sub(a11, a31));
  v128.store(q + 14 * kStride, f32x4.sub(a12, a32));
  v128.store(q + 15 * kStride, f32x4.sub(a13, a33));
}

/**
 * V[k][tl][c] = (Bᵀ d B)[k / 4][k % 4] for the tiles t0 ≤ t < t0 + cnt of the block (tl = t − t0),
 * d the 4×4 input patch at (2·ty − padT, 2·tx − padL), for 4 channels at a time (cin % 4 = 0).
 * Bᵀ = [[1,0,−1,0],[0,1,1,0],[0,−1,1,0],[0,1,0,−1]].
 */
function inputTransform(
  x: usize,
  v: usize,
  t0: i32,
  cnt: i32,
  tb: i32,
  h: i32,
  w: i32,
  ci: i32,
  tilesY: i32,
  tilesX: i32,
  padT: i32,
  padL: i32,
): void {
  const kStride = (<usize>(tb * ci)) << 2;
  const pix = (<usize>ci) << 2;
  const perImg = tilesY * tilesX;
  for (let tl = 0; tl < cnt; tl++) {
    const t = t0 + tl;
    const img = t / perImg;
    const r = t - img * perImg;
    const ty = r / tilesX;
    const tx = r - ty * tilesX;
    const iy0 = 2 * ty - padT;
    const ix0 = 2 * tx - padL;
    const y0 = iy0 >= 0 && iy0 < h;
    const y1 = iy0 + 1 >= 0 && iy0 + 1 < h;
    const y2 = iy0 + 2 >= 0 && iy0 + 2 < h;
    const y3 = iy0 + 3 >= 0 && iy0 + 3 < h;
    const x0 = ix0 >= 0 && ix0 < w;
    const x1 = ix0 + 1 >= 0 && ix0 + 1 < w;
    const x2 = ix0 + 2 >= 0 && ix0 + 2 < w;
    const x3 = ix0 + 3 >= 0 && ix0 + 3 < w;
    const row = (<usize>w) * pix;
    // Address of (iy0, ix0, channel 0); only dereferenced where in range.
    const base = x + (<usize>(((img * h + iy0) * w + ix0) * ci) << 2);
    const vb = v + ((<usize>(tl * ci)) << 2);
    // Most tiles lie inside the image: their loads need no masks (the masked path costs ~16
    // branches per 4 channels).
    const inside = y0 && y3 && x0 && x3;
    for (let c = 0; c < ci; c += 4) {
      const p = base + ((<usize>c) << 2);
      if (inside) inputTile(p, pix, row, vb + ((<usize>c) << 2), kStride, true, true, true, true, true, true, true, true);
      else inputTile(p, pix, row, vb + ((<usize>c) << 2), kStride, y0, y1, y2, y3, x0, x1, x2, x3);
    }
  }
}

/** M[k] = V[k] · U[k] for the `positions` k (16 for F(2×2, 3×3), 36 for F(4×4, 3×3)):
 * (rows × ci) · (ci × co), rows % 4 = 0, co % 4 = 0. */
export function blockGemm(v: usize, u: usize, m: usize, rows: i32, tb: i32, ci: i32, co: i32, positions: i32): void {
  const co8 = co & ~7;
  const vRow = (<usize>ci) << 2;
  const mRow = (<usize>co) << 2;
  const uRow = (<usize>co) << 2;
  for (let k = 0; k < positions; k++) {
    const vk = v + (<usize>(k * tb * ci) << 2);
    const uk = u + (<usize>(k * ci * co) << 2);
    const mk = m + (<usize>(k * tb * co) << 2);
    for (let t = 0; t < rows; t += 4) {
      const vt = vk + (<usize>t) * vRow;
      const mt = mk + (<usize>t) * mRow;
      for (let o = 0; o < co8; o += 8) {
        let c00 = f32x4.splat(0);
        let c01 = f32x4.splat(0);
        let c10 = f32x4.splat(0);
        let c11 = f32x4.splat(0);
        let c20 = f32x4.splat(0);
        let c21 = f32x4.splat(0);
        let c30 = f32x4.splat(0);
        let c31 = f32x4.splat(0);
        let up = uk + ((<usize>o) << 2);
        let ap = vt;
        for (let c = 0; c < ci; c++) {
          const b0 = v128.load(up);
          const b1 = v128.load(up, 16);
          const a0 = v128.load32_splat(ap);
          const a1 = v128.load32_splat(ap + vRow);
          const a2 = v128.load32_splat(ap + 2 * vRow);
          const a3 = v128.load32_splat(ap + 3 * vRow);
          c00 = f32x4.add(c00, f32x4.mul(a0, b0));
          c01 = f32x4.add(c01, f32x4.mul(a0, b1));
          c10 = f32x4.add(c10, f32x4.mul(a1, b0));
          c11 = f32x4.add(c11, f32x4.mul(a1, b1));
          c20 = f32x4.add(c20, f32x4.mul(a2, b0));
          c21 = f32x4.add(c21, f32x4.mul(a2, b1));
          c30 = f32x4.add(c30, f32x4.mul(a3, b0));
          c31 = f32x4.add(c31, f32x4.mul(a3, b1));
          up += uRow;
          ap += 4;
        }
        const q = mt + ((<usize>o) << 2);
        v128.store(q, c00);
        v128.store(q, c01, 16);
        v128.store(q + mRow, c10);
        v128.store(q + mRow, c11, 16);
        v128.store(q + 2 * mRow, c20);
        v128.store(q + 2 * mRow, c21, 16);
        v128.store(q + 3 * mRow, c30);
        v128.store(q + 3 * mRow, c31, 16);
      }
      if (co8 < co) {
        let c0 = f32x4.splat(0);
        let c1 = f32x4.splat(0);
        let c2 = f32x4.splat(0);
        let c3 = f32x4.splat(0);
        let up = uk + ((<usize>co8) << 2);
        let ap = vt;
        for (let c = 0; c < ci; c++) {
          const b0 = v128.load(up);
          c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(ap), b0));
          c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(ap + vRow), b0));
          c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(ap + 2 * vRow), b0));
          c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(ap + 3 * vRow), b0));
          up += uRow;
          ap += 4;
        }
        const q = mt + ((<usize>co8) << 2);
        v128.store(q, c0);
        v128.store(q + mRow, c1);
        v128.store(q + 2 * mRow, c2);
        v128.store(q + 3 * mRow, c3);
      }
    }
  }
}

/** Y tiles = Aᵀ M A (+ bias, then relu if asked), written where inside the output.
 * Aᵀ = [[1,1,1,0],[0,1,−1,−1]]. */
function outputTransform(
  m: usize,
  bias: usize,
  res: usize,
  out: usize,
  t0: i32,
  cnt: i32,
  tb: i32,
  oh: i32,
  ow: i32,
  co: i32,
  tilesY: i32,
  tilesX: i32,
  relu: i32,
): void {
  const kStride = (<usize>(tb * co)) << 2;
  const pix = (<usize>co) << 2;
  const perImg = tilesY * tilesX;
  const zero = f32x4.splat(0);
  for (let tl = 0; tl < cnt; tl++) {
    const t = t0 + tl;
    const img = t / perImg;
    const r = t - img * perImg;
    const ty = r / tilesX;
    const tx = r - ty * tilesX;
    const oy = 2 * ty;
    const ox = 2 * tx;
    const down = oy + 1 < oh;
    const right = ox + 1 < ow;
    const p = out + (<usize>(((img * oh + oy) * ow + ox) * co) << 2);
    const rowB = (<usize>ow) * pix;
    const mb = m + ((<usize>(tl * co)) << 2);
    for (let o = 0; o < co; o += 4) {
      const q = mb + ((<usize>o) << 2);
      // Aᵀ along each row of M (j), then along the columns (i).
      let m0 = v128.load(q);
      let m1 = v128.load(q + kStride);
      let m2 = v128.load(q + 2 * kStride);
      let m3 = v128.load(q + 3 * kStride);
      const s00 = f32x4.add(f32x4.add(m0, m1), m2);
      const s01 = f32x4.sub(f32x4.sub(m1, m2), m3);
      m0 = v128.load(q + 4 * kStride);
      m1 = v128.load(q + 5 * kStride);
      m2 = v128.load(q + 6 * kStride);
      m3 = v128.load(q + 7 * kStride);
      const s10 = f32x4.add(f32x4.add(m0, m1), m2);
      const s11 = f32x4.sub(f32x4.sub(m1, m2), m3);
      m0 = v128.load(q + 8 * kStride);
      m1 = v128.load(q + 9 * kStride);
      m2 = v128.load(q + 10 * kStride);
      m3 = v128.load(q + 11 * kStride);
      const s20 = f32x4.add(f32x4.add(m0, m1), m2);
      const s21 = f32x4.sub(f32x4.sub(m1, m2), m3);
      m0 = v128.load(q + 12 * kStride);
      m1 = v128.load(q + 13 * kStride);
      m2 = v128.load(q + 14 * kStride);
      m3 = v128.load(q + 15 * kStride);
      const s30 = f32x4.add(f32x4.add(m0, m1), m2);
      const s31 = f32x4.sub(f32x4.sub(m1, m2), m3);
      let y00 = f32x4.add(f32x4.add(s00, s10), s20);
      let y01 = f32x4.add(f32x4.add(s01, s11), s21);
      let y10 = f32x4.sub(f32x4.sub(s10, s20), s30);
      let y11 = f32x4.sub(f32x4.sub(s11, s21), s31);
      if (bias) {
        const bv = v128.load(bias + ((<usize>o) << 2));
        y00 = f32x4.add(y00, bv);
        y01 = f32x4.add(y01, bv);
        y10 = f32x4.add(y10, bv);
        y11 = f32x4.add(y11, bv);
      }
      if (res) {
        // The residual sits where the output goes (res may be out itself: read before written).
        const rp = res + (p - out) + ((<usize>o) << 2);
        y00 = f32x4.add(y00, v128.load(rp));
        if (right) y01 = f32x4.add(y01, v128.load(rp + pix));
        if (down) {
          y10 = f32x4.add(y10, v128.load(rp + rowB));
          if (right) y11 = f32x4.add(y11, v128.load(rp + rowB + pix));
        }
      }
      if (relu) {
        y00 = f32x4.max(y00, zero);
        y01 = f32x4.max(y01, zero);
        y10 = f32x4.max(y10, zero);
        y11 = f32x4.max(y11, zero);
      }
      const d = p + ((<usize>o) << 2);
      v128.store(d, y00);
      if (right) v128.store(d + pix, y01);
      if (down) {
        v128.store(d + rowB, y10);
        if (right) v128.store(d + rowB + pix, y11);
      }
    }
  }
}

/**
 * out (n, oh, ow, co) = conv3×3(x (n, h, w, ci), U) + bias (co; 0 = none) + res ((n, oh, ow, co);
 * 0 = none; may be out itself: a residual block's skip added in the same pass), then max(·, 0)
 * if relu ≠ 0. U from winogradFilter. v: scratch of 16·tb·ci f32, m: 16·tb·co f32; tb % 4 = 0,
 * ci % 4 = 0, co % 4 = 0.
 */
export function winogradConv(
  x: usize,
  u: usize,
  bias: usize,
  res: usize,
  out: usize,
  v: usize,
  m: usize,
  n: i32,
  h: i32,
  w: i32,
  ci: i32,
  oh: i32,
  ow: i32,
  co: i32,
  padT: i32,
  padL: i32,
  relu: i32,
  tb: i32,
): void {
  const tilesY = (oh + 1) >> 1;
  const tilesX = (ow + 1) >> 1;
  const total = n * tilesY * tilesX;
  for (let t0 = 0; t0 < total; t0 += tb) {
    const cnt = min(tb, total - t0);
    inputTransform(x, v, t0, cnt, tb, h, w, ci, tilesY, tilesX, padT, padL);
    blockGemm(v, u, m, (cnt + 3) & ~3, tb, ci, co, 16);
    outputTransform(m, bias, res, out, t0, cnt, tb, oh, ow, co, tilesY, tilesX, relu);
  }
}

/**
 * Z[k][tl][o] = (A dY Aᵀ)[k / 4][k % 4] for the 2×2 output-gradient tiles of the block (zero
 * outside the output). A = [[1,0],[1,1],[1,−1],[0,−1]].
 */
function gradTransform(
  dy: usize,
  z: usize,
  t0: i32,
  cnt: i32,
  tb: i32,
  oh: i32,
  ow: i32,
  co: i32,
  tilesY: i32,
  tilesX: i32,
): void {
  const kStride = (<usize>(tb * co)) << 2;
  const pix = (<usize>co) << 2;
  const perImg = tilesY * tilesX;
  const rowB = (<usize>ow) * pix;
  for (let tl = 0; tl < cnt; tl++) {
    const t = t0 + tl;
    const img = t / perImg;
    const r = t - img * perImg;
    const ty = r / tilesX;
    const tx = r - ty * tilesX;
    const oy = 2 * ty;
    const ox = 2 * tx;
    const down = oy + 1 < oh;
    const right = ox + 1 < ow;
    const p = dy + (<usize>(((img * oh + oy) * ow + ox) * co) << 2);
    const zb = z + ((<usize>(tl * co)) << 2);
    for (let o = 0; o < co; o += 4) {
      const s = p + ((<usize>o) << 2);
      const y00 = v128.load(s);
      const y01 = ld(s + pix, right);
      const y10 = ld(s + rowB, down);
      const y11 = ld(s + rowB + pix, down && right);
      // A along x for rows 0 and 1, then along y.
      const r00 = y00;
      const r01 = f32x4.add(y00, y01);
      const r02 = f32x4.sub(y00, y01);
      const r03 = f32x4.neg(y01);
      const r10 = y10;
      const r11 = f32x4.add(y10, y11);
      const r12 = f32x4.sub(y10, y11);
      const r13 = f32x4.neg(y11);
      const q = zb + ((<usize>o) << 2);
      v128.store(q, r00);
      v128.store(q + kStride, r01);
      v128.store(q + 2 * kStride, r02);
      v128.store(q + 3 * kStride, r03);
      v128.store(q + 4 * kStride, f32x4.add(r00, r10));
      v128.store(q + 5 * kStride, f32x4.add(r01, r11));
      v128.store(q + 6 * kStride, f32x4.add(r02, r12));
      v128.store(q + 7 * kStride, f32x4.add(r03, r13));
      v128.store(q + 8 * kStride, f32x4.sub(r00, r10));
      v128.store(q + 9 * kStride, f32x4.sub(r01, r11));
      v128.store(q + 10 * kStride, f32x4.sub(r02, r12));
      v128.store(q + 11 * kStride, f32x4.sub(r03, r13));
      v128.store(q + 12 * kStride, f32x4.neg(r10));
      v128.store(q + 13 * kStride, f32x4.neg(r11));
      v128.store(q + 14 * kStride, f32x4.neg(r12));
      v128.store(q + 15 * kStride, f32x4.neg(r13));
    }
  }
}

/** acc[k] (ci × co) += V[k]ᵀ · Z[k] over the block's cnt tiles, for the `positions` k. */
export function gradGemm(v: usize, z: usize, acc: usize, cnt: i32, tb: i32, ci: i32, co: i32, positions: i32): void {
  const co8 = co & ~7;
  const vRow = (<usize>ci) << 2;
  const zRow = (<usize>co) << 2;
  const aRow = (<usize>co) << 2;
  for (let k = 0; k < positions; k++) {
    const vk = v + (<usize>(k * tb * ci) << 2);
    const zk = z + (<usize>(k * tb * co) << 2);
    const ak = acc + (<usize>(k * ci * co) << 2);
    for (let c = 0; c < ci; c += 4) {
      for (let o = 0; o < co8; o += 8) {
        const q = ak + (<usize>(c * co + o) << 2);
        let c00 = v128.load(q);
        let c01 = v128.load(q, 16);
        let c10 = v128.load(q + aRow);
        let c11 = v128.load(q + aRow, 16);
        let c20 = v128.load(q + 2 * aRow);
        let c21 = v128.load(q + 2 * aRow, 16);
        let c30 = v128.load(q + 3 * aRow);
        let c31 = v128.load(q + 3 * aRow, 16);
        let vp = vk + ((<usize>c) << 2);
        let zp = zk + ((<usize>o) << 2);
        for (let t = 0; t < cnt; t++) {
          const b0 = v128.load(zp);
          const b1 = v128.load(zp, 16);
          const a0 = v128.load32_splat(vp);
          const a1 = v128.load32_splat(vp, 4);
          const a2 = v128.load32_splat(vp, 8);
          const a3 = v128.load32_splat(vp, 12);
          c00 = f32x4.add(c00, f32x4.mul(a0, b0));
          c01 = f32x4.add(c01, f32x4.mul(a0, b1));
          c10 = f32x4.add(c10, f32x4.mul(a1, b0));
          c11 = f32x4.add(c11, f32x4.mul(a1, b1));
          c20 = f32x4.add(c20, f32x4.mul(a2, b0));
          c21 = f32x4.add(c21, f32x4.mul(a2, b1));
          c30 = f32x4.add(c30, f32x4.mul(a3, b0));
          c31 = f32x4.add(c31, f32x4.mul(a3, b1));
          vp += vRow;
          zp += zRow;
        }
        v128.store(q, c00);
        v128.store(q, c01, 16);
        v128.store(q + aRow, c10);
        v128.store(q + aRow, c11, 16);
        v128.store(q + 2 * aRow, c20);
        v128.store(q + 2 * aRow, c21, 16);
        v128.store(q + 3 * aRow, c30);
        v128.store(q + 3 * aRow, c31, 16);
      }
      if (co8 < co) {
        const q = ak + (<usize>(c * co + co8) << 2);
        let c0 = v128.load(q);
        let c1 = v128.load(q + aRow);
        let c2 = v128.load(q + 2 * aRow);
        let c3 = v128.load(q + 3 * aRow);
        let vp = vk + ((<usize>c) << 2);
        let zp = zk + ((<usize>co8) << 2);
        for (let t = 0; t < cnt; t++) {
          const b0 = v128.load(zp);
          c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(vp), b0));
          c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(vp, 4), b0));
          c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(vp, 8), b0));
          c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(vp, 12), b0));
          vp += vRow;
          zp += zRow;
        }
        v128.store(q, c0);
        v128.store(q + aRow, c1);
        v128.store(q + 2 * aRow, c2);
        v128.store(q + 3 * aRow, c3);
      }
    }
  }
}

/** dw (3, 3, ci, co) = Gᵀ acc G, Gᵀ = [[1,½,½,0],[0,½,−½,0],[0,½,½,1]]. */
function filterGradOut(acc: usize, dw: usize, ci: i32, co: i32): void {
  const plane = (<usize>(ci * co)) << 2;
  for (let e = 0; e < ci * co; e++) {
    const s = acc + ((<usize>e) << 2);
    const d = dw + ((<usize>e) << 2);
    // Gᵀ along j (x) for each row i, then along i (y).
    const m00 = load<f32>(s);
    const m01 = load<f32>(s + plane);
    const m02 = load<f32>(s + 2 * plane);
    const m03 = load<f32>(s + 3 * plane);
    const m10 = load<f32>(s + 4 * plane);
    const m11 = load<f32>(s + 5 * plane);
    const m12 = load<f32>(s + 6 * plane);
    const m13 = load<f32>(s + 7 * plane);
    const m20 = load<f32>(s + 8 * plane);
    const m21 = load<f32>(s + 9 * plane);
    const m22 = load<f32>(s + 10 * plane);
    const m23 = load<f32>(s + 11 * plane);
    const m30 = load<f32>(s + 12 * plane);
    const m31 = load<f32>(s + 13 * plane);
    const m32 = load<f32>(s + 14 * plane);
    const m33 = load<f32>(s + 15 * plane);
    const a00 = m00 + (m01 + m02) * 0.5;
    const a01 = (m01 - m02) * 0.5;
    const a02 = (m01 + m02) * 0.5 + m03;
    const a10 = m10 + (m11 + m12) * 0.5;
    const a11 = (m11 - m12) * 0.5;
    const a12 = (m11 + m12) * 0.5 + m13;
    const a20 = m20 + (m21 + m22) * 0.5;
    const a21 = (m21 - m22) * 0.5;
    const a22 = (m21 + m22) * 0.5 + m23;
    const a30 = m30 + (m31 + m32) * 0.5;
    const a31 = (m31 - m32) * 0.5;
    const a32 = (m31 + m32) * 0.5 + m33;
    store<f32>(d, a00 + (a10 + a20) * 0.5);
    store<f32>(d + plane, a01 + (a11 + a21) * 0.5);
    store<f32>(d + 2 * plane, a02 + (a12 + a22) * 0.5);
    store<f32>(d + 3 * plane, (a10 - a20) * 0.5);
    store<f32>(d + 4 * plane, (a11 - a21) * 0.5);
    store<f32>(d + 5 * plane, (a12 - a22) * 0.5);
    store<f32>(d + 6 * plane, (a10 + a20) * 0.5 + a30);
    store<f32>(d + 7 * plane, (a11 + a21) * 0.5 + a31);
    store<f32>(d + 8 * plane, (a12 + a22) * 0.5 + a32);
  }
}

/**
 * dw (3, 3, ci, co) of the 3×3 stride-1 convolution x (n, h, w, ci) → dy (n, oh, ow, co) with
 * padding (padT, padL). Scratch: v 16·tb·ci f32, z 16·tb·co f32, acc 16·ci·co f32; ci % 4 = 0,
 * co % 4 = 0.
 */
export function winogradFilterGrad(
  x: usize,
  dy: usize,
  dw: usize,
  v: usize,
  z: usize,
  acc: usize,
  n: i32,
  h: i32,
  w: i32,
  ci: i32,
  oh: i32,
  ow: i32,
  co: i32,
  padT: i32,
  padL: i32,
  tb: i32,
): void {
  memory.fill(acc, 0, (<usize>(16 * ci * co)) << 2);
  const tilesY = (oh + 1) >> 1;
  const tilesX = (ow + 1) >> 1;
  const total = n * tilesY * tilesX;
  for (let t0 = 0; t0 < total; t0 += tb) {
    const cnt = min(tb, total - t0);
    inputTransform(x, v, t0, cnt, tb, h, w, ci, tilesY, tilesX, padT, padL);
    gradTransform(dy, z, t0, cnt, tb, oh, ow, co, tilesY, tilesX);
    gradGemm(v, z, acc, cnt, tb, ci, co, 16);
  }
  filterGradOut(acc, dw, ci, co);
}

// ---------------------------------------------------------------------------------------------
// Scalar twins: the same transforms and the same summation order, one channel at a time. They
// exist to test the SIMD kernels against (bit for bit) and are not registered with tfjs.

/** Scalar twin of inputTransform for one channel c of one tile (same formulas, same order). */
function inputTileScalar(p: usize, pix: usize, row: usize, q: usize, kStride: usize, yok: u32, xok: u32): void {
  // yok/xok: bit r set when input row/column r of the patch is inside the image.
  const d00 = ldf(p, (yok & 1) != 0 && (xok & 1) != 0);
  const d01 = ldf(p + pix, (yok & 1) != 0 && (xok & 2) != 0);
  const d02 = ldf(p + 2 * pix, (yok & 1) != 0 && (xok & 4) != 0);
  const d03 = ldf(p + 3 * pix, (yok & 1) != 0 && (xok & 8) != 0);
  const p1 = p + row;
  const d10 = ldf(p1, (yok & 2) != 0 && (xok & 1) != 0);
  const d11 = ldf(p1 + pix, (yok & 2) != 0 && (xok & 2) != 0);
  const d12 = ldf(p1 + 2 * pix, (yok & 2) != 0 && (xok & 4) != 0);
  const d13 = ldf(p1 + 3 * pix, (yok & 2) != 0 && (xok & 8) != 0);
  const p2 = p1 + row;
  const d20 = ldf(p2, (yok & 4) != 0 && (xok & 1) != 0);
  const d21 = ldf(p2 + pix, (yok & 4) != 0 && (xok & 2) != 0);
  const d22 = ldf(p2 + 2 * pix, (yok & 4) != 0 && (xok & 4) != 0);
  const d23 = ldf(p2 + 3 * pix, (yok & 4) != 0 && (xok & 8) != 0);
  const p3 = p2 + row;
  const d30 = ldf(p3, (yok & 8) != 0 && (xok & 1) != 0);
  const d31 = ldf(p3 + pix, (yok & 8) != 0 && (xok & 2) != 0);
  const d32 = ldf(p3 + 2 * pix, (yok & 8) != 0 && (xok & 4) != 0);
  const d33 = ldf(p3 + 3 * pix, (yok & 8) != 0 && (xok & 8) != 0);
  const a00 = d00 - d02;
  const a01 = d01 + d02;
  const a02 = d02 - d01;
  const a03 = d01 - d03;
  const a10 = d10 - d12;
  const a11 = d11 + d12;
  const a12 = d12 - d11;
  const a13 = d11 - d13;
  const a20 = d20 - d22;
  const a21 = d21 + d22;
  const a22 = d22 - d21;
  const a23 = d21 - d23;
  const a30 = d30 - d32;
  const a31 = d31 + d32;
  const a32 = d32 - d31;
  const a33 = d31 - d33;
  store<f32>(q, a00 - a20);
  store<f32>(q + kStride, a01 - a21);
  store<f32>(q + 2 * kStride, a02 - a22);
  store<f32>(q + 3 * kStride, a03 - a23);
  store<f32>(q + 4 * kStride, a10 + a20);
  store<f32>(q + 5 * kStride, a11 + a21);
  store<f32>(q + 6 * kStride, a12 + a22);
  store<f32>(q + 7 * kStride, a13 + a23);
  store<f32>(q + 8 * kStride, a20 - a10);
  store<f32>(q + 9 * kStride, a21 - a11);
  store<f32>(q + 10 * kStride, a22 - a12);
  store<f32>(q + 11 * kStride, a23 - a13);
  store<f32>(q + 12 * kStride, a10 - a30);
  store<f32>(q + 13 * kStride, a11 - a31);
  store<f32>(q + 14 * kStride, a12 - a32);
  store<f32>(q + 15 * kStride, a13 - a33);
}

/** Bit r set when base + r is in [0, size). */
// @ts-ignore: decorator
@inline
function inside4(base: i32, size: i32): u32 {
  let bits: u32 = 0;
  for (let r = 0; r < 4; r++) if (base + r >= 0 && base + r < size) bits |= 1 << r;
  return bits;
}

function inputTransformScalar(
  x: usize,
  v: usize,
  t0: i32,
  cnt: i32,
  tb: i32,
  h: i32,
  w: i32,
  ci: i32,
  tilesY: i32,
  tilesX: i32,
  padT: i32,
  padL: i32,
): void {
  const kStride = (<usize>(tb * ci)) << 2;
  const pix = (<usize>ci) << 2;
  const row = (<usize>w) * pix;
  const perImg = tilesY * tilesX;
  for (let tl = 0; tl < cnt; tl++) {
    const t = t0 + tl;
    const img = t / perImg;
    const r = t - img * perImg;
    const ty = r / tilesX;
    const tx = r - ty * tilesX;
    const iy0 = 2 * ty - padT;
    const ix0 = 2 * tx - padL;
    const yok = inside4(iy0, h);
    const xok = inside4(ix0, w);
    const base = x + (<usize>(((img * h + iy0) * w + ix0) * ci) << 2);
    for (let c = 0; c < ci; c++) {
      const q = v + ((<usize>(tl * ci + c)) << 2);
      inputTileScalar(base + ((<usize>c) << 2), pix, row, q, kStride, yok, xok);
    }
  }
}

/** out as winogradConv, one channel at a time, GEMM sums over c in the same order. */
export function winogradConvScalar(
  x: usize,
  u: usize,
  bias: usize,
  res: usize,
  out: usize,
  v: usize,
  m: usize,
  n: i32,
  h: i32,
  w: i32,
  ci: i32,
  oh: i32,
  ow: i32,
  co: i32,
  padT: i32,
  padL: i32,
  relu: i32,
  tb: i32,
): void {
  const tilesY = (oh + 1) >> 1;
  const tilesX = (ow + 1) >> 1;
  const perImg = tilesY * tilesX;
  const total = n * perImg;
  const kv = (<usize>(tb * ci)) << 2;
  const km = (<usize>(tb * co)) << 2;
  const pix = (<usize>co) << 2;
  for (let t0 = 0; t0 < total; t0 += tb) {
    const cnt = min(tb, total - t0);
    inputTransformScalar(x, v, t0, cnt, tb, h, w, ci, tilesY, tilesX, padT, padL);
    for (let k = 0; k < 16; k++) {
      for (let tl = 0; tl < cnt; tl++) {
        for (let o = 0; o < co; o++) {
          let s: f32 = 0;
          for (let c = 0; c < ci; c++) {
            s += load<f32>(v + (<usize>k) * kv + ((<usize>(tl * ci + c)) << 2)) * load<f32>(u + ((<usize>((k * ci + c) * co + o)) << 2));
          }
          store<f32>(m + (<usize>k) * km + ((<usize>(tl * co + o)) << 2), s);
        }
      }
    }
    for (let tl = 0; tl < cnt; tl++) {
      const t = t0 + tl;
      const img = t / perImg;
      const r = t - img * perImg;
      const ty = r / tilesX;
      const tx = r - ty * tilesX;
      const oy = 2 * ty;
      const ox = 2 * tx;
      const p = out + (<usize>(((img * oh + oy) * ow + ox) * co) << 2);
      const rowB = (<usize>ow) * pix;
      for (let o = 0; o < co; o++) {
        const q = m + ((<usize>(tl * co + o)) << 2);
        const s00 = load<f32>(q) + load<f32>(q + km) + load<f32>(q + 2 * km);
        const s01 = load<f32>(q + km) - load<f32>(q + 2 * km) - load<f32>(q + 3 * km);
        const s10 = load<f32>(q + 4 * km) + load<f32>(q + 5 * km) + load<f32>(q + 6 * km);
        const s11 = load<f32>(q + 5 * km) - load<f32>(q + 6 * km) - load<f32>(q + 7 * km);
        const s20 = load<f32>(q + 8 * km) + load<f32>(q + 9 * km) + load<f32>(q + 10 * km);
        const s21 = load<f32>(q + 9 * km) - load<f32>(q + 10 * km) - load<f32>(q + 11 * km);
        const s30 = load<f32>(q + 12 * km) + load<f32>(q + 13 * km) + load<f32>(q + 14 * km);
        const s31 = load<f32>(q + 13 * km) - load<f32>(q + 14 * km) - load<f32>(q + 15 * km);
        let y00 = s00 + s10 + s20;
        let y01 = s01 + s11 + s21;
        let y10 = s10 - s20 - s30;
        let y11 = s11 - s21 - s31;
        if (bias) {
          const b = load<f32>(bias + ((<usize>o) << 2));
          y00 += b;
          y01 += b;
          y10 += b;
          y11 += b;
        }
        if (res) {
          const rp = res + (p - out) + ((<usize>o) << 2);
          y00 += load<f32>(rp);
          if (ox + 1 < ow) y01 += load<f32>(rp + pix);
          if (oy + 1 < oh) {
            y10 += load<f32>(rp + rowB);
            if (ox + 1 < ow) y11 += load<f32>(rp + rowB + pix);
          }
        }
        if (relu) {
          // f32x4.max semantics for the values that occur (no NaN inputs expected; NaN propagates).
          y00 = fmax(y00);
          y01 = fmax(y01);
          y10 = fmax(y10);
          y11 = fmax(y11);
        }
        const d = p + ((<usize>o) << 2);
        store<f32>(d, y00);
        if (ox + 1 < ow) store<f32>(d + pix, y01);
        if (oy + 1 < oh) {
          store<f32>(d + rowB, y10);
          if (ox + 1 < ow) store<f32>(d + rowB + pix, y11);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function fmax(a: f32): f32 {
  return max<f32>(a, 0);
}

/** dw as winogradFilterGrad, one channel at a time, sums over tiles in the same order. */
export function winogradFilterGradScalar(
  x: usize,
  dy: usize,
  dw: usize,
  v: usize,
  z: usize,
  acc: usize,
  n: i32,
  h: i32,
  w: i32,
  ci: i32,
  oh: i32,
  ow: i32,
  co: i32,
  padT: i32,
  padL: i32,
  tb: i32,
): void {
  memory.fill(acc, 0, (<usize>(16 * ci * co)) << 2);
  const tilesY = (oh + 1) >> 1;
  const tilesX = (ow + 1) >> 1;
  const perImg = tilesY * tilesX;
  const total = n * perImg;
  const kv = (<usize>(tb * ci)) << 2;
  const kz = (<usize>(tb * co)) << 2;
  const pix = (<usize>co) << 2;
  const rowB = (<usize>ow) * pix;
  for (let t0 = 0; t0 < total; t0 += tb) {
    const cnt = min(tb, total - t0);
    inputTransformScalar(x, v, t0, cnt, tb, h, w, ci, tilesY, tilesX, padT, padL);
    for (let tl = 0; tl < cnt; tl++) {
      const t = t0 + tl;
      const img = t / perImg;
      const r = t - img * perImg;
      const ty = r / tilesX;
      const tx = r - ty * tilesX;
      const down = 2 * ty + 1 < oh;
      const right = 2 * tx + 1 < ow;
      const p = dy + (<usize>(((img * oh + 2 * ty) * ow + 2 * tx) * co) << 2);
      for (let o = 0; o < co; o++) {
        const s = p + ((<usize>o) << 2);
        const y00 = load<f32>(s);
        const y01 = ldf(s + pix, right);
        const y10 = ldf(s + rowB, down);
        const y11 = ldf(s + rowB + pix, down && right);
        const r00 = y00;
        const r01 = y00 + y01;
        const r02 = y00 - y01;
        const r03 = -y01;
        const r10 = y10;
        const r11 = y10 + y11;
        const r12 = y10 - y11;
        const r13 = -y11;
        const q = z + ((<usize>(tl * co + o)) << 2);
        store<f32>(q, r00);
        store<f32>(q + kz, r01);
        store<f32>(q + 2 * kz, r02);
        store<f32>(q + 3 * kz, r03);
        store<f32>(q + 4 * kz, r00 + r10);
        store<f32>(q + 5 * kz, r01 + r11);
        store<f32>(q + 6 * kz, r02 + r12);
        store<f32>(q + 7 * kz, r03 + r13);
        store<f32>(q + 8 * kz, r00 - r10);
        store<f32>(q + 9 * kz, r01 - r11);
        store<f32>(q + 10 * kz, r02 - r12);
        store<f32>(q + 11 * kz, r03 - r13);
        store<f32>(q + 12 * kz, -r10);
        store<f32>(q + 13 * kz, -r11);
        store<f32>(q + 14 * kz, -r12);
        store<f32>(q + 15 * kz, -r13);
      }
    }
    for (let k = 0; k < 16; k++) {
      for (let c = 0; c < ci; c++) {
        for (let o = 0; o < co; o++) {
          const a = acc + ((<usize>((k * ci + c) * co + o)) << 2);
          let s = load<f32>(a);
          for (let tl = 0; tl < cnt; tl++) {
            s += load<f32>(v + (<usize>k) * kv + ((<usize>(tl * ci + c)) << 2)) * load<f32>(z + (<usize>k) * kz + ((<usize>(tl * co + o)) << 2));
          }
          store<f32>(a, s);
        }
      }
    }
  }
  filterGradOut(acc, dw, ci, co);
}
