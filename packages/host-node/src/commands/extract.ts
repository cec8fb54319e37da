// `classfit extract`: pooled stage activations (METHOD.md §1) of a model over a dataset, one
// float32 .npy (N × C) per stage plus labels.npy and manifest.json in ACTDIR.
import { extractActivations, resolveStageLayers } from "@classfit/models";
import { NpyDirSink } from "@classfit/models/node";
import type { Command } from "commander";
import { checkingInput, InputError } from "../io.js";
import { addModelDataOptions, loadModelAndData, type ModelDataOptions } from "../model-data.js";
import { choiceArg, commandLine } from "../options.js";
import { createProgress, PROGRESS_HELP } from "../progress.js";
import { VERSION } from "../version.js";

interface ExtractOptions extends ModelDataOptions {
  out: string;
  pool: "avg" | "max";
  stages?: string;
  progress?: boolean;
}

export async function runExtract(
  o: ExtractOptions,
  command: string,
  log: (s: string) => void = console.log,
): Promise<void> {
  const { loaded, ds, normalisation, manifest } = await loadModelAndData(o, log);
  try {
    const stages = o.stages
      ? o.stages
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s.length > 0)
      : manifest?.stages;
    if (!stages || stages.length === 0)
      throw new InputError(`${o.model}: no manifest.json naming its stages; name the stage layers with --stages a,b,c`);
    // Unknown --stages names are the user's mistake: refused before any forward pass.
    checkingInput(() => resolveStageLayers(loaded.model, stages, o.model));
    const sink = new NpyDirSink(
      o.out,
      {
        model: loaded.dir,
        dataset: {
          name: ds.name,
          n: ds.n,
          numClasses: ds.numClasses,
          ...(ds.classNames ? { classNames: ds.classNames } : {}),
        },
        pool: o.pool,
        command,
        createdBy: `classfit ${VERSION}`,
      },
      ds.labels,
    );
    let channels: number[];
    const progress = createProgress({ force: o.progress, unit: "images" });
    progress.start("extract", ds.n, `extracting ${ds.name}`);
    try {
      ({ channels } = await extractActivations({
        model: loaded.model,
        stages,
        dataset: ds,
        normalisation,
        pool: o.pool,
        batchSize: o.batchSize,
        sink,
        where: `${o.model}`,
        onProgress: (done) => progress.update("extract", done),
      }));
      progress.finish("extract");
    } catch (e) {
      await sink.abort();
      throw e;
    } finally {
      progress.stop();
    }
    log(
      `${o.out}: ${ds.n} examples of ${ds.name}, ${o.pool}-pooled: ${stages.map((s, i) => `${s} (${channels[i]})`).join(", ")}`,
    );
  } finally {
    loaded.model.dispose();
  }
}

export function register(program: Command): void {
  addModelDataOptions(
    program
      .command("extract")
      .description(
        "Pooled stage activations of a model over a dataset (METHOD.md §1): for each stage layer the spatial " +
          "(or token) mean — or max — of its output, written as ACTDIR/<stage>.npy (float32, N × C) with " +
          "labels.npy and manifest.json. Default stages: the manifest's (stage1…); any layers via --stages.",
      ),
    "train",
  )
    .requiredOption("--out <ACTDIR>", "output directory")
    .option("--pool <kind>", "avg or max", choiceArg(["avg", "max"] as const), "avg")
    .option("--stages <list>", "comma-separated stage layer names (default: the manifest's stages)")
    .option("--progress", PROGRESS_HELP)
    .action(async (opts: ExtractOptions, cmd: Command) => {
      await runExtract(opts, commandLine(cmd));
    });
}
