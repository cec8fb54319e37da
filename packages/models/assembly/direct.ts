// Direct forward convolution, f32, NHWC input (n, h, w, ci), HWIO filter (kh, kw, ci, co):
// TensorFlow's layouts, which tfjs uses. For the convolutions Winograd does not take (winograd.ts,
// winograd4.ts: 3×3 stride 1 with channel counts that are multiples of 4): the shipped ResNet's
// stride-2 3×3 convolutions, its 1×1 stride-2 projection shortcuts and its one-channel stem, which
// otherwise go to XNNPACK (tfjs-backend-wasm's FusedConv2D). Pointers are byte offsets into the
// memory this module imports (the heap of tfjs-backend-wasm).
//
//   out[img, oy, ox, o] = relu?(((Σ_{ky, kx, c} x[img, iy, ix, c] · w[ky, kx, c, o]) + bias[o]) + res[img, oy, ox, o])
//   iy = oy·sh − padT + ky, ix = ox·sw − padL + kx
//
// The sum starts at 0 and runs over ky, then kx, then c, each ascending; taps whose (iy, ix) falls
// outside the input are skipped (zero padding; the bottom/right padding is whatever oh, ow imply).
// Then + bias[o] (bias ≠ 0), + res (res ≠ 0), max(y, 0) (relu ≠ 0). `out` may be `res` itself
// (an in-place residual add): every res element is read before the out element at its place is
// written, and no output is written twice.
//
// directConvScalar computes exactly that, one output at a time. directConv keeps the order per
// output: its SIMD lanes are 4 consecutive output channels (independent sums, no horizontal adds),
// and f32x4.mul then f32x4.add rounds as scalar f32 * then + does (wasm has no fused
// multiply-add), so the two agree bit for bit.
//
// Register tile: 4 output pixels × 8 output channels (8 f32x4 accumulators; with the 4 splatted
// inputs and 2 weight vectors, 14 of x64's 16 vector registers), as conv.ts's kernels. The taps
// that read inside the input form, per output pixel, a rectangle [kyLo, kyHi) × [kxLo, kxHi), so
// there are no bounds checks inside the loops: directConv groups the pixels that share one, and
// for fixed ky the pairs (kx, c) of that range are contiguous both in x (x[iy, ix0 + kx, c] lies
// kx·ci + c floats after x[iy, ix0, 0]) and in w (rows of co floats), so one loop of
// (kxHi − kxLo)·ci steps covers them in (kx, c) order; the one-channel stem (ci = 1) needs no case
// of its own. Output channels: tiles of 8, then of 4 (co % 8 = 4), then scalars (co % 4 ≠ 0).
//
// Measured against XNNPACK on those shapes at batch 64 (bench/direct-conv.mjs, CPU time, best of
// 3 rounds, three runs on a 2-core VM): stride-2 3×3 1.3–1.65× faster, the stem 1.1–1.35×, the
// 1×1 projections 0.98–1.18×. The pixel tiles run across row and image ends: with tiles confined
// to a row and border columns done one pixel at a time, the 4×4-output stride-2 convolution
// (7 → 4 px, mostly border) ran at 0.85× XNNPACK's speed instead.

/** y (+ bias) (+ res) (then relu) stored at op; rp is res's element at op's place (read first). */
// @ts-ignore: decorator
@inline
function finish4(y: v128, bp: usize, rp: usize, op: usize, bias: usize, res: usize, relu: i32): void {
  if (bias) y = f32x4.add(y, v128.load(bp));
  if (res) y = f32x4.add(y, v128.load(rp));
  if (relu) y = f32x4.max(y, f32x4.splat(0));
  v128.store(op, y);
}

// @ts-ignore: decorator
@inline
function finish1(y: f32, bp: usize, rp: usize, op: usize, bias: usize, res: usize, relu: i32): void {
  if (bias) y += load<f32>(bp);
  if (res) y += load<f32>(rp);
  if (relu) y = max<f32>(y, 0);
  store<f32>(op, y);
}

/**
 * 4 output pixels × every output channel. Pixel p reads x from xp_p (its first valid tap: row
 * kyLo, column kxLo, channel 0) and writes out at op_p (channel 0); for each of the `kys` valid ky
 * (x rows xRowB apart, filter rows wRowB apart from wp), `steps` contiguous (kx, c) pairs. Only
 * pixels p < cnt are stored (the others repeat pixel 0 to fill the tile). rd = res − out,
 * so a pixel's residual is at op_p + rd. Channels: 8 at a time, then 4, then scalars.
 */
