import type { Core } from "@classfit/wasm-core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  argsort,
  argsortGroupShifted,
  mean,
  midranks,
  percentileInterval,
  quantileSorted,
  spearman,
  spearmanBootstrap,
  variance,
} from "./stats.js";
import { testCore } from "./testing/core.js";

let core: Core;
beforeAll(async () => {
  core = await testCore();
});

describe("descriptive statistics", () => {
  it("mean, variance and type-7 quantiles match NumPy", () => {
    expect(mean([1, 2, 3, 4, 10])).toBe(4);
    expect(variance([1, 2, 3, 4, 10], 1)).toBeCloseTo(12.5, 12);
    expect(variance([1, 2, 3, 4, 10], 0)).toBeCloseTo(10, 12);
    // numpy.quantile([1,2,3,4,10], [0.1, 0.25, 0.5, 0.975]) = [1.4, 2, 3, 9.4]
    const s = [1, 2, 3, 4, 10];
    expect(quantileSorted(s, 0.1)).toBeCloseTo(1.4, 12);
    expect(quantileSorted(s, 0.25)).toBe(2);
    expect(quantileSorted(s, 0.5)).toBe(3);
    expect(quantileSorted(s, 0.975)).toBeCloseTo(9.4, 12);
    expect(() => quantileSorted([], 0.5)).toThrow(/empty/);
  });

  it("mid-ranks share tied ranks and argsort is stable", () => {
    expect(Array.from(midranks([10, 20, 20, 5, 20]))).toEqual([2, 4, 4, 1, 4]);
    expect(Array.from(argsort([3, 1, 3, 1]))).toEqual([1, 3, 0, 2]);
  });
});

describe("spearman", () => {
  it("matches a hand-computed case with ties", () => {
    // x ranks 1, 2.5, 2.5, 4, 5; y ranks 2, 1, 3.5, 3.5, 5; mean 3:
    // Σdxdy = 7.25, Σdx² = Σdy² = 9.5 → ρ = 7.25/9.5 (scipy.stats.spearmanr: 0.7631578947368421).
    expect(spearman([1, 2, 2, 3, 4], [2, 1, 3, 3, 5])).toBeCloseTo(7.25 / 9.5, 15);
  });

  it("matches scipy.stats.spearmanr on a case with many ties", () => {
    // /usr/bin/python3: scipy 1.10.1 spearmanr(...).statistic = 0.1384567651467695
    const x = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
    const y = [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4];
    expect(spearman(x, y)).toBeCloseTo(0.1384567651467695, 14);
  });

  it("is ±1 for monotone relations, NaN for a constant variable, and rejects bad input", () => {
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBeCloseTo(1, 15);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 15);
    expect(spearman([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(() => spearman([1, 2], [1])).toThrow(/length/);
    expect(() => spearman([1, Number.NaN], [1, 2])).toThrow(/index 1/);
  });
});

describe("argsortGroupShifted", () => {
  it("gives argsort's permutation, ties and rounding ties included", () => {
    const rng = core.rng(11, 2);
    for (let trial = 0; trial < 20; trial++) {
      const n = 500;
      const G = 7;
      const u = rng.uniform(2 * n + G);
      // Values on a coarse grid (many exact ties) and a few that differ in the last bits, so that
      // adding a shift can round two distinct values to one.
      const x = Array.from({ length: n }, (_, i) =>
        i % 5 === 0 ? 1 + (i % 3) * 2 ** -52 : Math.round(20 * (u[i] as number)) / 4,
      );
      const group = Array.from({ length: n }, (_, i) => Math.floor(G * (u[n + i] as number)));
      const shift = Array.from(
        { length: G },
        (_, g) => (trial % 2 === 0 ? 0.5 : 3e15) * ((u[2 * n + g] as number) - 0.5),
      );
      const { order, xb } = argsortGroupShifted(x, group, shift);
      expect(Array.from(order)).toEqual(Array.from(argsort(xb)));
    }
  });
});

describe("spearmanBootstrap", () => {
  it("is reproducible from the seed and brackets the estimate", () => {
    const x = Array.from({ length: 30 }, (_, i) => i + Math.sin(i) * 5);
    const y = Array.from({ length: 30 }, (_, i) => i * 0.5 + Math.cos(i * 1.7) * 6);
    const a = spearmanBootstrap(x, y, core.rng(7, 1), { replicates: 400, unit: "classes" });
    const b = spearmanBootstrap(x, y, core.rng(7, 1), { replicates: 400, unit: "classes" });
    expect(a).toEqual(b);
    expect(a.estimate).toBeCloseTo(spearman(x, y), 15);
    expect(a.lower).toBeLessThan(a.estimate);
    expect(a.upper).toBeGreaterThan(a.estimate);
    expect(a.validReplicates).toBe(400);
    const c = spearmanBootstrap(x, y, core.rng(8, 1), { replicates: 400 });
    expect(c.lower).not.toBe(a.lower);
  });

  it("ranks each resample exactly as materialising it and sorting again would", () => {
    // Ties in both variables, and resamples full of duplicates.
    const x = Array.from({ length: 40 }, (_, i) => (i * 7) % 9);
    const y = Array.from({ length: 40 }, (_, i) => ((i * 5) % 11) + (i % 3 === 0 ? 0.5 : 0));
    const reps = 25;
    const fast = spearmanBootstrap(x, y, core.rng(3, 3), { replicates: reps, level: 0.8 });
    const rng = core.rng(3, 3);
    const naive = new Float64Array(reps);
    for (let b = 0; b < reps; b++) {
      const draws = Array.from(rng.int(x.length, x.length)).sort((p, q) => p - q);
      naive[b] = spearman(
        draws.map((i) => x[i] as number),
        draws.map((i) => y[i] as number),
      );
    }
    const { lower, upper } = percentileInterval(naive, 0.8);
    expect(fast.lower).toBeCloseTo(lower, 13);
    expect(fast.upper).toBeCloseTo(upper, 13);
  });

  it("covers the true Spearman correlation of a bivariate normal at about the nominal rate", () => {
    // Population Spearman ρ_s = (6/π) asin(ρ/2) for a bivariate normal with correlation ρ.
    const rho = 0.5;
    const truth = (6 / Math.PI) * Math.asin(rho / 2);
    const rng = core.rng(2024, 3);
    const boot = core.rng(2024, 4);
    const n = 120;
    let covered = 0;
    const trials = 60;
    for (let t = 0; t < trials; t++) {
      const z1 = rng.normal(n);
      const z2 = rng.normal(n);
      const y = z1.map((v, i) => rho * v + Math.sqrt(1 - rho * rho) * (z2[i] as number));
      const ci = spearmanBootstrap(z1, y, boot, { replicates: 300, level: 0.9 });
      if (ci.lower <= truth && truth <= ci.upper) covered++;
    }
    // Nominal 90%: with 60 trials a correct interval covers ≥ 45 times with probability > 0.99.
    expect(covered).toBeGreaterThanOrEqual(45);
    expect(covered).toBeLessThan(60);
  });
});
