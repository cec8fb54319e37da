import { beforeAll, describe, expect, it } from "vitest";
import { type Core, Rng } from "./core.js";
import {
  type Chains,
  convergenceSummary,
  essBulk,
  essMean,
  essQuantile,
  essTail,
  mcseMean,
  mcseQuantile,
  rhat,
  rhatBulk,
  rhatTail,
} from "./diagnostics.js";
import { createCore } from "./node.js";

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

function expectRel(got: number, want: number, tol: number): void {
  if (Number.isNaN(want)) {
    expect(got).toBeNaN();
    return;
  }
  const err = want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
  if (!(err <= tol)) throw new Error(`got ${got}, want ${want} (rel err ${err} > ${tol})`);
}

/** m chains of n draws of a stationary Gaussian AR(1) with coefficient phi, unit variance. */
function ar1(seed: number, m: number, n: number, phi: number, scale: (c: number) => number = () => 1): Float64Array[] {
  const out: Float64Array[] = [];
  const innov = Math.sqrt(1 - phi * phi);
  for (let c = 0; c < m; c++) {
    using rng = new Rng(core, seed, c);
    const e = rng.normal(n);
    const x = new Float64Array(n);
    let prev = e[0] as number;
    x[0] = prev;
    for (let i = 1; i < n; i++) {
      prev = phi * prev + innov * (e[i] as number);
      x[i] = prev;
    }
    const s = scale(c);
    for (let i = 0; i < n; i++) x[i] = (x[i] as number) * s;
    out.push(x);
  }
  return out;
}

// Fixed inputs for the reference comparison (rounded to 3 decimals so that R reads exactly the
// same doubles). A: 4 × 21 (odd length: the middle draw is dropped when splitting), one chain
// shifted and wider; B: 3 × 12 integer "cluster counts" with heavy ties; C: 2 × 60 AR(0.8);
// D: 2 × 30 antithetic AR(−0.95), where the ESS cap S·log10(S) binds.
const A: number[][] = [
  [
    0.995, 0.133, 1.116, -0.118, -1.13, -0.6, 0.972, 0.655, 1.034, 1.131, -0.406, 0.573, -1.352, -0.397, -0.237, -0.751,
    0.346, 1.253, 1.488, 1.475, 1.177,
  ],
  [
    -0.722, 0.378, 0.207, 1.579, 1.611, 1.514, -0.565, -2.233, -1.348, -3.018, -0.767, -0.915, -0.001, 1.923, -0.761,
    -0.076, 0.312, -0.433, -1.296, -0.633, -0.87,
  ],
  [
    1.523, 0.594, 0.194, 0.781, 1.6, 2.221, 2.346, 1.538, 0.194, 0.528, 0.507, 0.975, 2.411, 0.247, -1.466, -1.43,
    -1.099, -1.308, -1.356, -1.106, -1.886,
  ],
  [
    -0.275, -0.111, -1.771, 1.441, 0.89, -1.183, -2.307, -0.819, 1.683, 2.286, 2.22, 2.209, 1.051, -0.011, 0.42, 1.14,
    1.52, -0.15, 1.778, 0.237, -2.342,
  ],
];
const B: number[][] = [
  [3, 4, 5, 5, 5, 4, 4, 5, 5, 6, 6, 5],
  [4, 3, 2, 2, 2, 2, 3, 3, 4, 5, 6, 6],
  [3, 4, 4, 4, 5, 5, 6, 6, 5, 4, 4, 5],
];
const C: number[][] = [
  [
    0.417, 0.953, 0.204, -0.205, -0.658, -0.491, -0.941, -0.938, -0.263, 0.004, -0.173, -0.613, -1.587, -1.707, -2.347,
    -1.115, -0.391, 0.281, -0.225, -0.406, -0.72, -0.394, -0.344, 0.302, 1.271, 1.386, 0.789, 0.699, 1.618, 1.411,
    0.759, 0.355, -0.004, 0.283, -0.938, -0.168, -1.067, -1.334, -1.011, -1.428, -0.661, 0.163, 0.006, 0.298, -0.334,
    -0.048, -0.909, -1.272, 0.32, -0.153, 0.201, -0.028, -0.109, -0.089, -0.462, -0.919, -1.738, -0.369, -0.292, 0.647,
  ],
  [
    0.178, 1.077, 1.308, 0.199, -0.263, -0.423, -0.27, -0.216, -0.272, -0.893, -0.075, 0.577, 0.448, -0.549, -1.405,
    -1.654, -0.809, -0.247, 0.982, -0.139, -0.647, -0.369, 0.722, 1.609, 0.345, 0.221, -0.055, -0.31, 0.522, 0.702,
    0.664, 0.897, 1.095, 0.03, 0.521, -0.629, 0.186, -0.067, 0.882, 0.976, 0.869, 0.536, 0.101, 0.94, 1.369, 1.09,
    0.972, 1.058, 1.193, 1.063, 2.557, 2.609, 2.386, 1.959, 1.093, 0.362, 1.039, 0.941, 1.134, 0.938,
  ],
];
const D: number[][] = [
  [
    -0.746, 0.627, -0.588, 0.345, -0.269, 0.212, -0.088, -0.238, 0.359, -0.145, 0.198, 0.487, -0.341, 0.135, -0.183,
    0.068, -0.204, 0.233, -0.283, 0.595, -0.71, 1.061, -1.286, 1.623, -1.574, 1.024, -1.185, 0.608, -0.383, -0.174,
  ],
  [
    2.467, -2.551, 2.109, -1.784, 1.573, -1.845, 1.7, -1.37, 0.585, -0.401, 0.447, -0.325, 0.301, -0.481, -0.229, 0.341,
    -0.676, 0.833, -0.955, 1.074, -0.792, 0.26, -0.497, 0.6, -0.273, 0.336, 0.044, 0.403, 0.205, -0.097,
  ],
];

