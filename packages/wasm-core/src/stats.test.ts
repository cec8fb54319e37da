import { beforeAll, describe, expect, it } from "vitest";
import type { Core } from "./core.js";
import { createCore } from "./node.js";
import {
  betaQuantile,
  binomLogPmf,
  binomTest,
  certifiedRadius,
  clopperPearsonLower,
  clopperPearsonUpper,
  incompleteBeta,
  maxCertifiableRadius,
  normCdf,
  normPpf,
  normSf,
} from "./stats.js";

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

function relErr(got: number, want: number): number {
  return want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
}
function expectRel(got: number, want: number, tol: number): void {
  if (!(relErr(got, want) <= tol)) throw new Error(`got ${got}, want ${want} (rel err ${relErr(got, want)} > ${tol})`);
}

// Reference values computed with scipy 1.10.1 (/usr/bin/python3, Debian):
//   stats.beta.ppf(alpha, k, n-k+1), stats.beta.isf(alpha, k+1, n-k), stats.norm.ppf/cdf/sf,
//   stats.binomtest(k, n, p).pvalue, special.betainc, special.betaincinv.
describe("METHOD.md §9 reference values (alpha = 0.001)", () => {
  it("k = 99 000 of 1e5", () => {
    const p = clopperPearsonLower(core, 99_000, 100_000, 0.001);
    expectRel(p, 0.98898934, 1e-7);
    expectRel(p, 0.9889893403774748, 1e-12); // scipy
    expectRel(normPpf(core, p), 2.29, 1e-7 + 2e-5); // the spec rounds to 2.2900
    expectRel(normPpf(core, p), 2.289999955213766, 1e-10); // scipy
  });
  it("k = 60 000 of 1e5", () => {
    const p = clopperPearsonLower(core, 60_000, 100_000, 0.001);
    expectRel(p, 0.59520105, 1e-7);
    expectRel(p, 0.5952010472945846, 1e-12);
    expectRel(normPpf(core, p), 0.24094479223472548, 1e-9);
    expect(Math.abs(normPpf(core, p) - 0.24094)).toBeLessThan(5e-6);
  });
  it("k = n = 1000", () => {
    const p = clopperPearsonLower(core, 1000, 1000, 0.001);
    expectRel(p, 0.99311605, 1e-7);
    expectRel(p, 0.001 ** (1 / 1000), 1e-13); // Beta(n, 1) quantile in closed form
    expectRel(normPpf(core, p), 2.4632626147808114, 1e-10);
    expect(Math.abs(normPpf(core, p) - 2.46326)).toBeLessThan(5e-6);
  });
  it("PREDICT 510 vs 490 gives p = 0.548 and abstains at alpha = 0.001", () => {
    const pv = binomTest(core, 510, 1000, 0.5);
    expectRel(pv, 0.5479727459234766, 1e-10);
    expect(Math.abs(pv - 0.548)).toBeLessThan(5e-4);
    expect(pv > 0.001).toBe(true);
  });
  it("largest certifiable radius is 3.81 sigma at n = 1e5", () => {
    const r = maxCertifiableRadius(core, 0.5, 100_000, 0.001);
    expectRel(r / 0.5, 3.8114565633899145, 1e-9);
    expect(Math.abs(r / 0.5 - 3.81)).toBeLessThan(5e-3);
    expect(certifiedRadius(core, 0.5, 0.49)).toBe(0);
    expectRel(certifiedRadius(core, 0.25, 0.9889893403774748), 0.25 * 2.289999955213766, 1e-10);
  });
});

