// Gradient kernels of a 2-D convolution, f32, NHWC activations and HWIO filters (TensorFlow's
// layouts, which tfjs uses). Pointers are byte offsets into the memory this module imports: the
// heap of tfjs-backend-wasm, so the kernels read and write tfjs tensors in place.
//
// Geometry (TensorFlow conv semantics): output pixel (oy, ox) with filter tap (ky, kx) reads the
// input pixel iy = oy·sh − padT + ky·dh, ix = ox·sw − padL + kx·dw; taps that fall outside the
// input read zeros. The valid output range of a tap is therefore a contiguous interval, computed
// once per tap, so the inner loops carry no bounds checks.
//
// Each SIMD kernel has a scalar twin with the same loop order. SIMD lanes here are independent
// outputs (no horizontal sums), and f32x4.mul then f32x4.add rounds exactly like scalar f32 * then
// + (no fused multiply-add), so a SIMD kernel and its twin agree bit for bit.

/** floor(a / b) for b > 0. */
// @ts-ignore: decorator
@inline
function floorDiv(a: i32, b: i32): i32 {
  const q = a / b;
  return a % b != 0 && a < 0 ? q - 1 : q;
}

/** First output index o ≥ 0 whose input index o·s − pad + k·d is ≥ 0. */
// @ts-ignore: decorator
@inline
function validLo(pad: i32, k: i32, d: i32, s: i32): i32 {
  const lo = -floorDiv(k * d - pad, s);
  return lo > 0 ? lo : 0;
}

/** One past the last output index o < outSize whose input index is < inSize. */
// @ts-ignore: decorator
@inline
function validHi(inSize: i32, outSize: i32, pad: i32, k: i32, d: i32, s: i32): i32 {
  const hi = floorDiv(inSize - 1 + pad - k * d, s) + 1;
  return hi < outSize ? hi : outSize;
}

/**
 * dW[ky, kx, c, o] = Σ_{img, oy, ox} x[img, iy, ix, c] · dy[img, oy, ox, o]  (overwrites dw).
 * Register tile: 4 input channels × 8 output channels (8 f32x4 accumulators) over all pixels of
 * one image and one tap; remainders use a 1 × 8 tile, then scalars.
 */
