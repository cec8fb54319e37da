// Seeded pseudo-random numbers for everything classfit samples.
//
// Generator: xoshiro256** 1.0 (Blackman & Vigna, "Scrambled linear pseudorandom number
// generators", ACM TOMS 2021; reference code at prng.di.unimi.it). 256 bits of state,
// period 2^256 − 1, passes BigCrush. State words are seeded from (seed, stream) through
// SplitMix64 (Steele, Lea & Flood 2014), the seeding the xoshiro authors recommend, so that
// nearby seeds and nearby stream indices give unrelated states.
//
// State layout at `s` (owned by whoever called rngCreate; freed with rngFree):
//   [0..32)  four u64 state words
//   [32..40) f64 spare standard normal from the polar method
//   [40..48) u64 flag: 1 when the spare is valid
// Everything here is plain IEEE-754 arithmetic and AssemblyScript's own (musl-derived) Math,
// compiled into the module, so a stream is bit-identical in every engine.

export const RNG_BYTES: usize = 48;

// @ts-ignore: decorator
@inline function splitmix64(x: u64): u64 {
  let z = x + 0x9e3779b97f4a7c15;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

/** Seeds the state at `s` from a 64-bit seed and a stream index. */
export function rngSeed(s: usize, seed: u64, stream: u64): void {
  // Mix the stream through its own SplitMix64 step before combining so that (seed, stream)
  // and (seed + 1, stream − 1)-style neighbours do not collide.
  let x: u64 = seed ^ splitmix64(stream ^ 0x6a09e667f3bcc909);
  for (let i: usize = 0; i < 4; i++) {
    x += 0x9e3779b97f4a7c15;
    let z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    store<u64>(s + (i << 3), z ^ (z >> 31));
  }
  // xoshiro must not start from the all-zero state; SplitMix64 outputs are a bijection of
  // distinct inputs, so four consecutive zeros cannot occur, but guard anyway.
  if ((load<u64>(s) | load<u64>(s, 8) | load<u64>(s, 16) | load<u64>(s, 24)) == 0) {
    store<u64>(s, 1);
  }
  store<f64>(s, 0.0, 32);
  store<u64>(s, 0, 40);
}

/** Next 64 random bits (xoshiro256** reference `next`). */
// @ts-ignore: decorator
@inline export function nextU64(s: usize): u64 {
  const s0 = load<u64>(s);
  const s1 = load<u64>(s, 8);
  const s2 = load<u64>(s, 16);
  const s3 = load<u64>(s, 24);
  const result = rotl<u64>(s1 * 5, 7) * 9;
  const t = s1 << 17;
  const n2 = s2 ^ s0;
  const n3 = s3 ^ s1;
  store<u64>(s, s0 ^ n3);
  store<u64>(s, s1 ^ n2, 8);
  store<u64>(s, n2 ^ t, 16);
  store<u64>(s, rotl<u64>(n3, 45), 24);
  return result;
}

/** Uniform on [0, 1): the top 53 bits scaled by 2^−53 (exact, every value equally likely). */
// @ts-ignore: decorator
@inline export function uniform(s: usize): f64 {
  return <f64>(nextU64(s) >> 11) * 1.1102230246251565e-16;
}

/** Uniform on the open interval (0, 1): safe to take logs of. */
// @ts-ignore: decorator
@inline export function uniformOpen(s: usize): f64 {
  return (<f64>(nextU64(s) >> 11) + 0.5) * 1.1102230246251565e-16;
}

/** Uniform integer in [0, n) without modulo bias (Lemire 2019, "Fast random integer
 * generation in an interval", with the rejection step). n must be ≥ 1 and < 2^32. */
export function uniformInt(s: usize, n: u32): u32 {
  let m: u64 = (nextU64(s) >> 32) * <u64>n;
  let l = <u32>m;
  if (l < n) {
    const threshold: u32 = (<u32>0 - n) % n;
    while (l < threshold) {
      m = (nextU64(s) >> 32) * <u64>n;
      l = <u32>m;
    }
  }
  return <u32>(m >> 32);
}

/** Standard normal by Marsaglia's polar method (Marsaglia & Bray 1964); caches the second
 * variate in the state so the stream stays a pure function of (seed, stream, draws). */
export function normal(s: usize): f64 {
  if (load<u64>(s, 40) != 0) {
    store<u64>(s, 0, 40);
    return load<f64>(s, 32);
  }
  let u: f64, v: f64, q: f64;
  do {
    u = 2.0 * uniform(s) - 1.0;
    v = 2.0 * uniform(s) - 1.0;
    q = u * u + v * v;
  } while (q >= 1.0 || q == 0.0);
  const f = Math.sqrt((-2.0 * Math.log(q)) / q);
  store<f64>(s, v * f, 32);
  store<u64>(s, 1, 40);
  return u * f;
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000), "A simple method for generating gamma
 * variables", ACM TOMS 26(3). For shape < 1 the boost Gamma(a) = Gamma(a + 1) · U^(1/a)
 * from the same paper (section 7). shape must be > 0. */
export function gamma(s: usize, shape: f64): f64 {
  if (shape < 1.0) {
    const g = gamma(s, shape + 1.0);
    // Work with logs so that tiny shapes do not underflow U^(1/a) to zero prematurely.
    return Math.exp(Math.log(g) + Math.log(uniformOpen(s)) / shape);
  }
  const d = shape - 1.0 / 3.0;
  const c = 1.0 / Math.sqrt(9.0 * d);
  while (true) {
    let x: f64, v: f64;
    do {
      x = normal(s);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const u = uniformOpen(s);
    const x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1.0 - v + Math.log(v))) return d * v;
  }
  return 0; // unreachable
}
