// extract — the network's stage activations over the study's examples (global average or max
// pooled), for networks given as a model or an architecture.
// Consumes: the model (its step key or content hash), the study dataset. Config: the stages and
// the pooling. Produces: <stage>.npy, float32 (n, C) per stage.

import type { Normalisation } from "@classfit/models";
import { encodeNpy, extractActivations, MemorySink, parseNpy } from "@classfit/models";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { fnv1a64 } from "../../units/container.js";
import type { Step, StepPlan } from "./step.js";

export interface ExtractUnit {
  name: string;
  model: LayersModel;
  modelHash: string;
  normalisation: Normalisation;
  stages: string[];
}

/** Stage activations: Float32Array (n, C) per stage, with their hashes (the next steps' inputs). */
export interface Activations {
  stages: string[];
  acts: Float32Array[];
  channels: number[];
  hashes: string[];
}

export const extract: Step<ExtractUnit, StepPlan, Activations> = {
  name: "extract",
  plan(ctx, u) {
    const pool = ctx.config.steps.extract.pool;
    return {
      dir: `${u.name}/extract`,
      config: { stages: u.stages, pool },
      inputs: { model: u.modelHash, dataset: ctx.study.hash },
    };
  },
  async compute(ctx, u) {
    const { ds } = ctx.study;
    const sink = new MemorySink();
    const key = `extract:${u.name}`;
    ctx.progress.start(key, ds.n, `${u.name} extract`);
    await extractActivations({
      model: u.model,
      stages: u.stages,
      dataset: ds,
      normalisation: u.normalisation,
      pool: ctx.config.steps.extract.pool,
      batchSize: ctx.config.steps.extract.batchSize,
      sink,
      onProgress: (done) => ctx.progress.update(key, done),
      where: u.name,
    });
    ctx.progress.finish(key);
    const files: Record<string, Uint8Array> = {};
    u.stages.forEach((s, i) => {
      files[`${s}.npy`] = encodeNpy(sink.data[i] as Float32Array, [ds.n, sink.channels[i] as number]);
    });
    return { files, info: { channels: sink.channels } };
  },
  read(_ctx, u, p, done) {
    const out: Activations = { stages: u.stages, acts: [], channels: [], hashes: [] };
    for (const s of u.stages) {
      const bytes = done.files.get(`${s}.npy`) as Uint8Array;
      const arr = parseNpy(bytes, { name: `${p.dir}/${s}.npy` });
      out.acts.push(arr.data as Float32Array);
      out.channels.push(arr.shape[1] as number);
      out.hashes.push(fnv1a64(bytes));
    }
    return out;
  },
};
