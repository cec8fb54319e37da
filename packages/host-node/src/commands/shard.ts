// `classfit shard run|merge`: the form the cluster manifests in deploy/ call. `shard run` takes
// the protocol's settings from a study JSON file (the same fields as the protocol command's flags,
// in camelCase: {"models": 64, "subset": 0.7, "arch": "resnet", …}; a file may hold one section
// per protocol: {"memorization": {…}, "certification": {…}, "density-bins": {…}}) and writes one
// share file; `shard merge` is `classfit merge`.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { InputError } from "../io.js";
import { choiceArg } from "../options.js";
import { runBins } from "../protocols/bins.js";
import { runCertify } from "../protocols/certify.js";
import { runMemorization } from "../protocols/memorization.js";
import { addMergeArgs } from "../protocols/run.js";
import { mergeShareFilesTo } from "../unit-store.js";

const PROTOCOLS = ["memorization", "certification", "density-bins"] as const;
type Protocol = (typeof PROTOCOLS)[number];

/** The protocol's section of a study file (or the whole file when it has no such section). */
export function studySection(path: string, protocol: Protocol): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new InputError(`${path}: cannot read a study JSON (${(e as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new InputError(`${path}: a study file must be a JSON object`);
  const obj = raw as Record<string, unknown>;
  const section = obj[protocol];
  if (section !== undefined) {
    if (typeof section !== "object" || section === null || Array.isArray(section))
      throw new InputError(`${path}: "${protocol}" must be an object`);
    return section as Record<string, unknown>;
  }
  if (PROTOCOLS.some((p) => p in obj))
    throw new InputError(`${path}: no "${protocol}" section (it has ${PROTOCOLS.filter((p) => p in obj).join(", ")})`);
  return obj;
}

export interface ShardRunOptions {
  protocol: Protocol;
  config: string;
  shard: string;
  units: string;
  out: string;
}

export async function runShardCommand(o: ShardRunOptions, log: (s: string) => void): Promise<string> {
  const spec = studySection(o.config, o.protocol);
  // The share file goes exactly where --out says; the output directory is its folder.
  const run = { out: o.out.replace(/\/[^/]*$/, "") || ".", shard: o.shard, units: o.units, shareFile: o.out };
  switch (o.protocol) {
    case "memorization":
      return runMemorization(spec, run, log);
    case "certification":
      return runCertify(spec, run, log);
    case "density-bins":
      return runBins(spec, run, log);
  }
}

export function register(program: Command): void {
  const shard = program
    .command("shard")
    .description("Run one share of a protocol from a study file, or merge shares (the deploy/ manifests' form).");
  shard
    .command("run")
    .description("Run share k/n of a protocol whose settings are in a study JSON; write one share file.")
    .requiredOption("--protocol <name>", `one of ${PROTOCOLS.join(", ")}`, choiceArg(PROTOCOLS))
    .requiredOption("--config <study.json>", "the protocol's settings (fields as the protocol command's flags)")
    .requiredOption("--shard <k/n>", "share k of n (k counts from 0)")
    .requiredOption("--units <dir>", "where finished units are kept (shared by all shares; resume)")
    .requiredOption("--out <share.npz>", "the share file to write")
    .action(async (opts: ShardRunOptions) => {
      await runShardCommand(opts, (s) => console.log(s));
    });
  addMergeArgs(shard.command("merge").description("Merge share files into the artifact (= classfit merge).")).action(
    (shares: string[], opts: { out: string }) => {
      mergeShareFilesTo(shares, opts.out, (s) => console.log(s));
    },
  );
}
