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
  // No default here: with `folds` the subset is (K−1)/K and giving both is refused.
  subset: z.number().optional(),
  folds: z.number().int().optional(),
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
  if (s.subset !== undefined && !(s.subset > 0 && s.subset < 1))
    throw new InputError(`--subset must be a fraction in (0, 1) (exclusive), got ${s.subset}`);
  if (!Number.isSafeInteger(s.models) || s.models < 2)
    throw new InputError(`--models must be an integer ≥ 2, got ${s.models}`);
  if (s.folds !== undefined) {
    if (s.subset !== undefined)
      throw new InputError(`give --subset or --folds, not both (--folds ${s.folds} trains each network on (K−1)/K)`);
    if (s.folds < 2 || s.models % s.folds !== 0)
      throw new InputError(
        `--folds must be ≥ 2 and divide --models (each example left out equally often), got --folds ${s.folds} with --models ${s.models}`,
      );
  }
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
      settings: {
        models: s.models,
        ...(s.folds !== undefined ? { folds: s.folds } : { fraction: s.subset ?? 0.7 }),
        seed: s.seed,
      },
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
  const parsed = parseSpec(MemorizationSpecSchema, raw, "memorization");
  // The independent-subset design records its fraction, defaulted, as it always did.
  const spec = parsed.folds === undefined ? { ...parsed, subset: parsed.subset ?? 0.7 } : parsed;
  return runBuiltProtocol((o) => memorizationFromSpec(spec, log, o), { command: "memorization", spec }, run, log);
}
