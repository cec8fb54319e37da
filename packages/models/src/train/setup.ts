// From the settings a person writes (CLI flags, a study file's network section) to the
// architecture and training configs the models take. One place, so the commands and the study
// agree on every default: the architecture's, DEFAULT_TRAIN_CONFIG's and the augmentation's.
import {
  type ArchConfig,
  type ArchName,
  defaultArchConfig,
  RESNET_DEPTHS,
  validateArchConfig,
} from "../arch/config.js";
import type { ScheduleName } from "./schedule.js";
import { DEFAULT_TRAIN_CONFIG, defaultAugmentation, type TrainConfig } from "./train.js";

/** Architecture settings; an unset field keeps the architecture's default. Fields that do not
 * apply to `arch` (blocks for a ViT, heads for a ResNet) are ignored. */
export interface ArchSettings {
  arch: ArchName;
  /** resnet/convnet: basic blocks per stage. */
  blocks?: number[];
  /** resnet/convnet: a RESNET_DEPTHS preset (instead of blocks); mixer/vit: number of blocks. */
  depth?: number;
  /** resnet/convnet: multiplies the widths 64/128/256/512. */
  widthMultiplier?: number;
  patch?: number;
  dim?: number;
  tokenHidden?: number;
  channelHidden?: number;
  heads?: number;
  mlpHidden?: number;
  /** mixer/vit: stage groups; when unset and the default does not divide depth, one per block. */
  stages?: number;
}

/** Training settings; an unset field keeps DEFAULT_TRAIN_CONFIG's value or the default augmentation. */
export interface TrainSettings {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  momentum?: number;
  weightDecay?: number;
  schedule?: ScheduleName;
  cropPadding?: number;
  flip?: boolean;
  seed?: number;
}

/** The validated architecture config of `s`. */
export function archConfigOf(s: ArchSettings): ArchConfig {
  const c = defaultArchConfig(s.arch);
  if ("blocks" in c) {
    if (s.blocks && s.depth !== undefined) throw new Error("architecture: give either blocks or depth, not both");
    if (s.depth !== undefined) {
      const b = RESNET_DEPTHS[s.depth];
      if (!b)
        throw new Error(
          `architecture: depth for ${s.arch} must be one of ${Object.keys(RESNET_DEPTHS).join(", ")} (or give blocks)`,
        );
      c.blocks = [...b];
    }
    if (s.blocks) c.blocks = s.blocks;
    if (s.widthMultiplier !== undefined) c.widthMultiplier = s.widthMultiplier;
  } else {
    if (s.patch !== undefined) c.patch = s.patch;
    if (s.dim !== undefined) c.dim = s.dim;
    if (s.depth !== undefined) c.depth = s.depth;
    if (s.stages !== undefined) c.stages = s.stages;
    else if (c.depth % c.stages !== 0) c.stages = c.depth;
    if (c.arch === "mixer") {
      if (s.tokenHidden !== undefined) c.tokenHidden = s.tokenHidden;
      if (s.channelHidden !== undefined) c.channelHidden = s.channelHidden;
    } else {
      if (s.heads !== undefined) c.heads = s.heads;
      if (s.mlpHidden !== undefined) c.mlpHidden = s.mlpHidden;
    }
  }
  return validateArchConfig(c);
}

/** The training config of `s` for images of `input`'s size (which sets the default augmentation). */
export function trainConfigOf(s: TrainSettings, input: { height: number; channels: number }): TrainConfig {
  const d = DEFAULT_TRAIN_CONFIG;
  return {
    epochs: s.epochs ?? d.epochs,
    batchSize: s.batchSize ?? d.batchSize,
    learningRate: s.learningRate ?? d.learningRate,
    momentum: s.momentum ?? d.momentum,
    weightDecay: s.weightDecay ?? d.weightDecay,
    schedule: { name: s.schedule ?? d.schedule.name },
    augmentation: {
      ...defaultAugmentation(input),
      ...(s.cropPadding !== undefined ? { cropPadding: s.cropPadding } : {}),
      ...(s.flip !== undefined ? { flip: s.flip } : {}),
    },
    // Last, so that a caller that leaves the seed to each run can drop it without reordering.
    seed: s.seed ?? d.seed,
  };
}

/** Both configs of a network, as a study file's network section (`arch`, `train`) gives them. */
export function trainingSetup(
  s: { arch: ArchSettings; train?: TrainSettings },
  input: { height: number; channels: number },
): { arch: ArchConfig; train: TrainConfig } {
  return { arch: archConfigOf(s.arch), train: trainConfigOf(s.train ?? {}, input) };
}
