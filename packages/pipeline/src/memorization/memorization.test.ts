import type { Core } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import { beforeAll, describe, expect, it } from "vitest";
import { finalizeArtifact, mergeShareFiles, runSingle } from "../shard/finalize.js";
import { encodeShare, mergeShares, runShard } from "../shard/shard.js";
import { MemoryUnitStore } from "../units/units.js";
import {
  decodeMemorization,
  memorizationByClass,
  memorizationFoldSubset,
  memorizationProtocol,
  memorizationSubset,
  subsetSize,
  type TrainerBackend,
} from "./memorization.js";

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

/**
 * A small 2-D data set built so the answer is known: class 0 around (0, 0), class 1 around
 * (10, 0), 24 points each on jittered rings; example ISOLATED sits at (2, 6), labelled 1 but
 * nearer to class 0 than to any class-1 point (a mislabelled outlier); example DUP and DUP + 1
 * are the same typical class-0 point twice.
 */
function dataset(): { x: Float64Array; labels: Int32Array; isolated: number; dup: number } {
  const pts: [number, number, number][] = [];
  for (let c = 0; c < 2; c++)
    for (let k = 0; k < 24; k++) {
      const a = (2 * Math.PI * k) / 24;
      const r = 1 + (k % 3) * 0.5;
      pts.push([c * 10 + r * Math.cos(a), r * Math.sin(a), c]);
    }
  const dup = pts.length;
  pts.push([0.3, 0.2, 0], [0.3, 0.2, 0]);
  const isolated = pts.length;
  pts.push([2, 6, 1]);
  const x = new Float64Array(pts.length * 2);
  const labels = new Int32Array(pts.length);
  pts.forEach(([a, b, y], i) => {
    x[2 * i] = a;
    x[2 * i + 1] = b;
    labels[i] = y;
  });
  return { x, labels, isolated, dup };
}

/** 1-nearest-neighbour "training": deterministic, lowest index on distance ties. */
function nearestNeighbour(x: Float64Array, labels: Int32Array, calls: { n: number } = { n: 0 }): TrainerBackend {
  return {
    async trainAndPredict(train, evalIdx) {
      calls.n++;
      return Int32Array.from(evalIdx, (e) => {
        let best = -1;
        let bestD = Number.POSITIVE_INFINITY;
        for (const t of train) {
          const dx = (x[2 * e] as number) - (x[2 * t] as number);
          const dy = (x[2 * e + 1] as number) - (x[2 * t + 1] as number);
          const d = dx * dx + dy * dy;
          if (d < bestD) {
            bestD = d;
            best = t;
          }
        }
        return labels[best] as number;
      });
    },
  };
}

describe("memorization subsets", () => {
  it("hold round(r·N) distinct indices, ascending, reproducibly, and cover examples at rate ≈ r", () => {
    const N = 200;
    const a = memorizationSubset(core, 7, 3, N, 0.7);
    expect(a.length).toBe(140);
    for (let i = 1; i < a.length; i++) expect(a[i] as number).toBeGreaterThan(a[i - 1] as number);
    expect(Array.from(memorizationSubset(core, 7, 3, N, 0.7))).toEqual(Array.from(a));
    expect(Array.from(memorizationSubset(core, 7, 4, N, 0.7))).not.toEqual(Array.from(a));
    const hits = new Float64Array(N);
    const m = 400;
    for (let u = 0; u < m; u++)
      for (const i of memorizationSubset(core, 1, u, N, 0.7)) hits[i] = (hits[i] as number) + 1;
    // Each example is in a subset with probability exactly 0.7: binomial(400, 0.7), sd ≈ 9.2.
    for (const h of hits) expect(Math.abs(h - 280)).toBeLessThan(50);
  });

  it("refuses fractions of 0 or 1 and empty subsets", () => {
    expect(() => subsetSize(100, 0)).toThrow(/fraction/);
    expect(() => subsetSize(100, 1)).toThrow(/fraction/);
    expect(() => subsetSize(100, 0.001)).toThrow(/empty subset/);
    expect(() => subsetSize(100, 0.999)).toThrow(/no example out/);
  });
});

