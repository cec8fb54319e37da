// The native executor (./native.ts) against model.predict on seeded ResNets and ConvNets with
// non-trivial batch norms: logits equal up to f32 rounding, bit-identical whatever the chunk, no
// tfjs kernel run, the same predictions as the tfjs folded executor, and its fallbacks.

import { join } from "node:path";
import type { Core } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { fillBatch } from "../data/dataset.js";
import { DEFAULT_MODELS_DIR, loadDataset, readModelDir } from "../io/node.js";
import type { WasmBackendLike } from "../kernels/module.js";
import { NoisyClassifier, nativeForward } from "./index.js";
import { testModel } from "./test-models.js";

let core: Core;
let backend: WasmBackendLike;
beforeAll(async () => {
  await initBackend();
  core = await createCore();
  backend = tf.findBackend("wasm") as unknown as WasmBackendLike;
});

function logitsOf(model: tfl.LayersModel, x: Float32Array, n: number, chunk: number): Float32Array {
  const native = nativeForward(model, backend, { chunk });
  if (!native) throw new Error("no native executor");
  const px = native.inputSize;
  const out = new Float32Array(n * native.numClasses);
  const part = new Float32Array(chunk * native.numClasses);
  for (let off = 0; off < n; off += chunk) {
    const cnt = Math.min(chunk, n - off);
    native.input(cnt).set(x.subarray(off * px, (off + cnt) * px));
    native.run(cnt, part);
    out.set(part.subarray(0, cnt * native.numClasses), off * native.numClasses);
  }
  native.dispose();
  return out;
}

