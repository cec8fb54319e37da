// `classfit bins`: the authors' density-bin protocol (METHOD.md §9): training examples sorted by
// class-conditional log-density (from `classfit density`) are cut into B equal bins; for each bin
// a network is trained with that bin held out and certifies the bin. One work unit per bin.
import type { Command } from "commander";
import { intArg } from "../options.js";
import { runBins } from "../protocols/bins.js";
import { addCertifyOptions } from "../protocols/certify.js";
import { addRunOptions, type RunCommon, splitRun } from "../protocols/run.js";
import { addTrainerOptions } from "../protocols/trainer.js";

export function register(program: Command): void {
  const cmd = program
    .command("bins")
    .description(
      "Density-bin protocol (METHOD.md §9): sort the training examples by class-conditional log-density " +
        "(--density, from `classfit density --labels`), cut them into --bins equal bins, and for each bin train a " +
        "network without it and certify the bin with randomised smoothing. One work unit per bin (resumable); " +
        "writes DIR/density-bins.npz, or one share with --shard k/n.",
    )
    .requiredOption("--density <S.npy>", "log-density of each training example, float64 shape (n,)")
    .option("--bins <B>", "number of bins", intArg(1), 10)
    .option(
      "--certify-per-bin <k>",
      "certify only k examples of each bin, evenly spaced through its density order (default: the whole bin, " +
        "as the authors do; at n = 100 000 that is hours per thousand examples)",
      intArg(1),
    );
  addRunOptions(addCertifyOptions(addTrainerOptions(cmd), false), "density-bins").action(
    async (opts: Record<string, unknown> & RunCommon) => {
      const { spec, run } = splitRun(opts);
      await runBins(spec, run, (s) => console.log(s));
    },
  );
}
