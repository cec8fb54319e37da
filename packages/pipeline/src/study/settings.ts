// A network's architecture and training settings from its config entry. models' builders
// (archConfigOf, trainConfigOf) apply the defaults, so the study and the protocols' trainer
// agree on every one of them (`classfit train` alone defaults to the shipped narrow ResNet).
import { type ArchConfig, archConfigOf, type ImageDataset, type TrainConfig, trainConfigOf } from "@classfit/models";
import { InputError } from "../errors.js";
import type { NetworkConfig } from "./config.js";
import { deriveSeed } from "./seed.js";

export function archOf(net: NetworkConfig): ArchConfig {
  try {
    return archConfigOf({ ...net.arch, arch: net.arch?.arch ?? "resnet" });
  } catch (e) {
    // The architecture comes from the study config, so a refusal is the user's to fix.
    throw e instanceof Error && !(e instanceof RangeError) ? new InputError(e.message, { cause: e }) : e;
  }
}

export function trainSettings(net: NetworkConfig, ds: ImageDataset, studySeed: number): TrainConfig {
  const { seed, augmentation, ...rest } = trainConfigOf(
    { ...net.train, seed: net.train?.seed ?? deriveSeed(studySeed, "train", net.name) },
    ds,
  );
  // The study has always written the seed before the augmentation (step.json, the trained
  // model's manifest.json); keeping that order keeps earlier runs' files byte-identical.
  return { ...rest, seed, augmentation };
}
