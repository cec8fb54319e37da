import { describe, expect, it } from "vitest";
import { certifiedCurveFromExamples, classCertifiedCurves, exampleCertifiedCurves, radiusGrid } from "./curves.js";
import type { ClassRow } from "./split.js";

describe("radiusGrid", () => {
  it("sorts given radii, else spaces 41 points up to the largest radius (1 when none is positive)", () => {
    expect(radiusGrid(5, [0.5, 0, 0.25])).toEqual([0, 0.25, 0.5]);
    const g = radiusGrid(2, undefined);
    expect([g.length, g[0], g[20], g[40]]).toEqual([41, 0, 1, 2]);
    expect(radiusGrid(0, undefined)[40]).toBe(1);
  });
});

describe("certified curves from examples", () => {
  it("counts the correct members certified at each radius", () => {
    const radius = [0.5, 1, 0, 2];
    const correct = [1, 1, 0, 1];
    expect(certifiedCurveFromExamples(radius, correct, [0, 1, 2], [0, 0.5, 1, 1.5])).toEqual([
      { radius: 0, accuracy: 2 / 3 },
      { radius: 0.5, accuracy: 2 / 3 },
      { radius: 1, accuracy: 1 / 3 },
      { radius: 1.5, accuracy: 0 },
    ]);
    expect(certifiedCurveFromExamples(radius, correct, [], [0])[0]?.accuracy).toBeNaN();
  });

  it("gives one curve per density group on a grid up to the largest radius", () => {
    const curves = exampleCertifiedCurves("s", [0, 1, 0, 1], [0.5, 1, 0, 2], [1, 1, 0, 1], new Set([1]), undefined);
    expect(curves.map((c) => [c.group, c.n, c.source])).toEqual([
      ["high", 2, "examples"],
      ["low", 2, "examples"],
    ]);
    expect(curves[0]?.points.at(-1)).toEqual({ radius: 2, accuracy: 0.5 });
    expect(curves[1]?.points[0]).toEqual({ radius: 0, accuracy: 0.5 });
  });
});

describe("classCertifiedCurves", () => {
  const row = (group: "high" | "low", n: number, acc: number[], radii = [0, 1]): ClassRow => ({
    network: "n",
    stage: "s",
    classIndex: 0,
    className: "",
    n,
    meanLogDensity: 0,
    varLogDensity: 1,
    group,
    certified: {
      f1: 1,
      meanRadius: 0,
      fractionNotAbstained: 1,
      accuracyAtRadius: radii.map((radius, k) => ({ radius, accuracy: acc[k] ?? 0 })),
    },
  });

  it("weights each class's curve by its size within its group", () => {
    const curves = classCertifiedCurves("s", [row("low", 10, [1, 0.5]), row("low", 30, [0.6, 0.1])]);
    expect(curves?.map((c) => [c.group, c.n, c.source])).toEqual([["low", 40, "classes"]]);
    expect(curves?.[0]?.points.map((p) => p.radius)).toEqual([0, 1]);
    expect(curves?.[0]?.points[0]?.accuracy).toBeCloseTo(0.7, 15);
    expect(curves?.[0]?.points[1]?.accuracy).toBeCloseTo(0.2, 15);
  });

  it("gives null when the classes' grids differ and nothing without certified summaries", () => {
    expect(classCertifiedCurves("s", [row("high", 5, [1, 1]), row("low", 5, [1, 1], [0, 2])])).toBeNull();
    const { certified: _c, ...bare } = row("high", 5, []);
    expect(classCertifiedCurves("s", [bare])).toEqual([]);
  });
});
