// `classfit memorization`: Feldman & Zhang memorization scores (METHOD.md §8) — m networks, each
// trained on a seeded random subset of the training set, as resumable work units; `--shard k/n`
// runs one share of them for a cluster (merge the shares with `classfit merge`).
import type { Command } from "commander";
import { intArg, numArg } from "../options.js";
import { runMemorization } from "../protocols/memorization.js";
import { addRunOptions, type RunCommon, splitRun } from "../protocols/run.js";
import { addTrainerOptions } from "../protocols/trainer.js";

export function register(program: Command): void {
  const cmd = program
    .command("memorization")
    .description(
      "Memorization scores (Feldman & Zhang 2020; METHOD.md §8): train --models networks, each on a seeded " +
        "random --subset fraction of the training set, and score every example by how much more often it is " +
        "classified correctly by the networks trained with it than by those without. Each network is a work " +
        "unit kept in DIR/units (a re-run resumes); --shard k/n runs one share for a cluster.",
    )
    .option("--models <m>", "number of networks (≥ 2)", intArg(2), 64)
    .option("--subset <r>", "fraction of the training set each network sees, in (0, 1) (default: 0.7)", numArg())
    .option(
      "--folds <K>",
      "balanced design instead of independent subsets: every K networks split the training set into K seeded " +
        "random folds and each leaves one out, so each example is left out by exactly models/K networks",
      intArg(2),
    );
  addRunOptions(addTrainerOptions(cmd), "memorization").action(async (opts: Record<string, unknown> & RunCommon) => {
    const { spec, run } = splitRun(opts);
    await runMemorization(spec, run, (s) => console.log(s));
  });
}