// Reference values: ArviZ is not installable here (no Debian package, no numpy), so they come
// from the reference implementation itself, R 4.2.2 with posterior 1.4.0 (Debian bookworm
// r-cran-posterior 1.4.0+dfsg-1). With x <- cbind(<chains above>) (iterations × chains):
//   rhat(x); ess_bulk(x); ess_tail(x); ess_mean(x); ess_median(x); mcse_mean(x);
//   mcse_quantile(x, 0.05); mcse_median(x); mcse_quantile(x, 0.95); mean(x); sd(x)
//   rhatBulk: posterior:::.rhat(posterior:::z_scale(posterior:::.split_chains(x)))
//   rhatTail: posterior:::.rhat(posterior:::z_scale(posterior:::.split_chains(posterior:::fold_draws(x))))
// each printed with sprintf("%.17g"); NA is written NaN. posterior's autocovariance uses an FFT
// and R sums in long double, so agreement is to rounding, not bit for bit.
const REFERENCE: Record<"A" | "B" | "C", Record<string, number>> = {
  A: {
    rhat: 1.0400916153121693,
    rhatBulk: 1.0400916153121693,
    rhatTail: 1.0072713273349834,
    essBulk: 46.436087219669247,
    essTail: 63.02684476721565,
    essMean: 43.234589165899955,
    essQ50: 58.228707159823564,
    mcseMean: 0.19279525368340208,
    mcseQ05: 0.45600000000000007,
    mcseQ50: 0.248,
    mcseQ95: 0.30149999999999999,
    mean: 0.18044047619047621,
    sd: 1.2676869112079541,
  },
  B: {
    rhat: 1.3288864802776563,
    rhatBulk: 1.3288864802776563,
    rhatTail: 1.0408329997330663,
    essBulk: 13.471696876615693,
    essTail: Number.NaN, // the 95% quantile is the maximum, 6: the indicator is constant
    essMean: 13.11258278145695,
    essQ50: 20.488977955911821,
    mcseMean: 0.34054017770929657,
    mcseQ05: 0.5,
    mcseQ50: 0.5,
    mcseQ95: Number.NaN,
    mean: 4.2777777777777777,
    sd: 1.2331402680291161,
  },
  C: {
    rhat: 1.2182639586676647,
    rhatBulk: 1.2182639586676647,
    rhatTail: 1.0407673955032175,
    essBulk: 8.7324393026675065,
    essTail: 45.265077893729618,
    essMean: 8.2742286754628154,
    essQ50: 9.0184529940931579,
    mcseMean: 0.3182468223416185,
    mcseQ05: 0.29349999999999998,
    mcseQ50: 0.35550000000000004,
    mcseQ95: 0.26150000000000007,
    mean: 0.12145,
    sd: 0.91543568035878387,
  },
};