describe("memorization folds (the balanced design)", () => {
  it("leave out disjoint folds that cover the set once per cut, so each example is out exactly m/K times", () => {
    const N = 103;
    const K = 3;
    const m = 12;
    const out = new Int32Array(N);
    for (let cut = 0; cut < m / K; cut++) {
      const seen = new Int32Array(N);
      for (let f = 0; f < K; f++) {
        const u = cut * K + f;
        const train = memorizationFoldSubset(core, 9, u, N, K);
        for (let i = 1; i < train.length; i++) expect(train[i] as number).toBeGreaterThan(train[i - 1] as number);
        // Fold sizes ⌊(f+1)N/K⌋ − ⌊fN/K⌋: 34, 34, 35 for N = 103.
        expect(N - train.length).toBe(Math.floor(((f + 1) * N) / K) - Math.floor((f * N) / K));
        const inTrain = new Uint8Array(N);
        for (const i of train) inTrain[i] = 1;
        for (let i = 0; i < N; i++)
          if (!inTrain[i]) {
            seen[i] = (seen[i] as number) + 1;
            out[i] = (out[i] as number) + 1;
          }
      }
      expect(Array.from(seen).every((c) => c === 1)).toBe(true);
    }
    expect(Array.from(out).every((c) => c === m / K)).toBe(true);
    // Reproducible; a new cut draws a new permutation.
    expect(Array.from(memorizationFoldSubset(core, 9, 4, N, K))).toEqual(
      Array.from(memorizationFoldSubset(core, 9, 4, N, K)),
    );
    expect(Array.from(memorizationFoldSubset(core, 9, 4, N, K))).not.toEqual(
      Array.from(memorizationFoldSubset(core, 9, 1, N, K)),
    );
  });

  it("keep each example with probability (K−1)/K over cuts, for every example alike", () => {
    const N = 60;
    const K = 4;
    const cuts = 400;
    // Example i is in fold 0 of a cut with probability 1/K; over 400 cuts binomial(400, 1/4), sd ≈ 8.7.
    const inFold0 = new Float64Array(N);
    for (let c = 0; c < cuts; c++) {
      const train = new Set(memorizationFoldSubset(core, 2, c * K, N, K));
      for (let i = 0; i < N; i++) if (!train.has(i)) inFold0[i] = (inFold0[i] as number) + 1;
    }
    for (const h of inFold0) expect(Math.abs(h - cuts / K)).toBeLessThan(45);
  });

  it("refuses a fold count that does not divide the models, or a fraction given as well", () => {
    const d = dataset();
    const base = { core, trainer: nearestNeighbour(d.x, d.labels), labels: d.labels, numClasses: 2, datasetId: "r" };
    expect(() => memorizationProtocol({ ...base, settings: { models: 10, folds: 3, seed: 1 } })).toThrow(
      /multiple of 3/,
    );
    expect(() => memorizationProtocol({ ...base, settings: { models: 6, folds: 3, fraction: 0.5, seed: 1 } })).toThrow(
      /not both/,
    );
    expect(() => memorizationProtocol({ ...base, settings: { models: 6, folds: 1, seed: 1 } })).toThrow(/folds/);
  });

  it("score every example, with the out count exactly m/K, and name the design in the config", async () => {
    const d = dataset();
    const p = memorizationProtocol({
      core,
      trainer: nearestNeighbour(d.x, d.labels),
      labels: d.labels,
      numClasses: 2,
      datasetId: "rings",
      settings: { models: 12, folds: 3, seed: 5 },
    });
    expect(p.config).toMatchObject({ design: "folds", folds: 3, fraction: 2 / 3, models: 12 });
    const r = decodeMemorization(await runSingle(p));
    for (let i = 0; i < d.labels.length; i++) {
      expect(r.outCount[i]).toBe(4);
      expect(r.inCount[i]).toBe(8);
      expect(Number.isNaN(r.score[i] as number)).toBe(false);
    }
    // The mislabelled isolated example is memorized: right when trained on, wrong otherwise.
    expect(r.score[d.isolated]).toBe(1);
  });
});

