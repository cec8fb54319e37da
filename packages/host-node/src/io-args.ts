// Numeric and enum option parsers for commander: a bad value fails at parse time with a message
// naming the flag (commander prefixes "option '--k <n>' argument 'x' is invalid.").
import { InvalidArgumentError } from "commander";

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

/** One of a fixed set of strings. */
export function choiceArg<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(", ")}, got '${value}'.`);
    }
    return value as T;
  };
}
