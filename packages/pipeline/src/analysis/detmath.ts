// Engine-independent exp and log.
//
// JavaScript leaves Math.exp/Math.log to the engine, so the same analysis could print a
// different last digit in another browser. These versions use only IEEE-754 + − × ÷ and
// bit manipulation, which every engine rounds identically, so statistics built on them
// (mixture likelihoods, BIC) are bit-identical in Node and any browser. Accuracy: a few ulp
// (tested against Math.* in detmath.test.ts), ample for statistics.

const LN2_HI = 0.6931471803691238; // fdlibm e_exp.c: ln2 split so k·LN2_HI is exact
const LN2_LO = 1.9082149292705877e-10;
const INV_LN2 = Math.LOG2E;
const SQRT2 = Math.SQRT2;

const buf = new ArrayBuffer(8);
const f64 = new Float64Array(buf);
const u32 = new Uint32Array(buf); // little-endian on every platform wasm and JS engines run on

/** 2^k for an integer k in [−1022, 1023], built from its bits. */
function pow2(k: number): number {
  u32[0] = 0;
  u32[1] = (k + 1023) << 20;
  return f64[0] as number;
}

/** e^x, deterministic across engines. */
export function detExp(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x > 709.782712893384) return Number.POSITIVE_INFINITY;
  if (x < -745.1332191019412) return 0;
  const k = Math.floor(x * INV_LN2 + 0.5);
  // Cody–Waite reduction: r = x − k·ln2 with |r| ≤ ln2/2 (+ rounding), computed in two parts.
  const r = x - k * LN2_HI - k * LN2_LO;
  // Taylor series of e^r to r^17/17!: truncation < 1e-19 relative for |r| ≤ 0.35.
  let p = 1;
  for (let i = 17; i >= 1; i--) p = 1 + (p * r) / i;
  if (k > 1023) return p * pow2(1023) * pow2(k - 1023);
  if (k < -1021) return p * pow2(k + 600) * pow2(-600);
  return p * pow2(k);
}

/** Natural logarithm, deterministic across engines. */
export function detLog(x: number): number {
  if (Number.isNaN(x) || x < 0) return Number.NaN;
  if (x === 0) return Number.NEGATIVE_INFINITY;
  if (x === Number.POSITIVE_INFINITY) return x;
  let e = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // 2^54: lift subnormals into the normal range
    e = -54;
  }
  f64[0] = x;
  const hi = u32[1] as number;
  e += ((hi >>> 20) & 0x7ff) - 1023;
  u32[1] = (hi & 0x000fffff) | 0x3ff00000; // mantissa m in [1, 2)
  let m = f64[0] as number;
  if (m > SQRT2) {
    m /= 2;
    e += 1;
  }
  // log m = 2 atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.1716: the series converges by 0.0295 a term.
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let t = 0;
  for (let j = 12; j >= 0; j--) t = 1 / (2 * j + 1) + s2 * t;
  const logm = 2 * s * t;
  return e * LN2_HI + (e * LN2_LO + logm);
}

/** log(Σ exp(v_i)) without overflow, deterministic. */
export function detLogSumExp(v: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < v.length; i++) if ((v[i] as number) > max) max = v[i] as number;
  if (max === Number.NEGATIVE_INFINITY || !Number.isFinite(max)) return max;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += detExp((v[i] as number) - max);
  return max + detLog(s);
}
