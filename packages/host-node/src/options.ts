// Option parsers for commander: a bad value fails at parse time with a message naming the flag
// (commander prefixes "option '--k <n>' argument 'x' is invalid.").
import { type Command, InvalidArgumentError } from "commander";

/** An integer option in [min, max]. */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(v)) {
      throw new InvalidArgumentError(`expected an integer, got '${value}'.`);
    }
    if (v < min || v > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER ? `must be ≥ ${min}, got ${v}.` : `must be in [${min}, ${max}], got ${v}.`,
      );
    }
    return v;
  };
}

/**
 * A finite number option, optionally > min or ≥ min. Without a bound the range is left to the
 * protocol that takes the value, whose message names the parameter.
 */
export function numArg(opts: { min?: number; exclusiveMin?: boolean } = {}): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (value.trim() === "" || !Number.isFinite(v))
      throw new InvalidArgumentError(`expected a number, got '${value}'.`);
    if (opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min))
      throw new InvalidArgumentError(`must be ${opts.exclusiveMin ? ">" : "≥"} ${opts.min}, got ${v}.`);
    return v;
  };
}

/** A comma-separated list of positive integers. */
export function intListArg(value: string): number[] {
  const parts = value.split(",").map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1))
    throw new InvalidArgumentError(`expected comma-separated positive integers, got '${value}'.`);
  return parts.map(Number);
}

/** A comma-separated list of numbers. */
export function numListArg(value: string): number[] {
  const parts = value.split(",").map((s) => Number(s.trim()));
  if (parts.some((p) => !Number.isFinite(p)))
    throw new InvalidArgumentError(`expected comma-separated numbers, got '${value}'.`);
  return parts;
}

/** One of a fixed set of strings. */
export function choiceArg<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(", ")}, got '${value}'.`);
    }
    return value as T;
  };
}

/** The command line as typed, for manifests (arguments with spaces or quotes are quoted). */
export function commandLine(cmd: Command): string {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const args = (root as unknown as { rawArgs?: string[] }).rawArgs ?? [];
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ["classfit", ...args.map(quote)].join(" ");
}
