// Randomised-smoothing certification (Cohen et al. 2019; METHOD.md §9) of a model on a dataset
// as a unit protocol, and the CERTIFY settings the density-bin protocol shares.
import { NoisyClassifier, normalisedExamples, serializeModel, shareDataset } from "@classfit/models";
import {
  type CertifySettings,
  certificationProtocol,
  coreStats,
  hashArray,
  type Json,
  type UnitProtocol,
} from "@classfit/pipeline";
import { createCore } from "@classfit/wasm-core/node";
import type { Command } from "commander";
import { z } from "zod";
import { InputError, sha256 } from "../io.js";
import { loadModelAndData } from "../model-data.js";
import { intArg, numArg } from "../options.js";
import { withIdentity } from "../unit-store.js";
import { type BuildOptions, type BuiltProtocol, parseSpec, type RunCommon, runBuiltProtocol } from "./run.js";

/** CERTIFY settings shared by `certify` and `bins` (ranges checked by the pipeline, which names
 * the parameter: σ > 0, α in (0, 1), n0 ≤ n …). */
export const CertifySettingsSchema = z.object({
  sigma: z.number().default(0.5),
  n: z.number().int().default(100_000),
  n0: z.number().int().default(100),
  alpha: z.number().default(0.001),
  noiseBatch: z.number().int().default(1000),
  adaptive: z.boolean().default(false),
  seed: z.number().int().default(0),
  maxBatch: z.number().int().positive().default(64),
});

export const CertifySpecSchema = CertifySettingsSchema.extend({
  model: z.string(),
  data: z.string().default("default"),
  labels: z.string().optional(),
  split: z.enum(["train", "test"]).default("test"),
  examples: z.string().optional(),
  limit: z.number().int().positive().optional(),
  // Small units keep every worker busy to the end of a run; each example's noise has its own
  // stream, so the unit size changes no example's result (only the unit files and the config).
  unitSize: z.number().int().positive().default(10),
}).strict();
export type CertifySpec = z.infer<typeof CertifySpecSchema>;

export function certifySettings(s: z.infer<typeof CertifySettingsSchema>): CertifySettings {
  return {
    seed: s.seed,
    sigma: s.sigma,
    n: s.n,
    n0: s.n0,
    alpha: s.alpha,
    batchSize: s.noiseBatch,
    method: s.adaptive ? "adaptive" : "cohen",
  };
}

/** "a:b" (half-open range) or "i,j,k" → example indices. */
export function parseExamples(spec: string): number[] {
  const range = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(spec);
  if (range) {
    const a = Number(range[1]);
    const b = Number(range[2]);
    if (b < a) throw new InputError(`--examples ${spec}: the range end is before its start`);
    return Array.from({ length: b - a }, (_, k) => a + k);
  }
  const parts = spec.split(",").map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p)))
    throw new InputError(`--examples '${spec}': expected a range a:b or comma-separated indices`);
  return parts.map(Number);
}

/** Checks the CERTIFY settings before anything is loaded, naming the flag. */
export function checkCertifyFlags(s: z.infer<typeof CertifySettingsSchema>): void {
  if (!(Number.isFinite(s.sigma) && s.sigma > 0)) throw new InputError(`--sigma must be > 0, got ${s.sigma}`);
  if (!(s.alpha > 0 && s.alpha < 1)) throw new InputError(`--alpha must be in (0, 1), got ${s.alpha}`);
  if (!(s.n0 >= 1)) throw new InputError(`--n0 must be ≥ 1, got ${s.n0}`);
  if (!(s.n >= 1)) throw new InputError(`--n must be ≥ 1, got ${s.n}`);
  if (s.n0 > s.n) throw new InputError(`--n0 (${s.n0}) must not exceed --n (${s.n})`);
  if (!(s.noiseBatch >= 1)) throw new InputError(`--noise-batch must be ≥ 1, got ${s.noiseBatch}`);
  if (!(s.seed >= 0)) throw new InputError(`--seed must be ≥ 0, got ${s.seed}`);
}

