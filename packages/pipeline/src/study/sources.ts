// Where a network's stage activations come from: exported .npy files, or a model (loaded from a
// directory, or trained by the train step) run through the extract step.
import { computeNormalisation, deserializeModel, npyToFloat64, parseNpy, validateManifest } from "@classfit/models";
import { InputError, readingInput } from "../errors.js";
import { ACTIVATIONS_IMPORTED } from "../report/notes.js";
import { utf8 } from "../steps/store.js";
import { fnv1a64, hashArray, hashJson } from "../units/container.js";
import type { NetworkConfig } from "./config.js";
import type { StudyContext } from "./context.js";
import type { LoadedNet } from "./steps/certify.js";
import { type Activations, extract } from "./steps/extract.js";
import { train } from "./steps/train.js";

/** A network's stage activations, and the network itself unless only activations were given. */
export interface NetworkSource extends Activations {
  model?: LoadedNet;
  /** Each example's cumulative training loss, study order, when the study trained the network. */
  trainingLoss?: Float64Array;
}

export async function networkSource(ctx: StudyContext, net: NetworkConfig, notes: string[]): Promise<NetworkSource> {
  if (net.activations !== undefined) {
    const acts = await importActivations(ctx, net, net.activations);
    notes.push(ACTIVATIONS_IMPORTED);
    return acts;
  }
  const src: SourceModel & { trainingLoss?: Float64Array } =
    net.model !== undefined ? await loadNetwork(ctx, net, net.model) : await trainNetwork(ctx, net);
  const acts = await ctx.run(extract, {
    name: net.name,
    model: src.model,
    modelHash: src.hash,
    normalisation: src.normalisation,
    stages: src.stages,
  });
  return {
    ...acts,
    model: { model: src.model, hash: src.hash, normalisation: src.normalisation },
    ...(src.trainingLoss ? { trainingLoss: src.trainingLoss } : {}),
  };
}

/** Activations exported elsewhere (PyTorch, JAX): one (N, C) .npy per stage, full dataset order. */
async function importActivations(
  ctx: StudyContext,
  net: NetworkConfig,
  files: Record<string, string>,
): Promise<Activations> {
  const { ds, subset } = ctx.study;
  const stages = net.stages ?? Object.keys(files);
  const out: Activations = { stages, acts: [], channels: [], hashes: [] };
  for (const s of stages) {
    const path = files[s];
    if (path === undefined) throw new InputError(`network '${net.name}': no activations file for stage '${s}'`);
    const bytes = await readingInput(() => ctx.host.resources.readFile(path));
    const arr = parseNpy(bytes, { name: path });
    if (arr.shape.length !== 2)
      throw new InputError(`${path}: expected activations of shape (N, C), got (${arr.shape.join(", ")})`);
    const [rows, c] = arr.shape as [number, number];
    const x = npyToFloat64(arr, path);
    let act: Float32Array;
    if (subset === null) {
      if (rows !== ds.n)
        throw new InputError(
          `${path}: ${rows} rows, but the dataset has ${ds.n} training examples (rows must follow dataset order)`,
        );
      act = Float32Array.from(x);
    } else {
      act = new Float32Array(subset.length * c);
      for (let j = 0; j < subset.length; j++) {
        const i = subset[j] as number;
        if (i >= rows)
          throw new InputError(
            `${path}: ${rows} rows, but the dataset example ${i} is needed (rows must follow dataset order)`,
          );
        for (let k = 0; k < c; k++) act[j * c + k] = x[i * c + k] as number;
      }
    }
    for (let i = 0; i < act.length; i++)
      if (!Number.isFinite(act[i] as number))
        throw new InputError(`${path}: value at row ${Math.floor(i / c)}, column ${i % c} is ${act[i]}`);
    out.acts.push(act);
    out.channels.push(c);
    out.hashes.push(hashArray(act));
  }
  return out;
}

interface SourceModel extends LoadedNet {
  stages: string[];
}

/** A tfjs model directory the config names; its content hash keys the steps that read it. */
async function loadNetwork(ctx: StudyContext, net: NetworkConfig, path: string): Promise<SourceModel> {
  const m = await readingInput(() => ctx.host.resources.readModel(path));
  const manifest = await readingInput(async () =>
    m.manifestJson === undefined ? null : validateManifest(JSON.parse(m.manifestJson), `${path}/manifest.json`),
  );
  await ctx.tfReady();
  const model = await readingInput(() => deserializeModel(m.modelJson, m.weights, `${path}/model.json`));
  const stages = net.stages ?? manifest?.stages;
  if (!stages || stages.length === 0)
    throw new InputError(
      `network '${net.name}': ${path} has no classfit manifest naming its stage layers; list them in "stages"`,
    );
  // A model without classfit's manifest: normalise with the study data's own statistics.
  const normalisation = manifest?.normalisation ?? computeNormalisation(ctx.study.ds);
  const hash = hashJson({ json: fnv1a64(utf8(m.modelJson)), weights: fnv1a64(m.weights), normalisation });
  return { model, hash, normalisation, stages };
}

/** Trains `net.arch` (the train step), then loads the trained model back from its files. */
async function trainNetwork(
  ctx: StudyContext,
  net: NetworkConfig,
): Promise<SourceModel & { trainingLoss?: Float64Array }> {
  const t = await ctx.run(train, net);
  await ctx.tfReady();
  const model = await deserializeModel(t.modelJson, t.weights, `${t.dir}/model.json`);
  return {
    model,
    hash: t.hash,
    normalisation: t.normalisation,
    stages: t.stages,
    ...(t.trainingLoss ? { trainingLoss: t.trainingLoss } : {}),
  };
}
