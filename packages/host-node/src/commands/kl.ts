// `classfit kl`: Monte Carlo relative entropy of each class's posterior predictive to the
// least-assumption Gaussian of its data (METHOD.md §5), with its standard error, as JSON.
import { encodeKlJson, type KlTable, klTable } from "@classfit/pipeline";
import type { KlTask } from "@classfit/pipeline/tasks";
import type { Command } from "commander";
import {
  classSeed,
  groupRows,
  KL_REFERENCES,
  type KlReference,
  readClassModel,
  runTasks,
  takeRows,
} from "../compute.js";
import { readFitDir } from "../fitdir.js";
import { InputError, readLabels, readMatrix, writeFileAtomic } from "../io.js";
import { choiceArg, intArg } from "../options.js";
import { createProgress, PROGRESS_HELP } from "../progress.js";

interface KlOptions {
  fit: string;
  data?: string;
  labels?: string;
  out: string;
  samples: number;
  reference: KlReference;
  seed: number;
  workers?: number;
  progress?: boolean;
}

export type KlReport = KlTable;

export async function runKl(o: KlOptions, log: (s: string) => void = console.log): Promise<KlReport> {
  const { manifest, classes } = readFitDir(o.fit);
  // q is the Gaussian of each class's data (METHOD.md §5): the rows the fit used, checked by sha256.
  const dataPath = o.data ?? manifest.data.path;
  const m = readMatrix(dataPath);
  if (m.sha256 !== manifest.data.sha256) {
    throw new InputError(
      `${dataPath}: differs from the data ${o.fit} was fitted on (sha256 mismatch); pass that data with --data`,
    );
  }
  let labels: Int32Array | undefined;
  if (manifest.labels) {
    const lpath = o.labels ?? manifest.labels.path;
    const l = readLabels(lpath, m.n, dataPath);
    if (l.sha256 !== manifest.labels.sha256) {
      throw new InputError(
        `${lpath}: differs from the labels ${o.fit} was fitted with (sha256 mismatch); pass them with --labels`,
      );
    }
    labels = l.labels;
  }
  const groups = new Map(groupRows(labels, m.n).map((g) => [g.label, g.rows]));
  const tasks: KlTask[] = classes.map((c) => {
    const name = `${o.fit}/${c.entry.file}`;
    const rows = groups.get(c.entry.label) ?? [];
    const { model, encoded } = readClassModel(c.bytes, name);
    if (m.d !== model.d) throw new InputError(`${name}: class data have ${m.d} dimensions, the model ${model.d}`);
    if (rows.length !== model.n)
      throw new InputError(`${name}: class has ${rows.length} rows now but ${model.n} when fitted`);
    return {
      modelBytes: encoded,
      classData: takeRows(m.data, m.d, rows),
      n: rows.length,
      samples: o.samples,
      reference: o.reference,
      variant: model.config.predictive,
      // Per-class seed, as in `fit`: a class's estimate does not depend on the others or on --workers.
      seed: classSeed(o.seed, "kl", c.entry.label),
    };
  });
  const progress = createProgress({ force: o.progress });
  let run: Awaited<ReturnType<typeof runTasks<"kl">>>;
  try {
    run = await runTasks("kl", tasks, {
      workers: o.workers,
      describe: (i) => `kl of ${classes[i]?.entry.file}`,
      onStart: (i) => progress.start(String(i), 1, `class ${classes[i]?.entry.label ?? "all"}`),
      onDone: (i) => progress.finish(String(i)),
    });
  } finally {
    progress.stop();
  }
  const { outputs: results, seconds } = run;
  const rows = results.map((r, i) => ({
    label: classes[i]?.entry.label ?? null,
    name: String(classes[i]?.entry.label ?? "all"),
    kl: r.kl,
    standardError: r.standardError,
    seconds: seconds[i] ?? 0,
  }));
  // The same kl.json as the study's complexity step writes; timings are printed, not stored.
  const report: KlReport = klTable({
    reference: o.reference,
    samples: o.samples,
    variant: tasks[0]?.variant ?? "exact",
    seed: o.seed,
    classes: rows,
  });
  writeFileAtomic(o.out, encodeKlJson(report));
  log(`${o.out}: relative entropy to the ${o.reference}-covariance Gaussian, ${o.samples} samples per trace`);
  log(`${"class".padEnd(8)}${"KL (nats)".padStart(12)}${"± s.e.".padStart(10)}${"time".padStart(9)}`);
  for (const r of rows) {
    log(
      `${String(r.label ?? "all").padEnd(8)}${r.kl.toFixed(3).padStart(12)}${r.standardError.toFixed(3).padStart(10)}${`${r.seconds.toFixed(1)}s`.padStart(9)}`,
    );
  }
  return report;
}

export function register(program: Command): void {
  program
    .command("kl")
    .description(
      "Relative entropy D_KL(p‖q) of each class's posterior predictive p to the Gaussian q with the class data's " +
        "mean and variances (diag) or covariance (full), by Monte Carlo (METHOD.md §5).",
    )
    .requiredOption("--fit <FITDIR>", "a directory written by `classfit fit`")
    .requiredOption("--out <kl.json>", "output JSON")
    .option("--data <Z.npy>", "the data the fit used (default: the path recorded in the manifest; sha256-checked)")
    .option("--labels <y.npy>", "the labels the fit used (default: the path recorded in the manifest)")
    .option("--samples <m>", "Monte Carlo samples per trace", intArg(2), 100_000)
    .option("--reference <q>", "diag | full", choiceArg(KL_REFERENCES), "diag")
    .option("--seed <n>", "random seed", intArg(0), 0)
    .option("--workers <n>", "worker threads, one class at a time each (default: CPU count)", intArg(1, 256))
    .option("--progress", PROGRESS_HELP)
    .action(async (opts: KlOptions) => {
      await runKl(opts);
    });
}