function tile4(
  xp0: usize,
  xp1: usize,
  xp2: usize,
  xp3: usize,
  op0: usize,
  op1: usize,
  op2: usize,
  op3: usize,
  cnt: i32,
  wp: usize,
  xRowB: usize,
  wRowB: usize,
  kys: i32,
  steps: i32,
  co: i32,
  bias: usize,
  res: usize,
  rd: usize,
  relu: i32,
): void {
  const coB = (<usize>co) << 2;
  const co8 = co & ~7;
  const co4 = co & ~3;
  let o = 0;
  for (; o < co8; o += 8) {
    const ob = (<usize>o) << 2;
    let a00 = f32x4.splat(0);
    let a01 = f32x4.splat(0);
    let a10 = f32x4.splat(0);
    let a11 = f32x4.splat(0);
    let a20 = f32x4.splat(0);
    let a21 = f32x4.splat(0);
    let a30 = f32x4.splat(0);
    let a31 = f32x4.splat(0);
    for (let ky = 0; ky < kys; ky++) {
      let xo = (<usize>ky) * xRowB;
      let wq = wp + (<usize>ky) * wRowB + ob;
      for (let j = 0; j < steps; j++) {
        const w0 = v128.load(wq);
        const w1 = v128.load(wq, 16);
        const s0 = v128.load32_splat(xp0 + xo);
        const s1 = v128.load32_splat(xp1 + xo);
        const s2 = v128.load32_splat(xp2 + xo);
        const s3 = v128.load32_splat(xp3 + xo);
        a00 = f32x4.add(a00, f32x4.mul(s0, w0));
        a01 = f32x4.add(a01, f32x4.mul(s0, w1));
        a10 = f32x4.add(a10, f32x4.mul(s1, w0));
        a11 = f32x4.add(a11, f32x4.mul(s1, w1));
        a20 = f32x4.add(a20, f32x4.mul(s2, w0));
        a21 = f32x4.add(a21, f32x4.mul(s2, w1));
        a30 = f32x4.add(a30, f32x4.mul(s3, w0));
        a31 = f32x4.add(a31, f32x4.mul(s3, w1));
        xo += 4;
        wq += coB;
      }
    }
    const bp = bias + ob;
    finish4(a00, bp, op0 + ob + rd, op0 + ob, bias, res, relu);
    finish4(a01, bp + 16, op0 + ob + 16 + rd, op0 + ob + 16, bias, res, relu);
    if (cnt > 1) {
      finish4(a10, bp, op1 + ob + rd, op1 + ob, bias, res, relu);
      finish4(a11, bp + 16, op1 + ob + 16 + rd, op1 + ob + 16, bias, res, relu);
    }
    if (cnt > 2) {
      finish4(a20, bp, op2 + ob + rd, op2 + ob, bias, res, relu);
      finish4(a21, bp + 16, op2 + ob + 16 + rd, op2 + ob + 16, bias, res, relu);
    }
    if (cnt > 3) {
      finish4(a30, bp, op3 + ob + rd, op3 + ob, bias, res, relu);
      finish4(a31, bp + 16, op3 + ob + 16 + rd, op3 + ob + 16, bias, res, relu);
    }
  }
  if (o < co4) {
    const ob = (<usize>o) << 2;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    for (let ky = 0; ky < kys; ky++) {
      let xo = (<usize>ky) * xRowB;
      let wq = wp + (<usize>ky) * wRowB + ob;
      for (let j = 0; j < steps; j++) {
        const w0 = v128.load(wq);
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(xp0 + xo), w0));
        a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(xp1 + xo), w0));
        a2 = f32x4.add(a2, f32x4.mul(v128.load32_splat(xp2 + xo), w0));
        a3 = f32x4.add(a3, f32x4.mul(v128.load32_splat(xp3 + xo), w0));
        xo += 4;
        wq += coB;
      }
    }
    const bp = bias + ob;
    finish4(a0, bp, op0 + ob + rd, op0 + ob, bias, res, relu);
    if (cnt > 1) finish4(a1, bp, op1 + ob + rd, op1 + ob, bias, res, relu);
    if (cnt > 2) finish4(a2, bp, op2 + ob + rd, op2 + ob, bias, res, relu);
    if (cnt > 3) finish4(a3, bp, op3 + ob + rd, op3 + ob, bias, res, relu);
    o += 4;
  }
  if (o < co) {
    pixelScalar(xp0, op0, o, wp, xRowB, wRowB, kys, steps, co, bias, res, rd, relu);
    if (cnt > 1) pixelScalar(xp1, op1, o, wp, xRowB, wRowB, kys, steps, co, bias, res, rd, relu);
    if (cnt > 2) pixelScalar(xp2, op2, o, wp, xRowB, wRowB, kys, steps, co, bias, res, rd, relu);
    if (cnt > 3) pixelScalar(xp3, op3, o, wp, xRowB, wRowB, kys, steps, co, bias, res, rd, relu);
  }
}

