// `classfit train`: trains a ResNet, plain ConvNet, MLP-Mixer or ViT on an image dataset with
// seeded SGD and writes MODELDIR (tfjs model.json + weights.bin + manifest.json recording the
// architecture, dataset, normalisation, seed, epochs, accuracy and this exact command).
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import {
  ARCH_NAMES,
  type ArchName,
  type ArchSettings,
  computeNormalisation,
  countTrainable,
  createModel,
  DEFAULT_TRAIN_CONFIG,
  evaluateModel,
  type ImageDataset,
  type ModelManifest,
  SCHEDULES,
  type ScheduleName,
  serializeModel,
  trainingSetup,
  trainModel,
} from "@classfit/models";
import { initBackend } from "@classfit/models/backend";
import { datasetHasSplit, loadDataset, readCheckpoint, writeCheckpoint, writeModelDir } from "@classfit/models/node";
import { encodeNpy } from "@classfit/models/npy";
import { readingInput } from "@classfit/pipeline/errors";
import { createCore } from "@classfit/wasm-core/node";
import type { Command } from "commander";
import { checkingInput, InputError } from "../io.js";
import { choiceArg, commandLine, intArg, intListArg, numArg } from "../options.js";
import { createProgress, PROGRESS_HELP } from "../progress.js";
import { VERSION } from "../version.js";

export interface TrainOptions {
  arch: ArchName;
  data: string;
  labels?: string;
  testData?: string;
  testLabels?: string;
  out: string;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule: ScheduleName;
  seed: number;
  width?: number;
  blocks?: number[];
  depth?: number;
  patch?: number;
  dim?: number;
  heads?: number;
  mlpHidden?: number;
  tokenHidden?: number;
  channelHidden?: number;
  stageGroups?: number;
  cropPadding?: number;
  flip?: boolean;
  numClasses?: number;
  checkpointEvery: number;
  resume?: boolean;
  progress?: boolean;
}

/**
 * What `classfit train` trains without --blocks/--depth/--width/--epochs: the settings of the
 * shipped narrow models (packages/models/assets/models; their manifests record the command), so
 * that the default finishes in minutes on the embedded data. Full width is opt-in (--width 1).
 */
export const NARROW_DEFAULTS = { blocks: [1, 1, 1, 1], widthMultiplier: 0.125, epochs: 15 } as const;

/** The full-width ResNet-18 flags, named in --help and in the line printed under the narrow default. */
export const FULL_RESNET18 = "--depth 18 --width 1";

/** The architecture settings of `o`, with the narrow defaults for resnet/convnet where a flag is unset. */
export function archSettings(o: TrainOptions): ArchSettings {
  const narrow = o.arch === "resnet" || o.arch === "convnet";
  return {
    arch: o.arch,
    blocks: o.blocks ?? (narrow && o.depth === undefined ? [...NARROW_DEFAULTS.blocks] : undefined),
    depth: o.depth,
    widthMultiplier: o.width ?? (narrow ? NARROW_DEFAULTS.widthMultiplier : undefined),
    patch: o.patch,
    dim: o.dim,
    heads: o.heads,
    mlpHidden: o.mlpHidden,
    tokenHidden: o.tokenHidden,
    channelHidden: o.channelHidden,
    stages: o.stageGroups,
  };
}

