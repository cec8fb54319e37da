// `classfit evaluate`: accuracy, loss, per-class accuracy and confusion matrix of a model on a dataset.
import { evaluateModel } from "@classfit/models";
import type { Command } from "commander";
import { addModelDataOptions, loadModelAndData, type ModelDataOptions } from "../model-data.js";
import { createProgress, PROGRESS_HELP } from "../progress.js";

interface EvaluateOptions extends ModelDataOptions {
  json?: boolean;
  progress?: boolean;
}

export async function runEvaluate(o: EvaluateOptions, log: (s: string) => void = console.log): Promise<void> {
  const { loaded, ds, normalisation } = await loadModelAndData(o, log);
  try {
    const progress = createProgress({ force: o.progress, unit: "images" });
    progress.start("evaluate", ds.n, `evaluating on ${ds.name}`);
    let e: Awaited<ReturnType<typeof evaluateModel>>;
    try {
      e = await evaluateModel(loaded.model, ds, normalisation, {
        batchSize: o.batchSize,
        onProgress: (done) => progress.update("evaluate", done),
      });
      progress.finish("evaluate");
    } finally {
      progress.stop();
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
  addModelDataOptions(
    program
      .command("evaluate")
      .description("Accuracy, loss and per-class accuracy of a model on a dataset (default split: test)."),
    "test",
  )
    .option("--json", "print the figures (with the confusion matrix) as JSON")
    .option("--progress", PROGRESS_HELP)
    .action(async (opts: EvaluateOptions) => {
      await runEvaluate(opts);
    });
}