/** One output pixel's channels [o0, co), one at a time (tile4's remainder for co % 4 ≠ 0). */
function pixelScalar(
  xp: usize,
  op: usize,
  o0: i32,
  wp: usize,
  xRowB: usize,
  wRowB: usize,
  kys: i32,
  steps: i32,
  co: i32,
  bias: usize,
  res: usize,
  rd: usize,
  relu: i32,
): void {
  const coB = (<usize>co) << 2;
  for (let o = o0; o < co; o++) {
    const ob = (<usize>o) << 2;
    let s: f32 = 0;
    for (let ky = 0; ky < kys; ky++) {
      let xq = xp + (<usize>ky) * xRowB;
      let wq = wp + (<usize>ky) * wRowB + ob;
      for (let j = 0; j < steps; j++) {
        s += load<f32>(xq) * load<f32>(wq);
        xq += 4;
        wq += coB;
      }
    }
    finish1(s, bias + ob, op + ob + rd, op + ob, bias, res, relu);
  }
}

/** First valid tap (ky or kx) of output index o: the first k with o·s − pad + k ≥ 0. */
// @ts-ignore: decorator
@inline
function tapLo(o: i32, s: i32, pad: i32): i32 {
  const i0 = o * s - pad;
  return i0 < 0 ? -i0 : 0;
}

/** One past the last valid tap of output index o: taps k < k1 with o·s − pad + k < size. */
// @ts-ignore: decorator
@inline
function tapHi(o: i32, s: i32, pad: i32, size: i32, k1: i32): i32 {
  const lim = size - (o * s - pad);
  return lim < k1 ? lim : k1;
}

/**
 * out (n, oh, ow, co) = conv(x (n, h, wd, ci), w (kh, kw, ci, co)) with strides (sh, sw) and
 * top/left padding (padT, padL), + bias (co; 0 = none), + res ((n, oh, ow, co); 0 = none; may be
 * out), then relu if relu ≠ 0. Any ci, co ≥ 1 (co % 4 ≠ 0 leaves a scalar remainder).
 *
 * The output splits into rectangles of rows × columns whose pixels share one valid tap range
 * [kyLo, kyHi) × [kxLo, kxHi) (rows: runs of equal ky ranges, columns likewise: for 'same' 3×3
 * padding, 3 × 3 rectangles, the interior one by far the largest). Each rectangle, over all
 * images, goes in 4-pixel tiles that run across row and image ends (7×7 and 4×4 maps keep full
 * tiles); a last partial tile repeats its first pixel and stores only its real pixels.
 */
