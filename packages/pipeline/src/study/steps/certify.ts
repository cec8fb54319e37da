// certify — Cohen et al.'s CERTIFY (METHOD.md §9) of the first `perClass` study examples of
// each class with the network itself under Gaussian noise; for networks given as a model or an
// architecture, when steps.certify.perClass > 0. Units of 20 examples are kept under units/.
// Consumes: the model, the study dataset, the certified rows. Config: σ, n0, n, α, batch size,
// method, a seed per network and the number of examples. Produces: certification.npz
// (prediction and radius per certified example).
import { type Normalisation, serializeModel } from "@classfit/models";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { CERTIFY_CODE_VERSION, type CertifyColumns, finalizeCertification } from "../../certify/protocol.js";
import { decodeCertification } from "../../certify/summary.js";
import { stepOutput } from "../../formats/legacy.js";
import { hashArray, type Json } from "../../units/container.js";
import { deriveSeed } from "../seed.js";
import { type CertificationJob, protocolOfJob } from "../unit-jobs.js";
import type { Step, StepPlan } from "./step.js";

/** A network loaded or trained in this run (what certification needs beyond activations). */
export interface LoadedNet {
  model: LayersModel;
  hash: string;
  normalisation: Normalisation;
}

export interface CertifyUnit {
  net: string;
  loaded: LoadedNet;
  /** The certified examples: study rows. */
  rows: Int32Array;
}

export interface Certified {
  rows: Int32Array;
  columns: CertifyColumns;
}

interface CertifyPlan extends StepPlan {
  seed: number;
}

export const certify: Step<CertifyUnit, CertifyPlan, Certified> = {
  name: "certify",
  plan(ctx, u) {
    const { perClass: _p, ...settings } = ctx.config.steps.certify;
    const seed = deriveSeed(ctx.config.seed, "certify", u.net);
    return {
      dir: `${u.net}/certify`,
      // The code version keys the step too: a RUNDIR certified by an earlier version recomputes.
      config: { ...settings, seed, examples: u.rows.length, codeVersion: CERTIFY_CODE_VERSION } as Json,
      inputs: { model: u.loaded.hash, dataset: ctx.study.hash, rows: hashArray(u.rows) },
      seed,
    };
  },
  async compute(ctx, u, { dir, seed }) {
    const { perClass: _p, ...settings } = ctx.config.steps.certify;
    const { ds, hash } = ctx.study;
    await ctx.tfReady();
    // The network travels as bytes, so workers rebuild exactly the network certified here.
    const { modelJson, weights } = await serializeModel(u.loaded.model);
    const job: CertificationJob = {
      kind: "certification",
      dataset: ds,
      datasetId: hash,
      model: { modelJson, weights },
      normalisation: u.loaded.normalisation,
      settings: { ...settings, seed },
      examples: u.rows,
      unitSize: 20,
    };
    const { protocol, dispose } = await protocolOfJob(job, ctx.core);
    try {
      const units = await ctx.runProtocol(protocol, protocol.numUnits, { dir, net: u.net, step: "certify", job });
      return { files: { "certification.npz": finalizeCertification("certification", protocol.config, units) } };
    } finally {
      dispose();
    }
  },
  read(_ctx, u, { dir }, done) {
    const file = stepOutput(done.files, dir, "certification.npz", "certification.cfc");
    const art = decodeCertification(file.bytes, file.path);
    return { rows: u.rows, columns: art.columns };
  },
};
