import { encodeNpy } from "@classfit/models";
import { zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { importMemorizationScores, scoresInStudyOrder } from "./import.js";

const scores = Float64Array.from([0.1, 0.9, -0.05, 0.5]);
const labels = Int32Array.from([3, 1, 1, 0]);

describe("importMemorizationScores", () => {
  it("reads Feldman & Zhang .npz files and checks their labels against the dataset", () => {
    const npz = zipSync({ "tr_mem.npy": encodeNpy(scores, [4]), "tr_labels.npy": encodeNpy(labels, [4]) });
    const r = importMemorizationScores(npz, "cifar100_infl_matrix.npz", labels);
    expect(r.format).toBe("npz");
    expect(Array.from(r.scores)).toEqual(Array.from(scores));
    expect(Array.from(r.labels as Int32Array)).toEqual(Array.from(labels));
    expect(() => importMemorizationScores(npz, "m.npz", Int32Array.from([3, 1, 2, 0]))).toThrow(
      /m\.npz: labels disagree with the dataset at 1 of 4 examples \(first at index 2: file 1, dataset 2\)/,
    );
    expect(() => importMemorizationScores(npz, "m.npz", Int32Array.from([3, 1, 1]))).toThrow(
      /4 scores but the dataset has 3/,
    );
    const noMem = zipSync({ "x.npy": encodeNpy(scores, [4]) });
    expect(() => importMemorizationScores(noMem, "bad.npz")).toThrow(/bad\.npz: no 'tr_mem' array.*x/);
  });

  it("reads .npy and CSV (plain, two columns, or with a header)", () => {
    const npy = importMemorizationScores(encodeNpy(Float32Array.from([0.25, 0.5]), [2]), "s.npy");
    expect(npy.format).toBe("npy");
    expect(Array.from(npy.scores)).toEqual([0.25, 0.5]);
    const enc = new TextEncoder();
    expect(Array.from(importMemorizationScores(enc.encode("0.1\n0.2\n"), "a.csv").scores)).toEqual([0.1, 0.2]);
    const two = importMemorizationScores(enc.encode("0.1,3\n0.2,1\n"), "b.csv");
    expect(Array.from(two.labels as Int32Array)).toEqual([3, 1]);
    const hdr = importMemorizationScores(enc.encode("index,label,tr_mem\n0,2,0.7\n1,0,0.0\n"), "c.csv");
    expect(Array.from(hdr.scores)).toEqual([0.7, 0]);
    expect(Array.from(hdr.labels as Int32Array)).toEqual([2, 0]);
    expect(() => importMemorizationScores(enc.encode("0.1\nabc\n"), "d.csv")).toThrow(/d\.csv: row 2: score 'abc'/);
    expect(() => importMemorizationScores(enc.encode("foo,bar\n1,2\n"), "e.csv")).toThrow(/names no score column/);
    expect(() => importMemorizationScores(enc.encode("0.1\nNaN\n"), "f.csv")).toThrow(/row 2/);
  });
});

describe("scoresInStudyOrder", () => {
  const file = { scores: Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5]), labels: Int32Array.from([0, 1, 0, 1, 2]) };

  it("takes the whole file for the whole dataset, and the subset's rows of it otherwise", () => {
    expect(Array.from(scoresInStudyOrder(file, "s.npz", file.labels, null))).toEqual(Array.from(file.scores));
    const sub = Int32Array.from([1, 2, 4]);
    expect(Array.from(scoresInStudyOrder(file, "s.npz", Int32Array.from([1, 0, 2]), sub))).toEqual([0.2, 0.3, 0.5]);
    // A file with no labels is joined by position alone.
    const unlabelled = { ...file, labels: null };
    expect(Array.from(scoresInStudyOrder(unlabelled, "s.npy", Int32Array.from([5, 5, 5, 5, 5]), null))).toEqual(
      Array.from(file.scores),
    );
  });

  it("refuses a file longer or shorter than the dataset, naming it and the first index out of step", () => {
    expect(() =>
      scoresInStudyOrder({ ...file, labels: null }, "long.npy", Int32Array.from([0, 1, 0, 1]), null),
    ).toThrow(/long\.npy: 5 scores, but the dataset has 4 training examples .*first without an example is at index 4/);
    expect(() =>
      scoresInStudyOrder({ ...file, labels: null }, "short.npy", Int32Array.from([0, 1, 0, 1, 2, 0]), null),
    ).toThrow(/short\.npy: 5 scores, but dataset example 5 needs one/);
    // With a subset the file covers the whole dataset, which may be longer than the study.
    expect(() => scoresInStudyOrder(file, "s.npz", Int32Array.from([0]), Int32Array.from([7]))).toThrow(
      /s\.npz: 5 scores, but dataset example 7 needs one/,
    );
  });

  it("refuses labels that disagree, naming the first dataset index and counting the rest", () => {
    expect(() => scoresInStudyOrder(file, "m.npz", Int32Array.from([0, 1, 1, 0, 2]), null)).toThrow(
      /m\.npz: label of example 2 is 0, the dataset says 1 \(2 of 5 labels disagree\)/,
    );
    // The dataset index, not the study row, is named.
    expect(() => scoresInStudyOrder(file, "m.npz", Int32Array.from([1, 1]), Int32Array.from([1, 4]))).toThrow(
      /label of example 4 is 2, the dataset says 1 \(1 of 2 labels disagree\)/,
    );
  });
});
