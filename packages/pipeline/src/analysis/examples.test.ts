import type { Core } from "@classfit/wasm-core";
import { beforeAll, describe, expect, it } from "vitest";
import { classDensityQuantiles, exampleCorrelations } from "./examples.js";
import { testCore } from "./testing/core.js";

let core: Core;
beforeAll(async () => {
  core = await testCore();
});

describe("classDensityQuantiles", () => {
  it("interpolates each class's quantiles and lists classes in index order", () => {
    // Class 3: 0, 10, …, 100 (11 values, so quantile p sits at 100·p); class 1: a single value.
    const label = [3, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3];
    const logDensity = [50, -2, 0, 100, 10, 90, 20, 80, 30, 70, 40, 60];
    const q = classDensityQuantiles("s", label, logDensity);
    expect(q.map((r) => r.classIndex)).toEqual([1, 3]);
    expect(q[0]?.q).toEqual([-2, -2, -2, -2, -2]);
    const q3 = q[1]?.q ?? [];
    for (const [k, v] of [5, 25, 50, 75, 95].entries()) expect(q3[k]).toBeCloseTo(v, 12);
  });
});

describe("exampleCorrelations", () => {
  it("gives ρ = 1 for a monotone variable, skips absent ones, and keeps each variable's stream", () => {
    const ld = Array.from({ length: 40 }, (_, i) => (i * 7) % 40);
    const mem = ld.map((x) => x ** 3);
    const noisy = ld.map((x, i) => x + 30 * Math.sin(i));
    const streams = { core, seed: 1, network: 0, stage: 0 };
    const boot = { replicates: 100, level: 0.95 };
    const both = exampleCorrelations(
      "s",
      ld,
      [
        ["memorization", mem],
        ["certifiedRadius", noisy],
      ],
      streams,
      boot,
    );
    expect(both[0]?.ci).toMatchObject({ estimate: 1, lower: 1, upper: 1, n: 40, unit: "examples" });
    expect(both[0]).toMatchObject({ stage: "s", level: "example", variable: "memorization" });
    const radiusOnly = exampleCorrelations(
      "s",
      ld,
      [
        ["memorization", undefined],
        ["certifiedRadius", noisy],
      ],
      streams,
      boot,
    );
    expect(radiusOnly).toEqual([both[1]]);
  });
});

describe("exampleCorrelations with missing values and class-shared sampler error", () => {
  const streams = () => ({ core, seed: 3, network: 0, stage: 1 });
  const boot = { replicates: 200, level: 0.95 };

  it("correlates over the examples that have a value and says how many", () => {
    const ld = Array.from({ length: 60 }, (_, i) => i);
    // Every third example uncertified; the rest rise with density.
    const radius = ld.map((x, i) => (i % 3 === 0 ? Number.NaN : x / 10));
    const [c] = exampleCorrelations("s", ld, [["certifiedRadius", radius]], streams(), boot);
    expect(c?.ci.n).toBe(40);
    expect(c?.ci.estimate).toBe(1);
  });

  it("moves each class as a whole by its MCSE: no effect at 0, a wider interval when the classes' order is uncertain", () => {
    // Two classes far apart in density; y follows density, so ρ is 1 with no sampler error.
    const label = Array.from({ length: 80 }, (_, i) => (i < 40 ? 0 : 1));
    const ld = label.map((c, i) => c * 100 + (i % 40));
    const y = ld.map((x) => x);
    const plain = exampleCorrelations("s", ld, [["memorization", y]], streams(), boot)[0]?.ci;
    const zero = exampleCorrelations("s", ld, [["memorization", y]], streams(), boot, {
      label,
      se: [0, 0],
    })[0]?.ci;
    expect(zero).toEqual(plain);
    const noisy = exampleCorrelations("s", ld, [["memorization", y]], streams(), boot, {
      label,
      se: [200, 200],
    })[0]?.ci;
    expect(noisy?.estimate).toBe(plain?.estimate);
    expect(plain?.lower).toBe(1);
    // The classes swap in some replicates; within a class the order never changes, so ρ stays ≥ −1
    // but falls well below 1 in those replicates.
    expect(noisy?.lower ?? 1).toBeLessThan(0.5);
  });
});
