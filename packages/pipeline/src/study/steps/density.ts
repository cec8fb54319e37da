// density — each example's log predictive density under its own class's DP-GMM (METHOD.md §4),
// and, for generative classification, under every class's.
// Consumes: the stage's Z and the stage's class fits. Config: the predictive variant and whether
// to score every class. Produces: log_density.npy, float64 (n); loo_log_density.npy, float64 (n):
// each example's leave-one-out (CPO) log-density under its own class's fit (NaN for fits that did
// not record it; not the paper's quantity); class_scores.npy, float64 (n, C) when generative.
import { encodeNpy, npyToFloat64, parseNpy } from "@classfit/models";
import { hashJson } from "../../units/container.js";
import type { StageData } from "../context.js";
import type { Step, StepPlan } from "./step.js";

export interface DensityUnit {
  net: string;
  sd: StageData;
  /** The class models of the stage, class order, and their fit keys. */
  models: Uint8Array[];
  fitKeys: string[];
  generative: boolean;
}

export interface Densities {
  /** log p(x_i | own class), study order. */
  own: Float64Array;
  /** Leave-one-out log p(x_i | own class without x_i), study order. */
  loo: Float64Array | null;
  /** log p(x_i | class c), (n, C), when generative. */
  scores: Float64Array | null;
}

export const density: Step<DensityUnit, StepPlan, Densities> = {
  name: "density",
  plan(ctx, u) {
    return {
      dir: `${u.net}/${u.sd.stage}/density`,
      config: { variant: ctx.config.steps.density.variant, generative: u.generative, loo: true },
      inputs: { Z: u.sd.zHash, models: hashJson(u.fitKeys) },
    };
  },
  async compute(ctx, { net, sd, models, generative }) {
    const variant = ctx.config.steps.density.variant;
    const { ds, rowsOf, classNames } = ctx.study;
    const n = ds.n;
    const C = ds.numClasses;
    const own = new Float64Array(n);
    const loo = new Float64Array(n);
    const label = (c: number) => `${net} ${sd.stage} density ${classNames[c]}`;
    let scores: Float64Array | null = null;
    // A class model's training points are its class's rows, in study order.
    const placeLoo = (v: Float64Array | undefined, c: number) => {
      (rowsOf[c] as Int32Array).forEach((row, j) => {
        loo[row] = v ? (v[j] as number) : Number.NaN;
      });
    };
    if (generative) {
      const outs = await ctx.runPool(
        "density",
        models.map((m) => ({ modelBytes: m, points: sd.z.slice(), m: n, variant, loo: true })),
        label,
      );
      const sc = new Float64Array(n * C);
      outs.forEach((o, c) => {
        for (let i = 0; i < n; i++) sc[i * C + c] = o.logDensity[i] as number;
        placeLoo(o.looLogDensity, c);
      });
      for (let i = 0; i < n; i++) own[i] = sc[i * C + (ds.labels[i] as number)] as number;
      scores = sc;
    } else {
      const outs = await ctx.runPool(
        "density",
        models.map((m, c) => ({
          modelBytes: m,
          points: ctx.classData(sd, c),
          m: (rowsOf[c] as Int32Array).length,
          variant,
          loo: true,
        })),
        label,
      );
      outs.forEach((o, c) => {
        (rowsOf[c] as Int32Array).forEach((row, j) => {
          own[row] = o.logDensity[j] as number;
        });
        placeLoo(o.looLogDensity, c);
      });
    }
    const files: Record<string, Uint8Array> = {
      "log_density.npy": encodeNpy(own, [n]),
      "loo_log_density.npy": encodeNpy(loo, [n]),
    };
    if (scores) files["class_scores.npy"] = encodeNpy(scores, [n, C]);
    return { files };
  },
  read(_ctx, _u, _p, done) {
    const own = npyToFloat64(parseNpy(done.files.get("log_density.npy") as Uint8Array));
    const sb = done.files.get("class_scores.npy");
    const lb = done.files.get("loo_log_density.npy");
    return { own, loo: lb ? npyToFloat64(parseNpy(lb)) : null, scores: sb ? npyToFloat64(parseNpy(sb)) : null };
  },
};
