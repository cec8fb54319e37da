// Adapters from @classfit/models to the evaluation protocols of @classfit/pipeline (memorization,
// density bins): "train a fresh network on these training examples with this seed, then predict
// / smooth". Structurally the pipeline's TrainerBackend and BinTrainer (models sits below it).
//
// Each model is built and initialised from the given seed (wasm-core streams, arch/init.ts) and
// trained by trainModel with TrainConfig.seed = that seed (shuffling and augmentation streams
// are disjoint from the init stream), so a unit's model depends on (config, seed) alone.
import type { Core } from "@classfit/wasm-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import type { ArchConfig } from "./arch/config.js";
import { fillBatch, type ImageDataset, type Normalisation, subsetDataset } from "./data/dataset.js";
import { createModel } from "./model/create.js";
import { NoisyClassifier, type NoisyClassifierOptions } from "./noisy/index.js";
import { evaluateModel } from "./train/evaluate.js";
import { type EpochSummary, type TrainConfig, trainModel } from "./train/train.js";

export interface SubsetTrainerOptions {
  core: Core;
  arch: ArchConfig;
  /** The full training set; units name examples by their index in it. */
  train: ImageDataset;
  /** One normalisation for every model (e.g. the full training set's), so that models differ
   * only in their subset and seed. */
  normalisation: Normalisation;
  /** Training settings; `seed` is replaced by each unit's seed. */
  config: Omit<TrainConfig, "seed">;
  /** Batch size of the (noise-free) predictions. Default 256. */
  evalBatchSize?: number;
  noisy?: NoisyClassifierOptions;
  /** Progress: a model finished training (`what` says on which examples). */
  onModel?: (e: { seed: number; trainSize: number; final: EpochSummary | undefined }) => void;
  onEpoch?: (s: EpochSummary) => void;
}

/** Trains networks on subsets of one training set, for memorization and density bins. */
export class SubsetTrainer {
  readonly #o: SubsetTrainerOptions;
  /** The model behind the last backend `trainExcluding` returned (disposed on the next call). */
  #live: LayersModel | undefined;
  /** That backend: its folded weights and heap buffers go with the model. */
  #liveBackend: NoisyClassifier | undefined;

  constructor(o: SubsetTrainerOptions) {
    this.#o = o;
  }

  async #trainOn(trainIndices: Int32Array, seed: number): Promise<LayersModel> {
    const o = this.#o;
    if (trainIndices.length === 0) throw new RangeError("subset trainer: the training subset is empty");
    const spec = {
      height: o.train.height,
      width: o.train.width,
      channels: o.train.channels,
      numClasses: o.train.numClasses,
    };
    const { model } = createModel(o.arch, spec, o.core, seed);
    try {
      const result = await trainModel({
        core: o.core,
        model,
        train: subsetDataset(o.train, trainIndices, `${o.train.name}[${trainIndices.length} examples]`),
        normalisation: o.normalisation,
        config: { ...o.config, seed },
        ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}),
      });
      o.onModel?.({ seed, trainSize: trainIndices.length, final: result.final });
      return model;
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /** TrainerBackend: trains on `trainIndices`, predicts the labels of `evalIndices`. */
  async trainAndPredict(trainIndices: Int32Array, evalIndices: Int32Array, seed: number): Promise<Int32Array> {
    const model = await this.#trainOn(trainIndices, seed);
    try {
      const ds = subsetDataset(this.#o.train, evalIndices, `${this.#o.train.name}[eval]`);
      const e = await evaluateModel(model, ds, this.#o.normalisation, { batchSize: this.#o.evalBatchSize ?? 256 });
      return e.predictions;
    } finally {
      model.dispose();
    }
  }

  /** BinTrainer: trains on `trainIndices` and returns the network as a smoothing backend, which
   * stays usable until the next call (or dispose()). */
  async trainExcluding(trainIndices: Int32Array, seed: number): Promise<NoisyClassifier> {
    this.dispose();
    const model = await this.#trainOn(trainIndices, seed);
    this.#live = model;
    this.#liveBackend = new NoisyClassifier(model, this.#o.noisy);
    return this.#liveBackend;
  }

  dispose(): void {
    this.#liveBackend?.dispose();
    this.#liveBackend = undefined;
    this.#live?.dispose();
    this.#live = undefined;
  }
}

/** A dataset as the certification protocols see it: labels and one normalised example at a time
 * (structurally the pipeline's CertifyDataset). */
export function normalisedExamples(
  ds: ImageDataset,
  norm: Normalisation,
): { size: number; labels: Int32Array; input(index: number): Float32Array } {
  const px = ds.height * ds.width * ds.channels;
  return {
    size: ds.n,
    labels: ds.labels,
    input(index: number): Float32Array {
      const out = new Float32Array(px);
      fillBatch(ds, [index], norm, out);
      return out;
    },
  };
}
