// Winograd F(4×4, 3×3) convolution (Lavin & Gray 2016, §4.2): the forward pass (with a flipped
// filter also the input gradient) and the filter gradient, at 36 multiplies per 4×4 output tile
// and channel pair where F(2×2, 3×3) (winograd.ts) needs 64 and the direct method 144. Its
// transforms carry larger constants (up to 8 and 1/24), so the result differs more from the direct
// sum than F(2×2, 3×3)'s: a few f32 ulps of the scale on the networks here (tested against the
// CPU backend in src/kernels/winograd.test.ts). src/kernels/winograd.ts picks between the two
// tile sizes by output size (prefersF4), in training as in inference.
//
//   Bᵀ = [[4,0,−5,0,1,0],[0,−4,−4,1,1,0],[0,4,−4,−1,1,0],[0,−2,−1,2,1,0],[0,2,−1,−2,1,0],[0,4,0,−5,0,1]]
//   G  = [[¼,0,0],[−⅙,−⅙,−⅙],[−⅙,⅙,−⅙],[1/24,1/12,⅙],[1/24,−1/12,⅙],[0,0,1]]
//   Aᵀ = [[1,1,1,1,1,0],[0,1,−1,2,−2,0],[0,1,1,4,4,0],[0,1,−1,8,−8,1]]
//
// Layouts as in winograd.ts with 36 positions: U (36, cin, cout), V (36, tb, cin), M (36, tb, cout);
// for the filter gradient Z (36, tb, cout) and acc (36, cin, cout); tmp: 160 f32 (40 v128) of
// scratch for the two-pass transforms. The scalar twins (winograd4ConvScalar,
// winograd4FilterGradScalar) do the same operations in the same order one channel at a time, so
// they agree with the SIMD kernels bit for bit.
import { ld, ldf } from "./masked";
import { blockGemm, gradGemm } from "./winograd";


/** U (36, a, b) from a 3×3 filter (flip as winogradFilter: 1 = the input-gradient filter). G g Gᵀ
 * in f64, rounded once to f32. */
export function winograd4Filter(w: usize, u: usize, a: i32, b: i32, flip: i32): void {
  const plane = <usize>(a * b) << 2;
  // Tap (ky, kx) of g: w[ky][kx] (flip: w[2 − ky][2 − kx]); its plane index in w.
  const t00 = <usize>(flip ? 8 : 0);
  const t01 = <usize>(flip ? 7 : 1);
  const t02 = <usize>(flip ? 6 : 2);
  const t10 = <usize>(flip ? 5 : 3);
  const t12 = <usize>(flip ? 3 : 5);
  const t20 = <usize>(flip ? 2 : 6);
  const t21 = <usize>(flip ? 1 : 7);
  const t22 = <usize>(flip ? 0 : 8);
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) {
      const src = flip ? w + ((<usize>(j * a + i)) << 2) : w + ((<usize>(i * b + j)) << 2);
      const g00 = <f64>load<f32>(src + plane * t00);
      const g01 = <f64>load<f32>(src + plane * t01);
      const g02 = <f64>load<f32>(src + plane * t02);
      const g10 = <f64>load<f32>(src + plane * t10);
      const g11 = <f64>load<f32>(src + plane * 4);
      const g12 = <f64>load<f32>(src + plane * t12);
      const g20 = <f64>load<f32>(src + plane * t20);
      const g21 = <f64>load<f32>(src + plane * t21);
      const g22 = <f64>load<f32>(src + plane * t22);
      // Row r of (G g) Gᵀ is G applied to row r of G g, whose column kx is G[r] · g[:, kx].
      const dst = u + ((<usize>(i * b + j)) << 2);
      for (let r = 0; r < 6; r++) {
        gRows(dst + plane * <usize>(r * 6), plane, gRow(r, g00, g10, g20), gRow(r, g01, g11, g21), gRow(r, g02, g12, g22));
      }
    }
  }
}

