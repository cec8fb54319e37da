// `classfit fit`: one DP-GMM per class (METHOD.md §3), fitted in a worker_threads pool (each
// worker instantiates wasm-core and fits one class at a time), written as a FITDIR.
import { availableParallelism } from "node:os";
import { basename, resolve } from "node:path";
import type { Command } from "commander";
import { type FitTaskInput, type FitTaskResult, fitConfig, PROFILES, type Profile } from "../engine.js";
import {
  FITDIR_FORMAT,
  FITDIR_FORMAT_VERSION,
  FitDirWriter,
  type FitManifest,
  type FitDirWriter as Writer,
} from "../fitdir.js";
import { InputError, readLabels, readMatrix } from "../io.js";
import { choiceArg, intArg } from "../options.js";
import { createProgress } from "../progress.js";
import { VERSION } from "../version.js";
import type { ClassTask } from "../workers/class-worker.js";
import { runPool } from "../workers/pool.js";

export interface FitOptions {
  data: string;
  labels?: string;
  out: string;
  profile: Profile;
  sweeps?: number;
  burnIn?: number;
  thin?: number;
  chains?: number;
  initClusters?: number;
  seed: number;
  workers?: number;
  progress?: boolean;
}

/** The built per-class worker script. From TypeScript sources (vitest) the built dist/ copy is used. */
export function classWorkerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return new URL("../../dist/workers/class-worker.js", here);
  return new URL("../workers/class-worker.js", here);
}

/**
 * The worker runs built JavaScript, so it must resolve workspace packages to their dist/ too:
 * drop the parent's `--conditions` flags (vitest adds `--conditions source`, which would point
 * the worker at TypeScript sources).
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--conditions" || a === "-C") i++;
    else if (!a.startsWith("--conditions=")) out.push(a);
  }
  return out;
}

/** Rows of each class, in ascending label order; one group (label null) without labels. */
export function groupRows(labels: Int32Array | undefined, n: number): { label: number | null; rows: number[] }[] {
  if (!labels) return [{ label: null, rows: Array.from({ length: n }, (_, i) => i) }];
  const by = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    let g = by.get(y);
    if (!g) {
      g = [];
      by.set(y, g);
    }
    g.push(i);
  }
  return [...by.keys()].sort((a, b) => a - b).map((label) => ({ label, rows: by.get(label) as number[] }));
}