/** The certification protocol of a spec; `o` as for `memorizationFromSpec`. */
export async function certifyFromSpec(
  s: CertifySpec,
  log: (m: string) => void,
  o: BuildOptions = {},
): Promise<BuiltProtocol> {
  checkCertifyFlags(s);
  if (s.examples !== undefined && s.limit !== undefined) throw new InputError("give either --examples or --limit");
  const explicit = s.examples !== undefined ? parseExamples(s.examples) : undefined;
  if (explicit !== undefined && explicit.length === 0) throw new InputError(`--examples '${s.examples}' is empty`);
  const {
    loaded,
    ds: split,
    normalisation,
  } = await loadModelAndData(
    {
      model: s.model,
      data: s.data,
      split: s.split,
      batchSize: s.maxBatch,
      ...(s.labels ? { labels: s.labels } : {}),
      ...(o.dataset ? { dataset: o.dataset } : {}),
    },
    log,
  );
  try {
    const ds = o.share ? shareDataset(split) : split;
    const examples =
      explicit ?? (s.limit !== undefined ? Array.from({ length: Math.min(s.limit, ds.n) }, (_, i) => i) : undefined);
    const core = await createCore();
    const backend = new NoisyClassifier(loaded.model, { maxBatch: s.maxBatch });
    const bytes = await serializeModel(loaded.model);
    const images = ds.images;
    let protocol: UnitProtocol;
    try {
      protocol = certificationProtocol({
        core,
        backend,
        stats: coreStats(core),
        dataset: normalisedExamples(ds, normalisation),
        datasetId: ds.name,
        settings: certifySettings(s),
        ...(examples ? { examples } : {}),
        unitSize: s.unitSize,
      });
    } catch (e) {
      backend.dispose();
      if (e instanceof RangeError) throw new InputError(e.message);
      throw e;
    }
    const identity: Record<string, Json> = {
      model: {
        topologySha256: sha256(new TextEncoder().encode(bytes.modelJson)),
        weightsSha256: sha256(bytes.weights),
      },
      imagesSha256: sha256(new Uint8Array(images.buffer, images.byteOffset, images.byteLength)),
      labelsHash: hashArray(ds.labels),
      normalisation: JSON.parse(JSON.stringify(normalisation)) as Json,
    };
    return {
      protocol: withIdentity(protocol, identity),
      dataset: ds,
      dispose: () => {
        backend.dispose();
        loaded.model.dispose();
      },
    };
  } catch (e) {
    loaded.model.dispose();
    throw e;
  }
}

export async function runCertify(raw: unknown, run: RunCommon, log: (s: string) => void): Promise<string> {
  const spec = parseSpec(CertifySpecSchema, raw, "certify");
  return runBuiltProtocol((o) => certifyFromSpec(spec, log, o), { command: "certify", spec }, run, log);
}

/** Adds the CERTIFY flags shared by `certify` and `bins`. */
export function addCertifyOptions(cmd: Command, withSeed = true): Command {
  cmd
    .option("--sigma <σ>", "noise level σ > 0, in normalised input units", numArg(), 0.5)
    .option("--n <n>", "estimation samples per example", intArg(1), 100_000)
    .option("--n0 <n0>", "selection samples per example (≤ n)", intArg(1), 100)
    .option("--alpha <α>", "failure probability α in (0, 1)", numArg(), 0.001)
    .option("--adaptive", "adaptive CERTIFY: same guarantee, fewer noisy passes (see BENCHMARKS.md)", false)
    .option("--noise-batch <n>", "noisy copies per request to the network (part of the config)", intArg(1), 1000)
    .option("--max-batch <n>", "most noisy copies in one forward pass (memory and speed only)", intArg(1), 64);
  return withSeed ? cmd.option("--seed <n>", "seed of all noise", intArg(0), 0) : cmd;
}
