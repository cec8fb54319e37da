// `classfit certify`: randomised-smoothing certification (Cohen et al. 2019; METHOD.md §9) of a
// model on a dataset — CERTIFY per example with noise in the normalised input space, or the
// adaptive CERTIFY (--adaptive) with the same guarantee and fewer noisy passes — as resumable
// work units of --unit-size examples; --shard k/n runs one share for a cluster.
import type { Command } from "commander";
import { intArg } from "../options.js";
import { addCertifyOptions, runCertify } from "../protocols/certify.js";
import { addRunOptions, type RunCommon, splitRun } from "../protocols/run.js";

export function register(program: Command): void {
  const cmd = program
    .command("certify")
    .description(
      "Certified L2 robustness by randomised smoothing (Cohen et al. 2019; METHOD.md §9): for each example, " +
        "CERTIFY with Gaussian noise of level --sigma in the model's normalised input space; writes " +
        "DIR/certification.npz (per-example prediction, p_lower, radius, noisy passes) and a summary. Examples " +
        "are certified in units of --unit-size kept in DIR/units (a re-run resumes); --shard k/n runs one share.",
    )
    .requiredOption("--model <MODELDIR>", "a model directory (classfit train, or any tfjs layers model)")
    .option("--data <path>", "data (directory, images .npy with --labels, or 'default')", "default")
    .option("--labels <y.npy>", "labels for an images .npy")
    .option("--split <name>", "train or test", "test")
    .option("--examples <a:b|i,j,…>", "certify only these examples (a range or a list of indices)")
    .option("--limit <n>", "certify only the first n examples", intArg(1))
    .option(
      "--unit-size <n>",
      "examples per work unit (resume and --workers granularity; no example's result depends on it)",
      intArg(1),
      10,
    );
  addRunOptions(addCertifyOptions(cmd), "certification").action(async (opts: Record<string, unknown> & RunCommon) => {
    const { spec, run } = splitRun(opts);
    await runCertify(spec, run, (s) => console.log(s));
  });
}
