// `classfit kl`: Monte Carlo relative entropy of each class's posterior predictive to the
// least-assumption Gaussian of its data (METHOD.md §5), with its standard error, as JSON.
import { createCore } from "@classfit/wasm-core/node";
import type { Command } from "commander";
import { KL_REFERENCES, type KlReference, loadModel, relativeEntropyOf } from "../engine.js";
import { readFitDir } from "../fitdir.js";
import { InputError, readLabels, readMatrix, writeFileAtomic } from "../io.js";
import { choiceArg, intArg } from "../io-args.js";
import { groupRows } from "./fit.js";

interface KlOptions {
  fit: string;
  data?: string;
  labels?: string;
  out: string;
  samples: number;
  reference: KlReference;
  seed: number;
}

export interface KlReport {
  fit: string;
  reference: KlReference;
  samples: number;
  seed: number;
  classes: { label: number | null; kl: number; standardError: number }[];
}

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
  const core = await createCore();
  const rows = classes.map((c) => {
    const model = loadModel(core, c.bytes, `${o.fit}/${c.entry.file}`);
    const idx = groups.get(c.entry.label) ?? [];
    const x = new Float64Array(idx.length * m.d);
    idx.forEach((r, i) => {
      x.set(m.data.subarray(r * m.d, (r + 1) * m.d), i * m.d);
    });
    // Per-class seed, as in `fit`: a class's estimate does not depend on the others.
    const r = relativeEntropyOf(core, model, x, idx.length, m.d, {
      samples: o.samples,
      reference: o.reference,
      seed: o.seed,
      label: c.entry.label,
    });
    return { label: c.entry.label, kl: r.kl, standardError: r.standardError };
  });
  const report: KlReport = {
    fit: manifest.data.file,
    reference: o.reference,
    samples: o.samples,
    seed: o.seed,
    classes: rows,
  };
  writeFileAtomic(o.out, `${JSON.stringify(report, null, 2)}\n`);
  log(`${o.out}: relative entropy to the ${o.reference}-covariance Gaussian, ${o.samples} samples per trace`);
  log(`${"class".padEnd(8)}${"KL (nats)".padStart(12)}${"± s.e.".padStart(10)}`);
  for (const r of rows) {
    log(
      `${String(r.label ?? "all").padEnd(8)}${r.kl.toFixed(3).padStart(12)}${r.standardError.toFixed(3).padStart(10)}`,
    );
  }
  return report;
}

export function register(program: Command): void {
  program
    .command("kl")
    .description(
      "Relative entropy D_KL(p‖q) of each class's posterior predictive p to the Gaussian q with the class data's\n" +
        "mean and variances (diag) or covariance (full), by Monte Carlo (METHOD.md §5).",
    )
    .requiredOption("--fit <FITDIR>", "a directory written by `classfit fit`")
    .requiredOption("--out <kl.json>", "output JSON")
    .option("--data <Z.npy>", "the data the fit used (default: the path recorded in the manifest; sha256-checked)")
    .option("--labels <y.npy>", "the labels the fit used (default: the path recorded in the manifest)")
    .option("--samples <m>", "Monte Carlo samples per trace", intArg(2), 100_000)
    .option("--reference <q>", "diag | full", choiceArg(KL_REFERENCES), "diag")
    .option("--seed <n>", "random seed", intArg(0), 0)
    .action(async (opts: KlOptions) => {
      await runKl(opts);
    });
}