describe("agreement with posterior 1.4.0", () => {
  const inputs = { A, B, C };
  for (const name of ["A", "B", "C"] as const) {
    it(`input ${name}`, () => {
      const x = inputs[name];
      const want = REFERENCE[name];
      const tol = 1e-12;
      const s = convergenceSummary(core, x);
      for (const key of [
        "rhat",
        "rhatBulk",
        "rhatTail",
        "essBulk",
        "essTail",
        "essMean",
        "mcseMean",
        "mean",
        "sd",
      ] as const)
        expectRel(s[key], want[key] as number, tol);
      expectRel(rhat(core, x), want.rhat as number, tol);
      expectRel(rhatBulk(core, x), want.rhatBulk as number, tol);
      expectRel(rhatTail(core, x), want.rhatTail as number, tol);
      expectRel(essBulk(core, x), want.essBulk as number, tol);
      expectRel(essTail(x), want.essTail as number, tol);
      expectRel(essMean(x), want.essMean as number, tol);
      expectRel(essQuantile(x, 0.5), want.essQ50 as number, tol);
      expectRel(mcseMean(x), want.mcseMean as number, tol);
      expectRel(mcseQuantile(core, x, 0.05), want.mcseQ05 as number, tol);
      expectRel(mcseQuantile(core, x, 0.5), want.mcseQ50 as number, tol);
      expectRel(mcseQuantile(core, x, 0.95), want.mcseQ95 as number, tol);
    });
  }

  it("antithetic chains hit the ESS cap S·log10(S)", () => {
    // posterior: ess_bulk(D) = ess_mean(D) = 106.68907502301862 (= 60·log10(60), with its
    // "ESS has been capped" warning), ess_tail(D) = 17.470881863560741, rhat(D) = 1.146275013837692.
    expectRel(essBulk(core, D), 106.68907502301862, 1e-14);
    expectRel(essMean(D), 106.68907502301862, 1e-14);
    expectRel(essTail(D), 17.470881863560741, 1e-12);
    expectRel(rhat(core, D), 1.146275013837692, 1e-12);
  });

  it("a single short odd-length chain", () => {
    // posterior, E <- matrix(c(1.5, -0.25, 3, 2, 0.125, 7, -1, 0.5, 2.25), ncol = 1):
    // rhat 1.0919119222370837; ess_bulk, ess_mean, ess_tail 4 (two halves of 4 draws are too
    // short for any lag: τ̂ = 2); mcse_mean 1.1887785514739255.
    const E = [[1.5, -0.25, 3, 2, 0.125, 7, -1, 0.5, 2.25]];
    expectRel(rhat(core, E), 1.0919119222370837, 1e-12);
    expect(essBulk(core, E)).toBe(4);
    expect(essMean(E)).toBe(4);
    expect(essTail(E)).toBe(4);
    expectRel(mcseMean(E), 1.1887785514739255, 1e-12);
  });
});

