// analyzeOn: the analysis on the worker pool. A pool that fails (as a worker reports a bad
// input: a prefixed message, no StudyInputError) must not change what the caller sees.
import type { Core } from "@classfit/wasm-core";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeStudy } from "../../analysis/study.js";
import { testCore } from "../../analysis/testing/core.js";
import { syntheticStudy } from "../../analysis/testing/synthetic.js";
import { StudyInputError } from "../../analysis/types.js";
import type { WorkerPool } from "../../host/index.js";
import { inThreadPool } from "../../steps/tasks.js";
import { resolveStudyConfig } from "../config.js";
import { analyzeOn } from "./analyze.js";

let core: Core;
beforeAll(async () => {
  core = await testCore();
});

const config = (density: "in-sample" | "leave-one-out") =>
  resolveStudyConfig({
    name: "analysis on workers",
    seed: 4,
    dataset: { path: "default" },
    networks: [{ name: "a", activations: { layer1: "unused.npy" } }],
    steps: { analysis: { bootstrap: 50, dipSimulations: 200, density } },
  });

/** Two workers that run analysis tasks here, or fail them the way a worker thread reports. */
function twoWorkers(fail: boolean): WorkerPool & { kinds: string[] } {
  const inner = inThreadPool(core);
  const kinds: string[] = [];
  return {
    size: 2,
    kinds,
    run: (kind, inputs, hooks) => {
      kinds.push(kind);
      if (fail) return Promise.reject(new Error(`${kind} task 0: something went wrong`));
      return inner.run(kind, inputs, hooks);
    },
  };
}

describe("analyzeOn", () => {
  it("gives analyzeStudy's result on two workers, and after their failure", async () => {
    const input = syntheticStudy(core, { seed: 3, perClass: 30 });
    const c = config("in-sample");
    const direct = await analyzeOn(inThreadPool(core), core, c, input, () => false);
    for (const fail of [false, true]) {
      const pool = twoWorkers(fail);
      const a = await analyzeOn(pool, core, c, input, () => false);
      expect(pool.kinds).toEqual(["analysis"]);
      expect(JSON.stringify(a)).toBe(JSON.stringify(direct));
    }
    expect(JSON.stringify(direct)).toBe(
      JSON.stringify(
        analyzeStudy(core, input, {
          seed: direct.options.seed,
          bootstrap: 50,
          dipSimulations: 200,
          density: "in-sample",
        }),
      ),
    );
  });

  it("throws the single-thread StudyInputError, word for word, when the workers fail on bad input", async () => {
    // The synthetic records have no leave-one-out means, which that density needs.
    const input = syntheticStudy(core, { seed: 3, perClass: 30 });
    const c = config("leave-one-out");
    const alone = await analyzeOn(inThreadPool(core), core, c, input, () => false).catch((e: unknown) => e);
    expect(alone).toBeInstanceOf(StudyInputError);
    expect((alone as Error).message).toMatch(/density 'leave-one-out' needs every class's leave-one-out mean/);
    const onWorkers = await analyzeOn(twoWorkers(true), core, c, input, () => false).catch((e: unknown) => e);
    expect(onWorkers).toBeInstanceOf(StudyInputError);
    expect((onWorkers as Error).message).toBe((alone as Error).message);
  });

  it("passes an interruption on as the pool raised it, without analysing here", async () => {
    const input = syntheticStudy(core, { seed: 3, perClass: 30 });
    await expect(analyzeOn(twoWorkers(true), core, config("in-sample"), input, () => true)).rejects.toThrow(
      "analysis task 0: something went wrong",
    );
  });
});
