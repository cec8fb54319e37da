// Noisy forward passes for randomised smoothing (Cohen, Rosenfeld & Kolter 2019; METHOD.md §9):
// counts of a network's predictions over noisy copies x + ε, ε ~ N(0, σ² I), of one example in
// the network's NORMALISED input space (as the authors add noise after normalisation).
//
// Determinism. All noise comes from the caller's wasm-core Rng (polar-method normals computed in
// wasm), drawn sequentially — `samples` copies take samples·(h·w·c) normals in row-major order —
// so two calls of m and k samples draw exactly what one call of m + k draws, whatever the batch
// size. The noisy input x_i + σ·ε_i is formed in f64 with one multiply and one add and rounded
// once to f32 (bit-identical in every JS engine); the forward pass runs on tfjs's wasm backend
// (initBackend(): the same SIMD single-threaded binary in Node and the browser), and the argmax
// is taken in TS over the returned logits (lowest index on ties, as numpy.argmax). The noise does
// not depend on the batch size, and on the shipped ResNet neither did the predictions (2048 noisy
// copies at batches of 7, 64 and 256, folded or not: identical), so `maxBatch` is left out of
// the protocols' configs.
import type { Rng } from "@classfit/wasm-core";
import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { type FoldedForward, foldedForward } from "./folded.js";

export { type FoldedForward, foldedForward } from "./folded.js";

/** Structurally the pipeline's SmoothedClassifierBackend (models sits below pipeline). */
export interface NoisyCounter {
  readonly numClasses: number;
  countNoisy(input: Float32Array, sigma: number, samples: number, rng: Rng, batchSize: number): Promise<Int32Array>;
}

export interface NoisyClassifierOptions {
  /** Most noisy copies in one forward pass, whatever batch size the caller asks for: bounds the
   * activation memory (a ResNet-18 on 28×28 needs ~1 MB per copy). Default 64: on the shipped
   * ResNet smaller batches keep the activations in cache (bench/noisy-forward.mjs --batch). */
  maxBatch?: number;
  /** Run the batch-norm-folded executor (./folded.ts) when the model allows it (default true);
   * false runs model.predict. The model's weights are read once, here: build a new
   * NoisyClassifier after changing them. */
  fold?: boolean;
}

/** A LayersModel (NHWC input, logits output) as a smoothing backend. */
export class NoisyClassifier implements NoisyCounter {
  readonly numClasses: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly maxBatch: number;
  /** Noisy forward passes (copies) run so far. */
  passes = 0;
  readonly #model: LayersModel;
  readonly #folded: FoldedForward | undefined;

  constructor(model: LayersModel, opts: NoisyClassifierOptions = {}) {
    const [, h, w, c] = (model.inputs[0]?.shape ?? []) as (number | null)[];
    const out = model.outputs[0]?.shape ?? [];
    const k = out[out.length - 1];
    if (typeof h !== "number" || typeof w !== "number" || typeof c !== "number" || out.length !== 2)
      throw new Error(
        `noisy forward passes need a model with NHWC image input and (batch, classes) output; got input ${JSON.stringify(model.inputs[0]?.shape)} and output ${JSON.stringify(out)}`,
      );
    if (typeof k !== "number" || k < 2) throw new Error(`noisy forward passes: the model predicts ${k} classes`);
    const maxBatch = opts.maxBatch ?? 64;
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1)
      throw new RangeError(`noisy forward passes: maxBatch must be a positive integer, got ${maxBatch}`);
    this.#model = model;
    this.numClasses = k;
    this.height = h;
    this.width = w;
    this.channels = c;
    this.maxBatch = maxBatch;
    this.#folded = opts.fold === false ? undefined : foldedForward(model);
  }

  /** Whether forward passes run the folded executor. */
  get folded(): boolean {
    return this.#folded !== undefined;
  }

  /** Releases the folded weights (the model itself stays the caller's). */
  dispose(): void {
    this.#folded?.dispose();
  }

  get inputSize(): number {
    return this.height * this.width * this.channels;
  }

  /**
   * Predicted class per noisy copy (Int32Array of length `samples`), noise drawn from `rng`.
   * `batchSize` copies per forward pass (capped at `maxBatch`).
   */
  async predictNoisy(
    input: Float32Array,
    sigma: number,
    samples: number,
    rng: Rng,
    batchSize: number,
  ): Promise<Int32Array> {
    const px = this.inputSize;
    if (input.length !== px)
      throw new RangeError(
        `noisy forward passes: the input has ${input.length} values, the model expects ${this.height}×${this.width}×${this.channels} = ${px}`,
      );
    if (!(Number.isFinite(sigma) && sigma >= 0))
      throw new RangeError(`noisy forward passes: sigma must be a finite number ≥ 0, got ${sigma}`);
    if (!Number.isSafeInteger(samples) || samples < 0)
      throw new RangeError(`noisy forward passes: samples must be an integer ≥ 0, got ${samples}`);
    if (!Number.isSafeInteger(batchSize) || batchSize < 1)
      throw new RangeError(`noisy forward passes: batchSize must be a positive integer, got ${batchSize}`);
    const bs = Math.min(batchSize, this.maxBatch, Math.max(samples, 1));
    const k = this.numClasses;
    const buf = new Float32Array(bs * px);
    const pred = new Int32Array(samples);
    for (let done = 0; done < samples; done += bs) {
      const b = Math.min(bs, samples - done);
      const eps = rng.normal(b * px);
      for (let j = 0; j < b; j++) {
        const o = j * px;
        for (let i = 0; i < px; i++) buf[o + i] = (input[i] as number) + sigma * (eps[o + i] as number);
      }
      const logitsT = tf.tidy(() => {
        const batch = tf.tensor4d(buf.subarray(0, b * px), [b, this.height, this.width, this.channels]);
        return this.#folded ? this.#folded.predict(batch) : (this.#model.predict(batch) as tf.Tensor);
      });
      let logits: Float32Array;
      try {
        logits = (await logitsT.data()) as Float32Array;
      } finally {
        logitsT.dispose();
      }
      for (let j = 0; j < b; j++) {
        const o = j * k;
        let best = 0;
        let max = logits[o] as number;
        for (let c = 1; c < k; c++) {
          const v = logits[o + c] as number;
          if (v > max) {
            max = v;
            best = c;
          }
        }
        // A NaN logit row has no meaningful prediction; refuse rather than count class 0.
        if (Number.isNaN(max))
          throw new Error(`noisy forward passes: the model returned NaN logits for noisy copy ${done + j}`);
        pred[done + j] = best;
      }
    }
    this.passes += samples;
    return pred;
  }

  /** Counts per class of the predictions over `samples` noisy copies (Int32Array, numClasses). */
  async countNoisy(
    input: Float32Array,
    sigma: number,
    samples: number,
    rng: Rng,
    batchSize: number,
  ): Promise<Int32Array> {
    const pred = await this.predictNoisy(input, sigma, samples, rng, batchSize);
    const counts = new Int32Array(this.numClasses);
    for (const c of pred) counts[c] = (counts[c] as number) + 1;
    return counts;
  }
}