describe("behaviour on simulated chains", () => {
  it("i.i.d. normal chains: R̂ ≈ 1, ESS ≈ number of draws", () => {
    const x = ar1(101, 4, 1000, 0);
    const s = convergenceSummary(core, x);
    expect(Math.abs(s.rhat - 1)).toBeLessThan(0.01);
    expect(Math.abs(s.essBulk / 4000 - 1)).toBeLessThan(0.15);
    expect(Math.abs(s.essMean / 4000 - 1)).toBeLessThan(0.15);
    expect(Math.abs(s.essTail / 4000 - 1)).toBeLessThan(0.3);
    expect(Math.abs(s.mcseMean * Math.sqrt(4000) - 1)).toBeLessThan(0.1);
    expect(Math.abs(s.sd - 1)).toBeLessThan(0.05);
  });

  it("AR(1) chains with φ = 0.9: ESS ≈ S(1 − φ)/(1 + φ)", () => {
    // 4 × 4000 rather than 4 × 1000: at 1000 draws per chain the ESS estimate itself scatters
    // by ±30% across seeds, at 4000 by ±10%, so the 25% band tests the estimator, not the seed.
    const x = ar1(202, 4, 4000, 0.9);
    const want = (16000 * 0.1) / 1.9; // ≈ 842: S over the AR(1) integrated autocorrelation time
    expect(Math.abs(essMean(x) / want - 1)).toBeLessThan(0.25);
    expect(Math.abs(essBulk(core, x) / want - 1)).toBeLessThan(0.25);
    expect(rhat(core, x)).toBeLessThan(1.02);
    // MCSE of the mean from the ESS, against the AR(1) truth sqrt((1 + φ)/(1 − φ)/S).
    expect(Math.abs(mcseMean(x) / Math.sqrt(1.9 / 0.1 / 16000) - 1)).toBeLessThan(0.25);
  });

  it("one chain with a shifted mean: R̂ well above 1.1", () => {
    const x = ar1(303, 4, 500, 0.5);
    const c3 = x[3] as Float64Array;
    for (let i = 0; i < c3.length; i++) c3[i] = (c3[i] as number) + 1.5;
    expect(rhatBulk(core, x)).toBeGreaterThan(1.1);
    expect(rhat(core, x)).toBeGreaterThan(1.1);
    expect(essBulk(core, x)).toBeLessThan(essBulk(core, ar1(303, 4, 500, 0.5)));
  });

  it("equal means, different scales: only the folded (tail) R̂ sees it", () => {
    const x = ar1(404, 4, 1000, 0.3, (c) => (c === 3 ? 4 : 1));
    expect(rhatBulk(core, x)).toBeLessThan(1.02);
    expect(rhatTail(core, x)).toBeGreaterThan(1.1);
    expect(rhat(core, x)).toBe(rhatTail(core, x));
  });

  /** A sticky random walk on the positive integers, like the number of clusters in a Gibbs
   * run: down with probability `down` (not below 1), up with probability `up` (not above `top`). */
  function clusterCounts(seed: number, down: number, up: number, top: number): number[][] {
    const x: number[][] = [];
    for (let c = 0; c < 4; c++) {
      using rng = new Rng(core, seed, c);
      const u = rng.uniform(800);
      let k = 3;
      const ch: number[] = [];
      for (let i = 0; i < u.length; i++) {
        const v = u[i] as number;
        if (v < down) k = Math.max(1, k - 1);
        else if (v > 1 - up) k = Math.min(top, k + 1);
        ch.push(k);
      }
      x.push(ch);
    }
    return x;
  }

  it("integer-valued draws with many ties give finite results", () => {
    // Drift downwards: K is roughly geometric on 1, 2, …, so the top values are rare.
    const x = clusterCounts(505, 0.45, 0.3, 1000);
    const s = convergenceSummary(core, x);
    for (const v of Object.values(s)) expect(Number.isFinite(v)).toBe(true);
    expect(s.rhat).toBeGreaterThan(1);
    expect(s.essBulk).toBeGreaterThan(10);
    expect(s.essBulk).toBeLessThan(3200);
    expect(s.essTail).toBeGreaterThan(10);
    expect(Number.isFinite(mcseQuantile(core, x, 0.5))).toBe(true);
  });

  it("integer draws whose top value holds over 5% of the mass: tail ESS is NaN", () => {
    // A walk capped at 6 piles up there, so the 95% quantile is the maximum and the indicator
    // I(K ≤ q95) is constant; posterior returns NA for its ESS and hence for ess_tail.
    const x = clusterCounts(505, 0.1, 0.1, 6);
    const s = convergenceSummary(core, x);
    expect(s.essTail).toBeNaN();
    expect(essQuantile(x, 0.95)).toBeNaN();
    expect(Number.isFinite(essQuantile(x, 0.05))).toBe(true);
    for (const key of ["rhat", "rhatBulk", "rhatTail", "essBulk", "essMean", "mcseMean"] as const)
      expect(Number.isFinite(s[key])).toBe(true);
  });
});

