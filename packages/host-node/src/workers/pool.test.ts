import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { isInputError } from "@classfit/pipeline/errors";
import { afterAll, describe, expect, it } from "vitest";
import { runPool } from "./pool.js";

// A plain-JS worker speaking the pool protocol: squares its input, reports progress, records
// its thread id; input -1 throws, -3 throws an error it marks as bad input, and -2 exits the
// thread without answering.
const dir = mkdtempSync(join(tmpdir(), "classfit-pool-"));
const workerFile = join(dir, "square.mjs");
writeFileSync(
  workerFile,
  `import { parentPort, threadId } from "node:worker_threads";
parentPort.on("message", async ({ id, input }) => {
  if (input === -2) process.exit(3);
  try {
    if (input === -1) throw new Error("bad input -1");
    if (input === -3) {
      parentPort.postMessage({ type: "error", id, message: "row 4 is NaN", input: true });
      return;
    }
    parentPort.postMessage({ type: "progress", id, data: input / 2 });
    await new Promise((r) => setTimeout(r, 5));
    parentPort.postMessage({ type: "done", id, result: { sq: input * input, threadId } });
  } catch (e) {
    parentPort.postMessage({ type: "error", id, message: e.message });
  }
});
`,
);
const url = pathToFileURL(workerFile);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("runPool", () => {
  it("returns results in input order, spreads tasks over the workers and reports progress", async () => {
    const inputs = [1, 2, 3, 4, 5, 6, 7];
    const progress: [number, number][] = [];
    const started: number[] = [];
    const out = await runPool<number, { sq: number; threadId: number }, number>(url, inputs, {
      size: 3,
      onProgress: (i, p) => progress.push([i, p]),
      onStart: (i) => started.push(i),
    });
    expect(out.map((r) => r.sq)).toEqual(inputs.map((x) => x * x));
    expect(new Set(out.map((r) => r.threadId)).size).toBe(3);
    expect(progress.sort((a, b) => a[0] - b[0])).toEqual(inputs.map((x, i) => [i, x / 2]));
    expect(started.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("rejects with the failing task's name and message", async () => {
    await expect(runPool(url, [1, -1, 3], { size: 2, describe: (i) => `class ${i}` })).rejects.toThrow(
      /class 1: bad input -1/,
    );
  });

  it("raises an error the worker marks as bad input as InputError, any other as a plain Error", async () => {
    const input = await runPool(url, [1, -3], { size: 1, describe: (i) => `class ${i}` }).catch((e: unknown) => e);
    expect(input).toBeInstanceOf(Error);
    expect((input as Error).message).toBe("class 1: row 4 is NaN");
    expect(isInputError(input)).toBe(true);
    const failed = await runPool(url, [-1], { size: 1 }).catch((e: unknown) => e);
    expect(isInputError(failed)).toBe(false);
  });

  it("rejects when a worker dies without answering", async () => {
    await expect(runPool(url, [1, -2], { size: 1 })).rejects.toThrow(/worker exited \(code 3\)/);
  });

  it("handles no tasks and caps the worker count at the number of tasks", async () => {
    expect(await runPool(url, [], { size: 4 })).toEqual([]);
    const out = await runPool<number, { sq: number; threadId: number }>(url, [9], { size: 8 });
    expect(out[0]?.sq).toBe(81);
  });
});
