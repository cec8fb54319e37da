// The training loop: mini-batch SGD with momentum and weight decay (PyTorch semantics:
// g ← ∇ + wd·w; v ← μ·v + g; w ← w − lr·v), a learning-rate schedule, seeded augmentation,
// checkpoints and progress callbacks. Host-agnostic; the host persists checkpoints.
//
// Determinism: weight init, shuffling and augmentation draw from wasm-core Rng streams derived
// from (seed, epoch), so a run resumed from a checkpoint at epoch e continues exactly as an
// uninterrupted one would; tfjs then computes on its (deterministic, single-threaded) backend.
import type { Core } from "@classfit/wasm-core";
import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import {
  type Augmentation,
  checkNormalisation,
  fillBatch,
  type ImageDataset,
  type Normalisation,
  permutation,
} from "../data/dataset.js";
import { checkDatasetFitsModel, evaluateModel } from "./evaluate.js";

export { checkDatasetFitsModel };

import { learningRate, type ScheduleConfig } from "./schedule.js";

/** Rng streams: shuffling of epoch e uses SHUFFLE_STREAM + e, augmentation AUGMENT_STREAM + e. */
export const SHUFFLE_STREAM = 1_000_000;
export const AUGMENT_STREAM = 2_000_000;

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  /** L2 decay on kernels (conv, dense, attention); none on biases, BN/LN parameters, embeddings. */
  weightDecay: number;
  schedule: ScheduleConfig;
  augmentation: Augmentation;
  seed: number;
}

export const DEFAULT_TRAIN_CONFIG: Omit<TrainConfig, "augmentation"> = {
  epochs: 30,
  batchSize: 128,
  learningRate: 0.1,
  momentum: 0.9,
  weightDecay: 5e-4,
  schedule: { name: "onecycle" },
  seed: 0,
};

/**
 * The default augmentation for an input size: random crop with padding 4 (32 px and up) or 2
 * (smaller), and horizontal flips only for natural RGB images. Digits are not mirror-symmetric,
 * and every shoe in Fashion-MNIST points the same way (left) in both splits, so flipping grey
 * 28×28 images teaches an invariance the test set never asks for; pass `flip` to override.
 */
export function defaultAugmentation(ds: { height: number; channels: number }): Augmentation {
  return { cropPadding: ds.height >= 32 ? 4 : 2, flip: ds.channels === 3 };
}

export interface StepProgress {
  epoch: number;
  /** Step within the epoch, 1-based. */
  step: number;
  stepsPerEpoch: number;
  loss: number;
  accuracy: number;
  learningRate: number;
}

export interface EpochSummary {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy?: number;
  seconds: number;
  imagesPerSecond: number;
}

/** What must be kept besides the weights to resume training exactly. */
export interface TrainCheckpoint {
  /** Epochs completed. */
  epoch: number;
  /** Momentum buffers by variable name. */
  momentum: Record<string, Float32Array>;
  /** Each training example's loss summed over the completed epochs (see TrainResult); absent in
   * checkpoints written before it was kept. */
  cumulativeLoss?: Float64Array;
}

export interface TrainOptions {
  core: Core;
  model: LayersModel;
  train: ImageDataset;
  test?: ImageDataset;
  normalisation: Normalisation;
  config: TrainConfig;
  onStep?: (p: StepProgress) => void;
  onEpoch?: (s: EpochSummary) => void | Promise<void>;
  /** Called after every `checkpointEvery` epochs (default 1) with the state to persist. */
  onCheckpoint?: (c: TrainCheckpoint) => void | Promise<void>;
  checkpointEvery?: number;
  /** Continue from a checkpoint (the model must hold its weights). */
  resume?: TrainCheckpoint;
  signal?: AbortSignal;
}

export interface TrainResult {
  epochs: EpochSummary[];
  final: EpochSummary | undefined;
  /**
   * Float64Array, shape (train.n), the training set's order: each example's cross-entropy loss
   * summed over every epoch, as computed in the training step that used it (augmented input,
   * weights before that step's update). A memorization proxy at no extra training: Ravikumar et
   * al. (ICML 2025) report the cumulative sample loss as highly similar to Feldman–Zhang scores.
   * Undefined when training resumed from a checkpoint that did not keep it.
   */
  cumulativeLoss: Float64Array | undefined;
}

