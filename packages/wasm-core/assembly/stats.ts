// Statistics for certification (METHOD.md §9): the normal distribution function and its
// inverse, the regularized incomplete beta function and Beta quantiles, Clopper–Pearson
// bounds, and the two-sided exact binomial test.
//
// Everything is plain IEEE-754 f64 arithmetic on AssemblyScript's own (musl-derived) Math,
// compiled into the module, so every result is bit-identical in every engine. No function
// here allocates.

import { lgamma } from "./special";

const LN_2PI: f64 = 1.8378770664093454836; // log(2π)
const LN_SQRT_2PI: f64 = 0.91893853320467274178; // log(√(2π))
const INV_SQRT_2PI: f64 = 0.39894228040143267794; // 1/√(2π)
const SQRT_32: f64 = 5.6568542494923801952; // √32
const EPS: f64 = 2.220446049250313e-16;

// ---------------------------------------------------------------------------------------
// Normal distribution function Φ.
//
// W. J. Cody, "Rational Chebyshev approximation for the error function", Math. Comp. 23
// (1969), and ACM TOMS Algorithm 715 (SPECFUN, 1993): three ranges of rational
// approximations with relative error near machine precision, the tail one written for
// exp(−x²/2)·R(1/x²)/|x| so that Φ(x) for x down to −37.5 keeps full relative accuracy (an
// erf-based 1 − … form would cancel). The exponent is split as x = xsq + (x − xsq) with xsq
// a multiple of 1/16, which makes xsq² exact and removes the rounding error of x² from the
// exponential (the same device as in R's pnorm).

// @ts-ignore: decorator
@inline function codyTailFactor(x: f64): f64 {
  const xsq = Math.trunc(x * 16.0) / 16.0;
  const del = (x - xsq) * (x + xsq);
  return Math.exp(-xsq * xsq * 0.5) * Math.exp(-del * 0.5);
}

/** Φ(x) when `upper` is false, 1 − Φ(x) = Φ(−x) when true; both with full relative accuracy
 * in their own tail. NaN propagates. */
export function normCdf(x: f64, upper: bool): f64 {
  if (isNaN(x)) return x;
  if (upper) x = -x;
  const y = Math.abs(x);
  if (y <= 0.67448975) {
    // |x| ≤ Φ⁻¹(3/4): Φ(x) = 1/2 + x·R(x²).
    const xsq = y > EPS * 0.5 ? x * x : 0.0;
    let num = 0.065682337918207449113 * xsq;
    let den = xsq;
    num = (num + 2.2352520354606839287) * xsq;
    den = (den + 47.20258190468824187) * xsq;
    num = (num + 161.02823106855587881) * xsq;
    den = (den + 976.09855173777669322) * xsq;
    num = (num + 1067.6894854603709582) * xsq;
    den = (den + 10260.932208618978205) * xsq;
    const t = (x * (num + 18154.981253343561249)) / (den + 45507.789335026729956);
    return 0.5 + t;
  }
  let tail: f64; // Φ(−y)
  if (y <= SQRT_32) {
    let num = 1.0765576773720192317e-8 * y;
    let den = y;
    num = (num + 0.39894151208813466764) * y;
    den = (den + 22.266688044328115691) * y;
    num = (num + 8.8831497943883759412) * y;
    den = (den + 235.38790178262499861) * y;
    num = (num + 93.506656132177855979) * y;
    den = (den + 1519.377599407554805) * y;
    num = (num + 597.27027639480026226) * y;
    den = (den + 6485.558298266760755) * y;
    num = (num + 2494.5375852903726711) * y;
    den = (den + 18615.571640885098091) * y;
    num = (num + 6848.1904505362823326) * y;
    den = (den + 34900.952721145977266) * y;
    num = (num + 11602.651437647350124) * y;
    den = (den + 38912.003286093271411) * y;
    const r = (num + 9842.7148383839780218) / (den + 19685.429676859990727);
    tail = codyTailFactor(y) * r;
  } else if (y < 38.5) {
    const xsq = 1.0 / (x * x);
    let num = 0.02307344176494017303 * xsq;
    let den = xsq;
    num = (num + 0.21589853405795699) * xsq;
    den = (den + 1.28426009614491121) * xsq;
    num = (num + 0.1274011611602473639) * xsq;
    den = (den + 0.468238212480865118) * xsq;
    num = (num + 0.022235277870649807) * xsq;
    den = (den + 0.0659881378689285515) * xsq;
    num = (num + 0.001421619193227893466) * xsq;
    den = (den + 0.00378239633202758244) * xsq;
    let r = (xsq * (num + 2.9112874951168792e-5)) / (den + 7.29751555083966205e-5);
    r = (INV_SQRT_2PI - r) / y;
    tail = codyTailFactor(y) * r;
  } else {
    tail = 0.0;
  }
  return x > 0.0 ? 1.0 - tail : tail;
}

