// `classfit demo` (what `npm start` runs): the study on the embedded default — the shipped
// narrow ResNet and plain ConvNet on the shipped Fashion-MNIST subset — recomputing everything
// but the training of the shipped models and the shipped full-scale memorization and
// certification runs (hours of work on two cores), with the `demo` profile's reduced sampler
// sizes; the report states the scale of each number.
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
  full?: boolean;
}

/** The shipped models folder (packages/models/assets/models), without loading tfjs. */
function shippedModelsDir(): string {
  return resolve(new URL("../../../models/assets/models", import.meta.url).pathname);
}

/** The demo's shipped full-scale runs (memorization, certification, density bins, training-loss proxies; see assets/demo/README.md). */
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
    .option(
      "--certify <perClass>",
      "certify this many training examples per class in the run instead of using the shipped full-scale " +
        "certification (0 = no certification)",
      intArg(0),
    )
    .option(
      "--full",
      "the full profile: fit every class with the stable default sampler (32 chains × 40 sweeps, k = 16/16/64, " +
        "KL from 12 000 draws per trace) instead of the demo's; tens of minutes on two cores",
    )
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
  $ classfit demo --full --out runs/full   # the stable sampler: the committed
                                   # full-scale report (docs/full-report)
  $ classfit demo --replicates 3 --out runs/demo-r3
                                   # 3 independent fits per class: the report
                                   # shows their spread`,
    )
    .action(async (o: DemoOpts) => {
      const { demoNotes, demoStudyInput, DEMO_NETWORKS, DEMO_TITLE, resolveStudyConfig } = await import(
        "@classfit/pipeline"
      );
      const shipped = shippedModelsDir();
      const dirs = new Map(
        DEMO_NETWORKS.map((n) => [n.name, (n.name === "resnet" ? o.resnet : o.convnet) ?? join(shipped, n.modelDir)]),
      );
      const missing = [...dirs.values()].filter(
        (d) => !existsSync(join(d, "model.json")) || !existsSync(join(d, "weights.bin")),
      );
      if (missing.length > 0) {
        const present = existsSync(shipped) ? readdirSync(shipped).join(", ") || "nothing" : "no such folder";
        exitWith(
          EXIT.badInput,
          `the demo needs the shipped models, and these are missing: ${missing.join(", ")}\n` +
            `  (${shipped} holds: ${present}). They are trained by \`classfit train\` with the command recorded\n` +
            "  in each model's manifest.json (see packages/models/assets); or pass --resnet/--convnet MODELDIR.",
        );
      }
      const shippedRun = (file: string) => {
        const f = join(shippedMemorizationDir(), file);
        return existsSync(f) ? f : undefined;
      };
      // The same config as the web app's demo preset (pipeline's study/demo.ts), with this
      // machine's absolute paths.
      const config = resolveStudyConfig(
        demoStudyInput({
          model: (n) => dirs.get(n.name) as string,
          memorization: (n) => shippedRun(`memorization-${n.name}.npz`),
          // An explicit --certify asks for certification in the run, at the demo profile's n.
          certification: (n) => (o.certify === undefined ? shippedRun(`certification-${n.name}.npz`) : undefined),
          trainingLoss: (n) => shippedRun(`training-loss-${n.name}.npy`),
          densityBins: (n) => shippedRun(`density-bins-${n.name}.npz`),
          certify: o.certify ?? 10,
          ...(o.full ? { profile: "default" as const } : {}),
        }),
        { where: "demo config", ...(o.replicates !== undefined ? { replicates: o.replicates } : {}) },
      );
      await runStudyCommand(config, {
        out: o.out,
        baseDir: process.cwd(),
        command: `classfit demo --out ${o.out}${o.full ? " --full" : ""}${o.replicates !== undefined ? ` --replicates ${o.replicates}` : ""}`,
        notes: demoNotes(config),
        title: DEMO_TITLE,
        ...(o.workers !== undefined ? { workers: o.workers } : {}),
        ...(o.json ? { json: true } : {}),
        ...(o.progress ? { progress: true } : {}),
        ...(o.quiet ? { quiet: true } : {}),
      });
    });
}
