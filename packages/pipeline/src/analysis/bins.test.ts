import type { Core } from "@classfit/wasm-core";
import { beforeAll, describe, expect, it } from "vitest";
import { binCorrelations, binCuts, binTrendBootstrap, densityBins } from "./bins.js";
import { testCore } from "./testing/core.js";
import { type ExampleTable, validateExampleTable } from "./types.js";

let core: Core;
beforeAll(async () => {
  core = await testCore();
});

describe("binCuts", () => {
  it("cuts n items into B bins whose sizes differ by at most one", () => {
    expect(binCuts(10, 3)).toEqual([0, 3, 6, 10]);
    expect(binCuts(12, 4)).toEqual([0, 3, 6, 9, 12]);
  });
});

describe("densityBins", () => {
  // Log-densities 0 … 8 in shuffled table order; classes 0 (low) and 1 (high).
  const ld = [4, 0, 8, 2, 6, 1, 7, 3, 5];
  const t: ExampleTable = {
    network: "n",
    stage: "s",
    index: ld.map((_, i) => i),
    label: ld.map((x) => (x >= 5 ? 1 : 0)),
    logDensity: ld,
    memorization: ld.map((x) => x / 10),
    correct: ld.map((x) => (x % 2 === 0 ? 1 : 0)),
    abstained: ld.map((x) => (x === 1 ? 1 : 0)),
  };

  it("sorts by log-density into equal bins with per-bin means", () => {
    const radius = ld.map((x) => (x % 2 === 0 ? x : 0));
    const { rows, binOf } = densityBins(t, 3, new Set([1]), radius);
    expect(rows.map((r) => [r.logDensityMin, r.logDensityMax, r.n])).toEqual([
      [0, 2, 3],
      [3, 5, 3],
      [6, 8, 3],
    ]);
    expect(rows.map((r) => r.fractionHighClasses)).toEqual([0, 1 / 3, 1]);
    expect(rows[0]).toMatchObject({ meanLogDensity: 1, accuracy: 2 / 3, meanCertifiedRadius: 2 / 3 });
    expect(rows[0]?.fractionNotAbstained).toBeCloseTo(2 / 3, 15);
    expect(rows[2]?.meanMemorization).toBeCloseTo(0.7, 15);
    expect(rows[2]?.seMemorization).toBeCloseTo(0.1 / Math.sqrt(3), 15);
    expect(Array.from(binOf)).toEqual(ld.map((x) => Math.floor(x / 3)));
  });

  it("averages the density-bin protocol's held-out columns over the examples it certified", () => {
    // Held out: examples with log-density 0, 1, 3, 6 and 8 certified; 1 and 6 wrong (radius 0).
    const certified = new Map([
      [0, 0.5],
      [1, 0],
      [3, 0.25],
      [6, 0],
      [8, 1],
    ]);
    const { rows } = densityBins(
      {
        ...t,
        heldOutRadius: ld.map((x) => certified.get(x) ?? Number.NaN),
        heldOutCorrect: ld.map((x) => (certified.has(x) ? (x === 1 || x === 6 ? 0 : 1) : Number.NaN)),
      },
      3,
      new Set([1]),
      undefined,
    );
    expect(rows.map((r) => [r.nHeldOut, r.heldOutAccuracy, r.heldOutMeanRadius])).toEqual([
      [2, 0.5, 0.25],
      [1, 1, 0.25],
      [2, 0.5, 0.5],
    ]);
  });

  it("leaves out the columns the table lacks", () => {
    const { rows } = densityBins(
      { ...t, memorization: undefined, correct: undefined, abstained: undefined },
      3,
      new Set(),
      undefined,
    );
    expect(Object.keys(rows[0] ?? {})).toEqual([
      "bin",
      "n",
      "logDensityMin",
      "logDensityMax",
      "meanLogDensity",
      "fractionHighClasses",
    ]);
  });

  it("averages the scored examples of a bin and counts them; a bin with none has no mean", () => {
    // Unscored examples (NaN): log-densities 0 and 2 (bin 0), and every example of bin 2.
    const mem = ld.map((x) => (x === 0 || x === 2 || x >= 6 ? Number.NaN : x / 10));
    const { rows } = densityBins({ ...t, memorization: mem }, 3, new Set([1]), undefined);
    expect(rows.map((r) => r.nMemorization)).toEqual([1, 3, 0]);
    expect(rows[0]?.meanMemorization).toBeCloseTo(0.1, 15);
    expect(rows[0]?.seMemorization).toBeUndefined();
    expect(rows[1]?.meanMemorization).toBeCloseTo(0.4, 15);
    expect(rows[1]?.seMemorization).toBeCloseTo(0.1 / Math.sqrt(3), 15);
    expect(rows[2]?.meanMemorization).toBeUndefined();
  });

  it("accepts NaN (unscored) in the memorization column only", () => {
    const mem = ld.map((x) => (x === 0 ? Number.NaN : x));
    expect(() => validateExampleTable({ ...t, memorization: mem }, "t", 2)).not.toThrow();
    const inf = ld.map((x) => (x === 0 ? Number.POSITIVE_INFINITY : x));
    expect(() => validateExampleTable({ ...t, memorization: inf }, "t", 2)).toThrow(/memorization\[1\] is Infinity/);
    expect(() => validateExampleTable({ ...t, logDensity: mem }, "t", 2)).toThrow(/logDensity\[1\] is NaN/);
  });
});

