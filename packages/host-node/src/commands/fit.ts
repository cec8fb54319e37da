// `classfit fit`: one DP-GMM per class (METHOD.md §3), fitted by the pipeline's fit task in a
// worker_threads pool (each worker instantiates wasm-core and fits one class at a time), written
// as a FITDIR.
import { basename, resolve } from "node:path";
import { encodeClassModelNpz } from "@classfit/pipeline";
import type { FitOutput, FitTask } from "@classfit/pipeline/tasks";
import { BRACKET_FACTOR, decodeClassModel, dpgmmConfig, ESS_OK, INIT_SCHEMES, RHAT_OK } from "@classfit/wasm-core";
import type { Command } from "commander";
import {
  classSeed,
  dataWarnings,
  type FitOverrides,
  fitConfig,
  groupRows,
  PROFILES,
  type Profile,
  runTasks,
  takeRows,
} from "../compute.js";
import { FITDIR_FORMAT, FITDIR_FORMAT_VERSION, FitDirWriter, type FitManifest } from "../fitdir.js";
import { InputError, readLabels, readMatrix } from "../io.js";
import { choiceArg, intArg } from "../options.js";
import { createProgress, PROGRESS_HELP } from "../progress.js";
import { VERSION } from "../version.js";

export interface FitOptions extends FitOverrides {
  data: string;
  labels?: string;
  out: string;
  profile: Profile;
  seed: number;
  workers?: number;
  progress?: boolean;
}

const fmt = (v: number | null, digits: number) => (v === null || !Number.isFinite(v) ? "—" : v.toFixed(digits));

export async function runFit(o: FitOptions, log: (s: string) => void = console.log): Promise<FitManifest> {
  const m = readMatrix(o.data);
  const lab = o.labels ? readLabels(o.labels, m.n, o.data) : undefined;
  const config = fitConfig(o.profile, {
    sweeps: o.sweeps,
    burnIn: o.burnIn,
    thin: o.thin,
    chains: o.chains,
    replicates: o.replicates,
    initClusters: o.initClusters,
    init: o.init,
    splitMerge: o.splitMerge,
    seed: o.seed,
  });
  const groups = groupRows(lab?.labels, m.n);
  const tasks: (FitTask & { label: number | null })[] = groups.map((g) => ({
    label: g.label,
    data: takeRows(m.data, m.d, g.rows),
    n: g.rows.length,
    d: m.d,
    config: { ...config, seed: classSeed(config.seed, "fit", g.label) },
  }));
  const progress = createProgress({ force: o.progress });
  const warnings = tasks.map((t) => dataWarnings(t.data, t.n, t.d));
  const name = (i: number) => {
    const label = tasks[i]?.label ?? null;
    return label === null ? "all rows" : `class ${label}`;
  };
  for (const i of tasks.keys()) {
    for (const w of warnings[i] ?? []) progress.log(`warning: ${name(i)}: ${w}`);
  }
  const writer = FitDirWriter.begin(o.out);
  const onSignal = (sig: NodeJS.Signals) => {
    progress.stop();
    writer.abort();
    process.stderr.write(`classfit: interrupted (${sig}); ${o.out} was not written\n`);
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let run: Awaited<ReturnType<typeof runTasks<"fit">>>;
  try {
    // The task's own fields only: the label is the CLI's, and each class's rows go to one
    // worker (transferred, not copied).
    run = await runTasks(
      "fit",
      tasks.map(({ data, n, d, config }) => ({ data, n, d, config })),
      {
        workers: o.workers,
        describe: (i) => `${o.data}: fitting ${name(i)}`,
        onStart: (i) =>
          progress.start(String(i), config.sweeps * config.chains * config.replicates, `${name(i)} n=${tasks[i]?.n}`),
        onProgress: (i, done) => progress.update(String(i), done),
        onDone: (i) => progress.finish(String(i)),
      },
    );
  } catch (e) {
    progress.stop();
    writer.abort();
    throw e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  progress.stop();
  const { outputs: results, seconds, size } = run;
  // The data warnings were printed before sampling; after it, what is news is which fits did
  // not converge and what that costs their class mean (its MCSE across chains).
  const unconverged = results.flatMap((r, i) => (r.sampler.converged ? [] : [i]));
  if (unconverged.length > 0) {
    progress.log(
      `warning: ${unconverged.length} of ${results.length} fit(s) did not converge (rank-normalised R̂ ≥ ${RHAT_OK} or bulk ESS < ${ESS_OK} for the log joint, K, α or the class mean): ${unconverged.map(name).join(", ")}; the class means below carry their Monte Carlo standard error`,
    );
  }
  const classes = results.map((r, i) => {
    const t = tasks[i] as (typeof tasks)[number];
    const ref = writer.addClass(t.label, encodeClassModelNpz(decodeClassModel(r.modelBytes), r.modelBytes));
    const ws = [...new Set([...(warnings[i] ?? []), ...r.warnings])];
    if (!r.sampler.converged) ws.push(notConverged(r.sampler));
    const rhat = r.rhatLogJoint;
    return {
      label: t.label,
      n: t.n,
      d: t.d,
      meanK: r.meanK,
      rhat,
      seconds: seconds[i] ?? 0,
      sampler: r.sampler as unknown as Record<string, unknown>,
      warnings: ws,
      ...ref,
    };
  });
  const manifest: FitManifest = {
    format: FITDIR_FORMAT,
    formatVersion: FITDIR_FORMAT_VERSION,
    classfitVersion: VERSION,
    profile: o.profile,
    config: config as unknown as Record<string, unknown>,
    seed: o.seed,
    data: { file: basename(o.data), path: resolve(o.data), sha256: m.sha256, n: m.n, d: m.d },
    labels: lab && o.labels ? { file: basename(o.labels), path: resolve(o.labels), sha256: lab.sha256 } : null,
    classes,
  };
  try {
    writer.commit(manifest);
  } catch (e) {
    writer.abort();
    throw new InputError(`${o.out}: cannot write the FITDIR (${(e as Error).message})`);
  }
  log(`${o.out}: ${classes.length} model(s), ${m.n} rows × ${m.d} dims, profile ${o.profile}, ${size} worker(s)`);
  // With chains started from both sides of K (--init bracket), how far apart the halves' class means are.
  const gap = config.init === "bracket";
  const head = [
    "class",
    "n",
    "K",
    "mean log p",
    "± MCSE",
    ...(gap ? ["start gap"] : []),
    "LOO mean",
    "± MCSE",
    ...(gap ? ["LOO gap"] : []),
    "R̂ lj",
    "ESS",
    "ok",
    "time",
  ];
  const widths = [8, 7, 7, 12, 8, ...(gap ? [11] : []), 10, 8, ...(gap ? [9] : []), 8, 7, 4, 8];
  const row = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(8) : c.padStart(widths[j] ?? 8))).join("");
  log(row(head));
  results.forEach((r, i) => {
    const c = classes[i] as (typeof classes)[number];
    const sp = r.sampler;
    log(
      row([
        String(c.label ?? "all"),
        String(c.n),
        fmt(c.meanK, 1),
        fmt(sp.classMean, 2),
        fmt(sp.classMeanMcse, 2),
        ...(gap ? [fmt(sp.startGap, 2)] : []),
        fmt(sp.looMean, 2),
        fmt(sp.looMcse, 2),
        ...(gap ? [fmt(sp.looStartGap, 2)] : []),
        fmt(sp.convergence.logJoint.rhat, 2),
        fmt(sp.convergence.classMean.essBulk, 0),
        sp.converged ? "yes" : "no",
        `${c.seconds.toFixed(1)}s`,
      ]),
    );
  });
  return manifest;
}

