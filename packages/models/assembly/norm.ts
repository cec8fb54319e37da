// Batch-norm backward and the broadcast that reduction gradients need, f32, channels last.
// Pointers are byte offsets into the imported tfjs heap (see conv.ts).
//
// tfjs differentiates FusedBatchNorm with ~25 kernels per layer (tiles of the per-channel
// vectors to the full activation shape, then products and sums), and Mean/Sum by building a
// ones tensor of the input's shape in JavaScript. Here each is one pass (two for batch norm).

/**
 * Gradients of y = (x − mean)·scale/√(variance + eps) + offset, with mean and variance taken as
 * inputs (tfjs's FusedBatchNorm gradient: tfjs-core/src/gradients/FusedBatchNorm_grad.ts):
 *   dx      = dy · scale · r,            r = 1/√(variance + eps)
 *   dmean   = −r · scale · Σ dy
 *   dvar    = −½ r³ · scale · Σ dy·(x − mean)
 *   dscale  = r · Σ dy·(x − mean)
 *   doffset = Σ dy
 * x and dy are (rows, c) row-major; mean, variance, scale and the five outputs have c entries
 * (scale = 0 means scale ≡ 1). The per-channel sums accumulate in f64 (scratch: 2·c f64s, caller
 * owned), so they do not drift with the number of rows; everything else rounds as f32.
 */
export function batchNormGrad(
  x: usize,
  dy: usize,
  mean: usize,
  variance: usize,
  scale: usize,
  eps: f32,
  rows: i32,
  c: i32,
  dx: usize,
  dmean: usize,
  dvar: usize,
  dscale: usize,
  doffset: usize,
  scratch: usize,
): void {
  const sumDy = scratch;
  const sumDyXc = scratch + ((<usize>c) << 3);
  memory.fill(scratch, 0, (<usize>c) << 4);
  const c4 = c & ~3;
  const rowB = (<usize>c) << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r) * rowB;
    const dr = dy + (<usize>r) * rowB;
    let k = 0;
    for (; k < c4; k += 4) {
      const o = (<usize>k) << 2;
      const g = v128.load(dr + o);
      const p = f32x4.mul(g, f32x4.sub(v128.load(xr + o), v128.load(mean + o)));
      const s = (<usize>k) << 3;
      v128.store(sumDy + s, f64x2.add(v128.load(sumDy + s), f64x2.promote_low_f32x4(g)));
      v128.store(sumDy + s, f64x2.add(v128.load(sumDy + s, 16), f64x2.promote_low_f32x4(i32x4.shuffle(g, g, 2, 3, 0, 1))), 16);
      v128.store(sumDyXc + s, f64x2.add(v128.load(sumDyXc + s), f64x2.promote_low_f32x4(p)));
      v128.store(
        sumDyXc + s,
        f64x2.add(v128.load(sumDyXc + s, 16), f64x2.promote_low_f32x4(i32x4.shuffle(p, p, 2, 3, 0, 1))),
        16,
      );
    }
    for (; k < c; k++) {
      const o = (<usize>k) << 2;
      const s = (<usize>k) << 3;
      const g = load<f32>(dr + o);
      const p = g * (load<f32>(xr + o) - load<f32>(mean + o));
      store<f64>(sumDy + s, load<f64>(sumDy + s) + <f64>g);
      store<f64>(sumDyXc + s, load<f64>(sumDyXc + s) + <f64>p);
    }
  }
  // Per-channel factors; dmean temporarily holds scale·r, the dx multiplier.
  for (let k = 0; k < c; k++) {
    const o = (<usize>k) << 2;
    const s = (<usize>k) << 3;
    const r: f32 = <f32>1.0 / sqrt<f32>(load<f32>(variance + o) + eps);
    const sc: f32 = scale != 0 ? load<f32>(scale + o) : <f32>1.0;
    const sDy = <f32>load<f64>(sumDy + s);
    const sDyXc = <f32>load<f64>(sumDyXc + s);
    store<f32>(doffset + o, sDy);
    store<f32>(dscale + o, sDyXc * r);
    store<f32>(dvar + o, sDyXc * (r * r * r * <f32>-0.5) * sc);
    store<f32>(dmean + o, sc * r);
  }
  for (let r = 0; r < rows; r++) {
    const dr = dy + (<usize>r) * rowB;
    const out = dx + (<usize>r) * rowB;
    let k = 0;
    for (; k < c4; k += 4) {
      const o = (<usize>k) << 2;
      v128.store(out + o, f32x4.mul(v128.load(dr + o), v128.load(dmean + o)));
    }
    for (; k < c; k++) {
      const o = (<usize>k) << 2;
      store<f32>(out + o, load<f32>(dr + o) * load<f32>(dmean + o));
    }
  }
  for (let k = 0; k < c; k++) {
    const o = (<usize>k) << 2;
    store<f32>(dmean + o, -(load<f32>(dmean + o) * load<f32>(doffset + o)));
  }
}

