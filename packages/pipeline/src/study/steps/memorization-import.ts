// memorization-import — memorization scores the config names for a network (classfit's own
// artifact, or a published .npz/.npy/CSV score file), taken in the study's example order and
// checked against the dataset's labels when the file carries labels.
// Consumes: the score file's bytes, the study dataset. Config: the file as the host describes
// it. Produces: memorization.npy, float64 (n); step.json's info holds the file's format and,
// for classfit's artifact, its run settings.
import { encodeNpy, npyToFloat64, parseNpy } from "@classfit/models";
import { readScoreFile, scoresInStudyOrder } from "../../memorization/import.js";
import { fnv1a64, type Json } from "../../units/container.js";
import type { Step, StepPlan } from "./step.js";

export interface ScoreFileUnit {
  net: string;
  path: string;
  bytes: Uint8Array;
}

export interface ImportedMemorization {
  scores: Float64Array;
  /** The memorization run's settings, when the file is classfit's artifact. */
  runConfig: Record<string, Json> | null | undefined;
}

export const memorizationImport: Step<ScoreFileUnit, StepPlan, ImportedMemorization> = {
  name: "memorization-import",
  plan(ctx, u) {
    return {
      dir: `${u.net}/memorization`,
      config: { file: ctx.describe(u.path) },
      inputs: { scores: fnv1a64(u.bytes), dataset: ctx.study.hash },
    };
  },
  async compute(ctx, { path, bytes }) {
    const { ds, subset: sub } = ctx.study;
    const imported = readScoreFile(bytes, path);
    const scores = scoresInStudyOrder(imported, path, ds.labels, sub);
    const n = ds.n;
    return {
      files: { "memorization.npy": encodeNpy(scores, [n]) },
      info: { format: imported.format, config: imported.config },
    };
  },
  read(_ctx, _u, _p, done) {
    return {
      scores: npyToFloat64(parseNpy(done.files.get("memorization.npy") as Uint8Array)),
      runConfig: (done.info as { config?: Record<string, Json> | null }).config,
    };
  },
};
