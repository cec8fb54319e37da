// fit — one DP-GMM per (stage, class) on the class's reduced rows (METHOD.md §3). A network's
// fits of every stage go to the worker pool together, and each is committed as it finishes,
// so an interrupted run keeps every finished fit.
// Consumes: the stage's Z and the class's rows. Config: the sampler settings and a seed per
// (network, stage, class). Produces: model.npz (the posterior trace as NumPy arrays:
// formats/class-model.ts); step.json's info holds the fit's figures (mean K, R̂).
import { decodeClassModel } from "@classfit/wasm-core";
import { CLASS_MODEL_FILE, classDirName, encodeClassModelNpz, readClassModelFile } from "../../formats/class-model.js";
import { stepOutput } from "../../formats/legacy.js";
import type { FitOutput, TaskInput } from "../../steps/tasks.js";
import { hashArray, type Json } from "../../units/container.js";
import type { StageData } from "../context.js";
import { deriveSeed } from "../seed.js";
import type { Step, StepPlan } from "./step.js";

export interface FitUnit {
  net: string;
  sd: StageData;
  classIndex: number;
}

export interface FittedClass {
  model: Uint8Array;
  key: string;
  /** Figures of the fit (its model bytes are in `model`). */
  info: FitOutput;
}

interface FitPlan extends StepPlan {
  seed: number;
}

export const fit: Step<FitUnit, FitPlan, FittedClass> = {
  name: "fit",
  plan(ctx, { net, sd, classIndex: c }) {
    const seed = deriveSeed(ctx.config.seed, "fit", net, sd.stage, c);
    return {
      dir: `${net}/${sd.stage}/fit/${classDirName(c)}`,
      // The sampler summary's class mean is the density step's score, so the fit is told how
      // training points are scored.
      config: { ...ctx.config.steps.fit, classScore: ctx.config.steps.density.variant, seed } as unknown as Json,
      inputs: { Z: sd.zHash, rows: hashArray(ctx.study.rowsOf[c] as Int32Array) },
      seed,
    };
  },
  async computeAll(ctx, pending, commit) {
    const { rowsOf, classNames } = ctx.study;
    const inputs: TaskInput<"fit">[] = pending.map(({ unit, plan }) => ({
      data: ctx.classData(unit.sd, unit.classIndex),
      n: (rowsOf[unit.classIndex] as Int32Array).length,
      d: unit.sd.k,
      config: {
        ...ctx.config.steps.fit,
        classScore: ctx.config.steps.density.variant,
        seed: plan.seed,
      } as TaskInput<"fit">["config"],
    }));
    await ctx.runPool(
      "fit",
      inputs,
      (i) => {
        const u = (pending[i] as (typeof pending)[number]).unit;
        return `${u.net} ${u.sd.stage} ${classNames[u.classIndex]}`;
      },
      async (i, out) => {
        const { modelBytes, ...rest } = out;
        const file = encodeClassModelNpz(decodeClassModel(modelBytes), modelBytes);
        await commit(i, { files: { [CLASS_MODEL_FILE]: file }, info: rest as unknown as Json });
      },
    );
  },
  read(_ctx, _unit, plan, done) {
    const { bytes, path } = stepOutput(done.files, plan.dir, CLASS_MODEL_FILE, "model.dpgmm");
    return {
      // Tasks take the lossless encoding the .npz carries.
      model: readClassModelFile(bytes, path).encoded,
      key: done.key,
      info: done.info as unknown as FitOutput,
    };
  },
};
