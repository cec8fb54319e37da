// Special functions shared by the densities (Student-t normalisers) and the statistics
// (incomplete beta, Clopper–Pearson). Pure f64 arithmetic on AssemblyScript's own Math, so
// results are bit-identical in every engine.

const LANCZOS_G: f64 = 7.0;
// Lanczos (1964) coefficients for g = 7, n = 9 (Godfrey's table, as in Press et al.,
// Numerical Recipes 3rd ed. §6.1, and Boost's reference). Relative error of Γ below 2e-15
// for x > 0.5.
const LANCZOS_P0: f64 = 0.99999999999980993;
const LANCZOS_P1: f64 = 676.5203681218851;
const LANCZOS_P2: f64 = -1259.1392167224028;
const LANCZOS_P3: f64 = 771.32342877765313;
const LANCZOS_P4: f64 = -176.61502916214059;
const LANCZOS_P5: f64 = 12.507343278686905;
const LANCZOS_P6: f64 = -0.13857109526572012;
const LANCZOS_P7: f64 = 9.9843695780195716e-6;
const LANCZOS_P8: f64 = 1.5056327351493116e-7;
const HALF_LOG_2PI: f64 = 0.91893853320467274178;
const LOG_PI: f64 = 1.1447298858494001741;

/** log |Γ(x)| for real x that is not a non-positive integer (those give +Infinity).
 * Lanczos approximation for x ≥ 0.5, the reflection formula Γ(x)Γ(1−x) = π / sin(πx) below. */
export function lgamma(x: f64): f64 {
  if (isNaN(x)) return x;
  if (x == Infinity) return Infinity;
  if (x < 0.5) {
    if (x == Math.floor(x)) return Infinity;
    const s = Math.abs(Math.sin(Math.PI * x));
    return LOG_PI - Math.log(s) - lgamma(1.0 - x);
  }
  // Exact small factorials keep lgamma(1) = lgamma(2) = 0 and integer arguments exact to
  // rounding, which the Student-t normalisers with integer degrees of freedom hit often.
  if (x == 1.0 || x == 2.0) return 0.0;
  const z = x - 1.0;
  let a = LANCZOS_P0;
  a += LANCZOS_P1 / (z + 1.0);
  a += LANCZOS_P2 / (z + 2.0);
  a += LANCZOS_P3 / (z + 3.0);
  a += LANCZOS_P4 / (z + 4.0);
  a += LANCZOS_P5 / (z + 5.0);
  a += LANCZOS_P6 / (z + 6.0);
  a += LANCZOS_P7 / (z + 7.0);
  a += LANCZOS_P8 / (z + 8.0);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log(exp(a) + exp(b)) without overflow. */
// @ts-ignore: decorator
@inline export function logAddExp(a: f64, b: f64): f64 {
  if (a == -Infinity) return b;
  if (b == -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}