/** G (x0, x1, x2) rounded to f32, into q, q + plane, …, q + 5·plane. */
// @ts-ignore: decorator
@inline
function gRows(q: usize, plane: usize, x0: f64, x1: f64, x2: f64): void {
  store<f32>(q, <f32>gRow(0, x0, x1, x2));
  store<f32>(q + plane, <f32>gRow(1, x0, x1, x2));
  store<f32>(q + 2 * plane, <f32>gRow(2, x0, x1, x2));
  store<f32>(q + 3 * plane, <f32>gRow(3, x0, x1, x2));
  store<f32>(q + 4 * plane, <f32>gRow(4, x0, x1, x2));
  store<f32>(q + 5 * plane, <f32>gRow(5, x0, x1, x2));
}

/** Row r of G times (x0, x1, x2). */
// @ts-ignore: decorator
@inline
function gRow(r: i32, x0: f64, x1: f64, x2: f64): f64 {
  switch (r) {
    case 0:
      return x0 / 4;
    case 1:
      return -(x0 + x1 + x2) / 6;
    case 2:
      return -(x0 - x1 + x2) / 6;
    case 3:
      return x0 / 24 + x1 / 12 + x2 / 6;
    case 4:
      return x0 / 24 - x1 / 12 + x2 / 6;
    default:
      return x2;
  }
}

/** Bᵀ d for 6 values d0..d5 at p, p+s, …, written to q, q+t, …, q+5t (SIMD lanes = channels). */
// @ts-ignore: decorator
@inline
function bt6(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, q: usize, t: usize): void {
  const four = f32x4.splat(4);
  const five = f32x4.splat(5);
  const two = f32x4.splat(2);
  const a = f32x4.sub(d4, f32x4.mul(four, d2));
  const b = f32x4.sub(d3, f32x4.mul(four, d1));
  const c = f32x4.sub(d4, d2);
  const e = f32x4.mul(two, f32x4.sub(d3, d1));
  v128.store(q, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4));
  v128.store(q + t, f32x4.add(a, b));
  v128.store(q + 2 * t, f32x4.sub(a, b));
  v128.store(q + 3 * t, f32x4.add(c, e));
  v128.store(q + 4 * t, f32x4.sub(c, e));
  v128.store(q + 5 * t, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5));
}

// @ts-ignore: decorator
@inline
function bt6s(d0: f32, d1: f32, d2: f32, d3: f32, d4: f32, d5: f32, q: usize, t: usize): void {
  const a = d4 - 4 * d2;
  const b = d3 - 4 * d1;
  const c = d4 - d2;
  const e = (d3 - d1) * <f32>2;
  store<f32>(q, 4 * d0 - 5 * d2 + d4);
  store<f32>(q + t, a + b);
  store<f32>(q + 2 * t, a - b);
  store<f32>(q + 3 * t, c + e);
  store<f32>(q + 4 * t, c - e);
  store<f32>(q + 5 * t, 4 * d1 - 5 * d3 + d5);
}

/** V for the block's tiles: Bᵀ d B of each 6×6 patch at (4·ty − padT, 4·tx − padL), 4 channels
 * at a time; pass 1 (rows, along x) into tmp[r][j], pass 2 (columns, along y) into V[6i + j]. */
function inputTransform4(
  x: usize,
  v: usize,
  tmp: usize,
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
    const rr = t - img * perImg;
    const ty = rr / tilesX;
    const tx = rr - ty * tilesX;
    const iy0 = 4 * ty - padT;
    const ix0 = 4 * tx - padL;
    const inside = iy0 >= 0 && iy0 + 5 < h && ix0 >= 0 && ix0 + 5 < w;
    const base = x + (<usize>(((img * h + iy0) * w + ix0) * ci) << 2);
    const vb = v + ((<usize>(tl * ci)) << 2);
    for (let c = 0; c < ci; c += 4) {
      const p = base + ((<usize>c) << 2);
      for (let r = 0; r < 6; r++) {
        const pr = p + <usize>r * row;
        const q = tmp + (<usize>(r * 6) << 4);
        if (inside) {
          bt6(v128.load(pr), v128.load(pr + pix), v128.load(pr + 2 * pix), v128.load(pr + 3 * pix), v128.load(pr + 4 * pix), v128.load(pr + 5 * pix), q, 16);
        } else {
          const iy = iy0 + r;
          const yok = iy >= 0 && iy < h;
          bt6(
            ld(pr, yok && ix0 >= 0 && ix0 < w),
            ld(pr + pix, yok && ix0 + 1 >= 0 && ix0 + 1 < w),
            ld(pr + 2 * pix, yok && ix0 + 2 >= 0 && ix0 + 2 < w),
            ld(pr + 3 * pix, yok && ix0 + 3 >= 0 && ix0 + 3 < w),
            ld(pr + 4 * pix, yok && ix0 + 4 >= 0 && ix0 + 4 < w),
            ld(pr + 5 * pix, yok && ix0 + 5 >= 0 && ix0 + 5 < w),
            q,
            16,
          );
        }
      }
      const qv = vb + ((<usize>c) << 2);
      for (let j = 0; j < 6; j++) {
        const s = tmp + (<usize>j << 4);
        bt6(v128.load(s), v128.load(s, 96), v128.load(s, 192), v128.load(s, 288), v128.load(s, 384), v128.load(s, 480), qv + <usize>j * kStride, 6 * kStride);
      }
    }
  }
}

