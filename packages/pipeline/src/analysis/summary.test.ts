import { describe, expect, it } from "vitest";
import type { ClassRow, SplitEvidence } from "./split.js";
import { groupMeans, stageSummary } from "./summary.js";
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
