// `classfit memorization`: Feldman & Zhang memorization scores (METHOD.md §8) — m networks, each
// trained on a seeded random subset of the training set, as resumable work units; `--shard k/n`
// runs one share of them for a cluster (merge the shares with `classfit merge`).
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
import { initBackend } from "@classfit/models/backend";
import { loadDataset } from "@classfit/models/node";
import { hashArray, type Json, memorizationProtocol, parseShardSpec, type UnitProtocol } from "@classfit/pipeline";
import type { Core } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import type { Command } from "commander";
import { z } from "zod";
import { InputError, sha256 } from "../io.js";
import { choiceArg, intArg, intListArg, numArg } from "../options.js";
import { runProtocol, withIdentity } from "../unit-store.js";

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

export const MemorizationSpecSchema = TrainerSpecSchema.extend({
  models: z.number().default(64),
  subset: z.number().default(0.7),
}).strict();
export type MemorizationSpec = z.infer<typeof MemorizationSpecSchema>;

/** Parses a spec (CLI options or a study file's section), naming the bad field. */
export function parseSpec<T extends z.ZodType>(schema: T, raw: unknown, where: string): z.infer<T> {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue?.path.join(".") ?? "";
    throw new InputError(`${where}: ${path ? `'${path}': ` : ""}${issue?.message ?? "invalid"}`);
  }
  return r.data;
}

export function archOf(s: TrainerSpec): ArchConfig {
  if (s.archConfig !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(s.archConfig, "utf8"));
    } catch (e) {
      throw new InputError(`${s.archConfig}: cannot read an architecture JSON (${(e as Error).message})`);
    }
    return validateArchConfig(raw);
  }
  if (s.arch !== "resnet" && s.arch !== "convnet" && (s.blocks || s.width !== undefined))
    throw new InputError(`--blocks/--width apply to resnet and convnet; for ${s.arch} pass --arch-config FILE.json`);
  return archConfigOf({ arch: s.arch, blocks: s.blocks, widthMultiplier: s.width });
}

/** The training split (first `limit` examples when given) and what identifies it. */
export async function loadTrainSplit(s: TrainerSpec): Promise<{ ds: ImageDataset; identity: Record<string, Json> }> {
  let ds = await loadDataset({ path: s.data, split: "train", ...(s.labels ? { labels: s.labels } : {}) });
  if (s.limit !== undefined) {
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

/** The memorization protocol of a spec (loads the data; nothing is written). */
export async function memorizationFromSpec(
  s: MemorizationSpec,
  log: (m: string) => void,
): Promise<{ protocol: UnitProtocol; dispose(): void }> {
  // The settings the protocol refuses are checked before any data is read.
  if (!(s.subset > 0 && s.subset < 1))
    throw new InputError(`--subset must be a fraction in (0, 1) (exclusive), got ${s.subset}`);
  if (!Number.isSafeInteger(s.models) || s.models < 2)
    throw new InputError(`--models must be an integer ≥ 2, got ${s.models}`);
  archOf(s);
  const { ds, identity } = await loadTrainSplit(s);
  await initBackend();
  const core = await createCore();
  const { trainer, identity: trainerIdentity } = trainerOf(core, s, ds, log);
  let protocol: UnitProtocol;
  try {
    protocol = memorizationProtocol({
      core,
      trainer,
      labels: ds.labels,
      numClasses: ds.numClasses,
      datasetId: ds.name,
      settings: { models: s.models, fraction: s.subset, seed: s.seed },
    });
  } catch (e) {
    if (e instanceof RangeError) throw new InputError(e.message);
    throw e;
  }
  return { protocol: withIdentity(protocol, { ...identity, ...trainerIdentity }), dispose: () => trainer.dispose() };
}

export interface RunCommon {
  out: string;
  shard?: string;
  units?: string;
  shareFile?: string;
}

export function shardOf(spec: string | undefined) {
  if (spec === undefined) return undefined;
  try {
    return parseShardSpec(spec);
  } catch (e) {
    throw new InputError(`--shard: ${(e as Error).message}`);
  }
}

/**
 * Runs the protocol that `build` makes under the run flags shared by `memorization`, `certify`
 * and `bins` (--out, --shard, --units, share file), then releases what the protocol holds. The
 * shard spec is parsed before `build`, so a bad --shard fails before any model loads.
 */
export async function runBuiltProtocol(
  build: () => Promise<{ protocol: UnitProtocol; dispose: () => void }>,
  run: RunCommon,
  log: (s: string) => void,
): Promise<string> {
  const shard = shardOf(run.shard);
  const { protocol, dispose } = await build();
  try {
    return await runProtocol(protocol, {
      out: run.out,
      ...(shard ? { shard } : {}),
      ...(run.units ? { units: run.units } : {}),
      ...(run.shareFile ? { shareFile: run.shareFile } : {}),
      log,
    });
  } finally {
    dispose();
  }
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

/** Adds --out/--shard/--units. */
export function addRunOptions(cmd: Command, what: string): Command {
  return cmd
    .requiredOption("--out <DIR>", `output directory (${what}.cfa + summary, or shares/ with --shard)`)
    .option("--shard <k/n>", "run only share k of n (k counts from 0); merge the shares with `classfit merge`")
    .option("--units <dir>", "where finished units are kept for resume (default: DIR/units)");
}

/** Splits commander's options into the spec and the run options. */
export function splitRun<T extends object>(opts: T & RunCommon): { spec: Omit<T, keyof RunCommon>; run: RunCommon } {
  const { out, shard, units, shareFile, ...spec } = opts;
  return {
    spec,
    run: {
      out,
      ...(shard !== undefined ? { shard } : {}),
      ...(units !== undefined ? { units } : {}),
      ...(shareFile !== undefined ? { shareFile } : {}),
    },
  };
}

export async function runMemorization(raw: unknown, run: RunCommon, log: (s: string) => void): Promise<string> {
  const spec = parseSpec(MemorizationSpecSchema, raw, "memorization");
  return runBuiltProtocol(() => memorizationFromSpec(spec, log), run, log);
}

export function register(program: Command): void {
  const cmd = program
    .command("memorization")
    .description(
      "Memorization scores (Feldman & Zhang 2020; METHOD.md §8): train --models networks, each on a seeded\n" +
        "random --subset fraction of the training set, and score every example by how much more often it is\n" +
        "classified correctly by the networks trained with it than by those without. Each network is a work\n" +
        "unit kept in DIR/units (a re-run resumes); --shard k/n runs one share for a cluster.",
    )
    .option("--models <m>", "number of networks (≥ 2)", intArg(2), 64)
    .option("--subset <r>", "fraction of the training set each network sees, in (0, 1)", numArg(), 0.7);
  addRunOptions(addTrainerOptions(cmd), "memorization").action(async (opts: Record<string, unknown> & RunCommon) => {
    const { spec, run } = splitRun(opts);
    await runMemorization(spec, run, (s) => console.log(s));
  });
}