/** Aᵀ m for m0..m5 into 4 values. */
// @ts-ignore: decorator
@inline
function at6(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, q: usize, t: usize): void {
  const s = f32x4.add(m1, m2);
  const d = f32x4.sub(m1, m2);
  const s2 = f32x4.add(m3, m4);
  const d2 = f32x4.sub(m3, m4);
  v128.store(q, f32x4.add(f32x4.add(m0, s), s2));
  v128.store(q + t, f32x4.add(d, f32x4.mul(f32x4.splat(2), d2)));
  v128.store(q + 2 * t, f32x4.add(s, f32x4.mul(f32x4.splat(4), s2)));
  v128.store(q + 3 * t, f32x4.add(f32x4.add(d, f32x4.mul(f32x4.splat(8), d2)), m5));
}

// @ts-ignore: decorator
@inline
function at6s(m0: f32, m1: f32, m2: f32, m3: f32, m4: f32, m5: f32, q: usize, t: usize): void {
  const s = m1 + m2;
  const d = m1 - m2;
  const s2 = m3 + m4;
  const d2 = m3 - m4;
  store<f32>(q, m0 + s + s2);
  store<f32>(q + t, d + 2 * d2);
  store<f32>(q + 2 * t, s + 4 * s2);
  store<f32>(q + 3 * t, d + 8 * d2 + m5);
}

/** Y = Aᵀ M A (+ bias, relu) for the block's tiles: pass 1 along j (x) into tmp[i][0..3], pass 2
 * along i (y) into 4×4 outputs (clipped at the bottom/right edges). */
function outputTransform4(
  m: usize,
  bias: usize,
  res: usize,
  out: usize,
  tmp: usize,
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
  const rowB = (<usize>ow) * pix;
  const perImg = tilesY * tilesX;
  const zero = f32x4.splat(0);
  const y4 = tmp + 24 * 16; // 16 outputs of the second pass
  for (let tl = 0; tl < cnt; tl++) {
    const t = t0 + tl;
    const img = t / perImg;
    const rr = t - img * perImg;
    const ty = rr / tilesX;
    const tx = rr - ty * tilesX;
    const oy = 4 * ty;
    const ox = 4 * tx;
    const rows = min(4, oh - oy);
    const cols = min(4, ow - ox);
    const p = out + (<usize>(((img * oh + oy) * ow + ox) * co) << 2);
    const mb = m + ((<usize>(tl * co)) << 2);
    for (let o = 0; o < co; o += 4) {
      const q = mb + ((<usize>o) << 2);
      for (let i = 0; i < 6; i++) {
        const s = q + <usize>(6 * i) * kStride;
        at6(v128.load(s), v128.load(s + kStride), v128.load(s + 2 * kStride), v128.load(s + 3 * kStride), v128.load(s + 4 * kStride), v128.load(s + 5 * kStride), tmp + (<usize>(i * 4) << 4), 16);
      }
      for (let j = 0; j < 4; j++) {
        const s = tmp + (<usize>j << 4);
        at6(v128.load(s), v128.load(s, 64), v128.load(s, 128), v128.load(s, 192), v128.load(s, 256), v128.load(s, 320), y4 + (<usize>j << 4), 64);
      }
      const bv = bias ? v128.load(bias + ((<usize>o) << 2)) : zero;
      for (let a = 0; a < rows; a++) {
        for (let b = 0; b < cols; b++) {
          let y = v128.load(y4 + (<usize>(a * 4 + b) << 4));
          if (bias) y = f32x4.add(y, bv);
          const at = <usize>a * rowB + <usize>b * pix + ((<usize>o) << 2);
          // The residual sits where the output goes (res may be out itself: read before written).
          if (res) y = f32x4.add(y, v128.load(res + (p - out) + at));
          if (relu) y = f32x4.max(y, zero);
          v128.store(p + at, y);
        }
      }
    }
  }
}