export function conv2dBackpropFilterSimd(
  x: usize,
  dy: usize,
  dw: usize,
  n: i32,
  h: i32,
  w: i32,
  ci: i32,
  oh: i32,
  ow: i32,
  co: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  dh: i32,
  dwl: i32,
  padT: i32,
  padL: i32,
): void {
  memory.fill(dw, 0, (<usize>(kh * kw * ci * co)) << 2);
  const ci4 = ci & ~3;
  const co8 = co & ~7;
  const xStep = (<usize>(sw * ci)) << 2;
  const dyStep = (<usize>co) << 2;
  const rowB = (<usize>co) << 2; // bytes between dW rows c and c + 1
  for (let img = 0; img < n; img++) {
    for (let ky = 0; ky < kh; ky++) {
      const yLo = validLo(padT, ky, dh, sh);
      const yHi = validHi(h, oh, padT, ky, dh, sh);
      if (yLo >= yHi) continue;
      for (let kx = 0; kx < kw; kx++) {
        const xLo = validLo(padL, kx, dwl, sw);
        const xHi = validHi(w, ow, padL, kx, dwl, sw);
        if (xLo >= xHi) continue;
        const cnt = xHi - xLo;
        const tap = dw + ((<usize>((ky * kw + kx) * ci * co)) << 2);
        const ix0 = xLo * sw - padL + kx * dwl;
        for (let c0 = 0; c0 < ci4; c0 += 4) {
          for (let o0 = 0; o0 < co8; o0 += 8) {
            const wp = tap + ((<usize>(c0 * co + o0)) << 2);
            let a00 = v128.load(wp);
            let a01 = v128.load(wp, 16);
            let a10 = v128.load(wp + rowB);
            let a11 = v128.load(wp + rowB, 16);
            let a20 = v128.load(wp + 2 * rowB);
            let a21 = v128.load(wp + 2 * rowB, 16);
            let a30 = v128.load(wp + 3 * rowB);
            let a31 = v128.load(wp + 3 * rowB, 16);
            for (let y = yLo; y < yHi; y++) {
              const iy = y * sh - padT + ky * dh;
              let xp = x + ((<usize>(((img * h + iy) * w + ix0) * ci + c0)) << 2);
              let dp = dy + ((<usize>(((img * oh + y) * ow + xLo) * co + o0)) << 2);
              for (let j = 0; j < cnt; j++) {
                const d0 = v128.load(dp);
                const d1 = v128.load(dp, 16);
                const x0 = v128.load32_splat(xp);
                const x1 = v128.load32_splat(xp, 4);
                const x2 = v128.load32_splat(xp, 8);
                const x3 = v128.load32_splat(xp, 12);
                a00 = f32x4.add(a00, f32x4.mul(x0, d0));
                a01 = f32x4.add(a01, f32x4.mul(x0, d1));
                a10 = f32x4.add(a10, f32x4.mul(x1, d0));
                a11 = f32x4.add(a11, f32x4.mul(x1, d1));
                a20 = f32x4.add(a20, f32x4.mul(x2, d0));
                a21 = f32x4.add(a21, f32x4.mul(x2, d1));
                a30 = f32x4.add(a30, f32x4.mul(x3, d0));
                a31 = f32x4.add(a31, f32x4.mul(x3, d1));
                xp += xStep;
                dp += dyStep;
              }
            }
            v128.store(wp, a00);
            v128.store(wp, a01, 16);
            v128.store(wp + rowB, a10);
            v128.store(wp + rowB, a11, 16);
            v128.store(wp + 2 * rowB, a20);
            v128.store(wp + 2 * rowB, a21, 16);
            v128.store(wp + 3 * rowB, a30);
            v128.store(wp + 3 * rowB, a31, 16);
          }
        }
        // Channels left over from the 4-wide tiles, one at a time with 8-wide output tiles.
        for (let c = ci4; c < ci; c++) {
          for (let o0 = 0; o0 < co8; o0 += 8) {
            const wp = tap + ((<usize>(c * co + o0)) << 2);
            let a0 = v128.load(wp);
            let a1 = v128.load(wp, 16);
            for (let y = yLo; y < yHi; y++) {
              const iy = y * sh - padT + ky * dh;
              let xp = x + ((<usize>(((img * h + iy) * w + ix0) * ci + c)) << 2);
              let dp = dy + ((<usize>(((img * oh + y) * ow + xLo) * co + o0)) << 2);
              for (let j = 0; j < cnt; j++) {
                const xv = v128.load32_splat(xp);
                a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(dp)));
                a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(dp, 16)));
                xp += xStep;
                dp += dyStep;
              }
            }
            v128.store(wp, a0);
            v128.store(wp, a1, 16);
          }
        }
        // Output channels left over from the 8-wide tiles, for every input channel.
        if (co8 < co) {
          filterTapScalar(x, dy, tap, img, h, w, ci, oh, ow, co, ky, kx, sh, sw, dh, dwl, padT, padL, 0, ci, co8, co);
        }
      }
    }
  }
}

/** Scalar dW accumulation of one image and one tap over channels [c0, c1) × [o0, o1). */
function filterTapScalar(
  x: usize,
  dy: usize,
  tap: usize,
  img: i32,
  h: i32,
  w: i32,
  ci: i32,
  oh: i32,
  ow: i32,
  co: i32,
  ky: i32,
  kx: i32,
  sh: i32,
  sw: i32,
  dh: i32,
  dwl: i32,
  padT: i32,
  padL: i32,
  c0: i32,
  c1: i32,
  o0: i32,
  o1: i32,
): void {
  const yLo = validLo(padT, ky, dh, sh);
  const yHi = validHi(h, oh, padT, ky, dh, sh);
  const xLo = validLo(padL, kx, dwl, sw);
  const xHi = validHi(w, ow, padL, kx, dwl, sw);
  for (let c = c0; c < c1; c++) {
    for (let o = o0; o < o1; o++) {
      const wp = tap + ((<usize>(c * co + o)) << 2);
      let acc = load<f32>(wp);
      for (let y = yLo; y < yHi; y++) {
        const iy = y * sh - padT + ky * dh;
        for (let xo = xLo; xo < xHi; xo++) {
          const ix = xo * sw - padL + kx * dwl;
          const xv = load<f32>(x + ((<usize>(((img * h + iy) * w + ix) * ci + c)) << 2));
          const dv = load<f32>(dy + ((<usize>(((img * oh + y) * ow + xo) * co + o)) << 2));
          acc += xv * dv;
        }
      }
      store<f32>(wp, acc);
    }
  }
}

