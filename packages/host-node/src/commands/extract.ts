// `classfit extract`: pooled stage activations (METHOD.md §1) of a model over a dataset, one
// float32 .npy (N × C) per stage plus labels.npy and manifest.json in ACTDIR.
import { type ActivationSink, extractActivations, resolveStageLayers } from "@classfit/models";
import { NpyDirSink } from "@classfit/models/node";
import { runUnits } from "@classfit/pipeline";
import type { Command } from "commander";
import { checkingInput, InputError } from "../io.js";
import { addModelDataOptions, loadModelAndData, type ModelDataOptions } from "../model-data.js";
import { choiceArg, commandLine } from "../options.js";
import { createProgress, PROGRESS_HELP } from "../progress.js";
import { decodeExtractUnit, type ExtractSpec, extractFromSpec } from "../protocols/extract.js";
import { VERSION } from "../version.js";
import { nodeUnitExecutor } from "../workers/unit-executor.js";
import { addWorkersOption, resolveWorkers } from "../workers/workers.js";

interface ExtractOptions extends ModelDataOptions {
  out: string;
  pool: "avg" | "max";
  stages?: string;
  progress?: boolean;
  workers?: number;
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
    const workers = Math.min(resolveWorkers(o.workers, "extract", log), Math.ceil(ds.n / Math.max(1, o.batchSize)));
    const progress = createProgress({ force: o.progress, unit: "images" });
    try {
      if (workers > 1) {
        const { progress: _p, ...spec } = o;
        channels = await extractOnWorkers({ ...spec, stages, dataset: ds }, workers, sink, log);
      } else {
        progress.start("extract", ds.n, `extracting ${ds.name}`);
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
      }
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

/**
 * The extraction with its batches on `workers` threads (each loads the model; the dataset is
 * shared): batches finish in any order and are written to `sink` in order, so the files are
 * those of a one-thread extraction.
 */
async function extractOnWorkers(
  spec: ExtractSpec,
  workers: number,
  sink: ActivationSink,
  log: (s: string) => void,
): Promise<number[]> {
  const { dataset, ...job } = spec;
  const built = await extractFromSpec(job, log, { ...(dataset ? { dataset } : {}), share: true });
  try {
    const { protocol, channels, batchSize } = built;
    await sink.begin({ stages: spec.stages, channels, n: built.dataset.n });
    const executor = nodeUnitExecutor(protocol, { command: "extract", spec: job }, built.dataset, workers, log);
    const all = Array.from({ length: protocol.numUnits }, (_, k) => k);
    const payloads = await runUnits(protocol, all, { executor });
    for (const [k, payload] of payloads.entries()) {
      const rows = decodeExtractUnit(payload, spec.stages.length);
      for (let s = 0; s < rows.length; s++) await sink.write(s, k * batchSize, rows[s] as Float32Array);
    }
    await sink.end();
    return channels;
  } finally {
    built.dispose();
  }
}

export function register(program: Command): void {
  const cmd = addModelDataOptions(
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
    .option("--progress", PROGRESS_HELP);
  addWorkersOption(cmd, "batches").action(async (opts: ExtractOptions, c: Command) => {
    await runExtract(opts, commandLine(c));
  });
}
