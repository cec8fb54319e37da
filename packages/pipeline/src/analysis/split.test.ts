import type { Core } from "@classfit/wasm-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { DipTest, MixtureComparison } from "./bimodality.js";
import { assignGroups, splitEvidence, splitVerdict } from "./split.js";
import { testCore } from "./testing/core.js";
import type { ClassStageRecord } from "./types.js";

let core: Core;
beforeAll(async () => {
  core = await testCore();
});

const streams = () => ({ core, seed: 5, network: 0, stage: 0 });

// Class indices deliberately out of value order, so positions and class indices differ.
const TWO_GROUPS = [
  { classIndex: 4, meanLogDensity: -10.2 },
  { classIndex: 0, meanLogDensity: 19.6 },
  { classIndex: 9, meanLogDensity: -9.1 },
  { classIndex: 2, meanLogDensity: -10.9 },
  { classIndex: 7, meanLogDensity: 20.8 },
  { classIndex: 3, meanLogDensity: -9.7 },
  { classIndex: 5, meanLogDensity: 20.1 },
  { classIndex: 1, meanLogDensity: -10.5 },
  { classIndex: 8, meanLogDensity: 19.9 },
  { classIndex: 6, meanLogDensity: -9.4 },
];

describe("splitEvidence", () => {
  it("finds the largest gap and names the groups by class index", () => {
    const ev = splitEvidence("layer4", TWO_GROUPS, streams(), 2000);
    expect(ev.stage).toBe("layer4");
    expect(ev.gap.gap).toBeCloseTo(19.6 - -9.1, 12);
    expect(ev.gap.threshold).toBeCloseTo((19.6 + -9.1) / 2, 12);
    // Ascending by mean within each group.
    expect(ev.gap.high).toEqual([0, 8, 5, 7]);
    expect(ev.gap.low).toEqual([2, 1, 4, 3, 6, 9]);
    expect(ev.mixture?.deltaBic).toBeGreaterThan(6);
    expect(ev.dip?.pValue).toBeLessThan(0.05);
    expect(ev.verdict).toBe("two-groups");
  });

  it("is reproducible from its stream and skips the tests below 3 distinct means", () => {
    const a = splitEvidence("s", TWO_GROUPS, streams(), 500);
    const b = splitEvidence("s", TWO_GROUPS, streams(), 500);
    expect(b).toEqual(a);
    const two = splitEvidence("s", TWO_GROUPS.slice(0, 2), streams(), 500);
    expect(two.mixture).toBeNull();
    expect(two.dip).toBeNull();
    expect(two.verdict).toBe("one-group");
    const flat = splitEvidence(
      "s",
      [1, 2, 3].map((classIndex) => ({ classIndex, meanLogDensity: 4 })),
      streams(),
      500,
    );
    expect(flat.mixture).toBeNull();
    expect(flat.dip).toBeNull();
  });
});

describe("splitVerdict", () => {
  const bic = (deltaBic: number) => ({ deltaBic }) as MixtureComparison;
  const dip = (pValue: number) => ({ pValue }) as DipTest;
  it("needs both tests for two groups and either for mixed", () => {
    expect(splitVerdict(bic(6.5), dip(0.01))).toBe("two-groups");
    expect(splitVerdict(bic(6.5), dip(0.2))).toBe("mixed");
    expect(splitVerdict(bic(6), dip(0.04))).toBe("mixed");
    expect(splitVerdict(bic(6), dip(0.05))).toBe("one-group");
    expect(splitVerdict(null, null)).toBe("one-group");
  });
});

describe("assignGroups", () => {
  it("labels every record by the split stage's high set, keeping its fields", () => {
    const rec = (classIndex: number) =>
      ({
        network: "n",
        stage: "s",
        classIndex,
        className: `c${classIndex}`,
        n: 3,
        meanLogDensity: 0,
        varLogDensity: 1,
      }) as ClassStageRecord;
    const rows = assignGroups([rec(0), rec(1), rec(2)], new Set([1]));
    expect(rows.map((r) => r.group)).toEqual(["low", "high", "low"]);
    expect(rows[1]?.className).toBe("c1");
  });
});
