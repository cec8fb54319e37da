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

// ---------------------------------------------------------------------------------------
// Derived samplers (statistics, DP-GMM predictive draws). Each is a fixed function of the
// stream above: the same (seed, stream) gives the same draws in every engine. None of them
// changes how the functions above consume the stream.

/** log of a Gamma(shape, 1) draw. Consumes the stream exactly as gamma(s, shape) does, but
 * for shape < 1 stays in log space, so shapes near 0 (whose draws underflow to 0) still give
 * usable logs; used to normalise Beta and Dirichlet draws without 0/0. */
export function logGammaDraw(s: usize, shape: f64): f64 {
  if (shape < 1.0) {
    const g = gamma(s, shape + 1.0);
    return Math.log(g) + Math.log(uniformOpen(s)) / shape;
  }
  return Math.log(gamma(s, shape));
}

/** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b) drawn in that order (Devroye
 * 1986, §IX.4); through logs when a shape is below 1 so that both tiny draws cannot give 0/0. */
export function betaDraw(s: usize, a: f64, b: f64): f64 {
  if (a >= 1.0 && b >= 1.0) {
    const x = gamma(s, a);
    const y = gamma(s, b);
    return x / (x + y);
  }
  const la = logGammaDraw(s, a);
  const lb = logGammaDraw(s, b);
  // x / (x + y) = 1 / (1 + exp(lb − la)), written to stay in [0, 1] without overflow.
  if (la >= lb) return 1.0 / (1.0 + Math.exp(lb - la));
  const r = Math.exp(la - lb);
  return r / (1.0 + r);
}

/** χ²(df) = 2·Gamma(df/2, 1); df > 0 (not necessarily an integer). */
export function chiSquareDraw(s: usize, df: f64): f64 {
  return 2.0 * gamma(s, 0.5 * df);
}

/** Σ exp(logw[i] − max) over k log-weights at `logw` (f64), with max = the largest; writes
 * the running sums to `cum` (f64[k]) when cum ≠ 0. Returns the total. */
export function logWeightsCumulative(logw: usize, k: i32, cum: usize): f64 {
  let mx = -Infinity;
  for (let i = 0; i < k; i++) mx = Math.max(mx, load<f64>(logw + (<usize>i << 3)));
  let acc = 0.0;
  for (let i = 0; i < k; i++) {
    acc += Math.exp(load<f64>(logw + (<usize>i << 3)) - mx);
    if (cum != 0) store<f64>(cum + (<usize>i << 3), acc);
  }
  return acc;
}

/** One index drawn with probability ∝ exp(logw[i]), given the running sums `cum` from
 * logWeightsCumulative: inverse CDF with one uniform, by bisection for the first running
 * sum above u·total. Indices of weight 0 (log-weight −Infinity) are never drawn. */
export function categoricalFromCumulative(s: usize, cum: usize, k: i32): i32 {
  const total = load<f64>(cum + (<usize>(k - 1) << 3));
  const u = uniform(s) * total;
  let lo = 0;
  let hi = k - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<f64>(cum + (<usize>mid << 3)) > u) hi = mid;
    else lo = mid + 1;
  }
  // u·total can round up to total (probability ~2^-53); then the search ends on the last
  // index, which may have weight 0: step back to the last index that has weight.
  while (lo > 0 && load<f64>(cum + (<usize>lo << 3)) == load<f64>(cum + (<usize>(lo - 1) << 3))) lo--;
  return lo;
}

/** Dirichlet(alpha[0..k)) into out[0..k): k log-Gamma draws in index order, normalised in
 * log space (max-shifted) so that small concentrations neither underflow nor give 0/0. */
export function dirichletDraw(s: usize, alpha: usize, k: i32, out: usize): void {
  let mx = -Infinity;
  for (let i = 0; i < k; i++) {
    const o = <usize>i << 3;
    const l = logGammaDraw(s, load<f64>(alpha + o));
    store<f64>(out + o, l);
    mx = Math.max(mx, l);
  }
  let total = 0.0;
  for (let i = 0; i < k; i++) {
    const o = <usize>i << 3;
    const e = Math.exp(load<f64>(out + o) - mx);
    store<f64>(out + o, e);
    total += e;
  }
  const inv = 1.0 / total;
  for (let i = 0; i < k; i++) {
    const o = <usize>i << 3;
    store<f64>(out + o, load<f64>(out + o) * inv);
  }
}

/** Multivariate Student-t: x = μ + L z · √(df / w) with z ~ N(0, I_d) (d normals first),
 * then w ~ χ²(df) (Kotz & Nadarajah 2004, §1.1; METHOD.md §5). L is the lower Cholesky
 * factor of the scale matrix, f64 (d, d) row-major (entries above the diagonal are ignored);
 * μ is f64[d]; x is written to out[0..d), which must not alias μ or L. */
export function studentTDraw(s: usize, mu: usize, chol: usize, d: i32, df: f64, out: usize): void {
  for (let i = 0; i < d; i++) store<f64>(out + (<usize>i << 3), normal(s));
  const scale = Math.sqrt(df / chiSquareDraw(s, df));
  // Row i of L z uses z[0..i]; going from the last row up leaves z[0..i] unread-over.
  for (let i = d - 1; i >= 0; i--) {
    const row = chol + ((<usize>i * <usize>d) << 3);
    let acc = 0.0;
    for (let j = 0; j <= i; j++) acc += load<f64>(row + (<usize>j << 3)) * load<f64>(out + (<usize>j << 3));
    store<f64>(out + (<usize>i << 3), load<f64>(mu + (<usize>i << 3)) + scale * acc);
  }
}
