// memorization — Feldman & Zhang scores from `models` networks of the network's architecture,
// each trained on a random subset of the study's examples (METHOD.md §8); for networks given as
// an architecture, when steps.memorization.models > 0. Each subset network is a unit kept under
// units/, so an interrupted step resumes from its last finished network.
// Consumes: the study dataset. Config: models m, the subset fraction, epochs, the architecture.
// Produces: memorization.npz (the memorization artifact: per-example counts and scores).
import { computeNormalisation, type Normalisation } from "@classfit/models";
import { stepOutput } from "../../formats/legacy.js";
import { decodeMemorization, finalizeMemorization } from "../../memorization/memorization.js";
import type { Json } from "../../units/container.js";
import type { NetworkConfig } from "../config.js";
import { deriveSeed } from "../seed.js";
import { archOf, trainSettings } from "../settings.js";
import { type MemorizationJob, protocolOfJob } from "../unit-jobs.js";
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
    // Each network's seed comes from the protocol, so the trainer's config has none.
    const { seed: _seed, ...train } = { ...t, epochs: ms.epochs };
    const job: MemorizationJob = {
      kind: "memorization",
      dataset: ds,
      datasetId: hash,
      arch: archOf(net),
      normalisation,
      train,
      settings: {
        models: ms.models,
        fraction: ms.fraction,
        seed: deriveSeed(ctx.config.seed, "memorization", net.name),
      },
    };
    const { protocol, dispose } = await protocolOfJob(job, ctx.core);
    try {
      const units = await ctx.runProtocol(protocol, ms.models, {
        dir,
        net: net.name,
        step: "memorization",
        warnings: true,
        job,
      });
      return { files: { "memorization.npz": finalizeMemorization(protocol.config, units) } };
    } finally {
      dispose();
    }
  },
  read(_ctx, _net, { dir }, done) {
    const file = stepOutput(done.files, dir, "memorization.npz", "memorization.cfm");
    return decodeMemorization(file.bytes, file.path).score;
  },
};
