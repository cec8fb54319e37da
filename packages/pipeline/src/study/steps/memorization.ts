// memorization — Feldman & Zhang scores from `models` networks of the network's architecture,
// each trained on a random subset of the study's examples (METHOD.md §8); for networks given as
// an architecture, when steps.memorization.models > 0. Each subset network is a unit kept under
// units/, so an interrupted step resumes from its last finished network.
// Consumes: the study dataset. Config: models m, the subset fraction, epochs, the architecture.
// Produces: memorization.cfm (the memorization artifact: per-example counts and scores).
import { computeNormalisation, type Normalisation, SubsetTrainer } from "@classfit/models";
import { decodeMemorization, finalizeMemorization, memorizationProtocol } from "../../memorization/memorization.js";
import type { Json } from "../../units/container.js";
import type { NetworkConfig } from "../config.js";
import { deriveSeed } from "../seed.js";
import { archOf, trainSettings } from "../settings.js";
import type { Step, StepPlan } from "./step.js";

interface MemorizationPlan extends StepPlan {
  normalisation: Normalisation;
}

export const memorization: Step<NetworkConfig, MemorizationPlan, Float64Array> = {
  name: "memorization",
  plan(ctx, net) {
    const ms = ctx.config.steps.memorization;
    return {
      dir: `${net.name}/memorization`,
      config: { models: ms.models, fraction: ms.fraction, epochs: ms.epochs, arch: archOf(net) } as unknown as Json,
      inputs: { dataset: ctx.study.hash },
      normalisation: computeNormalisation(ctx.study.ds),
    };
  },
  async compute(ctx, net, { dir, normalisation }) {
    const ms = ctx.config.steps.memorization;
    const { ds, hash } = ctx.study;
    await ctx.tfReady();
    const t = trainSettings(net, ds, ctx.config.seed);
    const trainer = new SubsetTrainer({
      core: ctx.core,
      arch: archOf(net),
      train: ds,
      normalisation,
      config: { ...t, epochs: ms.epochs },
    });
    const protocol = memorizationProtocol({
      core: ctx.core,
      trainer,
      labels: ds.labels,
      numClasses: ds.numClasses,
      datasetId: hash,
      settings: {
        models: ms.models,
        fraction: ms.fraction,
        seed: deriveSeed(ctx.config.seed, "memorization", net.name),
      },
    });
    const units = await ctx.runProtocol(protocol, ms.models, {
      dir,
      net: net.name,
      step: "memorization",
      warnings: true,
    });
    return { files: { "memorization.cfm": finalizeMemorization(protocol.config, units) } };
  },
  read(_ctx, _net, { dir }, done) {
    return decodeMemorization(done.files.get("memorization.cfm") as Uint8Array, `${dir}/memorization.cfm`).score;
  },
};