describe("memorization scores", () => {
  it("score a mislabelled isolated example high and a duplicated typical one low", async () => {
    const d = dataset();
    const p = memorizationProtocol({
      core,
      trainer: nearestNeighbour(d.x, d.labels),
      labels: d.labels,
      numClasses: 2,
      datasetId: "rings",
      settings: { models: 60, seed: 11 },
    });
    const r = decodeMemorization(await runSingle(p));
    for (let i = 0; i < d.labels.length; i++) {
      expect((r.inCount[i] as number) + (r.outCount[i] as number)).toBe(60);
      expect(r.inCorrect[i] as number).toBeLessThanOrEqual(r.inCount[i] as number);
    }
    // Trained with it, 1-NN finds the example itself; without, its nearest neighbour is class 0.
    expect(r.score[d.isolated]).toBe(1);
    expect(r.stdError[d.isolated]).toBe(0);
    // Out of the subset, its twin (or another class-0 point) still answers correctly.
    expect(r.score[d.dup]).toBe(0);
    expect(r.score[d.dup + 1]).toBe(0);
    const defined = Array.from(r.score).filter((s) => !Number.isNaN(s));
    expect(Math.max(...defined)).toBe(1);
    expect(defined.filter((s) => s > 0.5).length).toBe(1);
    const byClass = memorizationByClass(r.score, d.labels, 2, r.stdError);
    expect(byClass[0]?.count).toBe(26);
    expect(byClass[1]?.count).toBe(25);
    expect(byClass[1]?.mean as number).toBeGreaterThan(byClass[0]?.mean as number);
  });

  it("shares merged give the same bytes as a single run, in any order, and resume skips finished units", async () => {
    const d = dataset();
    const calls = { n: 0 };
    const make = (fraction = 0.7) =>
      memorizationProtocol({
        core,
        trainer: nearestNeighbour(d.x, d.labels, calls),
        labels: d.labels,
        numClasses: 2,
        datasetId: "rings",
        settings: { models: 10, seed: 5, fraction },
      });
    const single = await runSingle(make());
    const shares = await Promise.all([0, 1, 2].map((k) => runShard(make(), { index: k, count: 3 })));
    const files = shares.map(encodeShare);
    const merged = mergeShareFiles([files[2], files[0], files[1]] as Uint8Array[]);
    expect(Buffer.from(merged).equals(Buffer.from(single))).toBe(true);
    expect(Buffer.from(finalizeArtifact(mergeShares(shares))).equals(Buffer.from(single))).toBe(true);

    // Resume: the second run of a share reads every unit from the store.
    const store = new MemoryUnitStore();
    calls.n = 0;
    await runShard(make(), { index: 1, count: 3 }, { store });
    expect(calls.n).toBe(3);
    const events: boolean[] = [];
    const again = await runShard(make(), { index: 1, count: 3 }, { store, onUnit: (e) => events.push(e.skipped) });
    expect(calls.n).toBe(3);
    expect(events).toEqual([true, true, true]);
    expect(Buffer.from(encodeShare(again)).equals(Buffer.from(files[1] as Uint8Array))).toBe(true);

    // Shares of different configs are refused, naming the field.
    const other = encodeShare(await runShard(make(0.6), { index: 0, count: 3 }));
    expect(() => mergeShareFiles([files[1] as Uint8Array, other], ["a.share", "b.share"])).toThrow(
      /b\.share.*a\.share.*different configs.*fraction: 0\.6 vs 0\.7/,
    );
    expect(() => mergeShareFiles([files[0] as Uint8Array, files[1] as Uint8Array])).toThrow(/units missing/);
  });
});
