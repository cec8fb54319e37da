import type { Core } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { createModel } from "../model/create.js";
import { foldedForward, NoisyClassifier } from "./index.js";
import { testModel } from "./test-models.js";

let core: Core;
let linear: tfl.LayersModel;
let W: Float32Array;
let bias: Float32Array;
const [H, Wd, C, K] = [4, 3, 2, 5];
const px = H * Wd * C;

beforeAll(async () => {
  await initBackend();
  core = await createCore();
  // A linear classifier on the flattened input: its logits are easy to recompute in f64.
  linear = tfl.sequential({
    layers: [tfl.layers.flatten({ inputShape: [H, Wd, C] }), tfl.layers.dense({ units: K, useBias: true })],
  });
  const rng = core.rng(11, 0);
  W = Float32Array.from(rng.normal(px * K), (v: number) => v * 0.5);
  bias = Float32Array.from(rng.normal(K), (v: number) => v * 0.1);
  rng.dispose();
  linear.setWeights([tf.tensor2d(W, [px, K]), tf.tensor1d(bias)]);
});

afterAll(() => linear.dispose());

function example(seed: number): Float32Array {
  const r = core.rng(seed, 5);
  const x = Float32Array.from(r.normal(px));
  r.dispose();
  return x;
}

describe("NoisyClassifier", () => {
  it("predicts argmax of the model on x + σ·ε with ε from the Rng, row-major, copy after copy", async () => {
    const nc = new NoisyClassifier(linear);
    const x = example(1);
    const sigma = 0.7;
    const samples = 23;
    const rng = core.rng(42, 9);
    const pred = await nc.predictNoisy(x, sigma, samples, rng, 8);
    rng.dispose();
    const twin = core.rng(42, 9);
    const eps = twin.zigguratNormal(samples * px);
    twin.dispose();
    let margins = 0;
    for (let j = 0; j < samples; j++) {
      const xn = Float32Array.from({ length: px }, (_, i) => (x[i] as number) + sigma * (eps[j * px + i] as number));
      const logits = Array.from({ length: K }, (_, k) => {
        let s = bias[k] as number;
        for (let i = 0; i < px; i++) s += (xn[i] as number) * (W[i * K + k] as number);
        return s;
      });
      const sorted = [...logits].sort((a, b) => b - a);
      if ((sorted[0] as number) - (sorted[1] as number) < 1e-4) continue; // f32 vs f64 could disagree
      margins++;
      expect(pred[j]).toBe(logits.indexOf(sorted[0] as number));
    }
    expect(margins).toBeGreaterThan(samples - 3);
    expect(nc.passes).toBe(samples);
  });

  it("draws noise sequentially: m then k samples equal m + k at once, whatever the batch size", async () => {
    const nc = new NoisyClassifier(linear, { maxBatch: 5 });
    const x = example(2);
    const r1 = core.rng(3, 1);
    const a = await nc.predictNoisy(x, 1.5, 17, r1, 100);
    r1.dispose();
    const r2 = core.rng(3, 1);
    const b1 = await nc.predictNoisy(x, 1.5, 6, r2, 4);
    const b2 = await nc.predictNoisy(x, 1.5, 11, r2, 3);
    r2.dispose();
    expect(Array.from(a)).toEqual([...b1, ...b2]);
    // The noise is doing something: not every copy gets the same class at σ = 1.5.
    expect(new Set(a).size).toBeGreaterThan(1);
    const r3 = core.rng(3, 1);
    const counts = await nc.countNoisy(x, 1.5, 17, r3, 7);
    r3.dispose();
    const expected = new Int32Array(K);
    for (const c of a) expected[c] = (expected[c] as number) + 1;
    expect(Array.from(counts)).toEqual(Array.from(expected));
  });

  it("σ = 0 gives the clean prediction for every copy", async () => {
    const nc = new NoisyClassifier(linear);
    const x = example(3);
    const clean = tf.tidy(() => tf.argMax(linear.predict(tf.tensor4d(x, [1, H, Wd, C])) as tf.Tensor, -1).dataSync());
    const r = core.rng(1, 1);
    const counts = await nc.countNoisy(x, 0, 9, r, 4);
    r.dispose();
    expect(counts[clean[0] as number]).toBe(9);
  });

  it("runs a seeded ResNet and refuses bad arguments, naming them", async () => {
    const { model } = createModel(
      { arch: "resnet", blocks: [1, 1], widthMultiplier: 0.0625 },
      { height: 28, width: 28, channels: 1, numClasses: 3 },
      core,
      5,
    );
    const nc = new NoisyClassifier(model, { maxBatch: 16 });
    const r = core.rng(1, 2);
    const before = tf.memory().numTensors;
    const counts = await nc.countNoisy(new Float32Array(784), 0.5, 40, r, 1000);
    expect(tf.memory().numTensors).toBe(before);
    expect(counts.reduce((s, v) => s + v, 0)).toBe(40);
    await expect(nc.countNoisy(new Float32Array(783), 0.5, 4, r, 4)).rejects.toThrow(/783 values.*28×28×1 = 784/);
    await expect(nc.countNoisy(new Float32Array(784), -1, 4, r, 4)).rejects.toThrow(/sigma/);
    await expect(nc.countNoisy(new Float32Array(784), 0.5, 4, r, 0)).rejects.toThrow(/batchSize/);
    r.dispose();
    model.dispose();
  });

  it("folds batch norm into the convolutions: the same logits as model.predict up to f32 rounding", async () => {
    const model = testModel(core, "resnet", [1, 1], 0.125, 4, 9);
    const r = core.rng(4, 4);
    const folded = foldedForward(model);
    expect(folded).toBeDefined();
    const x = tf.tensor4d(Float32Array.from(r.normal(6 * 784)), [6, 28, 28, 1]);
    r.dispose();
    const a = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    const b = tf.tidy(() => folded?.predict(x).dataSync() as Float32Array);
    let scale = 0;
    for (const v of a) scale = Math.max(scale, Math.abs(v));
    expect(scale).toBeGreaterThan(0.01);
    for (let i = 0; i < a.length; i++)
      expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThan(1e-4 * scale + 1e-6);
    // And the NoisyClassifier runs it (the linear model with its Flatten layer falls back):
    // folded passes run no batch-norm kernel, unfolded ones do. (The folded executor once
    // existed while predictNoisy never called it; the getter alone could not tell.)
    expect(new NoisyClassifier(model).folded).toBe(true);
    expect(new NoisyClassifier(model, { native: false }).executor).toBe("folded");
    expect(new NoisyClassifier(model, { fold: false }).folded).toBe(false);
    expect(new NoisyClassifier(linear).folded).toBe(false);
    const kernelsOf = async (fold: boolean) => {
      const nc = new NoisyClassifier(model, { fold, native: false });
      const g = core.rng(5, 5);
      const prof = await tf.profile(() => nc.countNoisy(new Float32Array(784), 0.5, 8, g, 8));
      g.dispose();
      nc.dispose();
      return new Set(prof.kernels.map((k) => k.name));
    };
    expect((await kernelsOf(true)).has("FusedBatchNorm")).toBe(false);
    expect((await kernelsOf(false)).has("FusedBatchNorm")).toBe(true);
    const before = tf.memory().numTensors;
    folded?.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
    x.dispose();
    model.dispose();
  });
});
