// Seeded weight initialisation: every value comes from one wasm-core Rng stream, drawn layer
// by layer in model order, so the same (architecture, seed) gives the same bytes in Node and
// in a browser. Only + - * / and sqrt touch the draws in JS (engine-independent).
import type { Core } from "@classfit/wasm-core";
import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";

/** The Rng stream weight initialisation draws from (others: shuffling, augmentation). */
export const INIT_STREAM = 1;

function baseName(weightName: string): string {
  const slash = weightName.lastIndexOf("/");
  // tfjs may suffix duplicate variable names with _1, _2 …; strip them.
  return (slash < 0 ? weightName : weightName.slice(slash + 1)).replace(/_\d+$/, "");
}

/**
 * Overwrites every weight of `model` with seeded draws:
 * - convolution kernels of the conv nets: He normal, fan-out mode (He et al. 2015, as
 *   torchvision's ResNet), std = √(2 / (k_h·k_w·c_out));
 * - dense, patch-embedding and attention kernels: Glorot uniform (Glorot & Bengio 2010),
 *   U(±√(6 / (fan_in + fan_out)));
 * - position embeddings: N(0, 0.02²) (as ViT);
 * - biases, β, moving means 0; γ and moving variances 1, except γ = 0 for `zeroGamma` layers.
 */
export function initWeights(model: LayersModel, core: Core, seed: number, zeroGamma: Iterable<string> = []): void {
  const zeroSet = new Set(zeroGamma);
  const rng = core.rng(seed, INIT_STREAM);
  try {
    for (const layer of model.layers) {
      const cls = layer.getClassName();
      const values = layer.weights.map((w) => {
        const shape = w.shape as number[];
        const n = shape.reduce((a, b) => a * b, 1);
        const name = baseName(w.originalName);
        const out = new Float32Array(n);
        const glorot = (fanIn: number, fanOut: number) => {
          const limit = Math.sqrt(6 / (fanIn + fanOut));
          const u = rng.uniform(n);
          for (let i = 0; i < n; i++) out[i] = (2 * (u[i] as number) - 1) * limit;
        };
        if (name === "kernel" && cls === "Conv2D" && shape.length === 4) {
          const [kh, kw, cin, cout] = shape as [number, number, number, number];
          if (layer.name === "patch_embed") glorot(kh * kw * cin, kh * kw * cout);
          else {
            const std = Math.sqrt(2 / (kh * kw * cout));
            const z = rng.normal(n);
            for (let i = 0; i < n; i++) out[i] = (z[i] as number) * std;
          }
        } else if ((name === "kernel" || name === "qkv_kernel" || name === "out_kernel") && shape.length === 2) {
          glorot(shape[0] as number, shape[1] as number);
        } else if (name === "embedding") {
          const z = rng.normal(n);
          for (let i = 0; i < n; i++) out[i] = (z[i] as number) * 0.02;
        } else if (name === "gamma") {
          out.fill(zeroSet.has(layer.name) ? 0 : 1);
        } else if (name === "moving_variance") {
          out.fill(1);
        } else if (name === "bias" || name === "beta" || name === "moving_mean" || name.endsWith("_bias")) {
          // zeros
        } else {
          throw new Error(`initWeights: no rule for weight ${w.originalName} of ${cls} layer ${layer.name}`);
        }
        return tf.tensor(out, shape, "float32");
      });
      if (values.length > 0) {
        layer.setWeights(values);
        for (const v of values) v.dispose();
      }
    }
  } finally {
    rng.dispose();
  }
}

/** Number of trainable scalars. */
export function countTrainable(model: LayersModel): number {
  return model.trainableWeights.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}