/** Data warnings for one class: tiny n, d > n, zero-variance dimensions. */
export function dataWarnings(x: Float64Array, n: number, d: number): string[] {
  const w: string[] = [];
  if (n === 1) w.push("one example: the model is its prior centred on it (variance floor used for S0)");
  else if (d > n) w.push(`d = ${d} > n = ${n}: the posterior is dominated by the prior`);
  const flat: number[] = [];
  for (let j = 0; j < d && n > 1; j++) {
    const first = x[j] as number;
    let same = true;
    for (let i = 1; i < n && same; i++) same = x[i * d + j] === first;
    if (same) flat.push(j);
  }
  if (flat.length > 0) {
    const list = flat.length > 8 ? `${flat.slice(0, 8).join(", ")}, … (${flat.length} in all)` : flat.join(", ");
    w.push(`zero variance in dimension(s) ${list}: S0 uses the variance floor there`);
  }
  return w;
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
    initClusters: o.initClusters,
    seed: o.seed,
  });
  const groups = groupRows(lab?.labels, m.n);
  const tasks: FitTaskInput[] = groups.map((g, index) => {
    const x = new Float64Array(g.rows.length * m.d);
    g.rows.forEach((r, i) => {
      x.set(m.data.subarray(r * m.d, (r + 1) * m.d), i * m.d);
    });
    return { label: g.label, index, data: x, n: g.rows.length, d: m.d, config };
  });
  const progress = createProgress({ force: o.progress });
  const warnings = tasks.map((t) => dataWarnings(t.data, t.n, t.d));
  const name = (t: FitTaskInput) => (t.label === null ? "all rows" : `class ${t.label}`);
  for (const [i, t] of tasks.entries()) {
    for (const w of warnings[i] ?? []) progress.log(`warning: ${name(t)}: ${w}`);
  }
  const writer: Writer = FitDirWriter.begin(o.out);
  const onSignal = (sig: NodeJS.Signals) => {
    progress.stop();
    writer.abort();
    process.stderr.write(`classfit: interrupted (${sig}); ${o.out} was not written\n`);
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const size = Math.max(1, Math.min(o.workers ?? availableParallelism(), tasks.length));
  let results: FitTaskResult[];
  try {
    results = await runPool<ClassTask, FitTaskResult, { done: number; total: number }>(
      classWorkerUrl(),
      tasks.map((t) => ({ kind: "fit" as const, ...t })),
      {
        size,
        execArgv: workerExecArgv(),
        describe: (i) => `${o.data}: fitting ${name(tasks[i] as FitTaskInput)}`,
        onStart: (i) => {
          const t = tasks[i] as FitTaskInput;
          progress.start(String(i), config.sweeps * config.chains, `${name(t)} n=${t.n}`);
        },
        onProgress: (i, p) => progress.update(String(i), p.done),
        // Transfer, not copy: each class's rows go to one worker only.
        transferList: (t) => [t.data.buffer as ArrayBuffer],
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
  // The data warnings were printed before sampling; of the model's own warnings only the
  // convergence ones (split-R̂) are news after it (the rest restate n = 1, d > n, the floor).
  results.forEach((r, i) => {
    for (const w of r.warnings) {
      if (w.includes("R̂")) progress.log(`warning: ${name(tasks[i] as FitTaskInput)}: ${w}`);
    }
  });
  const classes = results.map((r, i) => {
    const t = tasks[i] as FitTaskInput;
    const ref = writer.addClass(t.label, r.modelBytes);
    const ws = [...new Set([...(warnings[i] ?? []), ...r.warnings])];
    return { label: t.label, n: t.n, d: t.d, meanK: r.meanK, rhat: r.rhat, seconds: r.seconds, warnings: ws, ...ref };
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
  log(["class", "n", "K", "R̂", "time"].map((h, j) => (j === 0 ? h.padEnd(8) : h.padStart(8))).join(""));
  for (const c of classes) {
    log(
      [
        String(c.label ?? "all").padEnd(8),
        String(c.n).padStart(8),
        fmt(c.meanK, 2).padStart(8),
        fmt(c.rhat, 3).padStart(8),
        `${c.seconds.toFixed(1)}s`.padStart(8),
      ].join(""),
    );
  }
  return manifest;
}

export function register(program: Command): void {
  program
    .command("fit")
    .description(
      "Fit one Dirichlet-process Gaussian mixture per label value (collapsed Gibbs, METHOD.md §3),\n" +
        "or one for all rows without --labels, and write FITDIR (manifest.json + one model file per class).",
    )
    .requiredOption("--data <Z.npy>", "reduced data, float32/float64, shape (n, d)")
    .option("--labels <y.npy>", "integer labels, shape (n,)")
    .requiredOption("--out <FITDIR>", "output directory (replaced atomically when the fit completes)")
    .option("--profile <name>", `hyper-parameter profile: ${PROFILES.join(" | ")}`, choiceArg(PROFILES), "default")
    .option("--sweeps <n>", "Gibbs sweeps per chain (default 400)", intArg(1))
    .option("--burn-in <n>", "sweeps discarded before keeping traces (default 320)", intArg(0))
    .option("--thin <n>", "keep every n-th sweep after burn-in (default 4)", intArg(1))
    .option("--chains <n>", "independent chains per class, for R̂ (default 2; 1 with --profile paper)", intArg(1, 64))
    .option("--init-clusters <n>", "K0: initial clusters, also scales S0 (default 6)", intArg(1))
    .option("--seed <n>", "random seed", intArg(0), 0)
    .option("--workers <n>", "worker threads (default: CPU count, at most one per class)", intArg(1, 256))
    .option("--progress", "show progress bars even when stderr is not a terminal")
    .action(async (opts: FitOptions) => {
      await runFit(opts);
    });
}