export function directConv(
  x: usize,
  w: usize,
  bias: usize,
  res: usize,
  out: usize,
  n: i32,
  h: i32,
  wd: i32,
  ci: i32,
  oh: i32,
  ow: i32,
  co: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  padT: i32,
  padL: i32,
  relu: i32,
): void {
  const coB = (<usize>co) << 2;
  const ciB = (<usize>ci) << 2;
  const xRowB = (<usize>wd) * ciB; // bytes between input rows
  const kwcoB = (<usize>ci) * coB; // bytes between filter taps (ky, kx) and (ky, kx + 1)
  const wRowB = (<usize>kw) * kwcoB; // bytes between filter rows ky and ky + 1
  const sx = (<usize>sw) * ciB; // bytes between the inputs of neighbouring output columns
  const rd = res - out;
  for (let y0 = 0; y0 < oh; ) {
    const kyLo = tapLo(y0, sh, padT);
    const kyHi = tapHi(y0, sh, padT, h, kh);
    let y1 = y0 + 1;
    while (y1 < oh && tapLo(y1, sh, padT) == kyLo && tapHi(y1, sh, padT, h, kh) == kyHi) y1++;
    for (let x0 = 0; x0 < ow; ) {
      const kxLo = tapLo(x0, sw, padL);
      const kxHi = tapHi(x0, sw, padL, wd, kw);
      let x1 = x0 + 1;
      while (x1 < ow && tapLo(x1, sw, padL) == kxLo && tapHi(x1, sw, padL, wd, kw) == kxHi) x1++;
      // The rectangle [y0, y1) × [x0, x1) of every image: taps [kyLo, kyHi) × [kxLo, kxHi).
      const kys = kyHi > kyLo && kxHi > kxLo ? kyHi - kyLo : 0;
      const steps = kxHi > kxLo ? (kxHi - kxLo) * ci : 0;
      const wp = w + (<usize>kyLo) * wRowB + (<usize>kxLo) * kwcoB;
      const cols = x1 - x0;
      const total = n * (y1 - y0) * cols;
      // Cursor over (img, oy, ox) in the rectangle; xq, oq: its pixel's x and out pointers.
      let img = 0;
      let oy = y0;
      let ox = x0;
      let xq = x + (<usize>((oy * sh - padT + kyLo) * wd + ox * sw - padL + kxLo)) * ciB;
      let oq = out + (<usize>(oy * ow + ox)) * coB;
      for (let t = 0; t < total; t += 4) {
        const cnt = total - t < 4 ? total - t : 4;
        // Pixel k of the tile is pixel t + k of the rectangle for k < cnt, else a copy of pixel 0.
        const xp0 = xq;
        const op0 = oq;
        let xp1 = xp0;
        let op1 = op0;
        let xp2 = xp0;
        let op2 = op0;
        let xp3 = xp0;
        let op3 = op0;
        if (ox + 4 < x1) {
          // All 4 in this row, and the next tile starts in it too.
          xp1 = xq + sx;
          op1 = oq + coB;
          xp2 = xp1 + sx;
          op2 = op1 + coB;
          xp3 = xp2 + sx;
          op3 = op2 + coB;
          ox += 4;
          xq = xp3 + sx;
          oq = op3 + coB;
        } else {
          for (let k = 1; k <= 4; k++) {
            // Advance the cursor one pixel (on the last step, to the next tile's first).
            if (k >= cnt && k < 4) break;
            ox++;
            if (ox < x1) {
              xq += sx;
              oq += coB;
            } else {
              ox = x0;
              oy++;
              if (oy == y1) {
                oy = y0;
                img++;
              }
              xq = x + (<usize>((img * h + oy * sh - padT + kyLo) * wd + ox * sw - padL + kxLo)) * ciB;
              oq = out + (<usize>((img * oh + oy) * ow + ox)) * coB;
            }
            if (k == 1) {
              xp1 = xq;
              op1 = oq;
            } else if (k == 2) {
              xp2 = xq;
              op2 = oq;
            } else if (k == 3) {
              xp3 = xq;
              op3 = oq;
            }
          }
        }
        tile4(xp0, xp1, xp2, xp3, op0, op1, op2, op3, cnt, wp, xRowB, wRowB, kys, steps, co, bias, res, rd, relu);
      }
      x0 = x1;
    }
    y0 = y1;
  }
}

/** Scalar twin of directConv: the same sum, one output at a time. */
export function directConvScalar(
  x: usize,
  w: usize,
  bias: usize,
  res: usize,
  out: usize,
  n: i32,
  h: i32,
  wd: i32,
  ci: i32,
  oh: i32,
  ow: i32,
  co: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  padT: i32,
  padL: i32,
  relu: i32,
): void {
  for (let img = 0; img < n; img++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const at = (<usize>(((img * oh + oy) * ow + ox) * co)) << 2;
        for (let o = 0; o < co; o++) {
          let s: f32 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - padT + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - padL + kx;
              if (ix < 0 || ix >= wd) continue;
              const xp = x + ((<usize>(((img * h + iy) * wd + ix) * ci)) << 2);
              const wp = w + ((<usize>(((ky * kw + kx) * ci) * co + o)) << 2);
              for (let c = 0; c < ci; c++) {
                s += load<f32>(xp + ((<usize>c) << 2)) * load<f32>(wp + (<usize>(c * co) << 2));
              }
            }
          }
          const ob = (<usize>o) << 2;
          finish1(s, bias + ob, res + at + ob, out + at + ob, bias, res, relu);
        }
      }
    }
  }
}
