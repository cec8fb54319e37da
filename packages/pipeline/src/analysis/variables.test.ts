import { describe, expect, it } from "vitest";
import { CLASS_VARIABLES, certifiedRadiusColumn, exampleVariables, VARIABLES } from "./variables.js";

describe("variables", () => {
  it("has a display name for every correlated variable", () => {
    const t = { network: "n", stage: "s", index: [0], label: [0], logDensity: [0], memorization: [0] };
    const names = [...CLASS_VARIABLES.map(([v]) => v), ...exampleVariables(t, undefined).map(([v]) => v)];
    for (const v of names) expect(VARIABLES[v]?.label).toBeTruthy();
  });

  it("zeroes the certified radius of wrong predictions and needs both columns", () => {
    const t = { network: "n", stage: "s", index: [0, 1, 2], label: [0, 0, 0], logDensity: [0, 0, 0] };
    const col = certifiedRadiusColumn({ ...t, certifiedRadius: [0.5, 0.7, 0.9], correct: [1, 0, 1] });
    expect(Array.from(col ?? [])).toEqual([0.5, 0, 0.9]);
    expect(certifiedRadiusColumn({ ...t, certifiedRadius: [0.5, 0.7, 0.9] })).toBeUndefined();
  });
});
