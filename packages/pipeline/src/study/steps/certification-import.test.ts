import { describe, expect, it } from "vitest";
import { certifiedRows } from "./certification-import.js";

describe("certifiedRows", () => {
  const labels = Int32Array.from([0, 1, 0, 1, 2, 2]);
  it("maps dataset indices to study rows, keeping a subset study's own examples", () => {
    const whole = certifiedRows(Int32Array.from([4, 1]), Int32Array.from([2, 1]), labels, null, "c.npz");
    expect(Array.from(whole.rows)).toEqual([4, 1]);
    expect(Array.from(whole.keep)).toEqual([0, 1]);
    // Study rows 0..2 are dataset examples 1, 4, 5: example 3 is certified but not in the study.
    const sub = Int32Array.from([1, 4, 5]);
    const r = certifiedRows(
      Int32Array.from([3, 5, 1]),
      Int32Array.from([1, 2, 1]),
      labels.subarray(0, 3).map((_, j) => labels[sub[j] as number] as number),
      sub,
      "c.npz",
    );
    expect(Array.from(r.keep)).toEqual([1, 2]);
    expect(Array.from(r.rows)).toEqual([2, 0]);
  });
  it("refuses an example beyond a whole-set study, a wrong label, a repeat, and no overlap at all", () => {
    expect(() => certifiedRows(Int32Array.from([9]), Int32Array.from([0]), labels, null, "c.npz")).toThrow(
      /c\.npz: certified example 9 is not in this study's dataset/,
    );
    expect(() => certifiedRows(Int32Array.from([0]), Int32Array.from([2]), labels, null, "c.npz")).toThrow(
      /certified example 0 has label 2, the dataset says 0/,
    );
    expect(() => certifiedRows(Int32Array.from([0, 0]), Int32Array.from([0, 0]), labels, null, "c.npz")).toThrow(
      /certified twice/,
    );
    expect(() =>
      certifiedRows(Int32Array.from([0]), Int32Array.from([0]), Int32Array.from([1]), Int32Array.from([1]), "c.npz"),
    ).toThrow(/none of the 1 certified examples/);
  });
});
