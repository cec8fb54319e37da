import type { Core } from "@classfit/wasm-core";
import { beforeAll, describe, expect, it } from "vitest";
import { testCore } from "./analysis/testing/core.js";
import { compactness } from "./compactness.js";

let core: Core;
beforeAll(async () => {
  core = await testCore();
});

describe("compactness", () => {
  const x = Float64Array.from([0.5, -1.25, 2.0, 1.5, 0.25, -0.5, 0.5, -1.25, 2.0, -2.0, 3.0, 1.0, 0.0, 0.0, 0.0]);

  it("matches scipy pdist, leaving out zero distances as the authors do", () => {
    // /usr/bin/python3, scipy 1.10.1: d = pdist(x); d.mean() = 3.1088057285360646,
    // d[d > 0].mean() = 3.454228587262294, one zero pair (rows 0 and 2 coincide).
    const c = compactness(x, 5, 3);
    expect(c.method).toBe("exact");
    expect(c.value).toBeCloseTo(3.454228587262294, 14);
    expect(c.zeroPairs).toBe(1);
    expect(c.pairs).toBe(9);
    const all = compactness(x, 5, 3, { excludeZero: false });
    expect(all.value).toBeCloseTo(3.1088057285360646, 14);
    expect(all.pairs).toBe(10);
  });

  it("the seeded subsampled estimate agrees with the exact mean within its standard error, reproducibly", () => {
    const n = 400;
    const d = 8;
    const data = core.rng(3, 0).normal(n * d);
    for (let i = 0; i < 200 * d; i++) data[i] = (data[i] as number) * 3; // two spreads
    const exact = compactness(data, n, d, { method: "exact" });
    const s1 = compactness(data, n, d, { method: "sampled", pairs: 20000, rng: core.rng(9, 0) });
    const s2 = compactness(data, n, d, { method: "sampled", pairs: 20000, rng: core.rng(9, 0) });
    expect(s1).toEqual(s2);
    expect(s1.standardError).toBeGreaterThan(0);
    expect(Math.abs(s1.value - exact.value)).toBeLessThan(4 * s1.standardError);
    // "auto" samples above the pair limit, and then needs a generator.
    expect(compactness(data, n, d, { maxExactPairs: 1000, pairs: 5000, rng: core.rng(1, 0) }).method).toBe("sampled");
    expect(() => compactness(data, n, d, { maxExactPairs: 1000 })).toThrow(/needs options.rng/);
  });

  it("rejects bad shapes, non-finite values and classes of one", () => {
    expect(() => compactness(x, 4, 3)).toThrow(/needs 12/);
    expect(() => compactness(Float64Array.from([0, 1, Number.NaN, 2]), 2, 2)).toThrow(/row 1, column 0/);
    expect(() => compactness(Float64Array.from([1, 2]), 1, 2)).toThrow(/at least 2/);
  });
});