function decays(name: string): boolean {
  return /(^|\/)(kernel|qkv_kernel|out_kernel)(_\d+)?$/.test(name);
}

export function validateTrainConfig(c: TrainConfig): void {
  const posInt = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`train: ${what} must be a positive integer, got ${v}`);
  };
  posInt(c.epochs, "epochs");
  posInt(c.batchSize, "batch size");
  if (!(c.learningRate > 0) || !Number.isFinite(c.learningRate))
    throw new Error(`train: learning rate must be positive, got ${c.learningRate}`);
  if (!(c.momentum >= 0 && c.momentum < 1)) throw new Error(`train: momentum must be in [0, 1), got ${c.momentum}`);
  if (!(c.weightDecay >= 0) || !Number.isFinite(c.weightDecay))
    throw new Error(`train: weight decay must be ≥ 0, got ${c.weightDecay}`);
  if (!Number.isInteger(c.augmentation.cropPadding) || c.augmentation.cropPadding < 0)
    throw new Error(`train: crop padding must be a non-negative integer, got ${c.augmentation.cropPadding}`);
  if (!Number.isSafeInteger(c.seed) || c.seed < 0)
    throw new Error(`train: seed must be a non-negative integer, got ${c.seed}`);
}

/** Trains `model` in place. Every tensor it creates is disposed before it returns. */
export async function trainModel(o: TrainOptions): Promise<TrainResult> {
  const { core, model, train, config: c } = o;
  validateTrainConfig(c);
  checkDatasetFitsModel(model, train);
  checkNormalisation(o.normalisation, train);
  if (o.test) {
    checkDatasetFitsModel(model, o.test);
    checkNormalisation(o.normalisation, o.test);
  }
  const numClasses = (model.outputs[0]?.shape ?? []).at(-1) as number;
  const vars = model.trainableWeights.map((w) => ({ name: w.originalName, v: w.read() as tf.Variable }));
  const names = new Set<string>();
  for (const { name } of vars) {
    if (names.has(name)) throw new Error(`train: duplicate weight name ${name}`);
    names.add(name);
  }
  const momentum = vars.map(({ name, v }) => {
    const saved = o.resume?.momentum[name];
    if (o.resume && !saved) throw new Error(`train: the checkpoint has no momentum buffer for ${name}`);
    if (saved && saved.length !== v.size)
      throw new Error(`train: the checkpoint's momentum for ${name} has ${saved.length} values, the weight ${v.size}`);
    return tf.tidy(() => tf.variable(saved ? tf.tensor(saved, v.shape) : tf.zerosLike(v), false));
  });
  const h = train.height;
  const w = train.width;
  const ch = train.channels;
  const px = h * w * ch;
  const bs = Math.min(c.batchSize, train.n);
  const stepsPerEpoch = Math.ceil(train.n / bs);
  const totalSteps = stepsPerEpoch * c.epochs;
  const xBuf = new Float32Array(bs * px);
  const yBuf = new Int32Array(bs);
  const history: EpochSummary[] = [];
  const startEpoch = o.resume?.epoch ?? 0;
  if (o.resume?.cumulativeLoss && o.resume.cumulativeLoss.length !== train.n)
    throw new Error(
      `train: the checkpoint's per-example losses cover ${o.resume.cumulativeLoss.length} examples, the training set ${train.n}`,
    );
  // Kept from the start, or from a checkpoint that kept it; otherwise the sum would miss epochs.
  const lossKnown = startEpoch === 0 || o.resume?.cumulativeLoss !== undefined;
  const cumulativeLoss = o.resume?.cumulativeLoss
    ? Float64Array.from(o.resume.cumulativeLoss)
    : new Float64Array(train.n);
  try {
    for (let epoch = startEpoch; epoch < c.epochs; epoch++) {
      const t0 = performance.now();
      const shuffleRng = core.rng(c.seed, SHUFFLE_STREAM + epoch);
      const augRng = core.rng(c.seed, AUGMENT_STREAM + epoch);
      let lossSum = 0;
      let correct = 0;
      try {
        const order = permutation(train.n, shuffleRng);
        for (let s = 0; s < stepsPerEpoch; s++) {
          if (o.signal?.aborted) throw new Error("train: aborted");
          const idx = order.subarray(s * bs, Math.min(train.n, (s + 1) * bs));
          const b = idx.length;
          fillBatch(train, idx, o.normalisation, xBuf, { aug: c.augmentation, rng: augRng });
          for (let j = 0; j < b; j++) yBuf[j] = train.labels[idx[j] as number] as number;
          const lr = learningRate(c.schedule, c.learningRate, epoch * stepsPerEpoch + s, totalSteps, stepsPerEpoch);
          let hits: tf.Tensor | undefined;
          let perExample: tf.Tensor | undefined;
          const stats = tf.tidy(() => {
            const x = tf.tensor4d(xBuf.subarray(0, b * px), [b, h, w, ch]);
            const labels = tf.tensor1d(yBuf.subarray(0, b), "int32");
            const onehot = tf.oneHot(labels, numClasses);
            const { value, grads } = tf.variableGrads(
              () => {
                const logits = model.apply(x, { training: true }) as tf.Tensor;
                // Kept past variableGrads' scope (tidy never frees kept tensors): disposed below.
                hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), labels), "float32")));
                // The per-example losses beside the mean: off the gradient's path, so the update
                // (and the trained weights' bytes) are what they were without them.
                perExample = tf.keep(tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), -1)));
                return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
              },
              vars.map((x) => x.v),
            );
            const lrT = tf.scalar(lr);
            const muT = tf.scalar(c.momentum);
            const wdT = tf.scalar(c.weightDecay);
            vars.forEach(({ name, v }, i) => {
              const m = momentum[i] as tf.Variable;
              let g = grads[v.name];
              if (!g) throw new Error(`train: no gradient for ${name}`);
              if (c.weightDecay > 0 && decays(name)) g = tf.add(g, tf.mul(wdT, v));
              m.assign(tf.add(tf.mul(muT, m), g));
              v.assign(tf.sub(v, tf.mul(lrT, m)));
            });
            return tf.concat([tf.stack([value, hits as tf.Tensor]), perExample as tf.Tensor]);
          });
          (hits as tf.Tensor | undefined)?.dispose();
          (perExample as tf.Tensor | undefined)?.dispose();
          const values = await stats.data();
          stats.dispose();
          const loss = values[0];
          const nCorrect = values[1];
          for (let j = 0; j < b; j++) {
            const i = idx[j] as number;
            cumulativeLoss[i] = (cumulativeLoss[i] as number) + (values[2 + j] as number);
          }
          if (!Number.isFinite(loss))
            throw new Error(
              `train: the loss became ${loss} at epoch ${epoch + 1}, step ${s + 1} (learning rate ${lr}); try a smaller --lr`,
            );
          lossSum += (loss as number) * b;
          correct += nCorrect as number;
          o.onStep?.({
            epoch: epoch + 1,
            step: s + 1,
            stepsPerEpoch,
            loss: loss as number,
            accuracy: (nCorrect as number) / b,
            learningRate: lr,
          });
        }
      } finally {
        shuffleRng.dispose();
        augRng.dispose();
      }
      const seconds = (performance.now() - t0) / 1000;
      const summary: EpochSummary = {
        epoch: epoch + 1,
        trainLoss: lossSum / train.n,
        trainAccuracy: correct / train.n,
        seconds,
        imagesPerSecond: train.n / seconds,
      };
      if (o.test)
        summary.testAccuracy = (await evaluateModel(model, o.test, o.normalisation, { batchSize: bs })).accuracy;
      history.push(summary);
      await o.onEpoch?.(summary);
      const every = o.checkpointEvery ?? 1;
      if (o.onCheckpoint && ((epoch + 1) % every === 0 || epoch + 1 === c.epochs)) {
        const buffers: Record<string, Float32Array> = {};
        for (let i = 0; i < vars.length; i++) {
          buffers[(vars[i] as { name: string }).name] = (await (momentum[i] as tf.Variable).data()) as Float32Array;
        }
        await o.onCheckpoint({
          epoch: epoch + 1,
          momentum: buffers,
          ...(lossKnown ? { cumulativeLoss: Float64Array.from(cumulativeLoss) } : {}),
        });
      }
    }
  } finally {
    for (const m of momentum) m.dispose();
  }
  return { epochs: history, final: history.at(-1), cumulativeLoss: lossKnown ? cumulativeLoss : undefined };
}