describe("binTrendBootstrap", () => {
  it("gives ρ = 1 when the bin means rise with the bin, whatever the values within bins", () => {
    const binOf = Int32Array.from({ length: 50 }, (_, i) => i % 5);
    const y = Array.from(binOf, (b, i) => b * 10 + (i % 3));
    const rng = core.rng(4, 1);
    try {
      const ci = binTrendBootstrap(binOf, y, 5, rng, 100, 0.95);
      expect(ci).toMatchObject({ estimate: 1, lower: 1, upper: 1, n: 50, replicates: 100, unit: "examples" });
    } finally {
      rng.dispose();
    }
  });

  it("is undefined with fewer than 3 non-empty bins", () => {
    const rng = core.rng(4, 2);
    try {
      const ci = binTrendBootstrap(Int32Array.from([0, 0, 1, 1]), [1, 2, 3, 4], 4, rng, 10, 0.95);
      expect(ci.estimate).toBeNaN();
      expect(ci.validReplicates).toBe(0);
    } finally {
      rng.dispose();
    }
  });
});

describe("binCorrelations", () => {
  it("labels each present variable's trend as a bin-level correlation", () => {
    const binOf = Int32Array.from({ length: 30 }, (_, i) => i % 3);
    const falling = Array.from(binOf, (b) => -b);
    const out = binCorrelations(
      "s",
      binOf,
      3,
      [
        ["memorization", undefined],
        ["certifiedRadius", falling],
      ],
      { core, seed: 2, network: 0, stage: 1 },
      { replicates: 20, level: 0.95 },
    );
    expect(out.map((c) => [c.level, c.variable, c.ci.estimate])).toEqual([["bin", "certifiedRadius", -1]]);
  });
});

describe("densityBins with partial certification", () => {
  it("averages the certified examples of each bin and counts them; a bin with none has no value", () => {
    const n = 20;
    const t: ExampleTable = {
      network: "n",
      stage: "s",
      index: Array.from({ length: n }, (_, i) => i),
      label: Array.from({ length: n }, (_, i) => i % 2),
      logDensity: Array.from({ length: n }, (_, i) => i),
      // Only examples 10..19 (the upper two bins of four) certified, all correct, radius = index/10.
      certifiedRadius: Array.from({ length: n }, (_, i) => (i >= 10 ? i / 10 : Number.NaN)),
      correct: Array.from({ length: n }, (_, i) => (i >= 10 ? 1 : Number.NaN)),
      abstained: Array.from({ length: n }, (_, i) => (i >= 10 ? 0 : Number.NaN)),
    };
    validateExampleTable(t, "t", 2);
    const { rows } = densityBins(t, 4, new Set([1]), t.certifiedRadius);
    expect(rows.map((r) => r.nCertified)).toEqual([0, 0, 5, 5]);
    expect(rows[0]?.accuracy).toBeUndefined();
    expect(rows[1]?.meanCertifiedRadius).toBeUndefined();
    expect(rows[2]?.accuracy).toBe(1);
    expect(rows[2]?.meanCertifiedRadius).toBeCloseTo(1.2, 12);
    expect(rows[3]?.fractionNotAbstained).toBe(1);
  });
});