describe("conventions", () => {
  it("bulk diagnostics depend on ranks only", () => {
    const x = ar1(606, 3, 200, 0.6);
    const y = x.map((c) => c.map((v) => 3 * v * v * v + 2)); // strictly increasing map
    expect(rhatBulk(core, y)).toBe(rhatBulk(core, x));
    expect(essBulk(core, y)).toBe(essBulk(core, x));
  });

  it("odd-length chains drop the middle draw when splitting", () => {
    const x = ar1(707, 2, 101, 0.5);
    const y = x.map((c) => c.slice());
    (y[0] as Float64Array)[50] = 1000; // the middle draw of chain 0
    expect(essMean(y)).toBe(essMean(x));
    expect(rhatBulk(core, y)).toBe(rhatBulk(core, x));
    (y[0] as Float64Array)[0] = 1000; // the first draw does count
    expect(essMean(y)).not.toBe(essMean(x));
  });

  it("constant draws give NaN diagnostics, as posterior's NA", () => {
    const x = [new Float64Array(10).fill(2.5), new Float64Array(10).fill(2.5)];
    const s = convergenceSummary(core, x);
    expect(s.rhat).toBeNaN();
    expect(s.rhatBulk).toBeNaN();
    expect(s.rhatTail).toBeNaN();
    expect(s.essBulk).toBeNaN();
    expect(s.essTail).toBeNaN();
    expect(s.essMean).toBeNaN();
    expect(s.mcseMean).toBeNaN();
    expect(s.mean).toBe(2.5);
    expect(s.sd).toBe(0);
    expect(mcseQuantile(core, x, 0.5)).toBeNaN();
  });

  it("chains of 4 draws give R̂ but no ESS (halves of 2 are too short)", () => {
    const x = [
      [1, 2, 3, 4],
      [2, 1, 4, 3],
    ];
    expect(Number.isFinite(rhat(core, x))).toBe(true);
    expect(essMean(x)).toBeNaN();
    expect(essBulk(core, x)).toBeNaN();
  });

  it("rejects bad input with a RangeError that names the draw", () => {
    const good = [0.1, 0.2, 0.3, 0.4, 0.5];
    expect(() => rhat(core, [good, [0.1, 0.2, Number.NaN, 0.4, 0.5]])).toThrow(
      /rhat: draw 2 of chain 1 is not a finite number \(NaN\)/,
    );
    expect(() => essMean([good, [0.1, 0.2, 0.3, 0.4, Number.POSITIVE_INFINITY]])).toThrow(/draw 4 of chain 1/);
    expect(() => convergenceSummary(core, [good, [1, 2, 3, 4]])).toThrow(/chain 1 has 4 draws, chain 0 has 5/);
    expect(() => essBulk(core, [[1, 2, 3]])).toThrow(/at least 4 draws/);
    expect(() => essTail([] as Chains)).toThrow(/at least one chain/);
    expect(() => essQuantile([good], 1.5)).toThrow(/prob must be in \[0, 1\]/);
    expect(() => mcseQuantile(core, [good], Number.NaN)).toThrow(RangeError);
  });
});