/**
 * out (n, oh, ow, co) = conv3×3(x (n, h, w, ci), U) + bias (0 = none) + res (as winogradConv's),
 * then relu if relu ≠ 0, by F(4×4, 3×3). U from winograd4Filter. v: 36·tb·ci f32, m: 36·tb·co f32, tmp: 160 f32;
 * tb % 4 = 0, ci % 4 = 0, co % 4 = 0.
 */
export function winograd4Conv(
  x: usize,
  u: usize,
  bias: usize,
  res: usize,
  out: usize,
  v: usize,
  m: usize,
  tmp: usize,
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
  const tilesY = (oh + 3) >> 2;
  const tilesX = (ow + 3) >> 2;
  const total = n * tilesY * tilesX;
  for (let t0 = 0; t0 < total; t0 += tb) {
    const cnt = min(tb, total - t0);
    inputTransform4(x, v, tmp, t0, cnt, tb, h, w, ci, tilesY, tilesX, padT, padL);
    blockGemm(v, u, m, (cnt + 3) & ~3, tb, ci, co, 36);
    outputTransform4(m, bias, res, out, tmp, t0, cnt, tb, oh, ow, co, tilesY, tilesX, relu);
  }
}

/** winograd4Conv one channel at a time with the same operations in the same order. */
export function winograd4ConvScalar(
  x: usize,
  u: usize,
  bias: usize,
  res: usize,
  out: usize,
  v: usize,
  m: usize,
  tmp: usize,
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
  const tilesY = (oh + 3) >> 2;
  const tilesX = (ow + 3) >> 2;
  const perImg = tilesY * tilesX;
  const total = n * perImg;
  const kv = (<usize>(tb * ci)) << 2;
  const km = (<usize>(tb * co)) << 2;
  const pixI = (<usize>ci) << 2;
  const pixO = (<usize>co) << 2;
  for (let t0 = 0; t0 < total; t0 += tb) {
    const cnt = min(tb, total - t0);
    inputTransform4Scalar(x, v, tmp, t0, cnt, tb, h, w, ci, tilesY, tilesX, padT, padL);
    for (let k = 0; k < 36; k++) {
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
      const rr = t - img * perImg;
      const ty = rr / tilesX;
      const tx = rr - ty * tilesX;
      const oy = 4 * ty;
      const ox = 4 * tx;
      for (let o = 0; o < co; o++) {
        const q = m + ((<usize>(tl * co + o)) << 2);
        for (let i = 0; i < 6; i++) {
          const s = q + <usize>(6 * i) * km;
          at6s(load<f32>(s), load<f32>(s + km), load<f32>(s + 2 * km), load<f32>(s + 3 * km), load<f32>(s + 4 * km), load<f32>(s + 5 * km), tmp + (<usize>(i * 4) << 2), 4);
        }
        const y4 = tmp + 24 * 4;
        for (let j = 0; j < 4; j++) {
          const s = tmp + (<usize>j << 2);
          at6s(load<f32>(s), load<f32>(s, 16), load<f32>(s, 32), load<f32>(s, 48), load<f32>(s, 64), load<f32>(s, 80), y4 + (<usize>j << 2), 16);
        }
        const bv: f32 = bias ? load<f32>(bias + ((<usize>o) << 2)) : 0;
        for (let a = 0; a < 4 && oy + a < oh; a++) {
          for (let b = 0; b < 4 && ox + b < ow; b++) {
            let y = load<f32>(y4 + (<usize>(a * 4 + b) << 2));
            if (bias) y += bv;
            const at = (<usize>(((img * oh + oy + a) * ow + ox + b) * co + o)) << 2;
            if (res) y += load<f32>(res + at);
            if (relu) y = max<f32>(y, 0);
            store<f32>(out + at, y);
          }
        }
      }
    }
  }
}