// ---------------------------------------------------------------------------------------
// Inverse normal distribution function Φ⁻¹.
//
// M. J. Wichura, "Algorithm AS 241: The percentage points of the normal distribution",
// Applied Statistics 37(3), 1988, 477–484: PPND16, relative accuracy about 1e-16. For
// p > 1/2 the tail variable is 1 − p, which is exact in floating point (Sterbenz).

/** Φ⁻¹(p) for p in [0, 1]; −Infinity at 0, +Infinity at 1, NaN outside. */
export function normPpf(p: f64): f64 {
  if (isNaN(p) || p < 0.0 || p > 1.0) return NaN;
  if (p == 0.0) return -Infinity;
  if (p == 1.0) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    const num =
      (((((((2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r + 6.7265770927008700853e4) * r +
        4.5921953931549871457e4) *
        r +
        1.3731693765509461125e4) *
        r +
        1.9715909503065514427e3) *
        r +
        1.3314166789178437745e2) *
        r +
        3.387132872796366608) *
      q;
    const den =
      ((((((5.226495278852854561e3 * r + 2.8729085735721942674e4) * r + 3.930789580009271061e4) * r +
        2.1213794301586595867e4) *
        r +
        5.3941960214247511077e3) *
        r +
        6.871870074920579083e2) *
        r +
        4.2313330701600911252e1) *
        r +
      1.0;
    return num / den;
  }
  let r = q < 0.0 ? p : 1.0 - p;
  r = Math.sqrt(-Math.log(r));
  let x: f64;
  if (r <= 5.0) {
    r -= 1.6;
    const num =
      ((((((7.7454501427834140764e-4 * r + 2.27238449892691845833e-2) * r + 2.4178072517745061177e-1) * r +
        1.27045825245236838258) *
        r +
        3.64784832476320460504) *
        r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
      1.42343711074968357734;
    const den =
      ((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 1.51986665636164571966e-2) * r +
        1.4810397642748007459e-1) *
        r +
        6.8976733498510000455e-1) *
        r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
      1.0;
    x = num / den;
  } else {
    r -= 5.0;
    const num =
      ((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 1.2426609473880784386e-3) * r +
        2.6532189526576123093e-2) *
        r +
        2.9656057182850489123e-1) *
        r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
      6.6579046435011037772;
    const den =
      ((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
        7.868691311456132591e-4) *
        r +
        1.48753612908506148525e-2) *
        r +
        1.3692988092273580531e-1) *
        r +
        5.9983220655588793769e-1) *
        r +
      1.0;
    x = num / den;
  }
  return q < 0.0 ? -x : x;
}

// ---------------------------------------------------------------------------------------
// Binomial and Beta densities without cancellation.
//
// C. Loader, "Fast and accurate computation of binomial probabilities" (2000): the binomial
// probability as exp(stirlerr terms − deviance terms) / √(2π k (n−k)/n). Unlike
// lgamma(n+1) − lgamma(k+1) − lgamma(n−k+1) + …, whose terms reach 1e6 at n = 1e5 and cancel
// to a small number, every term here is small, so the relative error stays near 1e-15 for
// any n. Valid for real (non-integer) k and n, which the Beta density uses.

/** log Γ(n+1) − log(√(2πn) (n/e)^n), the error of Stirling's formula; n > 0. */
function stirlerr(n: f64): f64 {
  if (n <= 15.0) {
    // Small n: direct, the terms are at most ~45 so the absolute error stays ~1e-14.
    return lgamma(n + 1.0) - (n + 0.5) * Math.log(n) + n - LN_SQRT_2PI;
  }
  // Asymptotic series 1/(12n) − 1/(360n³) + 1/(1260n⁵) − 1/(1680n⁷) + 1/(1188n⁹).
  const nn = n * n;
  const S0: f64 = 0.083333333333333333333;
  const S1: f64 = 0.00277777777777777777778;
  const S2: f64 = 0.00079365079365079365079365;
  const S3: f64 = 0.000595238095238095238095238;
  const S4: f64 = 0.0008417508417508417508417508;
  if (n > 500.0) return (S0 - S1 / nn) / n;
  if (n > 80.0) return (S0 - (S1 - S2 / nn) / nn) / n;
  if (n > 35.0) return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n;
}

