import { describe, expect, it } from "vitest";
import { generativeClassification } from "./generative.js";
import { StudyInputError } from "./types.js";

const table = (labels: number[], scores: number[], numClasses = 3) => ({
  network: "n",
  stage: "s",
  numClasses,
  labels,
  scores,
});

describe("generativeClassification", () => {
  it("is perfect on separable scores", () => {
    const labels = [0, 1, 2, 2, 1, 0];
    const scores = labels.flatMap((l) => [0, 1, 2].map((c) => (c === l ? -1 : -50 - c)));
    const r = generativeClassification(table(labels, scores), "g");
    expect(r.accuracy).toBe(1);
    expect(r.confusion).toEqual([
      [2, 0, 0],
      [0, 2, 0],
      [0, 0, 2],
    ]);
    expect(r.recall).toEqual([1, 1, 1]);
  });

  it("counts confusions, breaks ties toward the lower class and gives NaN recall to absent classes", () => {
    // Example 0 (class 0) wins outright; example 1 (class 1) ties classes 0 and 1 → 0.
    const r = generativeClassification(table([0, 1], [0, -1, -2, -3, -3, -4]), "g");
    expect(r.confusion).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 0, 0],
    ]);
    expect(r.accuracy).toBe(0.5);
    expect(r.recall[0]).toBe(1);
    expect(r.recall[1]).toBe(0);
    expect(r.recall[2]).toBeNaN();
  });

  it("names the table and the bad value", () => {
    expect(() => generativeClassification(table([0], [0, 1]), "gen[3]")).toThrow(/gen\[3\]: scores has 2 values/);
    expect(() => generativeClassification(table([5], [0, 1, 2]), "g")).toThrow(/labels\[0\] = 5/);
    expect(() => generativeClassification(table([0], [0, Number.NaN, 2]), "g")).toThrow(StudyInputError);
    expect(() => generativeClassification(table([0], [0], 1), "g")).toThrow(/numClasses/);
  });
});