/**
 * out[a, r, b] = src[a, b] / divisor for a < outer, r < mid, b < inner: the gradient of a Sum
 * (divisor 1) or Mean (divisor = reduced size) over a contiguous block of axes.
 */
export function broadcastMiddle(src: usize, out: usize, outer: i32, mid: i32, inner: i32, divisor: f32): void {
  const inner4 = inner & ~3;
  const rowB = (<usize>inner) << 2;
  const dv = f32x4.splat(divisor);
  for (let a = 0; a < outer; a++) {
    const s = src + (<usize>a) * rowB;
    for (let r = 0; r < mid; r++) {
      const o = out + (<usize>(a * mid + r)) * rowB;
      let b = 0;
      for (; b < inner4; b += 4) {
        const q = (<usize>b) << 2;
        v128.store(o + q, f32x4.div(v128.load(s + q), dv));
      }
      for (; b < inner; b++) {
        const q = (<usize>b) << 2;
        store<f32>(o + q, load<f32>(s + q) / divisor);
      }
    }
  }
}

/**
 * out[a, b] = (Σ_r src[a, r, b]) / divisor for a < outer, b < inner: Sum (divisor 1) or Mean
 * (divisor = mid) over a contiguous block of axes that is not innermost, such as batch-norm
 * moments over (N, H, W) or global average pooling over (H, W) of NHWC activations, without
 * first transposing the reduced axes innermost as tfjs-backend-wasm does. Sums accumulate in f64
 * (scratch: inner f64s, caller owned), in r order; the result rounds once to f32.
 */