/** The deviance term x·log(x/m) + m − x, by a series when x ≈ m (no cancellation). */
function bd0(x: f64, m: f64): f64 {
  const d = x - m;
  if (Math.abs(d) < 0.1 * (x + m)) {
    let v = d / (x + m);
    let s = d * v;
    let ej = 2.0 * x * v;
    v = v * v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / <f64>(2 * j + 1);
      if (s1 == s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / m) + m - x;
}

/** log of the binomial probability C(n, k) p^k q^(n−k), q = 1 − p given separately so
 * that p near 1 keeps its accuracy; real 0 ≤ k ≤ n. */
export function logBinomRaw(k: f64, n: f64, p: f64, q: f64): f64 {
  if (p == 0.0) return k == 0.0 ? 0.0 : -Infinity;
  if (q == 0.0) return k == n ? 0.0 : -Infinity;
  if (k == 0.0) {
    if (n == 0.0) return 0.0;
    return p < 0.1 ? -bd0(n, n * q) - n * p : n * Math.log(q);
  }
  if (k == n) return q < 0.1 ? -bd0(n, n * p) - n * q : n * Math.log(p);
  if (k < 0.0 || k > n) return -Infinity;
  const lc = stirlerr(n) - stirlerr(k) - stirlerr(n - k) - bd0(k, n * p) - bd0(n - k, n * q);
  const lf = LN_2PI + Math.log(k) + Math.log1p(-k / n);
  return lc - 0.5 * lf;
}

/** log of x^a y^b / B(a, b) with y = 1 − x (given separately for accuracy); a, b > 0.
 * x^a y^b / B(a,b) = (ab/(a+b)) · C(a+b, a) x^a y^b with the binomial coefficient taken
 * through Γ, so Loader's form applies with k = a, n = a + b. */
function logBetaPowerTerm(x: f64, y: f64, a: f64, b: f64): f64 {
  return Math.log((a * b) / (a + b)) + logBinomRaw(a, a + b, x, y);
}

// ---------------------------------------------------------------------------------------
// Regularized incomplete beta I_x(a, b).
//
// Continued fraction (Abramowitz & Stegun 26.5.8; Press et al., Numerical Recipes 3rd ed.
// §6.4) evaluated with the modified Lentz method (Lentz 1976; Thompson & Barnett 1986). It
// converges quickly for x < (a+1)/(a+b+2); beyond that the symmetry I_x(a,b) = 1 − I_{1−x}(b,a)
// is used, and the complement is returned directly when it is the requested tail, so a tiny
// upper tail never comes from 1 − (something near 1).

const TINY: f64 = 1e-300;

function betaContinuedFraction(x: f64, a: f64, b: f64): f64 {
  const qab = a + b;
  const qap = a + 1.0;
  const qam = a - 1.0;
  let c = 1.0;
  let d = 1.0 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1.0 / d;
  let h = d;
  for (let m = 1; m <= 100000; m++) {
    const fm = <f64>m;
    const m2 = 2.0 * fm;
    let aa = (fm * (b - fm) * x) / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1.0 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1.0 / d;
    h *= d * c;
    aa = (-(a + fm) * (qab + fm) * x) / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1.0 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1.0 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1.0) <= EPS) return h;
  }
  return h; // not reached for finite a, b below ~1e10: iterations grow like √max(a, b)
}

/** I_x(a, b) (lower tail) or 1 − I_x(a, b) (upper tail), with y = 1 − x supplied by the
 * caller so that x near 1 (y tiny) keeps its accuracy. a, b > 0, 0 ≤ x ≤ 1. */
export function ibetaTail(x: f64, y: f64, a: f64, b: f64, upper: bool): f64 {
  if (isNaN(x) || isNaN(y) || isNaN(a) || isNaN(b) || !(a > 0.0) || !(b > 0.0)) return NaN;
  if (x <= 0.0) return upper ? 1.0 : 0.0;
  if (y <= 0.0) return upper ? 0.0 : 1.0;
  if (x < (a + 1.0) / (a + b + 2.0)) {
    const lower = Math.exp(logBetaPowerTerm(x, y, a, b)) * betaContinuedFraction(x, a, b) / a;
    return upper ? 1.0 - lower : lower;
  }
  const up = Math.exp(logBetaPowerTerm(y, x, b, a)) * betaContinuedFraction(y, b, a) / b;
  return upper ? up : 1.0 - up;
}