/** Scalar twin of conv2dBackpropFilterSimd (same summation order per output element). */
export function conv2dBackpropFilterScalar(
  x: usize,
  dy: usize,
  dw: usize,
  n: i32,
  h: i32,
  w: i32,
  ci: i32,
  oh: i32,
  ow: i32,
  co: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  dh: i32,
  dwl: i32,
  padT: i32,
  padL: i32,
): void {
  memory.fill(dw, 0, (<usize>(kh * kw * ci * co)) << 2);
  for (let img = 0; img < n; img++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const tap = dw + ((<usize>((ky * kw + kx) * ci * co)) << 2);
        filterTapScalar(x, dy, tap, img, h, w, ci, oh, ow, co, ky, kx, sh, sw, dh, dwl, padT, padL, 0, ci, 0, co);
      }
    }
  }
}

/** wt[ky, kx, o, c] = w[ky, kx, c, o]: the filter with its channel axes swapped, so that the
 * input-gradient kernel reads input channels contiguously. */
function transposeFilter(wf: usize, wt: usize, taps: i32, ci: i32, co: i32): void {
  for (let t = 0; t < taps; t++) {
    const base = (<usize>(t * ci * co)) << 2;
    for (let c = 0; c < ci; c++) {
      for (let o = 0; o < co; o++) {
        store<f32>(wt + base + ((<usize>(o * ci + c)) << 2), load<f32>(wf + base + ((<usize>(c * co + o)) << 2)));
      }
    }
  }
}

/**
 * Where output pixel p (flattened oy·ow + ox) of one image lands in the input for tap (ky, kx):
 * the byte offset of dx[img, iy, ix, 0], or 0 when the tap reads padding there.
 */
// @ts-ignore: decorator
@inline
function inputTarget(
  dx: usize,
  p: i32,
  img: i32,
  h: i32,
  w: i32,
  ci: i32,
  ow: i32,
  ky: i32,
  kx: i32,
  sh: i32,
  sw: i32,
  dh: i32,
  dwl: i32,
  padT: i32,
  padL: i32,
): usize {
  const y = p / ow;
  const xo = p - y * ow;
  const iy = y * sh - padT + ky * dh;
  const ix = xo * sw - padL + kx * dwl;
  if (iy < 0 || iy >= h || ix < 0 || ix >= w) return 0;
  return dx + ((<usize>(((img * h + iy) * w + ix) * ci)) << 2);
}

/**
 * dx[img, iy, ix, c] = Σ_{oy, ox, ky, kx, o} dy[img, oy, ox, o] · w[ky, kx, c, o] over the
 * (oy, ox, ky, kx) that read (iy, ix)  (overwrites dx). Scatter form: each output pixel and tap
 * adds W[tap] · dy[pixel] to one input pixel, which handles any stride and dilation without
 * zero-stuffing. Register tile: 4 consecutive output pixels of the flattened image (across row
 * ends, so narrow late-stage maps such as 7×7 keep full tiles) × 8 input channels; a pixel whose
 * tap reads padding is computed and dropped. The 4 pixels of a tile land on 4 distinct inputs.
 * `wt` is caller-owned scratch of kh·kw·ci·co f32s (the transposed filter).
 */
