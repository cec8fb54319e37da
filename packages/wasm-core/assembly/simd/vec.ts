// Dense f64 vector kernels. Each SIMD kernel has a scalar twin with the same contract; the
// tests run both on the same inputs. Pairs of lanes change the summation order, so a SIMD
// reduction equals its scalar twin to rounding, not bit for bit; each is deterministic.
// Kernels never allocate and write only through their out-parameters.

/** Σ a[i]·b[i] over n f64s, two lanes at a time. */
export function dotSimd(a: usize, b: usize, n: i32): f64 {
  let acc0 = f64x2.splat(0.0);
  let acc1 = f64x2.splat(0.0);
  let i = 0;
  // Two independent accumulators hide the latency of the dependent adds.
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 3;
    acc0 = f64x2.add(acc0, f64x2.mul(v128.load(a + o), v128.load(b + o)));
    acc1 = f64x2.add(acc1, f64x2.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
  }
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    acc0 = f64x2.add(acc0, f64x2.mul(v128.load(a + o), v128.load(b + o)));
  }
  const acc = f64x2.add(acc0, acc1);
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < n; i++) {
    const o = <usize>i << 3;
    sum += load<f64>(a + o) * load<f64>(b + o);
  }
  return sum;
}

/** Scalar twin of dotSimd: plain left-to-right sum. */
export function dotScalar(a: usize, b: usize, n: i32): f64 {
  let sum = 0.0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    sum += load<f64>(a + o) * load<f64>(b + o);
  }
  return sum;
}

/** out[i] = alpha·x[i] + y[i]. `out` may alias `x` or `y`: each lane is read before it is
 * written. */
export function axpySimd(alpha: f64, x: usize, y: usize, out: usize, n: i32): void {
  const va = f64x2.splat(alpha);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    v128.store(out + o, f64x2.add(f64x2.mul(va, v128.load(x + o)), v128.load(y + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(out + o, alpha * load<f64>(x + o) + load<f64>(y + o));
  }
}

/** Scalar twin of axpySimd; bit-identical to it (no reduction, same operation order). */
export function axpyScalar(alpha: f64, x: usize, y: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(out + o, alpha * load<f64>(x + o) + load<f64>(y + o));
  }
}
