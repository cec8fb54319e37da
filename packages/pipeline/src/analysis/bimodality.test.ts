import type { Core } from "@classfit/wasm-core";
import { beforeAll, describe, expect, it } from "vitest";
import { compareMixtures, dipStatistic, dipTest, gapSplit } from "./bimodality.js";
import { testCore } from "./testing/core.js";

let core: Core;
beforeAll(async () => {
  core = await testCore();
});

describe("gapSplit", () => {
  it("splits constructed class means at the midpoint of the largest gap", () => {
    // Classes 1, 4, 6, 8 sit near 0; the others near −3 with smaller gaps among them.
    const means = [-3.1, 0.2, -2.9, -3.4, -0.1, -2.5, 0.4, -3.0, 0.0, -2.7];
    const s = gapSplit(means);
    expect(s.threshold).toBeCloseTo((-2.5 + -0.1) / 2, 12);
    expect(s.gap).toBeCloseTo(2.4, 12);
    expect(s.high).toEqual([4, 8, 1, 6]);
    expect(s.low).toEqual([3, 0, 7, 2, 9, 5]);
    expect(s.gapRatio).toBeCloseTo(2.4 / 0.3, 10);
    expect(s.gapToWithinSd).toBeGreaterThan(5);
  });

  it("is deterministic on equal gaps (lowest wins) and rejects bad input", () => {
    expect(gapSplit([0, 1, 2]).threshold).toBe(0.5);
    expect(() => gapSplit([1])).toThrow(/at least 2/);
    expect(() => gapSplit([1, Number.NaN])).toThrow(/index 1/);
  });
});

describe("compareMixtures", () => {
  // References: src/analysis/reference/gmm_sklearn.py (scikit-learn 1.2.1, GaussianMixture
  // covariance_type="tied", reg_covar=0, 50 restarts).
  it("matches scikit-learn on two well separated groups", () => {
    const x = [-1.2, -0.9, -1.05, -0.8, -1.3, -1.0, 2.1, 2.4, 1.9, 2.2];
    const c = compareMixtures(x);
    expect(c.one.bic).toBeCloseTo(42.04644581987895, 9);
    expect(c.two.bic).toBeCloseTo(16.05296983150069, 6);
    expect(c.two.logLikelihood).toBeCloseTo(-3.421314729762253, 6);
    expect(c.two.means[0]).toBeCloseTo(-1.0416666666666663, 6);
    expect(c.two.means[1]).toBeCloseTo(2.15, 6);
    expect(c.two.variance).toBeCloseTo(0.03020833333333356, 7);
    expect(c.deltaBic).toBeGreaterThan(10);
  });

  it("matches scikit-learn on one group, where BIC prefers a single Gaussian", () => {
    const x = [0.1, -0.4, 0.35, 0.9, -0.7, 0.2, -0.15, 0.5, -0.3, 0.05];
    const c = compareMixtures(x);
    expect(c.one.bic).toBeCloseTo(16.724456204470645, 9);
    expect(c.two.bic).toBeCloseTo(21.18312346711855, 5);
    expect(c.deltaBic).toBeLessThan(0);
  });

  it("rejects constant input with a clear error", () => {
    expect(() => compareMixtures([1, 1, 1, 1])).toThrow(/all values are equal/);
  });
});

describe("dipStatistic", () => {
  // References: src/analysis/reference/dip_lp.py, an independent definition by linear
  // programming (min over mode positions of the sup distance from the ECDF to a unimodal CDF),
  // solved by scipy 1.10.1 HiGHS.
  const cases: { x: number[]; dip: number }[] = [
    { x: [0.676, 0.67, 0.416, 0.422, 0.931, 0.613], dip: 0.16159052453468695 },
    {
      x: [-0.037, -0.304, 0.719, 0.044, 0.505, -0.425, 0.265, 2.822, 2.861, 3.131, 2.89, 2.792, 3.083, 2.779, 3.29],
      dip: 0.15002080732417808,
    },
    {
      x: [0.056, 0.801, 0.073, 0.126, 0.008, 0.59, 0.032, 0.995, 0.294, 0.472, 0.94, 0.469, 0.744, 0.235, 0.923],
      dip: 0.07261055634807408,
    },
    {
      x: [-0.388, -0.25, 0.065, -0.236, -0.28, -0.215, 0.52, 3.112, 2.717, 3.102, 2.801, 2.988, 3.302, 3.226],
      dip: 0.17781228433402346,
    },
    { x: [0.9, 0.244, 0.062, 0.191, 0.581, 0.652], dip: 0.13766339869281047 },
    { x: [0.129, -0.26, 0.559, 3.151, 2.783, 2.859, 3.207], dip: 0.15661236561663772 },
    { x: [0.907, 0.927, 0.945, 0.642, 0.474, 0.078], dip: 0.1020015396458814 },
    { x: [-0.291, 0.299, -0.321, 3.116, 3.298, 3.315], dip: 0.20490253127727673 },
  ];
  it("matches the linear-programming definition on random samples", () => {
    for (const c of cases) expect(dipStatistic(c.x)).toBeCloseTo(c.dip, 12);
  });

  it("has the known closed forms: 1/(2n) for equally spaced points, 1/4 for two equal point masses", () => {
    const even = Array.from({ length: 50 }, (_, i) => i * 0.37);
    expect(dipStatistic(even)).toBeCloseTo(1 / 100, 14);
    const twoMasses = [...Array(20).fill(0), ...Array(20).fill(1)];
    expect(dipStatistic(twoMasses)).toBeCloseTo(0.25, 14);
  });

  it("is invariant to order and affine maps", () => {
    const x = cases[1]?.x ?? [];
    const d = dipStatistic(x);
    expect(dipStatistic([...x].reverse())).toBe(d);
    expect(dipStatistic(x.map((v) => 3 * v - 7))).toBeCloseTo(d, 12);
  });

  it("is small for a uniform sample and large for a clearly bimodal one", () => {
    const rng = core.rng(11, 0);
    const u = rng.uniform(500);
    const z = rng.normal(500).map((v, i) => (i < 250 ? v : v + 6));
    expect(dipStatistic(u)).toBeLessThan(0.03);
    expect(dipStatistic(z)).toBeGreaterThan(0.08);
  });
});

describe("dipTest", () => {
  it("rejects unimodality for two groups and not for one, reproducibly", () => {
    const two = [-3.1, 0.2, -2.9, -3.4, -0.1, -2.5, 0.4, -3.0, 0.0, -2.7, 0.3, -3.2, -0.2, -2.8];
    const a = dipTest(two, core.rng(5, 9), 2000);
    const b = dipTest(two, core.rng(5, 9), 2000);
    expect(a).toEqual(b);
    expect(a.pValue).toBeLessThan(0.05);
    const one = core.rng(6, 0).normal(14);
    expect(dipTest(one, core.rng(5, 9), 2000).pValue).toBeGreaterThan(0.2);
  });

  it("gives roughly uniform p-values under a uniform null", () => {
    const rng = core.rng(77, 1);
    let small = 0;
    const trials = 100;
    for (let t = 0; t < trials; t++) if (dipTest(rng.uniform(20), rng, 200).pValue <= 0.1) small++;
    // P(p ≤ 0.1) = 0.1 under the null: 10 expected; [2, 22] holds with probability > 0.99.
    expect(small).toBeGreaterThanOrEqual(2);
    expect(small).toBeLessThanOrEqual(22);
  });
});