export function conv2dBackpropInputSimd(
  dy: usize,
  wf: usize,
  dx: usize,
  wt: usize,
  n: i32,
  h: i32,
  w: i32,
  ci: i32,
  oh: i32,
  ow: i32,
  co: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  dh: i32,
  dwl: i32,
  padT: i32,
  padL: i32,
): void {
  memory.fill(dx, 0, (<usize>(n * h * w * ci)) << 2);
  transposeFilter(wf, wt, kh * kw, ci, co);
  const ci8 = ci & ~7;
  const ci4 = ci & ~3;
  const pixB = (<usize>co) << 2; // bytes between consecutive output pixels of dy
  const wRowB = (<usize>ci) << 2; // bytes between rows o and o + 1 of wt
  const np = oh * ow;
  for (let img = 0; img < n; img++) {
    const dyImg = dy + ((<usize>(img * np * co)) << 2);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const wtap = wt + ((<usize>((ky * kw + kx) * co * ci)) << 2);
        let p = 0;
        for (; p + 4 <= np; p += 4) {
          const q0 = inputTarget(dx, p, img, h, w, ci, ow, ky, kx, sh, sw, dh, dwl, padT, padL);
          const q1 = inputTarget(dx, p + 1, img, h, w, ci, ow, ky, kx, sh, sw, dh, dwl, padT, padL);
          const q2 = inputTarget(dx, p + 2, img, h, w, ci, ow, ky, kx, sh, sw, dh, dwl, padT, padL);
          const q3 = inputTarget(dx, p + 3, img, h, w, ci, ow, ky, kx, sh, sw, dh, dwl, padT, padL);
          if ((q0 | q1 | q2 | q3) == 0) continue;
          const dp0 = dyImg + (<usize>p) * pixB;
          for (let c0 = 0; c0 < ci8; c0 += 8) {
            let a00 = f32x4.splat(0);
            let a01 = f32x4.splat(0);
            let a10 = f32x4.splat(0);
            let a11 = f32x4.splat(0);
            let a20 = f32x4.splat(0);
            let a21 = f32x4.splat(0);
            let a30 = f32x4.splat(0);
            let a31 = f32x4.splat(0);
            let dp = dp0;
            let wp = wtap + ((<usize>c0) << 2);
            for (let o = 0; o < co; o++) {
              const w0 = v128.load(wp);
              const w1 = v128.load(wp, 16);
              const s0 = v128.load32_splat(dp);
              const s1 = v128.load32_splat(dp + pixB);
              const s2 = v128.load32_splat(dp + 2 * pixB);
              const s3 = v128.load32_splat(dp + 3 * pixB);
              a00 = f32x4.add(a00, f32x4.mul(s0, w0));
              a01 = f32x4.add(a01, f32x4.mul(s0, w1));
              a10 = f32x4.add(a10, f32x4.mul(s1, w0));
              a11 = f32x4.add(a11, f32x4.mul(s1, w1));
              a20 = f32x4.add(a20, f32x4.mul(s2, w0));
              a21 = f32x4.add(a21, f32x4.mul(s2, w1));
              a30 = f32x4.add(a30, f32x4.mul(s3, w0));
              a31 = f32x4.add(a31, f32x4.mul(s3, w1));
              dp += 4;
              wp += wRowB;
            }
            const off = (<usize>c0) << 2;
            if (q0 != 0) {
              v128.store(q0 + off, f32x4.add(v128.load(q0 + off), a00));
              v128.store(q0 + off, f32x4.add(v128.load(q0 + off, 16), a01), 16);
            }
            if (q1 != 0) {
              v128.store(q1 + off, f32x4.add(v128.load(q1 + off), a10));
              v128.store(q1 + off, f32x4.add(v128.load(q1 + off, 16), a11), 16);
            }
            if (q2 != 0) {
              v128.store(q2 + off, f32x4.add(v128.load(q2 + off), a20));
              v128.store(q2 + off, f32x4.add(v128.load(q2 + off, 16), a21), 16);
            }
            if (q3 != 0) {
              v128.store(q3 + off, f32x4.add(v128.load(q3 + off), a30));
              v128.store(q3 + off, f32x4.add(v128.load(q3 + off, 16), a31), 16);
            }
          }
          if (ci < 4) {
            // Few input channels (a network's stem, whose input gradient tfjs's fused-conv
            // gradient computes though nothing uses it): the tile's 4 pixels as the 4 lanes, each
            // lane the same left-to-right sum over o as inputPixelRest, so results are unchanged.
            for (let c = 0; c < ci; c++) {
              let a = f32x4.splat(0);
              let dp = dp0;
              let wp = wtap + ((<usize>c) << 2);
              for (let o = 0; o < co; o++) {
                let v = v128.load32_zero(dp);
                v = v128.load32_lane(dp + pixB, v, 1);
                v = v128.load32_lane(dp + 2 * pixB, v, 2);
                v = v128.load32_lane(dp + 3 * pixB, v, 3);
                a = f32x4.add(a, f32x4.mul(v, v128.load32_splat(wp)));
                dp += 4;
                wp += wRowB;
              }
              const off = (<usize>c) << 2;
              if (q0 != 0) store<f32>(q0 + off, load<f32>(q0 + off) + f32x4.extract_lane(a, 0));
              if (q1 != 0) store<f32>(q1 + off, load<f32>(q1 + off) + f32x4.extract_lane(a, 1));
              if (q2 != 0) store<f32>(q2 + off, load<f32>(q2 + off) + f32x4.extract_lane(a, 2));
              if (q3 != 0) store<f32>(q3 + off, load<f32>(q3 + off) + f32x4.extract_lane(a, 3));
            }
          } else if (ci8 < ci) {
            // Channels left over from the 8-wide tiles: one pixel at a time.
            if (q0 != 0) inputPixelRest(dp0, wtap, q0, ci, co, ci8, ci4);
            if (q1 != 0) inputPixelRest(dp0 + pixB, wtap, q1, ci, co, ci8, ci4);
            if (q2 != 0) inputPixelRest(dp0 + 2 * pixB, wtap, q2, ci, co, ci8, ci4);
            if (q3 != 0) inputPixelRest(dp0 + 3 * pixB, wtap, q3, ci, co, ci8, ci4);
          }
        }
        // Pixels left over from the 4-pixel tiles: every channel, one pixel at a time.
        for (; p < np; p++) {
          const q = inputTarget(dx, p, img, h, w, ci, ow, ky, kx, sh, sw, dh, dwl, padT, padL);
          if (q != 0) inputPixelRest(dyImg + (<usize>p) * pixB, wtap, q, ci, co, 0, ci4);
        }
      }
    }
  }
}