/** The Beta(a, b) density at x (y = 1 − x). */
function betaPdf(x: f64, y: f64, a: f64, b: f64): f64 {
  return Math.exp(logBetaPowerTerm(x, y, a, b)) / (x * y);
}

// ---------------------------------------------------------------------------------------
// Beta quantiles.
//
// Solves I_x(a, b) = p for the lower tail with p ≤ 1/2; a larger p is turned into the other
// tail through I_x(a, b) = 1 − I_{1−x}(b, a). Newton's method on log I in the variable log x
// (where the tail behaves like a power law, so the step is nearly exact even for p = 1e-300),
// safeguarded by a bracket that every evaluation shrinks, with bisection whenever a step would
// leave it. Start: the approximation of Numerical Recipes 3rd ed. §6.14 (invbetai).

function lowerBetaQuantile(p: f64, a: f64, b: f64): f64 {
  // Initial guess.
  let x: f64;
  if (a >= 1.0 && b >= 1.0) {
    const t = -normPpf(p); // upper normal deviate of p (p ≤ 1/2, so t ≥ 0)
    const z = -t;
    const al = (z * z - 3.0) / 6.0;
    const h = 2.0 / (1.0 / (2.0 * a - 1.0) + 1.0 / (2.0 * b - 1.0));
    const w = (z * Math.sqrt(al + h)) / h - (1.0 / (2.0 * b - 1.0) - 1.0 / (2.0 * a - 1.0)) * (al + 5.0 / 6.0 - 2.0 / (3.0 * h));
    x = a / (a + b * Math.exp(2.0 * w));
  } else {
    const lna = Math.log(a / (a + b));
    const lnb = Math.log(b / (a + b));
    const t = Math.exp(a * lna) / a;
    const u = Math.exp(b * lnb) / b;
    const w = t + u;
    if (p < t / w) x = Math.pow(a * w * p, 1.0 / a);
    else x = 1.0 - Math.pow(b * w * (1.0 - p), 1.0 / b);
  }
  if (!(x > 0.0 && x < 1.0)) x = 0.5;
  let lo = 0.0;
  let hi = 1.0;
  const logp = Math.log(p);
  for (let iter = 0; iter < 2000; iter++) {
    const y = 1.0 - x;
    const f = ibetaTail(x, y, a, b, false);
    if (f == p) return x;
    if (f < p) lo = x;
    else hi = x;
    let xn: f64 = -1.0;
    if (f > 0.0) {
      const g = Math.log(f) - logp;
      // d log I / d log x = x·pdf(x) / I(x)
      const slope = (x * betaPdf(x, y, a, b)) / f;
      if (slope > 0.0 && isFinite(slope)) xn = x * Math.exp(-g / slope);
    }
    if (!(xn > lo && xn < hi)) {
      // A Newton step that lands just past an end of the bracket means the root is at that
      // end to within rounding.
      if (xn >= hi && xn - hi <= 1e-13 * hi) return hi;
      if (xn > 0.0 && xn <= lo && lo - xn <= 1e-13 * lo) return lo;
      // Bisection: geometric once a positive lower end is known (x may be tiny; the square
      // roots taken apart so that lo·hi cannot underflow), otherwise halving towards 0.
      xn = lo > 0.0 ? Math.sqrt(lo) * Math.sqrt(hi) : hi * 0.5;
      if (lo > 0.0 && hi - lo > 0.25 * hi) xn = 0.5 * (lo + hi);
    }
    if (Math.abs(xn - x) <= 4.0 * EPS * x || hi - lo <= 2.0 * EPS * hi) return xn;
    x = xn;
  }
  return x;
}

