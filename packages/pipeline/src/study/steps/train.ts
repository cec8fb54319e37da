// train — fits `net.arch` to the study's examples (only for networks given as an architecture).
// Consumes: the study dataset. Config: the architecture, the training settings, the input spec.
// Produces: model.json, weights.bin and classfit's manifest.json (a loadable model directory), and
// training-loss.npy, float64 (n): each example's loss summed over training (a memorization proxy).
import {
  type ArchConfig,
  computeNormalisation,
  createModel,
  encodeNpy,
  type InputSpec,
  type ModelManifest,
  type Normalisation,
  npyToFloat64,
  parseNpy,
  serializeModel,
  stageNames,
  type TrainConfig,
  trainModel,
} from "@classfit/models";
import { jsonBytes, utf8 } from "../../steps/store.js";
import type { Json } from "../../units/container.js";
import type { NetworkConfig } from "../config.js";
import { archOf, trainSettings } from "../settings.js";
import type { Step, StepPlan } from "./step.js";

interface TrainPlan extends StepPlan {
  arch: ArchConfig;
  train: TrainConfig;
  spec: InputSpec;
  normalisation: Normalisation;
  stages: string[];
}

export interface TrainedFiles {
  modelJson: string;
  weights: Uint8Array;
  /** The step key: it names the model for the steps that read it. */
  hash: string;
  normalisation: Normalisation;
  stages: string[];
  dir: string;
  /** Each example's training loss summed over the epochs, study order (null for runs made before
   * it was kept). */
  trainingLoss: Float64Array | null;
}

export const train: Step<NetworkConfig, TrainPlan, TrainedFiles> = {
  name: "train",
  plan(ctx, net) {
    const { ds, hash } = ctx.study;
    const arch = archOf(net);
    const trainConfig = trainSettings(net, ds, ctx.config.seed);
    const spec: InputSpec = { height: ds.height, width: ds.width, channels: ds.channels, numClasses: ds.numClasses };
    return {
      dir: `${net.name}/train`,
      config: { arch, train: trainConfig, spec } as unknown as Json,
      inputs: { dataset: hash },
      arch,
      train: trainConfig,
      spec,
      normalisation: computeNormalisation(ds),
      stages: net.stages ?? stageNames(arch),
    };
  },
  async compute(ctx, net, p) {
    const { ds } = ctx.study;
    const trainConfig = p.train;
    await ctx.tfReady();
    const built = createModel(p.arch, p.spec, ctx.core, trainConfig.seed);
    const steps = Math.ceil(ds.n / Math.min(trainConfig.batchSize, ds.n)) * trainConfig.epochs;
    const key = `train:${net.name}`;
    ctx.progress.start(key, steps, `${net.name} train`);
    let done = 0;
    const result = await trainModel({
      core: ctx.core,
      model: built.model,
      train: ds,
      normalisation: p.normalisation,
      config: trainConfig,
      onStep: () => ctx.progress.update(key, ++done),
      ...(ctx.host.signal ? { signal: ctx.host.signal } : {}),
    });
    ctx.checkAbort();
    ctx.progress.finish(key);
    const bytes = await serializeModel(built.model);
    built.model.dispose();
    const manifest: ModelManifest = {
      format: "classfit-model",
      version: 1,
      architecture: p.arch,
      input: p.spec,
      stages: p.stages,
      normalisation: p.normalisation,
      dataset: { name: ds.name, n: ds.n },
      parameters: 0,
      training: { ...trainConfig, schedule: trainConfig.schedule.name },
      epochs: trainConfig.epochs,
      metrics: {
        ...(result.final ? { trainLoss: result.final.trainLoss, trainAccuracy: result.final.trainAccuracy } : {}),
      },
      createdBy: "classfit study",
    };
    return {
      files: {
        "model.json": utf8(bytes.modelJson),
        "weights.bin": bytes.weights,
        "manifest.json": jsonBytes(manifest),
        ...(result.cumulativeLoss
          ? { "training-loss.npy": encodeNpy(result.cumulativeLoss, [result.cumulativeLoss.length]) }
          : {}),
      },
      info: { trainAccuracy: result.final?.trainAccuracy ?? null, trainLoss: result.final?.trainLoss ?? null },
    };
  },
  read(_ctx, _net, p, done) {
    return {
      modelJson: new TextDecoder().decode(done.files.get("model.json")),
      weights: done.files.get("weights.bin") as Uint8Array,
      hash: done.key,
      normalisation: p.normalisation,
      stages: p.stages,
      dir: p.dir,
      trainingLoss: lossOf(done.files.get("training-loss.npy")),
    };
  },
};

function lossOf(bytes: Uint8Array | undefined): Float64Array | null {
  return bytes === undefined ? null : npyToFloat64(parseNpy(bytes, { name: "training-loss.npy" }), "training-loss.npy");
}