async function loadTestSplit(o: TrainOptions, numClasses?: number): Promise<ImageDataset | undefined> {
  const extra = numClasses === undefined ? {} : { numClasses };
  if (o.testData !== undefined) {
    return loadDataset({
      path: o.testData,
      split: "test",
      ...(o.testLabels ? { labels: o.testLabels } : {}),
      ...extra,
    });
  }
  if (o.labels === undefined && (await datasetHasSplit(o.data, "test"))) {
    return loadDataset({ path: o.data, split: "test", ...extra });
  }
  return undefined;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export async function runTrain(
  o: TrainOptions,
  command: string,
  log: (s: string) => void = console.log,
): Promise<void> {
  const extra = o.numClasses === undefined ? {} : { numClasses: o.numClasses };
  // What the loaders and trainingSetup refuse is the user's data or flags: InputError (exit 2).
  let train = await readingInput(() =>
    loadDataset({ path: o.data, split: "train", ...(o.labels ? { labels: o.labels } : {}), ...extra }),
  );
  let test = await readingInput(() => loadTestSplit(o, o.numClasses));
  const numClasses = Math.max(train.numClasses, test?.numClasses ?? 0);
  train = { ...train, numClasses };
  if (test) test = { ...test, numClasses };
  const { arch, train: config } = checkingInput(() =>
    trainingSetup(
      {
        arch: archSettings(o),
        train: {
          epochs: o.epochs,
          batchSize: o.batchSize,
          learningRate: o.lr,
          momentum: o.momentum,
          weightDecay: o.weightDecay,
          schedule: o.schedule,
          cropPadding: o.cropPadding,
          flip: o.flip,
          seed: o.seed,
        },
      },
      train,
    ),
  );
  const spec = { height: train.height, width: train.width, channels: train.channels, numClasses };
  const normalisation = computeNormalisation(train);
  await initBackend();
  const core = await createCore();
  const training = {
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    momentum: config.momentum,
    weightDecay: config.weightDecay,
    schedule: config.schedule.name,
    augmentation: config.augmentation,
    seed: config.seed,
  };
  const checkpointDir = `${o.out.replace(/\/+$/, "")}.checkpoint`;

  let model: Awaited<ReturnType<typeof readCheckpoint>>["model"];
  let stages: string[];
  let resume: Awaited<ReturnType<typeof readCheckpoint>>["state"] | undefined;
  if (o.resume && existsSync(checkpointDir)) {
    const ck = await readingInput(() => readCheckpoint(checkpointDir));
    const m = ck.manifest;
    if (
      !m ||
      !sameJson(m.architecture, arch) ||
      !sameJson(m.training, training) ||
      m.dataset.name !== train.name ||
      m.dataset.n !== train.n
    ) {
      ck.model.dispose();
      throw new InputError(
        `${checkpointDir}: the checkpoint was made with other settings (architecture, training or data); remove it or drop --resume`,
      );
    }
    model = ck.model;
    stages = m.stages;
    resume = ck.state;
    log(`resuming from ${checkpointDir} after epoch ${resume.epoch}`);
  } else {
    const built = createModel(arch, spec, core, o.seed);
    model = built.model;
    stages = built.stages;
  }
  const parameters = countTrainable(model);
  if ((o.arch === "resnet" || o.arch === "convnet") && o.width === undefined)
    log(
      `narrow ${o.arch} by default (width ×${NARROW_DEFAULTS.widthMultiplier}, the shipped models' settings); ` +
        `for the full-width ResNet-18 pass --arch resnet ${FULL_RESNET18}`,
    );
  const manifestFor = (epochs: number, metrics: ModelManifest["metrics"]): ModelManifest => ({
    format: "classfit-model",
    version: 1,
    architecture: arch,
    input: spec,
    stages,
    normalisation,
    dataset: { name: train.name, n: train.n, ...(test ? { test: { name: test.name, n: test.n } } : {}) },
    parameters,
    training,
    epochs,
    ...(metrics ? { metrics } : {}),
    command,
    createdBy: `classfit ${VERSION}`,
  });
  log(
    `training ${arch.arch} (${parameters} parameters) on ${train.name} (${train.n} images ${train.height}×${train.width}×${train.channels}, ${numClasses} classes)` +
      `${test ? `, testing on ${test.name} (${test.n})` : ""}; ${config.epochs} epochs, batch ${config.batchSize}, lr ${config.learningRate} (${config.schedule.name}), seed ${config.seed}`,
  );
  // One task per epoch, removed when the epoch ends so the epoch's summary line follows it.
  const progress = createProgress({ force: o.progress, unit: "steps", removeFinished: true });
  try {
    const result = await trainModel({
      core,
      model,
      train,
      ...(test ? { test } : {}),
      normalisation,
      config,
      checkpointEvery: o.checkpointEvery,
      ...(resume ? { resume } : {}),
      onStep: (p) => {
        const key = String(p.epoch);
        if (p.step === 1) progress.start(key, p.stepsPerEpoch, `epoch ${p.epoch}/${config.epochs}`);
        progress.update(key, p.step, `loss ${p.loss.toFixed(3)}`);
        if (p.step === p.stepsPerEpoch) progress.finish(key);
      },
      onEpoch: (s) => {
        log(
          `epoch ${s.epoch}/${config.epochs}: loss ${s.trainLoss.toFixed(4)}, train accuracy ${(100 * s.trainAccuracy).toFixed(2)}%` +
            `${s.testAccuracy !== undefined ? `, test accuracy ${(100 * s.testAccuracy).toFixed(2)}%` : ""}` +
            ` (${s.seconds.toFixed(1)} s, ${s.imagesPerSecond.toFixed(0)} images/s)`,
        );
      },
      onCheckpoint: async (state) => {
        if (state.epoch === config.epochs) return; // the final model is written below
        await writeCheckpoint(checkpointDir, await serializeModel(model), manifestFor(state.epoch, undefined), state);
      },
    });
    const last = result.final;
    const evalTest = test
      ? await evaluateModel(model, test, normalisation, { batchSize: config.batchSize })
      : undefined;
    const manifest = manifestFor(config.epochs, {
      ...(last ? { trainLoss: last.trainLoss, trainAccuracy: last.trainAccuracy } : {}),
      ...(evalTest ? { testAccuracy: evalTest.accuracy, testN: evalTest.n } : {}),
    });
    // The memorization proxy (each example's loss summed over training), beside the weights.
    const lossFile: Record<string, Uint8Array> = result.cumulativeLoss
      ? { [TRAINING_LOSS_FILE]: encodeNpy(result.cumulativeLoss, [result.cumulativeLoss.length]) }
      : {};
    await writeModelDir(o.out, await serializeModel(model), manifest, lossFile);
    if (!result.cumulativeLoss)
      log(
        `${o.out}: no ${TRAINING_LOSS_FILE} (training resumed from a checkpoint that did not keep the per-example losses)`,
      );
    await rm(checkpointDir, { recursive: true, force: true });
    log(
      `${o.out}: ${arch.arch}, ${parameters} parameters${evalTest ? `, test accuracy ${(100 * evalTest.accuracy).toFixed(2)}% on ${evalTest.n} images` : ""}`,
    );
  } finally {
    progress.stop();
    model.dispose();
  }
}

/** Written into MODELDIR by `classfit train`: float64, shape (n), the training set's order. */
export const TRAINING_LOSS_FILE = "training-loss.npy";

export function register(program: Command): void {
  program
    .command("train")
    .description(
      "Train a network on an image dataset with seeded SGD (momentum, weight decay, schedule, augmentation) " +
        "and write MODELDIR: tfjs model.json + weights.bin + manifest.json (architecture, data, normalisation, " +
        "seed, accuracy, this command). --data takes a directory (IDX, CIFAR-10/100 binary, or " +
        "{train,test}_{images,labels}.npy), an images .npy with --labels, or 'default' (the embedded " +
        "Fashion-MNIST subset). By default it trains the shipped narrow ResNet (blocks 1,1,1,1, width ×0.125, " +
        `15 epochs: minutes on the embedded data); the full-width ResNet-18 is ${FULL_RESNET18}. ` +
        "A checkpoint is kept in MODELDIR.checkpoint until training ends. " +
        "MODELDIR/training-loss.npy holds each training example's loss summed over all epochs, a cheap " +
        "memorization proxy (Ravikumar et al. 2025) that a study can use where no memorization run exists. " +
        "One network trains on one thread, so there is no --workers: SGD's updates are sequential, and " +
        "splitting a batch across workers would change the order of the gradient sums, hence the bytes. " +
        "Many networks (memorization, bins, a study's memorization) train side by side with --workers.",
    )
    .option("--arch <name>", `architecture: ${ARCH_NAMES.join(", ")}`, choiceArg(ARCH_NAMES), "resnet")
    .option("--data <path>", "training data (directory, images .npy, or 'default')", "default")
    .option("--labels <y.npy>", "labels for an images .npy")
    .option("--test-data <path>", "test data (default: the test split of --data when it has one)")
    .option("--test-labels <y.npy>", "labels for a test images .npy")
    .requiredOption("--out <MODELDIR>", "output model directory")
    .option("--epochs <n>", "epochs", intArg(1), NARROW_DEFAULTS.epochs)
    .option("--batch-size <n>", "mini-batch size", intArg(1), DEFAULT_TRAIN_CONFIG.batchSize)
    .option("--lr <x>", "peak learning rate", numArg({ min: 0, exclusiveMin: true }), DEFAULT_TRAIN_CONFIG.learningRate)
    .option("--momentum <x>", "SGD momentum", numArg({ min: 0 }), DEFAULT_TRAIN_CONFIG.momentum)
    .option("--weight-decay <x>", "L2 weight decay on kernels", numArg({ min: 0 }), DEFAULT_TRAIN_CONFIG.weightDecay)
    .option("--schedule <name>", `learning-rate schedule: ${SCHEDULES.join(", ")}`, choiceArg(SCHEDULES), "onecycle")
    .option("--seed <n>", "seed of weight init, shuffling and augmentation", intArg(0), 0)
    .option(
      "--width <x>",
      `resnet/convnet: width multiplier of 64/128/256/512 (default ${NARROW_DEFAULTS.widthMultiplier}; 1 = full width)`,
      numArg({ min: 0, exclusiveMin: true }),
    )
    .option(
      "--blocks <list>",
      `resnet/convnet: basic blocks per stage, e.g. 2,2,2,2 (default ${NARROW_DEFAULTS.blocks.join(",")} unless --depth)`,
      intListArg,
    )
    .option("--depth <n>", "resnet/convnet: 10, 18 or 34; mixer/vit: number of blocks", intArg(1))
    .option("--patch <n>", "mixer/vit: patch size", intArg(1))
    .option("--dim <n>", "mixer/vit: token dimension", intArg(1))
    .option("--heads <n>", "vit: attention heads", intArg(1))
    .option("--mlp-hidden <n>", "vit: MLP hidden width", intArg(1))
    .option("--token-hidden <n>", "mixer: token-mixing hidden width", intArg(1))
    .option("--channel-hidden <n>", "mixer: channel-mixing hidden width", intArg(1))
    .option("--stage-groups <n>", "mixer/vit: number of stage outputs (divides --depth)", intArg(1))
    .option("--crop-padding <n>", "random-crop padding (default 4 for ≥ 32 px, else 2; 0 disables)", intArg(0))
    .option("--flip", "random horizontal flips (default: on for RGB, off for grey images)")
    .option("--no-flip", "no horizontal flips")
    .option("--num-classes <n>", "number of classes (default: max label + 1)", intArg(2))
    .option("--checkpoint-every <n>", "epochs between checkpoints", intArg(1), 1)
    .option("--resume", "continue from MODELDIR.checkpoint if it exists")
    .option("--progress", PROGRESS_HELP)
    .action(async (opts: TrainOptions, cmd: Command) => {
      await runTrain(opts, commandLine(cmd));
    });
}