/** The x with I_x(a, b) = p (lower tail) or 1 − I_x(a, b) = p (upper tail); a, b > 0. */
export function betaQuantile(p: f64, a: f64, b: f64, upper: bool): f64 {
  if (isNaN(p) || isNaN(a) || isNaN(b) || !(a > 0.0) || !(b > 0.0) || p < 0.0 || p > 1.0) return NaN;
  if (upper) {
    // Upper tail p of Beta(a, b) at x ⇔ lower tail p of Beta(b, a) at 1 − x.
    if (p == 0.0) return 1.0;
    if (p == 1.0) return 0.0;
    if (p <= 0.5) return 1.0 - lowerBetaQuantile(p, b, a);
    return lowerBetaQuantile(1.0 - p, a, b);
  }
  if (p == 0.0) return 0.0;
  if (p == 1.0) return 1.0;
  if (p <= 0.5) return lowerBetaQuantile(p, a, b);
  return 1.0 - lowerBetaQuantile(1.0 - p, b, a);
}

// ---------------------------------------------------------------------------------------
// Clopper–Pearson (1934) exact bounds for a binomial proportion.

/** One-sided lower bound at level alpha for k successes of n: the alpha-quantile of
 * Beta(k, n − k + 1); 0 when k = 0. (Cohen et al. 2019, CERTIFY's p_A lower bound.) */
export function clopperPearsonLower(k: f64, n: f64, alpha: f64): f64 {
  if (k == 0.0) return 0.0;
  return betaQuantile(alpha, k, n - k + 1.0, false);
}

/** One-sided upper bound at level alpha: the (1 − alpha)-quantile of Beta(k + 1, n − k),
 * taken as the upper-tail alpha-quantile so that small alpha keeps its accuracy; 1 when k = n. */
export function clopperPearsonUpper(k: f64, n: f64, alpha: f64): f64 {
  if (k == n) return 1.0;
  return betaQuantile(alpha, k + 1.0, n - k, true);
}

// ---------------------------------------------------------------------------------------
// Exact binomial test.

/** P(X ≤ k) for X ~ Binomial(n, p): I_{1−p}(n − k, k + 1). */
function binomCdf(k: f64, n: f64, p: f64, q: f64): f64 {
  if (k < 0.0) return 0.0;
  if (k >= n) return 1.0;
  return ibetaTail(q, p, n - k, k + 1.0, false);
}

/** P(X ≥ j) for X ~ Binomial(n, p): I_p(j, n − j + 1). */
function binomSfFrom(j: f64, n: f64, p: f64, q: f64): f64 {
  if (j <= 0.0) return 1.0;
  if (j > n) return 0.0;
  return ibetaTail(p, q, j, n - j + 1.0, false);
}

/** Two-sided exact binomial test of k successes in n trials against probability p: the
 * total probability of outcomes no more likely than k, with the relative tolerance 1 + 1e-7
 * of R's binom.test and scipy.stats.binomtest. Probabilities are compared as logs (so
 * outcomes whose probabilities underflow still compare correctly), and the two tails are
 * summed through the incomplete beta function, so n = 1e5 costs a few dozen evaluations.
 * The outcomes at least as unlikely on the far side of the mean form a contiguous tail
 * (the pmf is unimodal with its mode between floor(np) and ceil(np)), found by bisection. */
export function binomTestTwoSided(k: f64, n: f64, p: f64): f64 {
  const q = 1.0 - p;
  const m = n * p;
  if (k == m) return 1.0;
  const logd = logBinomRaw(k, n, p, q) + 1e-7; // log(d·(1 + 1e-7)) to within 5e-15
  let pval: f64;
  if (k < m) {
    // Smallest i in [ceil(m), n] with pmf(i) ≤ d·(1+1e-7); pmf is non-increasing there.
    let lo = Math.ceil(m);
    let hi = n + 1.0; // sentinel: none
    if (logBinomRaw(n, n, p, q) > logd) {
      lo = n + 1.0;
    } else {
      hi = n;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) * 0.5);
        if (logBinomRaw(mid, n, p, q) <= logd) hi = mid;
        else lo = mid + 1.0;
      }
    }
    pval = binomCdf(k, n, p, q) + binomSfFrom(lo, n, p, q);
  } else {
    // Largest i in [0, floor(m)] with pmf(i) ≤ d·(1+1e-7); pmf is non-decreasing there.
    let hi = Math.floor(m);
    let lo: f64 = -1.0; // sentinel: none
    if (logBinomRaw(0.0, n, p, q) > logd) {
      hi = -1.0;
    } else {
      lo = 0.0;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) * 0.5);
        if (logBinomRaw(mid, n, p, q) <= logd) lo = mid;
        else hi = mid - 1.0;
      }
    }
    pval = binomCdf(hi, n, p, q) + binomSfFrom(k, n, p, q);
  }
  return Math.min(1.0, pval);
}