/** "(default 40; 400 with --profile paper)": read from the profiles, so help cannot go stale. */
function byProfile(key: Exclude<keyof FitOverrides, "seed">): string {
  const d = dpgmmConfig({ profile: "default" })[key];
  const p = dpgmmConfig({ profile: "paper" })[key];
  return d === p ? `(default ${d})` : `(default ${d}; ${p} with --profile paper)`;
}

/** One fit's convergence failure, as a FITDIR warning. */
function notConverged(sp: FitOutput["sampler"]): string {
  const c = sp.convergence;
  const gap = sp.startGap === null ? "" : `, start gap ${fmt(sp.startGap, 2)}`;
  return `not converged: R̂ log joint ${fmt(c.logJoint.rhat, 2)}, K ${fmt(c.k.rhat, 2)}, α ${fmt(c.alpha.rhat, 2)}, class mean ${fmt(c.classMean.rhat, 2)} (bulk ESS ${fmt(c.classMean.essBulk, 0)}); class mean ${fmt(sp.classMean, 2)} ± ${fmt(sp.classMeanMcse, 2)} (MCSE)${gap}`;
}

export function register(program: Command): void {
  program
    .command("fit")
    .description(
      "Fit one Dirichlet-process Gaussian mixture per label value (collapsed Gibbs, METHOD.md §3), " +
        "or one for all rows without --labels, and write FITDIR: manifest.json + class-NN/model.npz per class " +
        "(NumPy arrays: weights, means, Student-t scale factors, df; docs/python.md), as a study names them.",
    )
    .requiredOption("--data <Z.npy>", "reduced data, float32/float64, shape (n, d)")
    .option("--labels <y.npy>", "integer labels, shape (n,)")
    .requiredOption("--out <FITDIR>", "output directory (replaced atomically when the fit completes)")
    .option("--profile <name>", `hyper-parameter profile: ${PROFILES.join(" | ")}`, choiceArg(PROFILES), "default")
    .option("--sweeps <n>", `Gibbs sweeps per chain ${byProfile("sweeps")}`, intArg(1))
    .option("--burn-in <n>", `sweeps discarded before keeping traces ${byProfile("burnIn")}`, intArg(0))
    .option("--thin <n>", `keep every n-th sweep after burn-in ${byProfile("thin")}`, intArg(1))
    .option("--chains <n>", `independent chains per class ${byProfile("chains")}`, intArg(1, 256))
    .option(
      "--replicates <n>",
      `independent replicate fits per class, each of --chains chains, pooled; the manifest lists each replicate's class mean ${byProfile("replicates")}`,
      intArg(1, 64),
    )
    .option("--init-clusters <n>", `K0: initial clusters, also scales S0 ${byProfile("initClusters")}`, intArg(1))
    .option(
      "--init <scheme>",
      `how chains start: random (K0 clusters each), dispersed (K0, 1, 4·K0, K0/2 in turn) or bracket (even chains from K0, odd chains from ${BRACKET_FACTOR}·K0 clusters; the table's start gap is the difference of the two halves' class means) ${byProfile("init")}`,
      choiceArg(INIT_SCHEMES),
    )
    .option(
      "--split-merge <n>",
      `split–merge proposals per burn-in sweep (Jain & Neal 2004), 0 for plain Gibbs ${byProfile("splitMerge")}`,
      intArg(0, 64),
    )
    .option("--seed <n>", "random seed", intArg(0), 0)
    .option("--workers <n>", "worker threads (default: CPU count, at most one per class)", intArg(1, 256))
    .option("--progress", PROGRESS_HELP)
    .action(async (opts: FitOptions) => {
      await runFit(opts);
    });
}