describe("native forward executor", () => {
  // Widths 4–64 (Winograd where channels are multiples of 4, the direct kernel elsewhere: the
  // 1- and 3-channel stems, stride 2, 1×1), even and odd sizes (asymmetric 'same' padding at
  // stride 2), 10 and 7 classes.
  it.each([
    ["resnet", [1, 1, 1, 1], 0.125, 28, 1, 10],
    ["resnet", [2, 1], 0.0625, 28, 1, 10],
    ["convnet", [1, 1, 1], 0.125, 28, 1, 10],
    ["resnet", [1, 1, 1], 0.0625, 32, 3, 7],
    ["resnet", [1, 1], 0.125, 29, 1, 10],
  ] as const)(
    "%s %j ×%f, %i px × %i channels: model.predict's logits up to f32 rounding, bit-identical for any chunk",
    (arch, blocks, width, size, channels, classes) => {
      tf.setBackend("wasm");
      const model = testModel(core, arch, [...blocks], width, classes, 21, { height: size, width: size, channels });
      const n = 11;
      const r = core.rng(7, 7);
      const x = Float32Array.from(r.normal(n * size * size * channels));
      r.dispose();
      const want = tf.tidy(
        () => (model.predict(tf.tensor4d(x, [n, size, size, channels])) as tf.Tensor).dataSync() as Float32Array,
      );
      const got = logitsOf(model, x, n, 16);
      let scale = 0;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      expect(scale).toBeGreaterThan(0.01);
      for (let i = 0; i < want.length; i++)
        expect(Math.abs((got[i] as number) - (want[i] as number))).toBeLessThan(1e-4 * scale + 1e-6);
      for (const chunk of [1, 4, 5]) {
        const other = logitsOf(model, x, n, chunk);
        expect(Buffer.from(other.buffer).equals(Buffer.from(got.buffer))).toBe(true);
      }
      model.dispose();
    },
  );

  it("runs NoisyClassifier's passes with no tfjs kernel, predicting as the tfjs folded executor does", async () => {
    tf.setBackend("wasm");
    // The shipped ResNet on a real test image, at σ = 0.5 as the study certifies it.
    const { model, manifest } = await readModelDir(join(DEFAULT_MODELS_DIR, "resnet-narrow"));
    const test = await loadDataset({ path: "default", split: "test" });
    const x = new Float32Array(784);
    fillBatch(test, [3], manifest?.normalisation ?? { pixelScale: 1 / 255, mean: [0], std: [1] }, x);
    const nc = new NoisyClassifier(model, { maxBatch: 64 });
    expect(nc.executor).toBe("native");
    const g = core.rng(5, 5);
    let pred: Int32Array = new Int32Array(0);
    const before = tf.memory().numTensors;
    const prof = await tf.profile(async () => {
      pred = await nc.predictNoisy(x, 0.5, 300, g, 64);
    });
    g.dispose();
    expect(prof.kernels).toHaveLength(0);
    expect(tf.memory().numTensors).toBe(before);
    const viaTfjs = new NoisyClassifier(model, { maxBatch: 64, native: false });
    expect(viaTfjs.executor).toBe("folded");
    const g2 = core.rng(5, 5);
    const pred2 = await viaTfjs.predictNoisy(x, 0.5, 300, g2, 64);
    g2.dispose();
    expect(Array.from(pred)).toEqual(Array.from(pred2));
    expect(new Set(pred).size).toBeGreaterThan(1);
    nc.dispose();
    viaTfjs.dispose();
    model.dispose();
  });

  it("falls back where it cannot fuse, refuses a bad chunk, and refuses use after dispose", () => {
    tf.setBackend("wasm");
    // A residual Add whose convolution already has its own ReLU cannot be fused.
    const input = tfl.input({ shape: [8, 8, 4] });
    const c = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", activation: "relu" }).apply(input);
    const sum = tfl.layers.add().apply([c, input] as tfl.SymbolicTensor[]) as tfl.SymbolicTensor;
    const pooled = tfl.layers.globalAveragePooling2d({}).apply(sum) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 3 }).apply(pooled) as tfl.SymbolicTensor;
    const unfusable = tfl.model({ inputs: input, outputs: out });
    expect(nativeForward(unfusable, backend)).toBeUndefined();
    expect(new NoisyClassifier(unfusable).executor).toBe("folded");
    unfusable.dispose();
    // A batch norm after a convolution with its own ReLU stays a separate step, which the native
    // executor does not run: it gives up after planning the convolution, and frees what it took.
    const bnInput = tfl.input({ shape: [8, 8, 1] });
    const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", activation: "relu" }).apply(bnInput);
    const normed = tfl.layers.batchNormalization({}).apply(conv);
    const head = tfl.layers
      .dense({ units: 3 })
      .apply(tfl.layers.globalAveragePooling2d({}).apply(normed)) as tfl.SymbolicTensor;
    const lateFail = tfl.model({ inputs: bnInput, outputs: head });
    const wasm = backend.wasm;
    const [malloc, free] = [wasm._malloc, wasm._free];
    const live = new Set<number>();
    let allocated = 0;
    wasm._malloc = (bytes: number) => {
      const p = malloc.call(wasm, bytes);
      live.add(p);
      allocated++;
      return p;
    };
    wasm._free = (p: number) => {
      live.delete(p);
      free.call(wasm, p);
    };
    try {
      expect(nativeForward(lateFail, backend)).toBeUndefined();
    } finally {
      wasm._malloc = malloc;
      wasm._free = free;
    }
    expect(allocated).toBeGreaterThan(0);
    expect(live.size).toBe(0);
    expect(new NoisyClassifier(lateFail).executor).toBe("folded");
    lateFail.dispose();
    const model = testModel(core, "convnet", [1, 1], 0.0625, 3, 2);
    expect(() => nativeForward(model, backend, { chunk: 0 })).toThrow(/chunk must be a positive integer/);
    const native = nativeForward(model, backend, { chunk: 2 });
    expect(native).toBeDefined();
    expect(() => native?.run(3, new Float32Array(9))).toThrow(/count must be an integer in \[1, 2\]/);
    native?.dispose();
    expect(() => native?.input(1)).toThrow(/after dispose/);
    model.dispose();
  });
});
