import { NpyError } from "@classfit/models/npy";
import { describe, expect, it } from "vitest";
import { StudyInputError } from "./analysis/types.js";
import { InputError, isInputError, readingInput } from "./errors.js";
import { ScoreImportError } from "./memorization/import.js";
import { MergeError } from "./shard/shard.js";
import { StudyConfigError } from "./study/config.js";
import { StudyInterrupted } from "./study/run.js";
import { ContainerError } from "./units/container.js";

describe("input errors", () => {
  it("counts every bad-input error of the pipeline, and NpyError, by class", () => {
    for (const e of [
      new InputError("a: b"),
      new StudyConfigError("c"),
      new ScoreImportError("c"),
      new ContainerError("c"),
      new MergeError("c"),
      new StudyInputError("c"),
      new NpyError("c"),
    ])
      expect(isInputError(e), e.name).toBe(true);
  });
  it("keeps the analysis's error name while it extends InputError", () => {
    const e = new StudyInputError("classes[0]: bad");
    expect(e).toBeInstanceOf(InputError);
    expect(e.name).toBe("StudyInputError");
  });
  it("does not guess from the message", () => {
    for (const e of [new Error("path: looks like input"), new StudyInterrupted("x"), new RangeError("x: y"), "x: y"])
      expect(isInputError(e)).toBe(false);
  });
  it("turns a loader's plain Error into InputError, keeping RangeError and input errors", async () => {
    const fail = (e: unknown) => () => Promise.reject(e);
    await expect(readingInput(fail(new Error("data: bad header")))).rejects.toBeInstanceOf(InputError);
    await expect(readingInput(fail(new Error("data: bad header")))).rejects.toThrow("data: bad header");
    const range = new RangeError("Array buffer allocation failed");
    await expect(readingInput(fail(range))).rejects.toBe(range);
    const npy = new NpyError("x.npy: bad");
    await expect(readingInput(fail(npy))).rejects.toBe(npy);
    await expect(readingInput(async () => 7)).resolves.toBe(7);
  });
});
