// `classfit merge`: combines the share files of a sharded memorization / certification /
// density-bin run into the artifact a single run gives, byte for byte. Refuses shares made by
// different versions of the code, shares of different configs (naming the differing fields), a
// unit given twice with different bytes, and missing units; nothing is written when it refuses.
import type { Command } from "commander";
import { addMergeArgs } from "../protocols/run.js";
import { mergeShareFilesTo } from "../unit-store.js";

export function register(program: Command): void {
  addMergeArgs(
    program
      .command("merge")
      .description(
        "Merge the share files of a sharded `memorization`, `certify` or `bins` run into its artifact (the same " +
          "bytes a single run writes). Refuses shares of another config or code version, conflicting and missing units.",
      ),
  ).action((shares: string[], opts: { out: string }) => {
    mergeShareFilesTo(shares, opts.out, (s) => console.log(s));
  });
}
