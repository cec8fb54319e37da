// A classifier's head after the convolutions, for src/noisy/native.ts: global average pooling and
// a dense layer. Tiny next to the convolutions (about 2 000 operations per copy on the shipped
// ResNet), but as JS loops they took 4% of a noisy forward pass. Sums run in f64 in a fixed order
// and are rounded to f32 once, so every engine computes the same bits.

/** out (n, c) = mean over the px pixels of x (n, px, c): f64 sums in pixel order, then / px. */
export function globalAvgPool(x: usize, out: usize, n: i32, px: i32, c: i32, acc: usize): void {
  // acc: c f64 of scratch, one running sum per channel, so x is read in memory order.
  const cB = (<usize>c) << 2;
  for (let img = 0; img < n; img++) {
    for (let j = 0; j < c; j++) store<f64>(acc + ((<usize>j) << 3), 0);
    let p0 = x + (<usize>img) * (<usize>px) * cB;
    for (let p = 0; p < px; p++) {
      for (let j = 0; j < c; j++) {
        const a = acc + ((<usize>j) << 3);
        store<f64>(a, load<f64>(a) + <f64>load<f32>(p0 + ((<usize>j) << 2)));
      }
      p0 += cB;
    }
    const o = out + (<usize>img) * cB;
    for (let j = 0; j < c; j++) store<f32>(o + ((<usize>j) << 2), <f32>(load<f64>(acc + ((<usize>j) << 3)) / <f64>px));
  }
}

/** out (n, units) = x (n, inSize) · w (inSize, units) + bias (units; 0 = none): f64 sums over
 * the input index in order, then + bias, rounded once. */
export function denseForward(x: usize, w: usize, bias: usize, out: usize, n: i32, inSize: i32, units: i32): void {
  const uB = (<usize>units) << 2;
  for (let img = 0; img < n; img++) {
    const xi = x + (<usize>img) * (<usize>inSize) * 4;
    for (let o = 0; o < units; o++) {
      let s: f64 = 0;
      let wp = w + ((<usize>o) << 2);
      for (let j = 0; j < inSize; j++) {
        s += <f64>load<f32>(xi + ((<usize>j) << 2)) * <f64>load<f32>(wp);
        wp += uB;
      }
      if (bias) s += <f64>load<f32>(bias + ((<usize>o) << 2));
      store<f32>(out + (<usize>img) * uB + ((<usize>o) << 2), <f32>s);
    }
  }
}
