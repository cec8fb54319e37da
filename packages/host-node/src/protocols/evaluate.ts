// `classfit evaluate` on worker threads: unit k is batch k's logits. Each worker loads the model
// itself and reads the command's dataset from shared memory; the figures are accumulated from the
// logits in batch order (models' EvaluationAccumulator), so they are those of a one-thread run.
import { batchLogits, classesOf, shareDataset } from "@classfit/models";
import type { UnitProtocol } from "@classfit/pipeline";
import { loadModelAndData, type ModelDataOptions } from "../model-data.js";
import type { BuildOptions, BuiltProtocol } from "./run.js";

export type EvaluateSpec = ModelDataOptions;

/** The evaluation as units of one batch each: a unit's payload is the batch's logits' bytes. */
export async function evaluateFromSpec(
  s: EvaluateSpec,
  log: (m: string) => void,
  o: BuildOptions = {},
): Promise<BuiltProtocol & { classes: number; batchSize: number }> {
  const { dataset: _d, ...spec } = s;
  const {
    loaded,
    ds: split,
    normalisation,
  } = await loadModelAndData({ ...spec, ...(o.dataset ? { dataset: o.dataset } : {}) }, log);
  const ds = o.share ? shareDataset(split) : split;
  const bs = Math.max(1, Math.min(s.batchSize, ds.n));
  const classes = classesOf(loaded.model);
  const protocol: UnitProtocol = {
    kind: "evaluate",
    config: { dataset: ds.name, n: ds.n, batchSize: bs, classes },
    numUnits: Math.ceil(ds.n / bs),
    async runUnit(k) {
      const start = k * bs;
      const logits = await batchLogits(loaded.model, ds, normalisation, start, Math.min(bs, ds.n - start));
      return new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength);
    },
  };
  return { protocol, dataset: ds, classes, batchSize: bs, dispose: () => loaded.model.dispose() };
}