/** inputTransform4 one channel at a time (the scalar twins' input transform). */
function inputTransform4Scalar(
  x: usize,
  v: usize,
  tmp: usize,
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
  const perImg = tilesY * tilesX;
  const kv = (<usize>(tb * ci)) << 2;
  const pixI = (<usize>ci) << 2;
  for (let tl = 0; tl < cnt; tl++) {
    const t = t0 + tl;
    const img = t / perImg;
    const rr = t - img * perImg;
    const ty = rr / tilesX;
    const tx = rr - ty * tilesX;
    const iy0 = 4 * ty - padT;
    const ix0 = 4 * tx - padL;
    for (let c = 0; c < ci; c++) {
      for (let r = 0; r < 6; r++) {
        const iy = iy0 + r;
        const yok = iy >= 0 && iy < h;
        const pr = x + (<usize>(((img * h + iy) * w + ix0) * ci + c) << 2);
        bt6s(
          ldf(pr, yok && ix0 >= 0 && ix0 < w),
          ldf(pr + pixI, yok && ix0 + 1 >= 0 && ix0 + 1 < w),
          ldf(pr + 2 * pixI, yok && ix0 + 2 >= 0 && ix0 + 2 < w),
          ldf(pr + 3 * pixI, yok && ix0 + 3 >= 0 && ix0 + 3 < w),
          ldf(pr + 4 * pixI, yok && ix0 + 4 >= 0 && ix0 + 4 < w),
          ldf(pr + 5 * pixI, yok && ix0 + 5 >= 0 && ix0 + 5 < w),
          tmp + (<usize>(r * 6) << 2),
          4,
        );
      }
      const qv = v + ((<usize>(tl * ci + c)) << 2);
      for (let j = 0; j < 6; j++) {
        const s = tmp + (<usize>j << 2);
        bt6s(load<f32>(s), load<f32>(s, 24), load<f32>(s, 48), load<f32>(s, 72), load<f32>(s, 96), load<f32>(s, 120), qv + <usize>j * kv, 6 * kv);
      }
    }
  }
}

/** Z[k][tl][o] = (A dY Aᵀ)[k / 6][k % 6] for the block's 4×4 output-gradient tiles (zero outside
 * the output), A = (Aᵀ)ᵀ (6 × 4); pass 1 along x into tmp[a][0..5], pass 2 along y. */
function gradTransform4(
  dy: usize,
  z: usize,
  tmp: usize,
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
  const rowB = (<usize>ow) * pix;
  const perImg = tilesY * tilesX;
  for (let tl = 0; tl < cnt; tl++) {
    const t = t0 + tl;
    const img = t / perImg;
    const rr = t - img * perImg;
    const ty = rr / tilesX;
    const tx = rr - ty * tilesX;
    const oy = 4 * ty;
    const ox = 4 * tx;
    const p = dy + (<usize>(((img * oh + oy) * ow + ox) * co) << 2);
    const zb = z + ((<usize>(tl * co)) << 2);
    const c1 = ox + 1 < ow;
    const c2 = ox + 2 < ow;
    const c3 = ox + 3 < ow;
    for (let o = 0; o < co; o += 4) {
      const s = p + ((<usize>o) << 2);
      for (let a = 0; a < 4; a++) {
        const ok = oy + a < oh;
        const pr = s + <usize>a * rowB;
        a6(ld(pr, ok), ld(pr + pix, ok && c1), ld(pr + 2 * pix, ok && c2), ld(pr + 3 * pix, ok && c3), tmp + (<usize>(a * 6) << 4), 16);
      }
      const q = zb + ((<usize>o) << 2);
      for (let j = 0; j < 6; j++) {
        const r = tmp + (<usize>j << 4);
        a6(v128.load(r), v128.load(r, 96), v128.load(r, 192), v128.load(r, 288), q + <usize>j * kStride, 6 * kStride);
      }
    }
  }
}

