// `classfit study --config study.json --out RUNDIR`: the whole study of METHOD.md from one
// validated config — train or load each network, extract, reduce, fit, density, complexity,
// compactness, memorization, certify, analyse, report — resuming whatever an earlier run of the
// same config finished.
import { readFileSync } from "node:fs";
import { isStudyProfile, STUDY_PROFILES as PROFILES, type StudyProfile } from "@classfit/pipeline/profiles";
import type { Command } from "commander";
import { addRunOptions, configBaseDir, EXIT, exitWith, runStudyCommand } from "../host/run-study.js";

interface StudyOpts {
  config: string;
  out: string;
  profile?: StudyProfile;
  workers?: number;
  replicates?: number;
  json?: boolean;
  progress?: boolean;
  quiet?: boolean;
}

export const STUDY_EXAMPLE = `{
  "name": "ResNet vs ConvNet on Fashion-MNIST",
  "seed": 0,
  "dataset": { "path": "default" },
  "networks": [
    { "name": "resnet", "label": "ResNet", "family": "resnet",
      "model": "path/to/resnet-modeldir" },
    { "name": "convnet", "family": "convnet",
      "arch": { "arch": "convnet", "blocks": [1, 1, 1, 1],
                "widthMultiplier": 0.25 },
      "train": { "epochs": 10 } },
    { "name": "torch",
      "activations": { "layer1": "acts/layer1.npy",
                       "layer4": "acts/layer4.npy" },
      "memorizationScores": "cifar100_infl_matrix.npz" }
  ],
  "steps": { "fit": { "sweeps": 200, "burnIn": 160 },
             "certify": { "perClass": 50, "n": 10000 } }
}`;

export function register(program: Command): void {
  const cmd = program
    .command("study")
    .description(
      "Run the whole study (METHOD.md) from a config: for each network, train or load it (or read exported " +
        "activations), extract stage activations, reduce, fit a DP-GMM per class and stage, log-densities, " +
        "complexity (KL), compactness, memorization, certified robustness; then the analysis and the report. " +
        "Every step is an artifact in RUNDIR keyed by its inputs: rerunning skips what is done, and an " +
        "interrupted run (Ctrl-C) resumes.",
    )
    .requiredOption("--config <study.json>", "study configuration (JSON; unknown keys are refused)")
    .requiredOption("--out <RUNDIR>", "run directory (created; reused on a rerun)")
    .option(
      "--profile <name>",
      `step settings: ${PROFILES.join(" | ")} (overrides the config's "profile")`,
      (v: string) => {
        if (!isStudyProfile(v)) exitWith(EXIT.badInput, `--profile must be one of ${PROFILES.join(", ")}, got '${v}'`);
        return v;
      },
    );
  addRunOptions(cmd)
    .addHelpText(
      "after",
      `
Profiles:
  paper    the authors' settings (400 sweeps, k = 16/16/64/64, M = 100 000,
           CERTIFY n = 100 000)
  default  textbook predictive, 32 chains × 40 sweeps (class means with their
           MCSE)
  quick    tiny sizes for a smoke run
  demo     what \`classfit demo\` runs

Exit codes: 0 done · 1 failed · 2 bad config or input · 130 interrupted (rerun
to resume).

Examples:
  $ classfit study --config study.json --out runs/mine
  $ classfit study --config study.json --out runs/paper --profile paper \\
      --workers 8
  $ classfit study --config study.json --out runs/q --profile quick --json \\
      > summary.json

Example study.json:
${STUDY_EXAMPLE}`,
    )
    .action(async (o: StudyOpts) => {
      const { resolveStudyConfig } = await import("@classfit/pipeline");
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(o.config, "utf8"));
      } catch (e) {
        exitWith(EXIT.badInput, `${o.config}: cannot read the config (${(e as Error).message})`);
      }
      let config: ReturnType<typeof resolveStudyConfig>;
      try {
        config = resolveStudyConfig(raw, {
          ...(o.profile ? { profile: o.profile } : {}),
          ...(o.replicates !== undefined ? { replicates: o.replicates } : {}),
          where: o.config,
        });
      } catch (e) {
        exitWith(EXIT.badInput, (e as Error).message);
      }
      await runStudyCommand(config, {
        out: o.out,
        baseDir: configBaseDir(o.config),
        command: `classfit study --config ${o.config} --out ${o.out}${o.profile ? ` --profile ${o.profile}` : ""}${o.replicates !== undefined ? ` --replicates ${o.replicates}` : ""}`,
        ...(o.workers !== undefined ? { workers: o.workers } : {}),
        ...(o.json ? { json: true } : {}),
        ...(o.progress ? { progress: true } : {}),
        ...(o.quiet ? { quiet: true } : {}),
      });
    });
}
