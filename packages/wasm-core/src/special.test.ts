import { beforeAll, describe, expect, it } from "vitest";
import type { Core } from "./core.js";
import { createCore } from "./node.js";

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

describe("lgamma", () => {
  it("matches log((n−1)!) at integers and known half-integer values", () => {
    let logFact = 0;
    for (let n = 1; n <= 60; n++) {
      if (n > 1) logFact += Math.log(n - 1);
      expect(Math.abs(core.exports.special_lgamma(n) - logFact)).toBeLessThanOrEqual(1e-13 * Math.max(1, logFact));
    }
    // Γ(1/2) = √π
    expect(core.exports.special_lgamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    // Γ(−1/2) = −2√π → log|Γ| = log(2√π)
    expect(core.exports.special_lgamma(-0.5)).toBeCloseTo(Math.log(2 * Math.sqrt(Math.PI)), 13);
  });

  it("satisfies the recurrence lgamma(x+1) = lgamma(x) + log x", () => {
    const xs = core.rng(3).uniform(500);
    for (const u of xs) {
      const x = 0.01 + u * 200;
      const lhs = core.exports.special_lgamma(x + 1);
      const rhs = core.exports.special_lgamma(x) + Math.log(x);
      expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(lhs)));
    }
  });

  it("is +Infinity at the poles and large-argument Stirling-consistent", () => {
    expect(core.exports.special_lgamma(0)).toBe(Number.POSITIVE_INFINITY);
    expect(core.exports.special_lgamma(-3)).toBe(Number.POSITIVE_INFINITY);
    const x = 1e5;
    const stirling = (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x);
    expect(Math.abs(core.exports.special_lgamma(x) - stirling) / stirling).toBeLessThan(1e-14);
  });
});
