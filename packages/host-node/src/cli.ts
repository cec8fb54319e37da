#!/usr/bin/env node
// The `classfit` command line. Thin: parsing, file I/O and display; the work lives in
// @classfit/wasm-core, @classfit/models and @classfit/pipeline.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { setLegacyFormatHandler } from "@classfit/pipeline";
import { Command, CommanderError } from "commander";
import { registrars } from "./commands/index.js";
import { exitCodeOf } from "./exit.js";
import { addExamples } from "./help.js";
import { VERSION } from "./version.js";

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("classfit")
    .description(
      "How a neural network fits each class: Dirichlet-process Gaussian mixtures of its pooled activations, " +
        "related to memorization and certified robustness (Jamroż & Kurdziel, AAAI 2023).",
    )
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ outputError: (str, write) => write(`classfit: ${str}`) })
    .exitOverride();
  for (const register of registrars) register(program);
  addExamples(program);
  return program;
}

/**
 * Runs the CLI on `argv` and returns its exit code (see exit.ts): 2 for bad input from any
 * command, 1 for a failure of classfit itself. `program` is for tests that add a command.
 */
export async function main(argv: string[], program: Command = buildProgram()): Promise<number> {
  // Old-format files still read this version: one line each on stderr, naming `classfit convert`.
  setLegacyFormatHandler((message) => process.stderr.write(`${message}\n`));
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    // Commander has printed its own message (and --help its text) already.
    if (!(e instanceof CommanderError))
      process.stderr.write(`classfit: ${e instanceof Error ? e.message : String(e)}\n`);
    return exitCodeOf(e);
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
