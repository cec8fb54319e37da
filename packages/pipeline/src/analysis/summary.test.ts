import type { Core } from "@classfit/wasm-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { ClassRow, SplitEvidence } from "./split.js";
import { withStream } from "./streams.js";
import { groupDensityDifference, groupMeans, stageSummary } from "./summary.js";
import { testCore } from "./testing/core.js";
import { CLASS_VARIABLES } from "./variables.js";

function row(
  classIndex: number,
  group: "high" | "low",
  meanLogDensity: number,
  extra: Partial<ClassRow> = {},
): ClassRow {
  return {
    network: "n",
    stage: "s",
    classIndex,
    className: "",
    n: 10,
    meanLogDensity,
    varLogDensity: 1,
    group,
    ...extra,
  };
}

const full = (v: number): Partial<ClassRow> => ({
  kl: { value: v, se: 0.1 },
  compactness: 2 * v,
  meanMemorization: v / 8,
  certified: { f1: v / 16, meanRadius: v / 2, fractionNotAbstained: 1, accuracyAtRadius: [] },
  meanK: v + 1,
});

describe("groupMeans", () => {
  it("averages every class variable and the cluster count, in the variable list's order", () => {
    const g = groupMeans([row(0, "high", 1, full(2)), row(1, "high", 3, full(4))]);
    expect(g).toEqual({
      classes: 2,
      meanLogDensity: 2,
      kl: 3,
      compactness: 6,
      meanMemorization: 0.375,
      certifiedMeanRadius: 1.5,
      certifiedF1: 0.1875,
      meanK: 4,
    });
    expect(Object.keys(g).slice(2)).toEqual([...CLASS_VARIABLES.map(([v]) => v), "meanK"]);
  });

  it("leaves out a variable that any class lacks", () => {
    const g = groupMeans([row(0, "low", 1, full(2)), row(1, "low", 3, { compactness: 1 })]);
    expect(g).toEqual({ classes: 2, meanLogDensity: 2, compactness: 2.5 });
  });
});

describe("stageSummary", () => {
  it("reports the spread, the stage's evidence and the means per group", () => {
    const rows = [row(0, "low", 0), row(1, "low", 2), row(2, "high", 10)];
    const ev = {
      stage: "s",
      gap: { threshold: 6, gap: 8, gapRatio: 4, gapToWithinSd: 5, high: [2], low: [0, 1] },
      mixture: { deltaBic: 7.5 },
      dip: null,
      verdict: "mixed",
    } as unknown as SplitEvidence;
    const s = stageSummary("s", rows, ev);
    expect(s.classes).toBe(3);
    expect(s.sdOfMeans).toBeCloseTo(Math.sqrt(28), 12); // means 0, 2, 10: sample variance 28
    expect([s.gap, s.gapRatio, s.deltaBic, s.dipPValue]).toEqual([8, 4, 7.5, null]);
    expect(s.groups.high.meanLogDensity).toBe(10);
    expect(s.groups.low).toEqual({ classes: 2, meanLogDensity: 1 });
  });
});

describe("groupDensityDifference", () => {
  let core: Core;
  beforeAll(async () => {
    core = await testCore();
  });
  const streams = () => ({ core, seed: 2, network: 0, stage: 1 });
  const BOOT = { replicates: 300, level: 0.95 };
  const rows = (mcse: number | undefined) =>
    [0, 1.5, 0.7, 2.1, 9, 11, 10.2].map((m, c) =>
      row(c, c >= 4 ? "high" : "low", m, mcse === undefined ? {} : ({ sampler: { mcse } } as Partial<ClassRow>)),
    );
  const diff = (mcse: number | undefined) =>
    withStream(streams(), "groupDiff", 0, (rng) =>
      withStream(streams(), "groupDiffNoise", 0, (noise) => groupDensityDifference(rows(mcse), rng, noise, BOOT)),
    );

  it("is the high − low difference, its interval unchanged by a zero MCSE and wider with a larger one", () => {
    const exact = diff(undefined);
    expect(exact?.estimate).toBeCloseTo((9 + 11 + 10.2) / 3 - (0 + 1.5 + 0.7 + 2.1) / 4, 12);
    expect(diff(0)).toEqual(exact);
    const w = (d: ReturnType<typeof diff>) => (d?.upper ?? 0) - (d?.lower ?? 0);
    expect(diff(2)?.estimate).toBe(exact?.estimate);
    expect(w(diff(2))).toBeGreaterThan(w(exact));
    expect(w(diff(6))).toBeGreaterThan(w(diff(2)));
  });

  it("is null when a group is empty", () => {
    const one = rows(undefined).map((r) => ({ ...r, group: "low" as const }));
    expect(withStream(streams(), "groupDiff", 0, (rng) => groupDensityDifference(one, rng, rng, BOOT))).toBeNull();
  });
});
