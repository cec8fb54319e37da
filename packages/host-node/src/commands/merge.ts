// `classfit merge`: combines the share files of a sharded memorization / certification /
// density-bin run into the artifact a single run gives, byte for byte. Refuses shares of different
// configs (naming the differing fields), a unit given twice with different bytes, and missing
// units; nothing is written when it refuses.
import type { Command } from "commander";
import { mergeShareFilesTo } from "../unit-store.js";

export function runMerge(files: string[], out: string, log: (s: string) => void): string {
  return mergeShareFilesTo(files, out, log);
}

export function addMergeArgs(cmd: Command): Command {
  return cmd
    .argument("<shares...>", "share files (.cfs) written by --shard k/n runs")
    .requiredOption(
      "--out <DIR|FILE.cfa>",
      "a directory (gets <protocol>.cfa + <protocol>.summary.json) or an artifact path ending in .cfa",
    );
}

export function register(program: Command): void {
  addMergeArgs(
    program
      .command("merge")
      .description(
        "Merge the share files of a sharded `memorization`, `certify` or `bins` run into its artifact (the same\n" +
          "bytes a single run writes). Refuses shares of another config, conflicting and missing units.",
      ),
  ).action((shares: string[], opts: { out: string }) => {
    runMerge(shares, opts.out, (s) => console.log(s));
  });
}
