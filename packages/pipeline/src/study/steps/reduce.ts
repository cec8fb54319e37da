// reduce — a linear projection of one stage's activations to k components (SVD; METHOD.md §2).
// Consumes: the stage's activations. Config: k (from the per-stage list, capped by the stage's
// width and the number of examples) and centring. Produces: Z.npy, float64 (n, k), and
// projection.npz (the fitted projection, with its retained energy).
import { encodeNpy, npyToFloat64, parseNpy } from "@classfit/models";
import { fitProjection, project } from "@classfit/wasm-core";
import { stepOutput } from "../../formats/legacy.js";
import { encodeProjectionNpz, PROJECTION_FILE, readProjectionFile } from "../../formats/projection.js";
import { fnv1a64 } from "../../units/container.js";
import { componentsFor } from "../config.js";
import type { StageData } from "../context.js";
import type { Step, StepPlan } from "./step.js";

export interface ReduceUnit {
  net: string;
  stage: string;
  /** The stage's position (0-based), which picks its k. */
  index: number;
  act: Float32Array;
  /** Channels C of the activations, Float32Array (n, C). */
  channels: number;
  actHash: string;
}

interface ReducePlan extends StepPlan {
  k: number;
}

export const reduce: Step<ReduceUnit, ReducePlan, StageData> = {
  name: "reduce",
  plan(ctx, u) {
    const r = ctx.config.steps.reduce;
    const k = Math.min(componentsFor(r.k, u.index), u.channels, ctx.study.ds.n);
    return {
      dir: `${u.net}/${u.stage}/reduce`,
      config: { k, center: r.center },
      inputs: { activations: u.actHash },
      k,
    };
  },
  async compute(ctx, u, { k }) {
    const n = ctx.study.ds.n;
    const c = u.channels;
    const projection = fitProjection(ctx.core, u.act, n, c, { k, center: ctx.config.steps.reduce.center });
    const z = project(ctx.core, projection, u.act, n);
    return {
      files: { "Z.npy": encodeNpy(z, [n, k]), [PROJECTION_FILE]: encodeProjectionNpz(projection) },
      info: { k, c, retainedEnergy: projection.retainedEnergy },
    };
  },
  read(_ctx, u, { dir, k }, done) {
    const zBytes = done.files.get("Z.npy") as Uint8Array;
    const z = npyToFloat64(parseNpy(zBytes, { name: `${dir}/Z.npy` }));
    const file = stepOutput(done.files, dir, PROJECTION_FILE, "projection.bin");
    const retainedEnergy = readProjectionFile(file.bytes, file.path).retainedEnergy;
    return { stage: u.stage, z, k, zHash: fnv1a64(zBytes), retainedEnergy };
  },
};