export function reduceMiddle(src: usize, out: usize, outer: i32, mid: i32, inner: i32, divisor: f64, scratch: usize): void {
  const inner4 = inner & ~3;
  const rowB = (<usize>inner) << 2;
  for (let a = 0; a < outer; a++) {
    memory.fill(scratch, 0, (<usize>inner) << 3);
    for (let r = 0; r < mid; r++) {
      const s = src + (<usize>(a * mid + r)) * rowB;
      let b = 0;
      for (; b < inner4; b += 4) {
        const v = v128.load(s + ((<usize>b) << 2));
        const q = scratch + ((<usize>b) << 3);
        v128.store(q, f64x2.add(v128.load(q), f64x2.promote_low_f32x4(v)));
        v128.store(q, f64x2.add(v128.load(q, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
      }
      for (; b < inner; b++) {
        const q = scratch + ((<usize>b) << 3);
        store<f64>(q, load<f64>(q) + <f64>load<f32>(s + ((<usize>b) << 2)));
      }
    }
    const o = out + (<usize>a) * rowB;
    for (let b = 0; b < inner; b++) {
      store<f32>(o + ((<usize>b) << 2), <f32>(load<f64>(scratch + ((<usize>b) << 3)) / divisor));
    }
  }
}

/**
 * Batch-norm forward, y = offset + (x − mean)·scale / √(variance + eps), x and y (rows, c)
 * row-major, mean/variance/scale/offset c entries each; y may alias x. Rounds exactly as
 * tfjs-backend-wasm 4.22's FusedBatchNorm, so swapping it in keeps every model's bytes: found by
 * comparing that kernel's outputs bit for bit with candidate roundings (0 of 1.6 M differ),
 *   r = f32(√f32(variance + eps)),  t = f32(f32(x − mean)·scale),  y = f32(offset + t / r)
 * with the division and the addition in f64 (C's `sqrt` returns a double). tfjs's kernel walks the
 * tensor with four wrapping indices per element and no SIMD (~2.4 ms per 32×28×28×16 batch).
 * scratch: 2·c f64s (caller owned) for r and offset as f64.
 */
export function batchNormForward(
  x: usize,
  mean: usize,
  variance: usize,
  scale: usize,
  offset: usize,
  eps: f32,
  rows: i32,
  c: i32,
  y: usize,
  scratch: usize,
): void {
  const r64 = scratch;
  const off64 = scratch + ((<usize>c) << 3);
  for (let k = 0; k < c; k++) {
    const o = (<usize>k) << 2;
    const s = (<usize>k) << 3;
    store<f64>(r64 + s, <f64>sqrt<f32>(load<f32>(variance + o) + eps));
    store<f64>(off64 + s, <f64>load<f32>(offset + o));
  }
  const c4 = c & ~3;
  const rowB = (<usize>c) << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r) * rowB;
    const yr = y + (<usize>r) * rowB;
    let k = 0;
    for (; k < c4; k += 4) {
      const o = (<usize>k) << 2;
      const s = (<usize>k) << 3;
      const t = f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), v128.load(scale + o));
      const lo = f64x2.add(v128.load(off64 + s), f64x2.div(f64x2.promote_low_f32x4(t), v128.load(r64 + s)));
      const hi = f64x2.add(
        v128.load(off64 + s, 16),
        f64x2.div(f64x2.promote_low_f32x4(i32x4.shuffle(t, t, 2, 3, 0, 1)), v128.load(r64 + s, 16)),
      );
      v128.store(yr + o, i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
    for (; k < c; k++) {
      const o = (<usize>k) << 2;
      const s = (<usize>k) << 3;
      const t = (load<f32>(xr + o) - load<f32>(mean + o)) * load<f32>(scale + o);
      store<f32>(yr + o, <f32>(load<f64>(off64 + s) + <f64>t / load<f64>(r64 + s)));
    }
  }
}

/** batchNormForward without SIMD: the reference its test compares against. */
export function batchNormForwardScalar(
  x: usize,
  mean: usize,
  variance: usize,
  scale: usize,
  offset: usize,
  eps: f32,
  rows: i32,
  c: i32,
  y: usize,
  _scratch: usize,
): void {
  for (let i = 0; i < rows * c; i++) {
    const k = (<usize>(i % c)) << 2;
    const q = (<usize>i) << 2;
    const r = <f64>sqrt<f32>(load<f32>(variance + k) + eps);
    const t = (load<f32>(x + q) - load<f32>(mean + k)) * load<f32>(scale + k);
    store<f32>(y + q, <f32>(<f64>load<f32>(offset + k) + <f64>t / r));
  }
}

/**
 * out[r, k] = a[r, k] − b[k] for r < rows, k < c (a and out (rows, c) row-major; out may alias a):
 * a Sub whose second operand broadcasts along the last axis, such as x − mean in batch-norm
 * moments (tfjs-core's moments: square(x − mean)). tfjs-backend-wasm's broadcasting binary op
 * computes an index per element per operand. Exact, so it rounds as tfjs's.
 */
export function subLastAxis(a: usize, b: usize, rows: i32, c: i32, out: usize): void {
  const c4 = c & ~3;
  const rowB = (<usize>c) << 2;
  for (let r = 0; r < rows; r++) {
    const ar = a + (<usize>r) * rowB;
    const or = out + (<usize>r) * rowB;
    let k = 0;
    for (; k < c4; k += 4) {
      const o = (<usize>k) << 2;
      v128.store(or + o, f32x4.sub(v128.load(ar + o), v128.load(b + o)));
    }
    for (; k < c; k++) {
      const o = (<usize>k) << 2;
      store<f32>(or + o, load<f32>(ar + o) - load<f32>(b + o));
    }
  }
}
