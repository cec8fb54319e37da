#!/usr/bin/env node
// The `classfit` command line. Thin: parsing, file I/O and display; the work lives in
// @classfit/wasm-core, @classfit/models and @classfit/pipeline.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { UnitsInterrupted } from "@classfit/pipeline";
import { Command, CommanderError } from "commander";
import { registrars } from "./commands/index.js";
import { VERSION } from "./version.js";

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("classfit")
    .description(
      "How a neural network fits each class: Dirichlet-process Gaussian mixtures of its pooled activations,\n" +
        "related to memorization and certified robustness (Jamroż & Kurdziel, AAAI 2023).",
    )
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ outputError: (str, write) => write(`classfit: ${str}`) })
    .exitOverride();
  for (const register of registrars) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return e.exitCode;
    }
    process.stderr.write(`classfit: ${e instanceof Error ? e.message : String(e)}\n`);
    // Ctrl-C during a protocol's units: the finished ones are stored, the rerun resumes.
    if (e instanceof UnitsInterrupted) return 130;
    return 1;
  }
}

// Run when this file is the entry script, also when it is reached through a symlink (argv[1] is the
// link's path, import.meta.url the real file's). The `classfit` bin is bin/classfit.js, which calls
// main() itself.
const isEntry = process.argv[1] !== undefined && sameFile(process.argv[1], fileURLToPath(import.meta.url));
if (isEntry) {
  process.exitCode = await main(process.argv.slice(2));
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}