/** A y for a 4-vector y into 6 values: (y0, Σy, y0−y1+y2−y3, y0+2y1+4y2+8y3, y0−2y1+4y2−8y3, y3). */
// @ts-ignore: decorator
@inline
function a6(y0: v128, y1: v128, y2: v128, y3: v128, q: usize, t: usize): void {
  const e = f32x4.add(y0, y2);
  const o = f32x4.add(y1, y3);
  const e4 = f32x4.add(y0, f32x4.mul(f32x4.splat(4), y2));
  const o8 = f32x4.add(f32x4.mul(f32x4.splat(2), y1), f32x4.mul(f32x4.splat(8), y3));
  v128.store(q, y0);
  v128.store(q + t, f32x4.add(e, o));
  v128.store(q + 2 * t, f32x4.sub(e, o));
  v128.store(q + 3 * t, f32x4.add(e4, o8));
  v128.store(q + 4 * t, f32x4.sub(e4, o8));
  v128.store(q + 5 * t, y3);
}

// @ts-ignore: decorator
@inline
function a6s(y0: f32, y1: f32, y2: f32, y3: f32, q: usize, t: usize): void {
  const e = y0 + y2;
  const o = y1 + y3;
  const e4 = y0 + 4 * y2;
  const o8 = y1 * <f32>2 + y3 * <f32>8;
  store<f32>(q, y0);
  store<f32>(q + t, e + o);
  store<f32>(q + 2 * t, e - o);
  store<f32>(q + 3 * t, e4 + o8);
  store<f32>(q + 4 * t, e4 - o8);
  store<f32>(q + 5 * t, y3);
}

/** (Gᵀ m)[k] for a 6-vector m, k = 0, 1, 2 (f64). */
// @ts-ignore: decorator
@inline
function gt(k: i32, m0: f64, m1: f64, m2: f64, m3: f64, m4: f64, m5: f64): f64 {
  if (k == 0) return m0 / 4 - m1 / 6 - m2 / 6 + m3 / 24 + m4 / 24;
  if (k == 1) return -m1 / 6 + m2 / 6 + m3 / 12 - m4 / 12;
  return -m1 / 6 - m2 / 6 + m3 / 6 + m4 / 6 + m5;
}

/** dw (3, 3, ci, co) = Gᵀ acc G from the 36 accumulated (ci × co) products, in f64. */
function filterGradOut4(acc: usize, dw: usize, ci: i32, co: i32): void {
  const plane = (<usize>(ci * co)) << 2;
  for (let e = 0; e < ci * co; e++) {
    const s = acc + ((<usize>e) << 2);
    const d = dw + ((<usize>e) << 2);
    for (let kx = 0; kx < 3; kx++) {
      // Column kx of (acc G): for each row i, Σ_j acc[i][j] G[j][kx].
      const r0 = gtRow(s, plane, 0, kx);
      const r1 = gtRow(s, plane, 1, kx);
      const r2 = gtRow(s, plane, 2, kx);
      const r3 = gtRow(s, plane, 3, kx);
      const r4 = gtRow(s, plane, 4, kx);
      const r5 = gtRow(s, plane, 5, kx);
      for (let ky = 0; ky < 3; ky++) store<f32>(d + plane * <usize>(ky * 3 + kx), <f32>gt(ky, r0, r1, r2, r3, r4, r5));
    }
  }
}

// @ts-ignore: decorator
@inline
function gtRow(s: usize, plane: usize, i: i32, kx: i32): f64 {
  const p = s + plane * <usize>(i * 6);
  return gt(kx, <f64>load<f32>(p), <f64>load<f32>(p + plane), <f64>load<f32>(p + 2 * plane), <f64>load<f32>(p + 3 * plane), <f64>load<f32>(p + 4 * plane), <f64>load<f32>(p + 5 * plane));
}

