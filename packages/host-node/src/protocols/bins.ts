// The authors' density-bin protocol (METHOD.md §9) as a unit protocol: one work unit per bin of
// training examples sorted by class-conditional log-density.
import { normalisedExamples, shareDataset } from "@classfit/models";
import { initBackend } from "@classfit/models/backend";
import { npyToFloat64 } from "@classfit/models/npy";
import { coreStats, densityBinProtocol, type Json, type UnitProtocol } from "@classfit/pipeline";
import { createCore } from "@classfit/wasm-core/node";
import { z } from "zod";
import { InputError, readNpyFile } from "../io.js";
import { withIdentity } from "../unit-store.js";
import { CertifySettingsSchema, certifySettings, checkCertifyFlags } from "./certify.js";
import { type BuildOptions, type BuiltProtocol, parseSpec, type RunCommon, runBuiltProtocol } from "./run.js";
import { archOf, loadTrainSplit, TrainerSpecSchema, trainerOf } from "./trainer.js";

export const BinsSpecSchema = TrainerSpecSchema.extend({
  ...CertifySettingsSchema.omit({ seed: true }).shape,
  density: z.string(),
  bins: z.number().int().default(10),
  certifyPerBin: z.number().int().positive().optional(),
}).strict();
export type BinsSpec = z.infer<typeof BinsSpecSchema>;

/** The density-bin protocol of a spec; `o` as for `memorizationFromSpec`. */
export async function binsFromSpec(
  s: BinsSpec,
  log: (m: string) => void,
  o: BuildOptions = {},
): Promise<BuiltProtocol> {
  checkCertifyFlags(s);
  if (!(s.bins >= 1)) throw new InputError(`--bins must be ≥ 1, got ${s.bins}`);
  archOf(s);
  const { array, sha256: densitySha } = readNpyFile(s.density);
  if (!(array.shape.length === 1 || (array.shape.length === 2 && array.shape[1] === 1)))
    throw new InputError(`${s.density}: expected log-densities of shape (n,), got (${array.shape.join(", ")})`);
  let logDensity: Float64Array;
  try {
    logDensity = npyToFloat64(array, s.density);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const split = await loadTrainSplit(s, o.dataset);
  const ds = o.share ? shareDataset(split.ds) : split.ds;
  const identity = split.identity;
  if (logDensity.length !== ds.n)
    throw new InputError(
      `${s.density}: ${logDensity.length} log-densities, but ${ds.name} has ${ds.n} training examples`,
    );
  await initBackend();
  const core = await createCore();
  const { trainer, identity: trainerIdentity, normalisation } = trainerOf(core, s, ds, log);
  let protocol: UnitProtocol;
  try {
    protocol = densityBinProtocol({
      core,
      stats: coreStats(core),
      trainer,
      dataset: normalisedExamples(ds, normalisation),
      datasetId: ds.name,
      logDensity,
      bins: s.bins,
      settings: certifySettings(s),
      ...(s.certifyPerBin !== undefined ? { certifyPerBin: s.certifyPerBin } : {}),
    });
  } catch (e) {
    trainer.dispose();
    if (e instanceof RangeError) throw new InputError(`${s.density}: ${e.message}`);
    throw e;
  }
  return {
    protocol: withIdentity(protocol, {
      ...identity,
      ...trainerIdentity,
      densitySha256: densitySha as Json,
    }),
    dataset: ds,
    dispose: () => trainer.dispose(),
  };
}

export async function runBins(raw: unknown, run: RunCommon, log: (s: string) => void): Promise<string> {
  const spec = parseSpec(BinsSpecSchema, raw, "bins");
  return runBuiltProtocol((o) => binsFromSpec(spec, log, o), { command: "bins", spec }, run, log);
}
