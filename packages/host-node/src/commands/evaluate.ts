// `classfit evaluate`: accuracy, loss, per-class accuracy and confusion matrix of a model on a dataset.
import { type Evaluation, EvaluationAccumulator, evaluateModel, type ImageDataset } from "@classfit/models";
import { runUnits } from "@classfit/pipeline";
import type { Command } from "commander";
import { addModelDataOptions, loadModelAndData, type ModelDataOptions } from "../model-data.js";
import { createProgress, PROGRESS_HELP } from "../progress.js";
import { evaluateFromSpec } from "../protocols/evaluate.js";
import { nodeUnitExecutor } from "../workers/unit-executor.js";
import { addWorkersOption, resolveWorkers } from "../workers/workers.js";

interface EvaluateOptions extends ModelDataOptions {
  json?: boolean;
  progress?: boolean;
  workers?: number;
}

/** The evaluation with its batches on `workers` threads, accumulated in batch order. */
async function evaluateOnWorkers(
  o: EvaluateOptions,
  ds: ImageDataset,
  workers: number,
  log: (s: string) => void,
): Promise<Evaluation> {
  const { json: _j, workers: _w, progress: _p, ...spec } = o;
  const built = await evaluateFromSpec(spec, log, { dataset: ds, share: true });
  try {
    const { protocol, classes } = built;
    const executor = nodeUnitExecutor(protocol, { command: "evaluate", spec }, built.dataset, workers, log);
    const payloads = await runUnits(
      protocol,
      Array.from({ length: protocol.numUnits }, (_, k) => k),
      { executor },
    );
    const acc = new EvaluationAccumulator(built.dataset, classes);
    for (const [k, p] of payloads.entries()) acc.add(k * built.batchSize, new Float32Array(p.slice().buffer));
    return acc.result();
  } finally {
    built.dispose();
  }
}

export async function runEvaluate(o: EvaluateOptions, log: (s: string) => void = console.log): Promise<void> {
  const { loaded, ds, normalisation } = await loadModelAndData(o, log);
  try {
    const workers = Math.min(resolveWorkers(o.workers, "evaluate", log), Math.ceil(ds.n / Math.max(1, o.batchSize)));
    let e: Evaluation;
    if (workers > 1) {
      // With --json, stdout holds only the JSON: the workers' lines go to stderr.
      e = await evaluateOnWorkers(o, ds, workers, o.json ? (s) => process.stderr.write(`${s}\n`) : log);
    } else {
      const progress = createProgress({ force: o.progress, unit: "images" });
      progress.start("evaluate", ds.n, `evaluating on ${ds.name}`);
      try {
        e = await evaluateModel(loaded.model, ds, normalisation, {
          batchSize: o.batchSize,
          onProgress: (done) => progress.update("evaluate", done),
        });
        progress.finish("evaluate");
      } finally {
        progress.stop();
      }
    }
    if (o.json) {
      const { predictions: _p, ...rest } = e;
      log(JSON.stringify({ model: loaded.dir, dataset: ds.name, ...rest }, (_k, v) => (Number.isNaN(v) ? null : v), 2));
      return;
    }
    log(`${ds.name}: accuracy ${(100 * e.accuracy).toFixed(2)}% on ${e.n} images, loss ${e.loss.toFixed(4)}`);
    e.perClassAccuracy.forEach((a, c) => {
      const name = ds.classNames?.[c];
      log(`  class ${c}${name ? ` (${name})` : ""}: ${Number.isNaN(a) ? "no examples" : `${(100 * a).toFixed(2)}%`}`);
    });
  } finally {
    loaded.model.dispose();
  }
}

export function register(program: Command): void {
  const cmd = addModelDataOptions(
    program
      .command("evaluate")
      .description("Accuracy, loss and per-class accuracy of a model on a dataset (default split: test)."),
    "test",
  )
    .option("--json", "print the figures (with the confusion matrix) as JSON")
    .option("--progress", PROGRESS_HELP);
  addWorkersOption(cmd, "batches").action(async (opts: EvaluateOptions) => {
    await runEvaluate(opts);
  });
}
