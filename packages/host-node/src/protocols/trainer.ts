// How each network of the memorization and density-bin protocols is built and trained, from
// their flags or a study file's section.
import { readFileSync } from "node:fs";
import {
  ARCH_NAMES,
  type ArchConfig,
  type ArchName,
  archConfigOf,
  computeNormalisation,
  DEFAULT_TRAIN_CONFIG,
  type ImageDataset,
  type Normalisation,
  SCHEDULES,
  type ScheduleName,
  SubsetTrainer,
  subsetDataset,
  trainConfigOf,
  validateArchConfig,
} from "@classfit/models";
import { loadDataset } from "@classfit/models/node";
import { hashArray, type Json } from "@classfit/pipeline";
import { readingInput } from "@classfit/pipeline/errors";
import type { Core } from "@classfit/wasm-core";
import type { Command } from "commander";
import { z } from "zod";
import { checkingInput, InputError, sha256 } from "../io.js";
import { choiceArg, intArg, intListArg, numArg } from "../options.js";

/** How each network of a protocol is built and trained (memorization, density bins). */
export const TrainerSpecSchema = z
  .object({
    arch: z.enum(ARCH_NAMES as [ArchName, ...ArchName[]]).default("resnet"),
    blocks: z.array(z.number().int().positive()).optional(),
    width: z.number().positive().optional(),
    archConfig: z.string().optional(),
    data: z.string().default("default"),
    labels: z.string().optional(),
    limit: z.number().int().positive().optional(),
    epochs: z.number().int().positive().default(DEFAULT_TRAIN_CONFIG.epochs),
    batchSize: z.number().int().positive().default(DEFAULT_TRAIN_CONFIG.batchSize),
    lr: z.number().positive().default(DEFAULT_TRAIN_CONFIG.learningRate),
    momentum: z.number().min(0).default(DEFAULT_TRAIN_CONFIG.momentum),
    weightDecay: z.number().min(0).default(DEFAULT_TRAIN_CONFIG.weightDecay),
    schedule: z.enum(SCHEDULES as [ScheduleName, ...ScheduleName[]]).default("onecycle"),
    seed: z.number().int().min(0).default(0),
    maxBatch: z.number().int().positive().default(64),
  })
  .strict();
export type TrainerSpec = z.infer<typeof TrainerSpecSchema>;

export function archOf(s: TrainerSpec): ArchConfig {
  if (s.archConfig !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(s.archConfig, "utf8"));
    } catch (e) {
      throw new InputError(`${s.archConfig}: cannot read an architecture JSON (${(e as Error).message})`);
    }
    return checkingInput(() => validateArchConfig(raw));
  }
  if (s.arch !== "resnet" && s.arch !== "convnet" && (s.blocks || s.width !== undefined))
    throw new InputError(`--blocks/--width apply to resnet and convnet; for ${s.arch} pass --arch-config FILE.json`);
  return checkingInput(() => archConfigOf({ arch: s.arch, blocks: s.blocks, widthMultiplier: s.width }));
}

/** The training split (first `limit` examples when given) and what identifies it. A worker
 * passes the split its parent loaded (`loaded`, shared memory) rather than reading it again. */
export async function loadTrainSplit(
  s: TrainerSpec,
  loaded?: ImageDataset,
): Promise<{ ds: ImageDataset; identity: Record<string, Json> }> {
  let ds =
    loaded ??
    (await readingInput(() =>
      loadDataset({ path: s.data, split: "train", ...(s.labels ? { labels: s.labels } : {}) }),
    ));
  if (s.limit !== undefined && loaded === undefined) {
    if (s.limit > ds.n) throw new InputError(`--limit ${s.limit}: ${ds.name} has only ${ds.n} examples`);
    ds = subsetDataset(
      ds,
      Int32Array.from({ length: s.limit }, (_, i) => i),
      `${ds.name}[:${s.limit}]`,
    );
  }
  const images = ds.images;
  const bytes = new Uint8Array(images.buffer, images.byteOffset, images.byteLength);
  return { ds, identity: { imagesSha256: sha256(bytes), labelsHash: hashArray(ds.labels) } };
}

/** A subset trainer for `s` on `ds`, and the training identity that goes into configs. */
export function trainerOf(
  core: Core,
  s: TrainerSpec,
  ds: ImageDataset,
  log: (m: string) => void,
): { trainer: SubsetTrainer; identity: Record<string, Json>; normalisation: Normalisation } {
  const arch = archOf(s);
  const normalisation = computeNormalisation(ds);
  // Each network's seed comes from the protocol, so the trainer's config has none.
  const { seed: _seed, ...config } = trainConfigOf(
    {
      epochs: s.epochs,
      batchSize: s.batchSize,
      learningRate: s.lr,
      momentum: s.momentum,
      weightDecay: s.weightDecay,
      schedule: s.schedule,
    },
    ds,
  );
  const trainer = new SubsetTrainer({
    core,
    arch,
    train: ds,
    normalisation,
    config,
    noisy: { maxBatch: s.maxBatch },
    onModel: (e) =>
      log(
        `  trained on ${e.trainSize} examples (seed ${e.seed})${e.final ? `: train accuracy ${(100 * e.final.trainAccuracy).toFixed(2)}%` : ""}`,
      ),
  });
  return {
    trainer,
    identity: { trainer: JSON.parse(JSON.stringify({ arch, config, normalisation })) as Json },
    normalisation,
  };
}

/** Adds the trainer options shared by `memorization` and `bins`. */
export function addTrainerOptions(cmd: Command): Command {
  return cmd
    .option("--arch <name>", `architecture: ${ARCH_NAMES.join(", ")}`, choiceArg(ARCH_NAMES), "resnet")
    .option("--blocks <list>", "resnet/convnet: basic blocks per stage, e.g. 2,2,2,2", intListArg)
    .option("--width <x>", "resnet/convnet: width multiplier of 64/128/256/512", numArg())
    .option("--arch-config <file.json>", "a full architecture config (as in a model's manifest.json)")
    .option("--data <path>", "training data (directory, images .npy with --labels, or 'default')", "default")
    .option("--labels <y.npy>", "labels for an images .npy")
    .option("--limit <n>", "use only the first n training examples", intArg(1))
    .option("--epochs <n>", "epochs per network", intArg(1), DEFAULT_TRAIN_CONFIG.epochs)
    .option("--batch-size <n>", "mini-batch size", intArg(1), DEFAULT_TRAIN_CONFIG.batchSize)
    .option("--lr <x>", "peak learning rate", numArg(), DEFAULT_TRAIN_CONFIG.learningRate)
    .option("--momentum <x>", "SGD momentum", numArg(), DEFAULT_TRAIN_CONFIG.momentum)
    .option("--weight-decay <x>", "L2 weight decay on kernels", numArg(), DEFAULT_TRAIN_CONFIG.weightDecay)
    .option("--schedule <name>", `learning-rate schedule: ${SCHEDULES.join(", ")}`, choiceArg(SCHEDULES), "onecycle")
    .option("--seed <n>", "seed of everything random in the protocol", intArg(0), 0);
}
