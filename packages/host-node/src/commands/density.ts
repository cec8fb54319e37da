// `classfit density`: class-conditional log-density of each row (METHOD.md §4) under a FITDIR's
// models: under its own class's model (needs --labels unless the fit has a single model), or
// under every class's model (--all-classes → an (n × classes) matrix, columns in manifest order).

import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { DENSITY_VARIANTS, type PredictiveVariant, readClassModel, runTasks, takeRows } from "../compute.js";
import { readFitDir } from "../fitdir.js";
import { InputError, readLabels, readMatrix, sha256, writeNpyAtomic } from "../io.js";
import { choiceArg } from "../options.js";

interface DensityOptions {
  fit: string;
  data: string;
  labels?: string;
  out: string;
  allClasses?: boolean;
  variant?: PredictiveVariant;
}

export async function runDensity(o: DensityOptions, log: (s: string) => void = console.log): Promise<Float64Array> {
  const { manifest, classes } = readFitDir(o.fit);
  const m = readMatrix(o.data);
  if (m.d !== manifest.data.d) {
    throw new InputError(
      `${o.data}: has ${m.d} columns but ${o.fit} was fitted on ${manifest.data.d}-dimensional data`,
    );
  }
  // Each model is read here first, so a bad file is reported by name before any work starts.
  const read = classes.map((c) => {
    const name = `${o.fit}/${c.entry.file}`;
    const r = readClassModel(c.bytes, name);
    if (r.model.d !== m.d) throw new InputError(`${name}: points have ${m.d} dimensions, the model ${r.model.d}`);
    return r;
  });
  const models = read.map((r) => r.model);
  // The fit's own rows are training points, scored as the fit scores them (its class score, the
  // sampler summary's class mean); any other rows are new points, scored by the predictive.
  const own = sha256(readFileSync(o.data)) === manifest.data.sha256;
  const first = models[0]?.config;
  const variant: PredictiveVariant = o.variant ?? (first ? (own ? first.classScore : first.predictive) : "exact");
  const C = classes.length;
  // Scores of the rows `points` under class model j (one task each), in task order.
  const score = async (tasks: { j: number; points: Float64Array; m: number }[]) => {
    const inputs = tasks.map((t) => ({
      modelBytes: (read[t.j] as (typeof read)[number]).encoded,
      points: t.points,
      m: t.m,
      variant,
    }));
    const { outputs } = await runTasks("density", inputs, {
      describe: (i) => `density under ${classes[tasks[i]?.j ?? 0]?.entry.file}`,
    });
    return outputs.map((r) => r.logDensity);
  };
  if (o.allClasses) {
    if (o.labels) throw new InputError("--all-classes scores every row under every class; --labels is not used");
    const out = new Float64Array(m.n * C);
    const scores = await score(classes.map((_, j) => ({ j, points: m.data, m: m.n })));
    scores.forEach((s, j) => {
      for (let i = 0; i < m.n; i++) out[i * C + j] = s[i] as number;
    });
    writeNpyAtomic(o.out, out, [m.n, C]);
    const cols = classes.map((c) => String(c.entry.label ?? "all")).join(", ");
    log(`${o.out}: ${m.n} × ${C} log-densities (${variant}); columns are classes [${cols}]`);
    return out;
  }
  let labels: Int32Array;
  if (o.labels) labels = readLabels(o.labels, m.n, o.data).labels;
  else if (C === 1 && classes[0]?.entry.label === null) labels = new Int32Array(m.n);
  else {
    throw new InputError(
      `${o.fit} holds ${C} class models: pass --labels to score each row under its own class, or --all-classes`,
    );
  }
  const col = new Map<number, number>();
  classes.forEach((c, j) => {
    col.set(c.entry.label ?? 0, j);
  });
  const rowsOf = new Map<number, number[]>();
  for (let i = 0; i < m.n; i++) {
    const y = labels[i] as number;
    const j = col.get(y);
    if (j === undefined) {
      throw new InputError(
        `${o.labels}: row ${i} has label ${y}, for which ${o.fit} holds no model (classes: ${[...col.keys()].join(", ")})`,
      );
    }
    let r = rowsOf.get(j);
    if (!r) {
      r = [];
      rowsOf.set(j, r);
    }
    r.push(i);
  }
  const out = new Float64Array(m.n);
  const summary: string[] = [];
  const groups = [...rowsOf.entries()].sort((a, b) => a[0] - b[0]);
  const scores = await score(groups.map(([j, rows]) => ({ j, points: takeRows(m.data, m.d, rows), m: rows.length })));
  groups.forEach(([j, rows], g) => {
    const s = scores[g] as Float64Array;
    let sum = 0;
    let sq = 0;
    rows.forEach((r, i) => {
      const v = s[i] as number;
      out[r] = v;
      sum += v;
      sq += v * v;
    });
    const mean = sum / rows.length;
    const variance = Math.max(0, sq / rows.length - mean * mean);
    summary.push(
      `${String(classes[j]?.entry.label ?? "all").padEnd(8)}${String(rows.length).padStart(8)}${mean.toFixed(3).padStart(14)}${variance.toFixed(3).padStart(14)}`,
    );
  });
  writeNpyAtomic(o.out, out, [m.n]);
  log(`${o.out}: ${m.n} log-densities (${variant}) under each row's own class`);
  log(`${"class".padEnd(8)}${"n".padStart(8)}${"mean".padStart(14)}${"variance".padStart(14)}`);
  for (const line of summary) log(line);
  return out;
}

export function register(program: Command): void {
  program
    .command("density")
    .description(
      "Log-density of each row under its own class's model (METHOD.md §4), or under every class (--all-classes).",
    )
    .requiredOption("--fit <FITDIR>", "a directory written by `classfit fit`")
    .requiredOption("--data <Z.npy>", "rows to score, shape (n, d) with the fit's d")
    .option("--labels <y.npy>", "integer label of each row, shape (n,)")
    .requiredOption("--out <S.npy>", "output: float64, shape (n,), or (n, classes) with --all-classes")
    .option("--all-classes", "score every row under every class's model")
    .option(
      "--variant <v>",
      `exact (log of the trace-averaged mixture, with the new-cluster term) | mean-log (the same mixture per trace, mean over traces of log p_t) | paper (mean over traces of log p_t, weights ∝ α + n_k); default: the fit's class score for the rows it was fitted on, its predictive for other rows`,
      choiceArg(DENSITY_VARIANTS),
    )
    .action(async (opts: DensityOptions) => {
      await runDensity(opts);
    });
}
