// Test helper: seeded ResNet/ConvNet models with non-trivial batch-norm parameters and moving
// statistics (a fresh model has γ = 1 or 0, β = 0, μ = 0, σ² = 1, which folding would hide).
import type { Core } from "@classfit/wasm-core";
import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { createModel } from "../model/create.js";

export function randomizeBatchNorm(model: LayersModel, core: Core, seed: number): void {
  const r = core.rng(seed, 4);
  for (const layer of model.layers) {
    if (layer.getClassName() !== "BatchNormalization") continue;
    const n = layer.weights[0]?.shape[0] as number;
    const u = r.uniform(4 * n);
    layer.setWeights([
      tf.tensor1d(Float32Array.from({ length: n }, (_, i) => 0.5 + (u[i] as number))),
      tf.tensor1d(Float32Array.from({ length: n }, (_, i) => (u[n + i] as number) - 0.5)),
      tf.tensor1d(Float32Array.from({ length: n }, (_, i) => 0.2 * ((u[2 * n + i] as number) - 0.5))),
      tf.tensor1d(Float32Array.from({ length: n }, (_, i) => 0.5 + (u[3 * n + i] as number))),
    ]);
  }
  r.dispose();
}

/** A seeded model of `arch` (default input 28×28×1) with randomised batch norms. */
export function testModel(
  core: Core,
  arch: "resnet" | "convnet",
  blocks: number[],
  widthMultiplier: number,
  numClasses: number,
  seed: number,
  input: { height: number; width: number; channels: number } = { height: 28, width: 28, channels: 1 },
): LayersModel {
  const { model } = createModel({ arch, blocks, widthMultiplier }, { ...input, numClasses }, core, seed);
  randomizeBatchNorm(model, core, seed + 1);
  return model;
}
