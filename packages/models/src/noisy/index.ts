// Noisy forward passes for randomised smoothing (Cohen, Rosenfeld & Kolter 2019; METHOD.md §9):
// counts of a network's predictions over noisy copies x + ε, ε ~ N(0, σ² I), of one example in
// the network's NORMALISED input space (as the authors add noise after normalisation).
//
// Determinism. All noise comes from the caller's wasm-core Rng (ziggurat normals computed in
// wasm, Rng.zigguratNormal: the polar method's normals and its copy out of wasm memory took 11–25%
// of a pass), drawn sequentially — `samples` copies take samples·(h·w·c) normals in row-major order —
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
import type { WasmBackendLike } from "../kernels/module.js";
import { type FoldedForward, foldedForward } from "./folded.js";
import { type NativeForward, nativeForward } from "./native.js";

export { type FoldedForward, type FoldedPlan, foldedForward, planFolded } from "./folded.js";
export { DEFAULT_CHUNK, type NativeForward, nativeForward } from "./native.js";

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
  /** Run the folded network on classfit's own wasm kernels (./native.ts) when the backend is
   * tfjs-wasm and the model allows it (default true); false runs the folded network on tfjs ops.
   * Ignored when `fold` is false. */
  native?: boolean;
  /** Copies per native run (default DEFAULT_CHUNK); the noise and the results do not depend on it. */
  chunk?: number;
}

/** What runs the forward passes: classfit's kernels on the folded network, tfjs ops on the
 * folded network, or the model's own predict. */
export type NoisyExecutor = "native" | "folded" | "predict";

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
  readonly #native: NativeForward | undefined;
  /** Noise of one batch (f64, copies × inputSize), reused across batches and calls. */
  #eps = new Float64Array(0);

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
    const useNative = opts.fold !== false && opts.native !== false && tf.getBackend() === "wasm";
    this.#native = useNative
      ? nativeForward(
          model,
          tf.backend() as unknown as WasmBackendLike,
          opts.chunk === undefined ? {} : { chunk: opts.chunk },
        )
      : undefined;
    this.#folded = opts.fold === false || this.#native ? undefined : foldedForward(model);
  }

  /** Whether forward passes run the batch-norm-folded network (natively or on tfjs ops). */
  get folded(): boolean {
    return this.#native !== undefined || this.#folded !== undefined;
  }

  get executor(): NoisyExecutor {
    return this.#native ? "native" : this.#folded ? "folded" : "predict";
  }

  /** Releases the folded weights and heap buffers (the model itself stays the caller's). */
  dispose(): void {
    this.#folded?.dispose();
    this.#native?.dispose();
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
    if (this.#native) {
      const pred = this.#predictNative(this.#native, input, sigma, samples, rng, bs);
      this.passes += samples;
      return pred;
    }
    const buf = new Float32Array(bs * px);
    const pred = new Int32Array(samples);
    for (let done = 0; done < samples; done += bs) {
      const b = Math.min(bs, samples - done);
      addNoise(buf, input, sigma, this.#noise(rng, b * px), 0, b);
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
      argmaxRows(logits, b, k, pred, done);
    }
    this.passes += samples;
    return pred;
  }

  /** The next n standard normals of `rng`, in a buffer reused until the next call. */
  #noise(rng: Rng, n: number): Float64Array {
    if (this.#eps.length < n) this.#eps = new Float64Array(n);
    return rng.zigguratNormalInto(this.#eps.subarray(0, n));
  }

  /** predictNoisy on the native executor: the same noise draws (bs copies' worth at a time),
   * the copies run `chunk` at a time. */
  #predictNative(
    native: NativeForward,
    input: Float32Array,
    sigma: number,
    samples: number,
    rng: Rng,
    bs: number,
  ): Int32Array {
    const px = this.inputSize;
    const k = this.numClasses;
    const pred = new Int32Array(samples);
    const logits = new Float32Array(native.chunk * k);
    for (let done = 0; done < samples; done += bs) {
      const b = Math.min(bs, samples - done);
      const eps = this.#noise(rng, b * px);
      for (let off = 0; off < b; off += native.chunk) {
        const cnt = Math.min(native.chunk, b - off);
        addNoise(native.input(cnt), input, sigma, eps, off, cnt);
        native.run(cnt, logits);
        argmaxRows(logits, cnt, k, pred, done + off);
      }
    }
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

/** Copies j < count of input + σ·ε into buf (count × input.length), taking copy j's noise from
 * eps at copy `from + j`: one f64 multiply and add, rounded once to f32. */
function addNoise(
  buf: Float32Array,
  input: Float32Array,
  sigma: number,
  eps: Float64Array,
  from: number,
  count: number,
): void {
  const px = input.length;
  for (let j = 0; j < count; j++) {
    const o = j * px;
    const e = (from + j) * px;
    for (let i = 0; i < px; i++) buf[o + i] = (input[i] as number) + sigma * (eps[e + i] as number);
  }
}

/** pred[at + j] = argmax of logits row j (lowest index on ties, as numpy.argmax), j < rows. */
function argmaxRows(logits: Float32Array, rows: number, k: number, pred: Int32Array, at: number): void {
  for (let j = 0; j < rows; j++) {
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
      throw new Error(`noisy forward passes: the model returned NaN logits for noisy copy ${at + j}`);
    pred[at + j] = best;
  }
}