/**
 * dw (3, 3, ci, co) of the 3×3 stride-1 convolution x (n, h, w, ci) → dy (n, oh, ow, co) by
 * F(4×4, 3×3) in the transform domain: dG = Gᵀ [Σ_tiles (Bᵀ d B) ⊙ (A dY Aᵀ)] G. Scratch: v
 * 36·tb·ci, z 36·tb·co, acc 36·ci·co, tmp 160 f32; ci % 4 = 0, co % 4 = 0.
 */
export function winograd4FilterGrad(
  x: usize,
  dy: usize,
  dw: usize,
  v: usize,
  z: usize,
  acc: usize,
  tmp: usize,
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
  memory.fill(acc, 0, (<usize>(36 * ci * co)) << 2);
  const tilesY = (oh + 3) >> 2;
  const tilesX = (ow + 3) >> 2;
  const total = n * tilesY * tilesX;
  for (let t0 = 0; t0 < total; t0 += tb) {
    const cnt = min(tb, total - t0);
    inputTransform4(x, v, tmp, t0, cnt, tb, h, w, ci, tilesY, tilesX, padT, padL);
    gradTransform4(dy, z, tmp, t0, cnt, tb, oh, ow, co, tilesY, tilesX);
    gradGemm(v, z, acc, cnt, tb, ci, co, 36);
  }
  filterGradOut4(acc, dw, ci, co);
}

/** winograd4FilterGrad one channel at a time with the same operations in the same order. */
export function winograd4FilterGradScalar(
  x: usize,
  dy: usize,
  dw: usize,
  v: usize,
  z: usize,
  acc: usize,
  tmp: usize,
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
  memory.fill(acc, 0, (<usize>(36 * ci * co)) << 2);
  const tilesY = (oh + 3) >> 2;
  const tilesX = (ow + 3) >> 2;
  const perImg = tilesY * tilesX;
  const total = n * perImg;
  const kv = (<usize>(tb * ci)) << 2;
  const kz = (<usize>(tb * co)) << 2;
  const pix = (<usize>co) << 2;
  const rowB = (<usize>ow) * pix;
  for (let t0 = 0; t0 < total; t0 += tb) {
    const cnt = min(tb, total - t0);
    inputTransform4Scalar(x, v, tmp, t0, cnt, tb, h, w, ci, tilesY, tilesX, padT, padL);
    for (let tl = 0; tl < cnt; tl++) {
      const t = t0 + tl;
      const img = t / perImg;
      const rr = t - img * perImg;
      const ty = rr / tilesX;
      const tx = rr - ty * tilesX;
      const oy = 4 * ty;
      const ox = 4 * tx;
      const p = dy + (<usize>(((img * oh + oy) * ow + ox) * co) << 2);
      for (let o = 0; o < co; o++) {
        const s = p + ((<usize>o) << 2);
        for (let a = 0; a < 4; a++) {
          const ok = oy + a < oh;
          const pr = s + <usize>a * rowB;
          a6s(ldf(pr, ok), ldf(pr + pix, ok && ox + 1 < ow), ldf(pr + 2 * pix, ok && ox + 2 < ow), ldf(pr + 3 * pix, ok && ox + 3 < ow), tmp + (<usize>(a * 6) << 2), 4);
        }
        const q = z + ((<usize>(tl * co + o)) << 2);
        for (let j = 0; j < 6; j++) {
          const r = tmp + (<usize>j << 2);
          a6s(load<f32>(r), load<f32>(r, 24), load<f32>(r, 48), load<f32>(r, 72), q + <usize>j * kz, 6 * kz);
        }
      }
    }
    for (let k = 0; k < 36; k++) {
      for (let c = 0; c < ci; c++) {
        for (let o = 0; o < co; o++) {
          const a = acc + ((<usize>((k * ci + c) * co + o)) << 2);
          let sum = load<f32>(a);
          for (let tl = 0; tl < cnt; tl++) {
            sum += load<f32>(v + (<usize>k) * kv + ((<usize>(tl * ci + c)) << 2)) * load<f32>(z + (<usize>k) * kz + ((<usize>(tl * co + o)) << 2));
          }
          store<f32>(a, sum);
        }
      }
    }
  }
  filterGradOut4(acc, dw, ci, co);
}
