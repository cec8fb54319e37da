// compactness — each class's mean pairwise distance in the reduced space, exact or sampled
// (METHOD.md §6).
// Consumes: the stage's Z and the rows of every class. Config: method, pairs, zero exclusion
// and a seed per (network, stage). Produces: compactness.json, [{ value, method, pairs,
// standardError }] per class.
import { jsonBytes, parseJsonBytes } from "../../steps/store.js";
import { hashArray, hashJson } from "../../units/container.js";
import type { StageData } from "../context.js";
import { deriveSeed } from "../seed.js";
import type { Step, StepPlan } from "./step.js";

export interface CompactnessUnit {
  net: string;
  sd: StageData;
}

interface CompactnessPlan extends StepPlan {
  seed: number;
}

export const compactness: Step<CompactnessUnit, CompactnessPlan, number[]> = {
  name: "compactness",
  plan(ctx, { net, sd }) {
    const seed = deriveSeed(ctx.config.seed, "compactness", net, sd.stage);
    return {
      dir: `${net}/${sd.stage}/compactness`,
      config: { ...ctx.config.steps.compactness, seed },
      inputs: { Z: sd.zHash, rows: hashJson(ctx.study.rowsOf.map((r) => hashArray(r))) },
      seed,
    };
  },
  async compute(ctx, { net, sd }, { seed }) {
    const cfg = ctx.config.steps.compactness;
    const { ds, rowsOf, classNames } = ctx.study;
    // One task per class on the pool; class c draws its sampled pairs from stream c of the seed.
    const out = await ctx.runPool(
      "compactness",
      Array.from({ length: ds.numClasses }, (_, c) => ({
        data: ctx.classData(sd, c),
        n: (rowsOf[c] as Int32Array).length,
        d: sd.k,
        options: { method: cfg.method, pairs: cfg.pairs, excludeZero: cfg.excludeZero },
        seed,
        stream: c,
      })),
      (c) => `${net} ${sd.stage} compactness ${classNames[c] ?? c}`,
    );
    return { files: { "compactness.json": jsonBytes(out) } };
  },
  read(_ctx, _u, { dir }, done) {
    return parseJsonBytes<{ value: number }[]>(done.files.get("compactness.json"), dir).map((x) => x.value);
  },
};
