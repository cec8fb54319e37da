// Standard normals by the ziggurat method, for the noise of randomised smoothing, where drawing
// the normals was a measurable share of a noisy forward pass (bench/noisy-forward.mjs).
//
// Marsaglia & Tsang (2000), "The ziggurat method for generating random variables", J. Stat.
// Softw. 5(8): 256 layers of equal area V under f(x) = exp(−x²/2), base strip with the tail past
// R. Each draw takes one 64-bit output of the xoshiro256** state (rng.ts) for both the layer
// (low 8 bits) and a 52-bit uniform in [−1, 1) (top 52 bits), disjoint bits as Doornik (2005,
// "An improved ziggurat method to generate normal random samples") advises: Marsaglia & Tsang's
// 32-bit version took the layer from bits of the uniform itself, which he showed fails tests. About 98.8% of draws
// cost one table lookup, one multiply and one compare; the rest take the wedge test (one exp)
// or the tail (Marsaglia 1964, two logs).
//
// Determinism: the tables are computed here at instantiation with AssemblyScript's own
// (musl-derived) Math, compiled into this module, and every draw is IEEE-754 +, −, ×, / and
// those same functions, so a stream is bit-identical in every engine. The polar-method
// `normal` in rng.ts keeps its stream: everything else that draws normals (initialisation,
// KL estimation, predictive draws) is unchanged.

import { nextU64, uniform, uniformOpen } from "./rng";

// Marsaglia & Tsang (2000), section 3, for 256 layers.
const ZIG_R: f64 = 3.6541528853610088;
const ZIG_V: f64 = 0.00492867323399;
const LAYERS: i32 = 256;

// X[0..257): X[0] = V / f(R) (the base strip's width, as a rectangle), X[1] = R, X[i + 1] from
// V = X[i]·(f(X[i + 1]) − f(X[i])), X[256] = 0. F[i] = f(X[i]).
const ZX: usize = memory.data((LAYERS + 1) << 3, 16);
const ZF: usize = memory.data((LAYERS + 1) << 3, 16);

// @ts-ignore: decorator
@inline function pdf(x: f64): f64 {
  return Math.exp(-0.5 * x * x);
}

function initTables(): void {
  const fr = pdf(ZIG_R);
  store<f64>(ZX, ZIG_V / fr);
  store<f64>(ZX, ZIG_R, 8);
  let x = ZIG_R;
  for (let i = 2; i < LAYERS; i++) {
    x = Math.sqrt(-2.0 * Math.log(ZIG_V / x + pdf(x)));
    store<f64>(ZX + (<usize>i << 3), x);
  }
  store<f64>(ZX + (<usize>LAYERS << 3), 0.0);
  for (let i = 0; i <= LAYERS; i++) store<f64>(ZF + (<usize>i << 3), pdf(load<f64>(ZX + (<usize>i << 3))));
}
initTables();

/** The wedge or tail of layer i after its rectangle test failed, for the candidate x = u·X[i]
 * (u in [−1, 1)): a standard normal, or NaN to say "reject, draw again". Uses the state at s. */
function slowPath(s: usize, i: i32, u: f64, x: f64): f64 {
  if (i == 0) {
    // Tail beyond R (Marsaglia 1964): accept R + a with a ~ Exp(R) when 2b ≥ a², b ~ Exp(1).
    let a: f64, b: f64;
    do {
      a = -Math.log(uniformOpen(s)) / ZIG_R;
      b = -Math.log(uniformOpen(s));
    } while (b + b < a * a);
    return u < 0.0 ? -(ZIG_R + a) : ZIG_R + a;
  }
  const fi = load<f64>(ZF + (<usize>i << 3));
  const fi1 = load<f64>(ZF + (<usize>(i + 1) << 3));
  if (fi + (fi1 - fi) * uniform(s) < pdf(x)) return x;
  return NaN;
}

/** One standard normal (the reference: zigguratFill must give the same stream). */
export function zigguratNormal(s: usize): f64 {
  while (true) {
    const bits = nextU64(s);
    const i = <i32>(bits & 0xff);
    const u = <f64>(bits >> 12) * 4.440892098500626e-16 - 1.0; // 2^−51
    const x = u * load<f64>(ZX + (<usize>i << 3));
    if (Math.abs(x) < load<f64>(ZX + (<usize>(i + 1) << 3))) return x;
    const y = slowPath(s, i, u, x);
    if (y == y) return y;
  }
  return 0; // unreachable
}

/**
 * out[0..n) (f64) ← n standard normals, the same stream as n calls of zigguratNormal. The
 * generator's four words stay in locals across the fast path (the state in memory is only
 * written back around the rare slow path and at the end), which is what makes it fast.
 */
export function zigguratFill(s: usize, out: usize, n: i32): void {
  let s0 = load<u64>(s);
  let s1 = load<u64>(s, 8);
  let s2 = load<u64>(s, 16);
  let s3 = load<u64>(s, 24);
  let k = 0;
  while (k < n) {
    // xoshiro256** `next`, as rng.ts nextU64.
    const bits = rotl<u64>(s1 * 5, 7) * 9;
    const t = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl<u64>(s3, 45);
    const i = <i32>(bits & 0xff);
    const u = <f64>(bits >> 12) * 4.440892098500626e-16 - 1.0; // 2^−51
    const x = u * load<f64>(ZX + (<usize>i << 3));
    if (Math.abs(x) < load<f64>(ZX + (<usize>(i + 1) << 3))) {
      store<f64>(out + (<usize>k << 3), x);
      k++;
      continue;
    }
    store<u64>(s, s0);
    store<u64>(s, s1, 8);
    store<u64>(s, s2, 16);
    store<u64>(s, s3, 24);
    const y = slowPath(s, i, u, x);
    s0 = load<u64>(s);
    s1 = load<u64>(s, 8);
    s2 = load<u64>(s, 16);
    s3 = load<u64>(s, 24);
    if (y == y) {
      store<f64>(out + (<usize>k << 3), y);
      k++;
    }
  }
  store<u64>(s, s0);
  store<u64>(s, s1, 8);
  store<u64>(s, s2, 16);
  store<u64>(s, s3, 24);
}
