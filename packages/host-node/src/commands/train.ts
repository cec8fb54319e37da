// `classfit train`: trains a ResNet, plain ConvNet, MLP-Mixer or ViT on an image dataset with
// seeded SGD and writes MODELDIR (tfjs model.json + weights.bin + manifest.json recording the
// architecture, dataset, normalisation, seed, epochs, accuracy and this exact command).
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import {
  ARCH_NAMES,
  type ArchName,
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
import { createCore } from "@classfit/wasm-core/node";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { choiceArg, commandLine, intArg, intListArg, numArg } from "../options.js";
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
  let train = await loadDataset({ path: o.data, split: "train", ...(o.labels ? { labels: o.labels } : {}), ...extra });
  let test = await loadTestSplit(o, o.numClasses);
  const numClasses = Math.max(train.numClasses, test?.numClasses ?? 0);
  train = { ...train, numClasses };
  if (test) test = { ...test, numClasses };
  const { arch, train: config } = trainingSetup(
    {
      arch: {
        arch: o.arch,
        blocks: o.blocks,
        depth: o.depth,
        widthMultiplier: o.width,
        patch: o.patch,
        dim: o.dim,
        heads: o.heads,
        mlpHidden: o.mlpHidden,
        tokenHidden: o.tokenHidden,
        channelHidden: o.channelHidden,
        stages: o.stageGroups,
      },
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
    const ck = await readCheckpoint(checkpointDir);
    const m = ck.manifest;
    if (
      !m ||
      !sameJson(m.architecture, arch) ||
      !sameJson(m.training, training) ||
      m.dataset.name !== train.name ||
      m.dataset.n !== train.n
    ) {
      ck.model.dispose();
      throw new Error(
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
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: " epoch {epoch} |{bar}| {value}/{total} steps | loss {loss} | ETA {eta_formatted}",
          hideCursor: true,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
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
        if (!bar) return;
        if (p.step === 1) bar.start(p.stepsPerEpoch, 0, { epoch: p.epoch, loss: p.loss.toFixed(3) });
        bar.update(p.step, { epoch: p.epoch, loss: p.loss.toFixed(3) });
        if (p.step === p.stepsPerEpoch) bar.stop();
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
    await writeModelDir(o.out, await serializeModel(model), manifest);
    await rm(checkpointDir, { recursive: true, force: true });
    log(
      `${o.out}: ${arch.arch}, ${parameters} parameters${evalTest ? `, test accuracy ${(100 * evalTest.accuracy).toFixed(2)}% on ${evalTest.n} images` : ""}`,
    );
  } finally {
    bar?.stop();
    model.dispose();
  }
}

export function register(program: Command): void {
  program
    .command("train")
    .description(
      "Train a network on an image dataset with seeded SGD (momentum, weight decay, schedule, augmentation) " +
        "and write MODELDIR: tfjs model.json + weights.bin + manifest.json (architecture, data, normalisation, " +
        "seed, accuracy, this command). --data takes a directory (IDX, CIFAR-10/100 binary, or " +
        "{train,test}_{images,labels}.npy), an images .npy with --labels, or 'default' (the embedded " +
        "Fashion-MNIST subset). A checkpoint is kept in MODELDIR.checkpoint until training ends. " +
        "One network trains on one thread, so there is no --workers: SGD's updates are sequential, and " +
        "splitting a batch across workers would change the order of the gradient sums, hence the bytes. " +
        "Many networks (memorization, bins, a study's memorization) train side by side with --workers.",
    )
    .requiredOption("--arch <name>", `architecture: ${ARCH_NAMES.join(", ")}`, choiceArg(ARCH_NAMES))
    .requiredOption("--data <path>", "training data (directory, images .npy, or 'default')")
    .option("--labels <y.npy>", "labels for an images .npy")
    .option("--test-data <path>", "test data (default: the test split of --data when it has one)")
    .option("--test-labels <y.npy>", "labels for a test images .npy")
    .requiredOption("--out <MODELDIR>", "output model directory")
    .option("--epochs <n>", "epochs", intArg(1), DEFAULT_TRAIN_CONFIG.epochs)
    .option("--batch-size <n>", "mini-batch size", intArg(1), DEFAULT_TRAIN_CONFIG.batchSize)
    .option("--lr <x>", "peak learning rate", numArg({ min: 0, exclusiveMin: true }), DEFAULT_TRAIN_CONFIG.learningRate)
    .option("--momentum <x>", "SGD momentum", numArg({ min: 0 }), DEFAULT_TRAIN_CONFIG.momentum)
    .option("--weight-decay <x>", "L2 weight decay on kernels", numArg({ min: 0 }), DEFAULT_TRAIN_CONFIG.weightDecay)
    .option("--schedule <name>", `learning-rate schedule: ${SCHEDULES.join(", ")}`, choiceArg(SCHEDULES), "onecycle")
    .option("--seed <n>", "seed of weight init, shuffling and augmentation", intArg(0), 0)
    .option("--width <x>", "resnet/convnet: width multiplier of 64/128/256/512", numArg({ min: 0, exclusiveMin: true }))
    .option("--blocks <list>", "resnet/convnet: basic blocks per stage, e.g. 2,2,2,2", intListArg)
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
    .action(async (opts: TrainOptions, cmd: Command) => {
      await runTrain(opts, commandLine(cmd));
    });
}
