// complexity — each class's KL divergence from its DP-GMM to a Gaussian reference, by Monte
// Carlo (METHOD.md §5).
// Consumes: the stage's Z and the stage's class fits. Config: samples M, the reference, the
// predictive variant and a seed per (network, stage). Produces: kl.json (formats/kl.ts: the
// settings, and { label, name, kl, standardError } per class, as `classfit kl` writes it).
import { encodeKlJson, klTable, readKlJson } from "../../formats/kl.js";
import { hashJson } from "../../units/container.js";
import type { StageData } from "../context.js";
import { deriveSeed } from "../seed.js";
import type { Step, StepPlan } from "./step.js";

export interface ComplexityUnit {
  net: string;
  sd: StageData;
  models: Uint8Array[];
  fitKeys: string[];
}

interface ComplexityPlan extends StepPlan {
  seed: number;
}

export const complexity: Step<ComplexityUnit, ComplexityPlan, { kl: number; se: number }[]> = {
  name: "complexity",
  plan(ctx, u) {
    const { samples, reference } = ctx.config.steps.complexity;
    const variant = ctx.config.steps.density.variant;
    const seed = deriveSeed(ctx.config.seed, "kl", u.net, u.sd.stage);
    return {
      dir: `${u.net}/${u.sd.stage}/complexity`,
      config: { samples, reference, variant, seed },
      inputs: { Z: u.sd.zHash, models: hashJson(u.fitKeys) },
      seed,
    };
  },
  async compute(ctx, { net, sd, models }, { seed }) {
    const { samples, reference } = ctx.config.steps.complexity;
    const variant = ctx.config.steps.density.variant;
    const { rowsOf, classNames } = ctx.study;
    const outs = await ctx.runPool(
      "kl",
      models.map((m, c) => ({
        modelBytes: m,
        classData: ctx.classData(sd, c),
        n: (rowsOf[c] as Int32Array).length,
        samples,
        reference,
        variant,
        seed: deriveSeed(seed, c),
      })),
      (c) => `${net} ${sd.stage} KL ${classNames[c]}`,
    );
    const table = klTable({
      reference,
      samples,
      variant,
      seed,
      classes: outs.map((o, c) => ({
        label: c,
        name: classNames[c] ?? String(c),
        kl: o.kl,
        standardError: o.standardError,
      })),
    });
    return { files: { "kl.json": encodeKlJson(table) } };
  },
  read(_ctx, _u, { dir }, done) {
    const bytes = done.files.get("kl.json");
    if (bytes === undefined) throw new Error(`${dir}/kl.json: missing`);
    return readKlJson(bytes, `${dir}/kl.json`).classes.map((c) => ({ kl: c.kl, se: c.standardError }));
  },
};
