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
