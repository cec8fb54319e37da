import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { isInputError } from "@classfit/pipeline/errors";
import { afterAll, describe, expect, it } from "vitest";
import { runPool, workerCache } from "./pool.js";

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
// Answers each input after `input` ms with workerData added: for results in completion order and aborts.
const slowFile = join(dir, "slow.mjs");
writeFileSync(
  slowFile,
  `import { parentPort, workerData } from "node:worker_threads";
parentPort.on("message", async ({ id, input }) => {
  await new Promise((r) => setTimeout(r, input));
  parentPort.postMessage({ type: "done", id, result: input + workerData.add });
});
`,
);
const slow = pathToFileURL(slowFile);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("runPool with a worker cache", () => {
  it("hands the same threads to the next pool, and drops those of a pool that failed", async () => {
    const cache = workerCache();
    try {
      const a = await runPool<number, { sq: number; threadId: number }>(url, [1, 2, 3, 4], { size: 2, cache });
      const b = await runPool<number, { sq: number; threadId: number }>(url, [5, 6, 7, 8], { size: 2, cache });
      expect(b.map((r) => r.sq)).toEqual([25, 36, 49, 64]);
      const first = new Set(a.map((r) => r.threadId));
      expect(first.size).toBe(2);
      expect(new Set(b.map((r) => r.threadId))).toEqual(first);
      // A pool that fails terminates its workers instead of returning them …
      await expect(runPool(url, [-1], { size: 1, cache })).rejects.toThrow(/bad input -1/);
      // … so the cache is down to the worker the failed pool did not take.
      const c = await runPool<number, { sq: number; threadId: number }>(url, [9, 10], { size: 2, cache });
      expect(c.map((r) => r.sq)).toEqual([81, 100]);
      const threads = new Set(c.map((r) => r.threadId));
      expect([...threads].filter((t) => first.has(t)).length).toBe(1);
    } finally {
      cache.close();
    }
  });
});

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

  it("hands each worker workerData, each result to onResult as it arrives, and reports idle workers", async () => {
    const seen: [number, number][] = [];
    const idle: number[] = [];
    const out = await runPool<number, number>(slow, [1500, 10, 10, 10], {
      size: 2,
      workerData: { add: 1000 },
      onResult: async (i, r) => {
        seen.push([i, r]);
      },
      onIdle: (w) => idle.push(w),
    });
    expect(out).toEqual([2500, 1010, 1010, 1010]);
    // The slow task finishes last, after the fast ones the other worker took in turn.
    expect(seen.map(([i]) => i)).toEqual([1, 2, 3, 0]);
    expect(idle.sort()).toEqual([0, 1]);
  });

  it("fails when onResult fails, and stops every worker on abort", async () => {
    await expect(
      runPool(slow, [5, 5], {
        size: 2,
        workerData: { add: 0 },
        onResult: () => {
          throw new Error("disk full");
        },
      }),
    ).rejects.toThrow(/disk full/);
    const controller = new AbortController();
    const t0 = performance.now();
    const run = runPool(slow, [5000, 5000], { size: 2, workerData: { add: 0 }, signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop now")), 50);
    await expect(run).rejects.toThrow(/stop now/);
    expect(performance.now() - t0).toBeLessThan(4000);
  });
});
