import type { Core } from "@classfit/wasm-core";
import { beforeAll, describe, expect, it } from "vitest";
import { samplerSe, splitNoise } from "./noise.js";
import { splitEvidence } from "./split.js";
import { withStream } from "./streams.js";
import { testCore } from "./testing/core.js";

let core: Core;
beforeAll(async () => {
  core = await testCore();
});

const streams = () => ({ core, seed: 9, network: 0, stage: 0 });
const noiseOf = (means: number[], se: number[], draws = 1000) =>
  withStream(streams(), "splitNoise", 0, (rng) =>
    splitNoise(
      means,
      se,
      means.map((_, i) => i),
      rng,
      draws,
    ),
  );

describe("splitNoise", () => {
  it("calls a 0.1-nat gap with MCSE 1 within noise", () => {
    const n = noiseOf([0, 0.1], [1, 1]);
    expect(n.gapZ).toBeCloseTo(0.1 / Math.sqrt(2), 12);
    expect(n.border).toEqual({ low: 0, high: 1, lowMcse: 1, highMcse: 1 });
    expect(n.withinNoise).toBe(true);
    // Two classes swap about half the time: ranking and group move together.
    expect(n.rankingUnchanged).toBeGreaterThan(0.4);
    expect(n.rankingUnchanged).toBeLessThan(0.7);
    expect(n.highGroupChanged).toBeCloseTo(1 - n.rankingUnchanged, 12);
    expect(n.meanKendallTau).toBeCloseTo(2 * n.rankingUnchanged - 1, 12);
    expect(n.pHigh.map((p) => p.p).reduce((a, b) => a + b)).toBe(1);
  });

  it("calls a 20-nat gap with MCSE 0.1 clear of noise", () => {
    const n = noiseOf([0, 20], [0.1, 0.1]);
    expect(n.gapZ).toBeCloseTo(20 / Math.sqrt(0.02), 9);
    expect(n.withinNoise).toBe(false);
    expect(n.rankingUnchanged).toBe(1);
    expect(n.meanKendallTau).toBe(1);
    expect(n.highGroupChanged).toBe(0);
    expect(n.pHigh).toEqual([
      { classIndex: 0, p: 0 },
      { classIndex: 1, p: 1 },
    ]);
  });

  it("counts a group that moves in > 5% of draws as within noise even with a large z", () => {
    // z reads only the two classes bordering the gap …
    const n = noiseOf([0, 1, 30], [0, 0, 20]);
    expect(n.gapZ).toBeCloseTo(29 / 20, 12);
    // … so a noisy class away from it, which can jump the gap, shows in the draws alone.
    const m = noiseOf([0, 1, 30, 31], [0, 0, 0, 12]);
    expect(m.gapZ).toBeNull(); // both bordering classes exact
    expect(m.highGroupChanged).toBeGreaterThan(0.05);
    expect(m.withinNoise).toBe(true);
  });

  it("with no MCSE anywhere keeps everything as the point estimates say", () => {
    const n = noiseOf([3, -1, 7, 0], [0, 0, 0, 0], 50);
    expect(n.gapZ).toBeNull();
    expect([n.rankingUnchanged, n.meanKendallTau, n.highGroupChanged, n.withinNoise]).toEqual([1, 1, 0, false]);
    expect(n.classesWithMcse).toBe(0);
  });

  it("reads an absent or null MCSE as exact", () => {
    expect(samplerSe({})).toBe(0);
    expect(samplerSe({ sampler: { mcse: null } })).toBe(0);
    // A start gap (chains from both sides of K) adds half of itself in quadrature.
    expect(samplerSe({ sampler: { mcse: 0.3, startGap: -0.8 } })).toBeCloseTo(0.5, 12);
    expect(samplerSe({ sampler: { mcse: null, startGap: 6 } })).toBe(3);
    expect(samplerSe({ sampler: { mcse: 0.3, startGap: null } })).toBe(0.3);
    expect(samplerSe({ sampler: { mcse: 0.5 } })).toBe(0.5);
  });
});

describe("splitEvidence under sampler noise", () => {
  // Two clear groups of five by the tests; only the MCSE differs.
  const groups = [-10.2, -9.1, -10.9, -9.7, -10.5, 19.6, 20.8, 20.1, 19.9, 21.0];
  const classes = (mcse: number | undefined) =>
    groups.map((meanLogDensity, classIndex) => ({
      classIndex,
      meanLogDensity,
      ...(mcse === undefined ? {} : { sampler: { mcse } }),
    }));

  it("keeps the tests' verdict when the gap stands out of the noise", () => {
    const ev = splitEvidence("s", classes(0.5), streams(), 500, 400);
    expect(ev.testVerdict).toBe("two-groups");
    expect(ev.verdict).toBe("two-groups");
    expect(ev.noise?.withinNoise).toBe(false);
    expect(ev.noise?.draws).toBe(400);
  });

  it("says within-noise when the tests see two groups but the gap is within the MCSE", () => {
    const ev = splitEvidence("s", classes(20), streams(), 500, 400);
    expect(ev.testVerdict).toBe("two-groups");
    expect(ev.verdict).toBe("within-noise");
    expect(Math.abs(ev.noise?.gapZ ?? 99)).toBeLessThan(1.96);
    // The point estimates and the tests are untouched by the MCSE.
    const exact = splitEvidence("s", classes(undefined), streams(), 500, 400);
    expect(exact.noise).toBeNull();
    expect(exact.verdict).toBe("two-groups");
    expect({ ...ev, verdict: "-", noise: null }).toEqual({ ...exact, verdict: "-" });
  });
});
