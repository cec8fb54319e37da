// Batched inference: logits, predictions and accuracy of a classifier over a dataset.
import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { checkNormalisation, fillBatch, type ImageDataset, type Normalisation } from "../data/dataset.js";

export interface Evaluation {
  n: number;
  accuracy: number;
  /** Mean softmax cross-entropy. */
  loss: number;
  /** Accuracy per true class (NaN for a class without examples). */
  perClassAccuracy: number[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  predictions: Int32Array;
}

/** Checks that `ds` fits the model's input (channels, size, classes). */
export function checkDatasetFitsModel(model: LayersModel, ds: ImageDataset): void {
  const shape = model.inputs[0]?.shape ?? [];
  const [, h, w, c] = shape;
  if (c !== ds.channels)
    throw new Error(`${ds.name}: images have ${ds.channels} channel(s), the model expects ${String(c)}`);
  if (h !== ds.height || w !== ds.width)
    throw new Error(`${ds.name}: images are ${ds.height}×${ds.width}, the model expects ${String(h)}×${String(w)}`);
  const out = model.outputs[0]?.shape ?? [];
  const k = out[out.length - 1];
  if (typeof k === "number" && ds.numClasses > k)
    throw new Error(`${ds.name}: labels span ${ds.numClasses} classes, the model predicts ${k}`);
}

/**
 * Logits for a batch of already normalised NHWC inputs (Float32Array, shape (n, h, w, c)) —
 * the building block for noisy forward passes (randomised smoothing) and evaluation.
 * Returns a Float32Array of shape (n, classes).
 */
export async function predictLogits(model: LayersModel, inputs: Float32Array, n: number): Promise<Float32Array> {
  const shape = model.inputs[0]?.shape ?? [];
  const [, h, w, c] = shape as [unknown, number, number, number];
  if (inputs.length !== n * h * w * c)
    throw new Error(`predictLogits: ${inputs.length} values for ${n} inputs of ${h}×${w}×${c}`);
  const out = tf.tidy(() => model.predict(tf.tensor4d(inputs, [n, h, w, c])) as tf.Tensor);
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

/** Predicted class per example and the evaluation figures, in batches of `batchSize`. */
export async function evaluateModel(
  model: LayersModel,
  ds: ImageDataset,
  norm: Normalisation,
  opts: { batchSize?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<Evaluation> {
  checkDatasetFitsModel(model, ds);
  checkNormalisation(norm, ds);
  const out = model.outputs[0]?.shape ?? [];
  const k = out[out.length - 1] as number;
  const bs = Math.max(1, Math.min(opts.batchSize ?? 256, ds.n));
  const px = ds.height * ds.width * ds.channels;
  const buf = new Float32Array(bs * px);
  const predictions = new Int32Array(ds.n);
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let lossSum = 0;
  let correct = 0;
  const idx = new Int32Array(bs);
  for (let start = 0; start < ds.n; start += bs) {
    const b = Math.min(bs, ds.n - start);
    for (let j = 0; j < b; j++) idx[j] = start + j;
    fillBatch(ds, idx.subarray(0, b), norm, buf);
    const logits = await predictLogits(model, buf.subarray(0, b * px), b);
    for (let j = 0; j < b; j++) {
      const row = logits.subarray(j * k, (j + 1) * k);
      let best = 0;
      let max = row[0] as number;
      for (let c = 1; c < k; c++) {
        if ((row[c] as number) > max) {
          max = row[c] as number;
          best = c;
        }
      }
      let sumExp = 0;
      for (let c = 0; c < k; c++) sumExp += Math.exp((row[c] as number) - max);
      const y = ds.labels[start + j] as number;
      if (y >= k)
        throw new Error(`${ds.name}: label ${y} of example ${start + j} is out of range for a ${k}-class model`);
      lossSum += Math.log(sumExp) - ((row[y] as number) - max);
      predictions[start + j] = best;
      if (best === y) correct++;
      (confusion[y] as number[])[best] = ((confusion[y] as number[])[best] as number) + 1;
    }
    opts.onProgress?.(start + b, ds.n);
  }
  const perClassAccuracy = confusion.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? Number.NaN : (row[c] as number) / total;
  });
  return { n: ds.n, accuracy: correct / ds.n, loss: lossSum / ds.n, perClassAccuracy, confusion, predictions };
}
