// A network's architecture and training settings from its config entry: models' defaults,
// overridden by whatever the config sets.
import {
  type ArchConfig,
  DEFAULT_TRAIN_CONFIG,
  defaultArchConfig,
  defaultAugmentation,
  type ImageDataset,
  type TrainConfig,
  validateArchConfig,
} from "@classfit/models";
import { InputError } from "../errors.js";
import type { NetworkConfig } from "./config.js";
import { deriveSeed } from "./seed.js";

export function archOf(net: NetworkConfig): ArchConfig {
  const base = defaultArchConfig(net.arch?.arch ?? "resnet") as unknown as Record<string, unknown>;
  const arch = { ...base, ...Object.fromEntries(Object.entries(net.arch ?? {}).filter(([, v]) => v !== undefined)) };
  try {
    return validateArchConfig(arch);
  } catch (e) {
    // The architecture comes from the study config, so a refusal is the user's to fix.
    throw e instanceof Error && !(e instanceof RangeError) ? new InputError(e.message, { cause: e }) : e;
  }
}

export function trainSettings(net: NetworkConfig, ds: ImageDataset, studySeed: number): TrainConfig {
  const t = net.train ?? {};
  const aug = defaultAugmentation(ds);
  return {
    ...DEFAULT_TRAIN_CONFIG,
    epochs: t.epochs ?? DEFAULT_TRAIN_CONFIG.epochs,
    batchSize: t.batchSize ?? DEFAULT_TRAIN_CONFIG.batchSize,
    learningRate: t.learningRate ?? DEFAULT_TRAIN_CONFIG.learningRate,
    momentum: t.momentum ?? DEFAULT_TRAIN_CONFIG.momentum,
    weightDecay: t.weightDecay ?? DEFAULT_TRAIN_CONFIG.weightDecay,
    schedule: { name: t.schedule ?? "onecycle" },
    augmentation: { cropPadding: t.cropPadding ?? aug.cropPadding, flip: t.flip ?? aug.flip },
    seed: t.seed ?? deriveSeed(studySeed, "train", net.name),
  };
}
