// Every registered kernel together: a short ResNet training run on the wasm backend that lowers
// the loss and repeats bit for bit, and registration that changes nothing when run again.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { CLASSFIT_WASM_KERNELS, registerClassfitKernels } from "./index.js";
import { rng } from "./test-data.js";

/** A tiny CIFAR-style ResNet (conv-BN-ReLU stem, one strided basic block with a 1×1 projection,
 * global average pooling, dense) on synthetic 12×12 images whose class sets a bright quadrant. */
function tinyResNet(seed: number): tfl.LayersModel {
  let s = seed;
  const conv = (x: tfl.SymbolicTensor, filters: number, k: number, strides: number) =>
    tfl.layers
      .conv2d({
        filters,
        kernelSize: k,
        strides,
        padding: "same",
        useBias: false,
        kernelInitializer: tfl.initializers.heNormal({ seed: s++ }),
      })
      .apply(x) as tfl.SymbolicTensor;
  const bn = (x: tfl.SymbolicTensor) => tfl.layers.batchNormalization({}).apply(x) as tfl.SymbolicTensor;
  const relu = (x: tfl.SymbolicTensor) => tfl.layers.activation({ activation: "relu" }).apply(x) as tfl.SymbolicTensor;
  const input = tfl.input({ shape: [12, 12, 1] });
  const stem = relu(bn(conv(input, 8, 3, 1)));
  const y = bn(conv(relu(bn(conv(stem, 16, 3, 2))), 16, 3, 1));
  const shortcut = bn(conv(stem, 16, 1, 2));
  const merged = relu(tfl.layers.add().apply([y, shortcut]) as tfl.SymbolicTensor);
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(merged) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({ units: 4, kernelInitializer: tfl.initializers.glorotUniform({ seed: s++ }) })
    .apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

function syntheticBatch(n: number): { x: tf.Tensor; y: tf.Tensor } {
  const next = rng(99);
  const xs = new Float32Array(n * 144);
  const ys = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const cls = i % 4;
    ys[i * 4 + cls] = 1;
    for (let r = 0; r < 12; r++)
      for (let c = 0; c < 12; c++) {
        const quadrant = (r < 6 ? 0 : 2) + (c < 6 ? 0 : 1);
        xs[i * 144 + r * 12 + c] = (quadrant === cls ? 1 : 0) + 0.3 * (next() - 0.5);
      }
  }
  return { x: tf.tensor4d(xs, [n, 12, 12, 1]), y: tf.tensor2d(ys, [n, 4]) };
}

async function trainTiny(steps: number): Promise<{ losses: number[]; weights: Uint8Array }> {
  tf.setBackend("wasm");
  const model = tinyResNet(3);
  model.compile({
    optimizer: tf.train.momentum(0.1, 0.9),
    loss: (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.softmaxCrossEntropy(yt, yp),
  });
  const { x, y } = syntheticBatch(16);
  const losses: number[] = [];
  const tensorsAfter: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push((await model.trainOnBatch(x, y)) as number);
    tensorsAfter.push(tf.memory().numTensors * 1e6 + tf.backend().numDataIds());
  }
  // No tensor or wasm-buffer leaks per step (the eager batch-norm gradients are all consumed or
  // disposed; shared Identity/Cast buffers are reference counted).
  expect(new Set(tensorsAfter.slice(1)).size).toBe(1);
  const parts = model.getWeights().map((w) => new Uint8Array((w.dataSync() as Float32Array).slice().buffer));
  const weights = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    weights.set(p, o);
    o += p.length;
  }
  tf.dispose([x, y]);
  model.dispose();
  return { losses, weights };
}

describe("training a small ResNet on the wasm backend", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("lowers the loss, and two identical seeded runs give identical weight bytes", async () => {
    const a = await trainTiny(8);
    const b = await trainTiny(8);
    const first = a.losses[0] as number;
    const last = a.losses[a.losses.length - 1] as number;
    expect(Number.isFinite(first)).toBe(true);
    expect(last).toBeLessThan(first * 0.8);
    expect(b.losses).toEqual(a.losses);
    expect(Buffer.from(b.weights).equals(Buffer.from(a.weights))).toBe(true);
  });
});

describe("registerClassfitKernels", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("registers each listed kernel and gradient once, however often it runs", async () => {
    const names = [
      ...new Set(CLASSFIT_WASM_KERNELS.map((k) => (k.kind === "kernel" ? k.config.kernelName : k.kernelName))),
    ];
    const kernels = () => names.map((n) => tf.getKernel(n, "wasm")?.kernelFunc);
    const gradients = () => names.map((n) => tf.getGradient(n)?.gradFunc);
    const before = { kernels: kernels(), gradients: gradients() };
    expect(before.kernels.every((f) => f !== undefined)).toBe(true);
    await registerClassfitKernels();
    expect(kernels()).toEqual(before.kernels);
    expect(gradients()).toEqual(before.gradients);
  });
});
