// The CLI's exit codes, one table for every command: the README's exit-code table lists the same
// codes, and exit-codes.test.ts checks that each row's case ends with its code.
import { UnitsInterrupted } from "@classfit/pipeline";
import { isInputError } from "@classfit/pipeline/errors";
import { CommanderError } from "commander";

/** 0 done, 1 failed while running, 2 bad input (flags, config, files), 130 interrupted. */
export const EXIT = { ok: 0, failed: 1, badInput: 2, interrupted: 130 } as const;

/**
 * The exit code of an error that ended a command. Commander's own usage errors (an unknown
 * flag or command, a bad or missing option value) are bad input; its --help and --version end
 * with 0; a CommanderError the CLI raised itself (`exitWith`) carries its code.
 */
export function exitCodeOf(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.exitCode === 0) return EXIT.ok;
    return e.code.startsWith("commander.") ? EXIT.badInput : e.exitCode;
  }
  // Ctrl-C during a protocol's units: the finished ones are stored, the rerun resumes.
  if (e instanceof UnitsInterrupted) return EXIT.interrupted;
  return isInputError(e) ? EXIT.badInput : EXIT.failed;
}