describe("normal distribution", () => {
  it("matches mpmath (40 digits) in both tails", () => {
    // mpmath.ncdf; scipy 1.10's norm.cdf(-30) is off by 6e-14 relative, mpmath agrees with us.
    const cases: [number, number, number][] = [
      [-37.5, 4.605353009581955e-308, 1],
      [-30, 4.906713927148187e-198, 1],
      [-10, 7.619853024160525e-24, 1],
      [-5, 2.866515718791939e-7, 0.9999997133484281],
      [-1, 0.15865525393145707, 0.8413447460685429],
      [0, 0.5, 0.5],
      [0.3, 0.6179114221889526, 0.3820885778110474],
      [8, 0.9999999999999993, 6.220960574271784e-16],
      [8.3, 1, 5.205569744890254e-17],
    ];
    for (const [x, cdf, sf] of cases) {
      expectRel(normCdf(core, x), cdf, 1e-14);
      expectRel(normSf(core, x), sf, 1e-14);
    }
  });
  it("Φ⁻¹ matches scipy", () => {
    const cases: [number, number][] = [
      [1e-300, -37.0470962993612],
      [1e-100, -21.273453560965322],
      [1e-20, -9.262340089798409],
      [1e-5, -4.264890793922825],
      [0.02425, -1.972961051311885],
      [0.1, -1.2815515655446004],
      [0.9, 1.2815515655446004],
      [1 - 1e-10, 6.361340889697422],
      [1 - 1e-16, 8.209536151601387],
    ];
    for (const [p, x] of cases) expectRel(normPpf(core, p), x, 1e-14);
    expect(normPpf(core, 0.5)).toBe(0);
    expect(normPpf(core, 0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normPpf(core, 1)).toBe(Number.POSITIVE_INFINITY);
  });
  it("Φ(Φ⁻¹(p)) = p over a grid from 1e-300 to 1 − 1e-16", () => {
    const ps: number[] = [1e-300, 1e-250, 1e-200, 1e-150, 1e-100, 1e-50, 1e-20, 1e-10, 1e-5];
    for (let i = 1; i < 200; i++) ps.push(i / 200);
    ps.push(1 - 1e-5, 1 - 1e-10, 1 - 1e-14, 1 - 1e-16);
    for (const p of ps) {
      const x = normPpf(core, p);
      if (p <= 0.5) {
        // Lower tail: relative error; the condition number |x|·φ(x)/Φ(x) ≈ x² grows to ~1400.
        expectRel(normCdf(core, x), p, 4e-16 * (1 + x * x) + 1e-15);
      } else {
        // Upper half: compare the complements, which is where the information is.
        expectRel(normSf(core, x), 1 - p, 4e-16 * (1 + x * x) + 1e-15 + 2.3e-16 / (1 - p));
      }
    }
  });
  it("is monotone and symmetric", () => {
    let prev = -1;
    for (let x = -38; x <= 9; x += 0.01) {
      const c = normCdf(core, x);
      expect(c >= prev).toBe(true);
      prev = c;
      expect(normSf(core, x)).toBe(normCdf(core, -x));
    }
  });
});

// Direct numerical integration of the Beta density for the incomplete beta checks:
// composite Gauss–Legendre after the substitution t = u^(1/a) (removes the t^(a−1) endpoint
// singularity) on each of the two halves, split at x/2 so the (1 − t)^(b−1) end is handled
// by the mirrored substitution.
function gaussLegendre(f: (t: number) => number, lo: number, hi: number, panels = 400): number {
  const nodes = [-0.906179845938664, -0.5384693101056831, 0, 0.5384693101056831, 0.906179845938664];
  const weights = [0.2369268850561891, 0.4786286704993665, 0.5688888888888889, 0.4786286704993665, 0.2369268850561891];
  let s = 0;
  const h = (hi - lo) / panels;
  for (let i = 0; i < panels; i++) {
    const m = lo + (i + 0.5) * h;
    for (let j = 0; j < 5; j++) s += (weights[j] ?? 0) * f(m + 0.5 * h * (nodes[j] ?? 0));
  }
  return 0.5 * h * s;
}
function lbetaRef(a: number, b: number): number {
  // log B via the integral itself is circular; use Γ through a high-order Stirling series
  // with recurrence (independent of the wasm Lanczos code).
  const lg = (x: number): number => {
    let shift = 0;
    while (x < 20) {
      shift -= Math.log(x);
      x += 1;
    }
    const x2 = x * x;
    return (
      shift +
      (x - 0.5) * Math.log(x) -
      x +
      0.5 * Math.log(2 * Math.PI) +
      1 / (12 * x) -
      1 / (360 * x * x2) +
      1 / (1260 * x * x2 * x2) -
      1 / (1680 * x * x2 * x2 * x2)
    );
  };
  return lg(a) + lg(b) - lg(a + b);
}
function ibetaByQuadrature(x: number, a: number, b: number): number {
  // I_x(a, b) = Q(x; a, b) for x ≤ 1/2 and 1 − Q(1 − x; b, a) above, where Q integrates the
  // density from 0 (t = u^(1/a) when a < 1 removes the t^(a−1) singularity, t = u⁴ otherwise
  // keeps a fractional power smooth; on [0, 1/2] the
  // (1 − t)^(b−1) factor is smooth).
  const q = (h: number, p: number, r: number): number => {
    const s =
      p < 1
        ? gaussLegendre((u) => (1 - u ** (1 / p)) ** (r - 1) / p, 0, h ** p)
        : // t = s⁴ makes a non-integer power t^(p−1) smooth at 0 (s^(4p−1)).
          gaussLegendre((u) => 4 * u ** (4 * p - 1) * (1 - u ** 4) ** (r - 1), 0, h ** 0.25);
    return s * Math.exp(-lbetaRef(p, r));
  };
  return x <= 0.5 ? q(x, a, b) : 1 - q(1 - x, b, a);
}

describe("incomplete beta", () => {
  it("agrees with direct numerical integration for small a, b", () => {
    for (const a of [0.3, 0.5, 1, 2.5, 7]) {
      for (const b of [0.4, 1, 3, 9.5]) {
        for (const x of [0.01, 0.1, 0.37, 0.5, 0.8, 0.99]) {
          const got = incompleteBeta(core, x, a, b);
          const want = ibetaByQuadrature(x, a, b);
          if (!(Math.abs(got - want) < 1e-10 * Math.max(want, 1e-3)))
            throw new Error(`I_${x}(${a}, ${b}) = ${got}, quadrature ${want}`);
          // Upper tail computed directly must equal the complement.
          expect(Math.abs(incompleteBeta(core, x, a, b, true) - (1 - got))).toBeLessThan(2e-15);
        }
      }
    }
  });
  it("matches scipy/mpmath references", () => {
    expectRel(incompleteBeta(core, 0.3, 0.5, 0.5), 0.36901011956554536, 1e-14); // mpmath
    expectRel(incompleteBeta(core, 0.7, 2, 3), 0.9163, 1e-14); // closed form
    expectRel(incompleteBeta(core, 0.01, 0.1, 5), 0.7690889207843463, 1e-14); // mpmath
    expectRel(incompleteBeta(core, 0.999, 50, 2, true), 0.0012340903931170846, 1e-12); // mpmath
    expectRel(incompleteBeta(core, 0.989, 99000, 1001), 0.0011125530357308567, 1e-9); // scipy
    expectRel(incompleteBeta(core, 0.33, 1e4, 2e4), 0.11020551913303443, 1e-9); // scipy
    expectRel(incompleteBeta(core, 0.4, 1e4, 2e4, true), 7.476548606625338e-126, 1e-8); // scipy sf
  });
  it("is symmetric at x = 1/2 for a = b, even for a = 1e5", () => {
    // The continued fraction needs ~√a terms, each adding a rounding error: 1e-13 at 1e5.
    for (const a of [0.5, 3, 1e3]) expectRel(incompleteBeta(core, 0.5, a, a), 0.5, 1e-14);
    expectRel(incompleteBeta(core, 0.5, 1e5, 1e5), 0.5, 3e-13);
  });
});

describe("Beta quantile", () => {
  it("inverts the incomplete beta, including extreme p and large shapes", () => {
    const cases: [number, number, number, number][] = [
      [1e-300, 2, 3, 4.082482904638631e-151],
      [1e-10, 0.5, 0.5, 2.4674011002723385e-20],
      [0.3, 1e5, 3e4, 0.7686189849871796],
      [0.999999, 3, 1e5, 0.0001912714743033117],
      [1e-12, 1e5, 1e5, 0.4921356846122043],
      [0.5, 0.01, 0.02, 3.105592827577137e-13],
    ];
    for (const [p, a, b, want] of cases) expectRel(betaQuantile(core, p, a, b), want, 1e-11);
  });
  it("round-trips and is monotone in p", () => {
    for (const [a, b] of [
      [0.2, 0.3],
      [1, 1],
      [2, 50],
      [1e5, 3],
      [3e4, 7e4],
    ] as [number, number][]) {
      let prev = 0;
      for (const p of [1e-200, 1e-50, 1e-9, 1e-3, 0.01, 0.2, 0.5, 0.7, 0.99, 1 - 1e-9]) {
        const x = betaQuantile(core, p, a, b);
        expect(x >= prev).toBe(true);
        prev = x;
        // Quantiles below the smallest normal double, or within rounding of 1, cannot round-trip.
        if (x < 1e-300 || x === 1) continue;
        if (p < 0.5) expectRel(incompleteBeta(core, x, a, b), p, 1e-10);
        else expectRel(incompleteBeta(core, x, a, b, true), 1 - p, 1e-6);
      }
    }
  });
  it("upper-tail quantile equals the lower-tail one at 1 − p", () => {
    expectRel(betaQuantile(core, 0.001, 5, 7, true), betaQuantile(core, 0.999, 5, 7), 1e-13);
  });
});

describe("Clopper–Pearson", () => {
  it("matches scipy's beta quantiles and the k = 0 / k = n edge cases", () => {
    expect(clopperPearsonLower(core, 0, 10, 0.001)).toBe(0);
    expect(clopperPearsonUpper(core, 10, 10, 0.001)).toBe(1);
    expectRel(clopperPearsonUpper(core, 0, 10, 0.001), 0.49881276637272776, 1e-12);
    expectRel(clopperPearsonLower(core, 5, 10, 0.001), 0.08981318981185427, 1e-12);
    expectRel(clopperPearsonUpper(core, 5, 10, 0.001), 0.9101868101881457, 1e-12);
    expectRel(clopperPearsonLower(core, 50, 100, 0.001), 0.3447980064253177, 1e-12);
    expectRel(clopperPearsonUpper(core, 99_000, 100_000, 0.001), 0.9909445314129198, 1e-11);
    expectRel(clopperPearsonLower(core, 1, 100_000, 0.001), 1.0005003285785289e-8, 1e-11);
    expectRel(clopperPearsonUpper(core, 1, 100_000, 0.001), 9.233033373455402e-5, 1e-11);
  });
  it("covers the true proportion at least 1 − alpha of the time (exact binomial sum)", () => {
    // Coverage P(lower(K) ≤ p) for K ~ Bin(n, p), summed exactly over K with the wasm pmf.
    const alpha = 0.05;
    for (const n of [10, 37, 100]) {
      const lows = Array.from({ length: n + 1 }, (_, k) => clopperPearsonLower(core, k, n, alpha));
      const ups = Array.from({ length: n + 1 }, (_, k) => clopperPearsonUpper(core, k, n, alpha));
      for (const p of [0.03, 0.2, 0.5, 0.77, 0.95]) {
        let coverLo = 0;
        let coverUp = 0;
        for (let k = 0; k <= n; k++) {
          const pk = Math.exp(binomLogPmf(core, k, n, p));
          if ((lows[k] ?? 1) <= p) coverLo += pk;
          if ((ups[k] ?? 0) >= p) coverUp += pk;
        }
        expect(coverLo).toBeGreaterThanOrEqual(1 - alpha - 1e-12);
        expect(coverUp).toBeGreaterThanOrEqual(1 - alpha - 1e-12);
      }
      // The bounds are monotone in k.
      for (let k = 1; k <= n; k++) expect((lows[k] ?? 0) > (lows[k - 1] ?? 1)).toBe(true);
    }
  });
  it("rejects bad counts with a message naming the argument", () => {
    expect(() => clopperPearsonLower(core, 11, 10, 0.001)).toThrow(/k must be an integer in \[0, n=10\]/);
    expect(() => clopperPearsonLower(core, 1, 10, 0)).toThrow(/alpha must be in \(0, 1\)/);
    expect(() => clopperPearsonLower(core, 1.5, 10, 0.1)).toThrow(/k must be/);
  });
});

describe("binomial test", () => {
  function bruteForce(k: number, n: number, p: number): number {
    // Exact pmf by the multiplicative recurrence in plain doubles (n small).
    const pmf = new Float64Array(n + 1);
    pmf[0] = (1 - p) ** n;
    for (let i = 1; i <= n; i++) pmf[i] = ((pmf[i - 1] ?? 0) * (n - i + 1) * p) / (i * (1 - p));
    const d = pmf[k] ?? 0;
    let s = 0;
    for (let i = 0; i <= n; i++) if ((pmf[i] ?? 0) <= d * (1 + 1e-7)) s += pmf[i] ?? 0;
    return Math.min(1, s);
  }
  it("equals the brute-force sum for every k at small n", () => {
    for (const [n, p] of [
      [1, 0.5],
      [7, 0.5],
      [20, 0.3],
      [33, 0.5],
      [40, 0.2],
      [60, 0.85],
    ] as [number, number][]) {
      for (let k = 0; k <= n; k++) expectRel(binomTest(core, k, n, p), bruteForce(k, n, p), 1e-11);
    }
  });
  it("matches scipy.stats.binomtest", () => {
    const cases: [number, number, number, number][] = [
      [3, 10, 0.5, 0.34375],
      [7, 20, 0.3, 0.6294979666766769],
      [0, 5, 0.5, 0.0625],
      [12, 40, 0.2, 0.1159673303817507],
      [50500, 100000, 0.5, 0.0015823598788515165],
      [49000, 100000, 0.5, 2.588716038346895e-10],
      [99, 100, 0.9, 0.0006336060581826187],
      [2, 30, 0.17, 0.21890305652077277],
    ];
    for (const [k, n, p, want] of cases) expectRel(binomTest(core, k, n, p), want, 1e-9);
  });
  it("is fast at n = 1e5", () => {
    // Not a timing assertion: the point is that it terminates (a pmf sum over 1e5 outcomes
    // per call for 2000 calls would still pass, but slowly); see bench/ for speed.
    let s = 0;
    for (let k = 49_000; k < 51_000; k++) s += binomTest(core, k, 100_000, 0.5);
    expect(s).toBeGreaterThan(0);
  });
  it("log pmf is accurate where lgamma differences would cancel", () => {
    // log C(1e5, 5e4) 2^-1e5 = log(0.002523...) (mpmath, 30 digits; scipy 1.10 binom.logpmf is off by 3e-11 here).
    expectRel(binomLogPmf(core, 50_000, 100_000, 0.5), -5.982256585129842, 1e-13);
  });
});
