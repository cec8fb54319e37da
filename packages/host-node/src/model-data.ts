// A model directory and a dataset loaded together, with the normalisation settled: what
// `extract`, `evaluate` and `certify` start from.
import {
  checkDatasetFitsModel,
  computeNormalisation,
  type ImageDataset,
  inputSpecOf,
  type ModelManifest,
  type Normalisation,
} from "@classfit/models";
import { initBackend } from "@classfit/models/backend";
import { type LoadedModel, loadDataset, readModelDir } from "@classfit/models/node";
import { readingInput } from "@classfit/pipeline/errors";
import type { Command } from "commander";
import { checkingInput, InputError } from "./io.js";
import { choiceArg, intArg, numListArg } from "./options.js";

export interface ModelDataOptions {
  model: string;
  data: string;
  labels?: string;
  split: "train" | "test";
  mean?: number[];
  std?: number[];
  batchSize: number;
  /** The data already loaded (a worker gets its parent's shared copy): not read again. */
  dataset?: ImageDataset;
}

/**
 * Loads MODELDIR and the data, and settles the normalisation: the manifest's for classfit
 * models; for a plain tfjs model --mean/--std, or else statistics of the data itself (said so).
 * What the loaders and the fit check refuse is the user's model or data: InputError (exit 2).
 */
export async function loadModelAndData(
  o: ModelDataOptions,
  log: (s: string) => void,
): Promise<{ loaded: LoadedModel; ds: ImageDataset; normalisation: Normalisation; manifest: ModelManifest | null }> {
  await initBackend();
  const loaded = await readingInput(() => readModelDir(o.model));
  try {
    const spec = checkingInput(() => inputSpecOf(loaded.model, o.model));
    const ds =
      o.dataset ??
      (await readingInput(() =>
        loadDataset({
          path: o.data,
          split: o.split,
          ...(o.labels ? { labels: o.labels } : {}),
          ...(spec.numClasses > 1 ? { numClasses: spec.numClasses } : {}),
        }),
      ));
    checkingInput(() => checkDatasetFitsModel(loaded.model, ds));
    let normalisation: Normalisation;
    if (loaded.manifest && o.mean === undefined && o.std === undefined) {
      normalisation = loaded.manifest.normalisation;
    } else if (o.mean !== undefined || o.std !== undefined) {
      if (!o.mean || !o.std) throw new InputError("give both --mean and --std");
      if (o.mean.length !== ds.channels || o.std.length !== ds.channels)
        throw new InputError(`--mean/--std need ${ds.channels} value(s) each (one per channel of ${ds.name})`);
      if (o.std.some((s) => !(s > 0))) throw new InputError("--std values must be positive");
      normalisation = { pixelScale: ds.images instanceof Uint8Array ? 1 / 255 : 1, mean: o.mean, std: o.std };
    } else {
      normalisation = computeNormalisation(ds);
      log(
        `${o.model}: no manifest.json; normalising with ${ds.name}'s own per-channel mean/std (override with --mean/--std)`,
      );
    }
    return { loaded, ds, normalisation, manifest: loaded.manifest };
  } catch (e) {
    loaded.model.dispose();
    throw e;
  }
}

export function addModelDataOptions(c: Command, defaultSplit: "train" | "test"): Command {
  return c
    .requiredOption(
      "--model <MODELDIR>",
      "model directory (classfit's, or any tfjs layers model.json with its weights)",
    )
    .option("--data <path>", "data (directory, images .npy with --labels, or 'default')", "default")
    .option("--labels <y.npy>", "labels for an images .npy")
    .option(
      "--split <name>",
      "split of a dataset directory: train or test",
      choiceArg(["train", "test"] as const),
      defaultSplit,
    )
    .option("--mean <list>", "per-channel mean (models without manifest.json), e.g. 0.286", numListArg)
    .option("--std <list>", "per-channel std (models without manifest.json), e.g. 0.353", numListArg)
    .option("--batch-size <n>", "images per forward pass", intArg(1), 128);
}
