// What went wrong in what the user gave (a config, a file, a flag) rather than in classfit:
// hosts show such errors as they are, without a stack, and exit with "bad input" (the CLI's
// code 2, the browser's "input" error). Every such error of the pipeline extends InputError so
// hosts ask one question, `isInputError(e)`, instead of matching error names or messages.
import { NpyError } from "@classfit/models/npy";

/** Bad input: the message names the file or field and what is wrong with it. */
export class InputError extends Error {
  override name = "InputError";
}

/**
 * Whether `e` is bad input. NpyError lives upstream in models, so it cannot extend InputError
 * and is counted here on its own.
 */
export function isInputError(e: unknown): e is Error {
  return e instanceof InputError || e instanceof NpyError;
}

/**
 * Runs `read`, which reads something the user named (a dataset, a model, a file), and turns a
 * plain Error it throws into InputError with the same message: a loader's complaint is about
 * the user's file. RangeError passes unchanged, since hosts tell "out of memory" from it.
 */
export async function readingInput<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (isInputError(e) || !(e instanceof Error) || e instanceof RangeError) throw e;
    throw new InputError(e.message, { cause: e });
  }
}
