// Feldman & Zhang memorization scores (METHOD.md §8) as a unit protocol: m networks, each
// trained on a seeded random subset of the training set.
import { shareDataset } from "@classfit/models";
import { initBackend } from "@classfit/models/backend";
import { memorizationProtocol, type UnitProtocol } from "@classfit/pipeline";
import { createCore } from "@classfit/wasm-core/node";
import { z } from "zod";
import { InputError } from "../io.js";
import { withIdentity } from "../unit-store.js";
import { type BuildOptions, type BuiltProtocol, parseSpec, type RunCommon, runBuiltProtocol } from "./run.js";
import { archOf, loadTrainSplit, TrainerSpecSchema, trainerOf } from "./trainer.js";

export const MemorizationSpecSchema = TrainerSpecSchema.extend({
  models: z.number().default(64),
  subset: z.number().default(0.7),
}).strict();
export type MemorizationSpec = z.infer<typeof MemorizationSpecSchema>;

/** The memorization protocol of a spec (loads the data, or takes `o.dataset`, the split a
 * parent already loaded; nothing is written). With `o.share` the dataset moves to shared
 * memory, so the workers that get it read this one copy. */
export async function memorizationFromSpec(
  s: MemorizationSpec,
  log: (m: string) => void,
  o: BuildOptions = {},
): Promise<BuiltProtocol> {
  // The settings the protocol refuses are checked before any data is read.
  if (!(s.subset > 0 && s.subset < 1))
    throw new InputError(`--subset must be a fraction in (0, 1) (exclusive), got ${s.subset}`);
  if (!Number.isSafeInteger(s.models) || s.models < 2)
    throw new InputError(`--models must be an integer ≥ 2, got ${s.models}`);
  archOf(s);
  const split = await loadTrainSplit(s, o.dataset);
  const ds = o.share ? shareDataset(split.ds) : split.ds;
  const identity = split.identity;
  await initBackend();
  const core = await createCore();
  const { trainer, identity: trainerIdentity } = trainerOf(core, s, ds, log);
  let protocol: UnitProtocol;
  try {
    protocol = memorizationProtocol({
      core,
      trainer,
      labels: ds.labels,
      numClasses: ds.numClasses,
      datasetId: ds.name,
      settings: { models: s.models, fraction: s.subset, seed: s.seed },
    });
  } catch (e) {
    if (e instanceof RangeError) throw new InputError(e.message);
    throw e;
  }
  return {
    protocol: withIdentity(protocol, { ...identity, ...trainerIdentity }),
    dataset: ds,
    dispose: () => trainer.dispose(),
  };
}

export async function runMemorization(raw: unknown, run: RunCommon, log: (s: string) => void): Promise<string> {
  const spec = parseSpec(MemorizationSpecSchema, raw, "memorization");
  return runBuiltProtocol((o) => memorizationFromSpec(spec, log, o), { command: "memorization", spec }, run, log);
}