/** dx[c] += Σ_o dy[o] · wt[o, c] for c in [c0, ci): 4-wide for c < ci4, then scalar. */
function inputPixelRest(dp0: usize, wtap: usize, dxp: usize, ci: i32, co: i32, c0: i32, ci4: i32): void {
  const wRowB = (<usize>ci) << 2;
  let c = c0;
  for (; c < ci4; c += 4) {
    let a = f32x4.splat(0);
    let wp = wtap + ((<usize>c) << 2);
    for (let o = 0; o < co; o++) {
      a = f32x4.add(a, f32x4.mul(v128.load32_splat(dp0 + ((<usize>o) << 2)), v128.load(wp)));
      wp += wRowB;
    }
    const q = dxp + ((<usize>c) << 2);
    v128.store(q, f32x4.add(v128.load(q), a));
  }
  for (; c < ci; c++) {
    let s: f32 = 0;
    let wp = wtap + ((<usize>c) << 2);
    for (let o = 0; o < co; o++) {
      s += load<f32>(dp0 + ((<usize>o) << 2)) * load<f32>(wp);
      wp += wRowB;
    }
    const q = dxp + ((<usize>c) << 2);
    store<f32>(q, load<f32>(q) + s);
  }
}

/** Scalar twin of conv2dBackpropInputSimd (same order of contributions to each dx element:
 * image, tap, output pixel; each a left-to-right sum over output channels). */
export function conv2dBackpropInputScalar(
  dy: usize,
  wf: usize,
  dx: usize,
  wt: usize,
  n: i32,
  h: i32,
  w: i32,
  ci: i32,
  oh: i32,
  ow: i32,
  co: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  dh: i32,
  dwl: i32,
  padT: i32,
  padL: i32,
): void {
  memory.fill(dx, 0, (<usize>(n * h * w * ci)) << 2);
  transposeFilter(wf, wt, kh * kw, ci, co);
  const np = oh * ow;
  for (let img = 0; img < n; img++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const wtap = wt + ((<usize>((ky * kw + kx) * co * ci)) << 2);
        for (let p = 0; p < np; p++) {
          const q = inputTarget(dx, p, img, h, w, ci, ow, ky, kx, sh, sw, dh, dwl, padT, padL);
          if (q == 0) continue;
          const dp0 = dy + ((<usize>((img * np + p) * co)) << 2);
          for (let c = 0; c < ci; c++) {
            let s: f32 = 0;
            for (let o = 0; o < co; o++) {
              s += load<f32>(dp0 + ((<usize>o) << 2)) * load<f32>(wtap + ((<usize>(o * ci + c)) << 2));
            }
            const qc = q + ((<usize>c) << 2);
            store<f32>(qc, load<f32>(qc) + s);
          }
        }
      }
    }
  }
}
