// `classfit demo` (what `npm start` runs): the study on the embedded default — the shipped
// narrow ResNet and plain ConvNet on the shipped Fashion-MNIST subset — recomputing everything
// but the training of the shipped models (and of any shipped memorization runs), with the
// `demo` profile's reduced sampler and certification sizes, which the report states.
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { addRunOptions, EXIT, exitWith, runStudyCommand, type StudyCommandOptions } from "../host/run-study.js";
import { intArg } from "../options.js";

// The run flags are the study's (out, workers, json, progress, quiet); the rest are the demo's own.
interface DemoOpts extends Pick<StudyCommandOptions, "out" | "workers" | "json" | "progress" | "quiet"> {
  replicates?: number;
  resnet?: string;
  convnet?: string;
  certify?: number;
}

const NETWORKS = [
  { name: "resnet", label: "narrow ResNet", family: "resnet", dir: "resnet-narrow" },
  { name: "convnet", label: "narrow plain ConvNet", family: "convnet", dir: "convnet-narrow" },
] as const;

/** The shipped models folder (packages/models/assets/models), without loading tfjs. */
function shippedModelsDir(): string {
  return resolve(new URL("../../../models/assets/models", import.meta.url).pathname);
}

/** The demo's shipped memorization runs (`classfit memorization` artifacts; see assets/demo/README.md). */
export function shippedMemorizationDir(): string {
  return resolve(new URL("../../assets/demo", import.meta.url).pathname);
}

export function register(program: Command): void {
  const cmd = program
    .command("demo")
    .description(
      "Run the study on the embedded default: the shipped narrow ResNet and plain ConvNet on the shipped " +
        "Fashion-MNIST subset (1 000 training images per class). Recomputes extraction, reduction, the " +
        "DP-GMM fits, densities, KL, compactness, certification and the report; writes RUNDIR/report/report.html.",
    )
    .option("--out <RUNDIR>", "run directory", "runs/demo")
    .option("--certify <perClass>", "training examples certified per class (0 = skip certification)", intArg(0), 10)
    .option("--resnet <MODELDIR>", "use this model instead of the shipped narrow ResNet")
    .option("--convnet <MODELDIR>", "use this model instead of the shipped narrow ConvNet");
  addRunOptions(cmd)
    .addHelpText(
      "after",
      `
Rerunning reuses every finished step (delete RUNDIR to start over); Ctrl-C
leaves a resumable run.
Exit codes: 0 done · 1 failed · 2 missing or bad input · 130 interrupted (rerun
to resume).

Examples:
  $ npm start                      # = build, then classfit demo --out runs/demo
  $ classfit demo --out /tmp/demo --workers 2
  $ classfit demo --certify 0 --json
  $ classfit demo --replicates 3 --out runs/demo-r3
                                   # 3 independent fits per class: the report
                                   # shows their spread`,
    )
    .action(async (o: DemoOpts) => {
      const { resolveStudyConfig } = await import("@classfit/pipeline");
      const shipped = shippedModelsDir();
      const dirs = NETWORKS.map((n) => (n.name === "resnet" ? o.resnet : o.convnet) ?? join(shipped, n.dir));
      const missing = dirs.filter((d) => !existsSync(join(d, "model.json")) || !existsSync(join(d, "weights.bin")));
      if (missing.length > 0) {
        const present = existsSync(shipped) ? readdirSync(shipped).join(", ") || "nothing" : "no such folder";
        exitWith(
          EXIT.badInput,
          `the demo needs the shipped models, and these are missing: ${missing.join(", ")}\n` +
            `  (${shipped} holds: ${present}). They are trained by \`classfit train\` with the command recorded\n` +
            "  in each model's manifest.json (see packages/models/assets); or pass --resnet/--convnet MODELDIR.",
        );
      }
      const memo = NETWORKS.map((n) => join(shippedMemorizationDir(), `memorization-${n.name}.cfa`));
      const certify = o.certify ?? 10;
      const config = resolveStudyConfig(
        {
          name: "classfit demo: how a narrow ResNet and a plain ConvNet fit the classes of Fashion-MNIST",
          seed: 0,
          profile: "demo",
          dataset: { path: "default" },
          networks: NETWORKS.map((n, i) => ({
            name: n.name,
            label: n.label,
            family: n.family,
            model: dirs[i] as string,
            ...(existsSync(memo[i] as string) ? { memorizationScores: memo[i] as string } : {}),
          })),
          steps: { certify: { perClass: certify } },
        },
        { where: "demo config", ...(o.replicates !== undefined ? { replicates: o.replicates } : {}) },
      );
      const s = config.steps;
      const notes = [
        `Demo scale (profile "demo"): ${s.fit.sweeps} Gibbs sweeps per class (burn-in ${s.fit.burnIn}, every ${s.fit.thin}th kept: ${Math.floor((s.fit.sweeps - s.fit.burnIn) / s.fit.thin)} traces per chain; the paper uses 400/320/4 and one chain), ${s.fit.chains} chain${s.fit.chains === 1 ? "" : "s"}, whose spread gives each class mean its Monte Carlo standard error; k = ${s.reduce.k.join("/")} components (capped by each stage's width); KL from M = ${s.complexity.samples} samples per trace (paper 100 000).`,
        certify > 0
          ? `Certification: CERTIFY with n = ${s.certify.n} (paper 100 000), n0 = ${s.certify.n0}, α = ${s.certify.alpha}, σ = ${s.certify.sigma}, on the first ${certify} training images of each class.`
          : "Certification skipped (--certify 0).",
        memo.some((m) => existsSync(m))
          ? "Memorization scores come from shipped runs of `classfit memorization` (packages/host-node/assets/demo, whose README has the exact command), not recomputed here; their scale is in the notes below."
          : "No shipped memorization runs were found in packages/host-node/assets/demo, so memorization is not part of this demo (run `classfit study` with steps.memorization.models ≥ 2 to compute it).",
        "The shipped models were trained by `classfit train` (not recomputed here); the exact command is in each model's manifest.json.",
      ];
      await runStudyCommand(config, {
        out: o.out,
        baseDir: process.cwd(),
        command: `classfit demo --out ${o.out}${o.replicates !== undefined ? ` --replicates ${o.replicates}` : ""}`,
        notes,
        title: "classfit demo — how networks fit each class of Fashion-MNIST",
        ...(o.workers !== undefined ? { workers: o.workers } : {}),
        ...(o.json ? { json: true } : {}),
        ...(o.progress ? { progress: true } : {}),
        ...(o.quiet ? { quiet: true } : {}),
      });
    });
}
