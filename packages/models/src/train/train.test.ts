import { createCore } from "@classfit/wasm-core/node";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { ArchConfig } from "../arch/config.js";
import { initBackend } from "../backend.js";
import { computeNormalisation, syntheticDataset } from "../data/index.js";
import { createModel } from "../model/create.js";
import { evaluateModel } from "./evaluate.js";
import { learningRate } from "./schedule.js";
import { type TrainCheckpoint, type TrainConfig, trainModel } from "./train.js";

const arch: ArchConfig = { arch: "resnet", blocks: [1, 1], widthMultiplier: 0.0625 };
const spec = { height: 28, width: 28, channels: 1, numClasses: 3 };
const ds = syntheticDataset({ n: 24 });
const test = syntheticDataset({ n: 12, variant: 1 });
const norm = computeNormalisation(ds);
const config: TrainConfig = {
  epochs: 2,
  batchSize: 8,
  learningRate: 0.05,
  momentum: 0.9,
  weightDecay: 5e-4,
  schedule: { name: "onecycle" },
  augmentation: { cropPadding: 2, flip: true },
  seed: 11,
};

let core: Awaited<ReturnType<typeof createCore>>;
beforeAll(async () => {
  await initBackend();
  core = await createCore();
});

function weights(model: ReturnType<typeof createModel>["model"]): Buffer {
  return Buffer.concat(model.getWeights().map((t) => Buffer.from((t.dataSync() as Float32Array).slice().buffer)));
}

describe("trainModel", () => {
  it("learns, is deterministic for a seed, leaks no tensors, and resuming from a checkpoint equals an uninterrupted run", async () => {
    const before = tf.memory().numTensors;
    const a = createModel(arch, spec, core, config.seed);
    const checkpoints: TrainCheckpoint[] = [];
    const steps: number[] = [];
    const initial = weights(a.model);
    const ra = await trainModel({
      core,
      model: a.model,
      train: ds,
      test,
      normalisation: norm,
      config,
      onStep: (p) => steps.push(p.loss),
      onCheckpoint: (c) => {
        checkpoints.push(c);
      },
    });
    expect(steps.length).toBe(2 * 3);
    expect(ra.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    // It learns: the loss falls from the first steps to the last epoch.
    expect((ra.epochs[1] as { trainLoss: number }).trainLoss).toBeLessThan(steps[0] as number);
    expect(weights(a.model).equals(initial)).toBe(false);
    expect(checkpoints.map((c) => c.epoch)).toEqual([1, 2]);
    // The per-example losses: one sum per example, adding up to the epochs' mean losses × n
    // (those are float32 batch means, hence the tolerance).
    const cum = ra.cumulativeLoss as Float64Array;
    expect(cum.length).toBe(ds.n);
    for (const v of cum) expect(Number.isFinite(v) && v > 0).toBe(true);
    const total = cum.reduce((x, y) => x + y, 0);
    const fromEpochs = ra.epochs.reduce((x, e) => x + e.trainLoss * ds.n, 0);
    expect(Math.abs(total - fromEpochs) / fromEpochs).toBeLessThan(1e-5);
    expect(Array.from(checkpoints[0]?.cumulativeLoss ?? []).every((v, i) => v < (cum[i] as number))).toBe(true);

    // The same seed again: bit-identical weights and per-example losses.
    const b = createModel(arch, spec, core, config.seed);
    const rb = await trainModel({ core, model: b.model, train: ds, normalisation: norm, config });
    expect(weights(b.model).equals(weights(a.model))).toBe(true);
    expect(rb.cumulativeLoss).toEqual(cum);

    // Another seed: different weights.
    const c = createModel(arch, spec, core, 12);
    await trainModel({ core, model: c.model, train: ds, normalisation: norm, config: { ...config, seed: 12 } });
    expect(weights(c.model).equals(weights(a.model))).toBe(false);

    // Interrupt a run right after its epoch-1 checkpoint, then resume from it: the same bytes as
    // the uninterrupted run (shuffling and augmentation streams are derived from (seed, epoch)).
    const f = createModel(arch, spec, core, config.seed);
    let ck1: TrainCheckpoint | undefined;
    await trainModel({
      core,
      model: f.model,
      train: ds,
      normalisation: norm,
      config,
      onCheckpoint: (ck) => {
        ck1 = ck;
        throw new Error("interrupted");
      },
    }).catch((err: Error) => expect(err.message).toBe("interrupted"));
    expect(ck1?.epoch).toBe(1);
    const rf = await trainModel({
      core,
      model: f.model,
      train: ds,
      normalisation: norm,
      config,
      resume: ck1 as TrainCheckpoint,
    });
    expect(weights(f.model).equals(weights(b.model))).toBe(true);
    expect(rf.cumulativeLoss).toEqual(cum);

    // A checkpoint that did not keep the losses: the weights resume, the sum is not made up.
    const g = createModel(arch, spec, core, config.seed);
    g.model.setWeights(f.model.getWeights());
    const { cumulativeLoss: _dropped, ...old } = ck1 as TrainCheckpoint;
    const rg = await trainModel({ core, model: g.model, train: ds, normalisation: norm, config, resume: old });
    expect(rg.cumulativeLoss).toBeUndefined();

    for (const m of [a, b, c, f, g]) m.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("leaves tf.memory().numTensors where it found it", async () => {
    const m = createModel(arch, spec, core, 1);
    const start = tf.memory().numTensors;
    await trainModel({ core, model: m.model, train: ds, test, normalisation: norm, config: { ...config, epochs: 1 } });
    await evaluateModel(m.model, test, norm);
    expect(tf.memory().numTensors).toBe(start);
    m.model.dispose();
  });

  it("evaluateModel reports each batch's progress, and the figures do not depend on the batch size", async () => {
    const m = createModel(arch, spec, core, 1);
    const calls: [number, number][] = [];
    const e5 = await evaluateModel(m.model, test, norm, { batchSize: 5, onProgress: (d, t) => calls.push([d, t]) });
    expect(calls).toEqual([
      [5, 12],
      [10, 12],
      [12, 12],
    ]);
    const e12 = await evaluateModel(m.model, test, norm, { batchSize: 12 });
    expect(e5.predictions).toEqual(e12.predictions);
    m.model.dispose();
  });

  it("rejects data that does not fit the model, and bad settings", async () => {
    const m = createModel(arch, spec, core, 1);
    const rgb = syntheticDataset({ n: 4, channels: 3 });
    await expect(
      trainModel({ core, model: m.model, train: rgb, normalisation: computeNormalisation(rgb), config }),
    ).rejects.toThrow(/synthetic-4: images have 3 channel\(s\), the model expects 1/);
    const big = syntheticDataset({ n: 4, height: 32, width: 32 });
    await expect(
      trainModel({ core, model: m.model, train: big, normalisation: computeNormalisation(big), config }),
    ).rejects.toThrow(/images are 32×32, the model expects 28×28/);
    const many = syntheticDataset({ n: 8, numClasses: 5 });
    await expect(trainModel({ core, model: m.model, train: many, normalisation: norm, config })).rejects.toThrow(
      /labels span 5 classes, the model predicts 3/,
    );
    await expect(
      trainModel({ core, model: m.model, train: ds, normalisation: norm, config: { ...config, epochs: 0 } }),
    ).rejects.toThrow(/epochs must be a positive integer/);
    await expect(
      trainModel({ core, model: m.model, train: ds, normalisation: norm, config: { ...config, learningRate: 1e20 } }),
    ).rejects.toThrow(/the loss became (NaN|Infinity)/);
    m.model.dispose();
  });
});

describe("learning-rate schedules", () => {
  it("onecycle warms up linearly and decays to 0; step divides by 10 at 50% and 75%", () => {
    const lrs = Array.from({ length: 100 }, (_, s) => learningRate({ name: "onecycle" }, 0.1, s, 100, 10));
    expect(lrs[14]).toBeCloseTo(0.1, 12);
    expect(lrs[0]).toBeCloseTo(0.1 / 15, 12);
    expect(lrs[99]).toBeCloseTo(0.1 / 85, 12);
    expect(Math.max(...lrs)).toBeCloseTo(0.1, 12);
    const step = [0, 49, 50, 74, 75, 99].map((s) => learningRate({ name: "step" }, 0.1, s, 100, 10));
    expect(step.map((x) => Number(x.toPrecision(6)))).toEqual([0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
  });
});
