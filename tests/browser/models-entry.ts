// Models parity cases (tests/fixtures/models.json): seeded networks of each architecture (one
// also trained for an epoch) and their pooled stage activations and logits on a synthetic batch,
// on tfjs's wasm backend with wasm-core's Rng. Imported by tests/src/parity-models.test.ts in
// Node; bundled and run as the page script in Chromium, publishing window.__classfitModelsParity.
import {
  type ArchConfig,
  computeNormalisation,
  createModel,
  deserializeModel,
  extractActivations,
  fillBatch,
  type InputSpec,
  MemorySink,
  type Pooling,
  predictLogits,
  syntheticDataset,
  trainModel,
  validateManifest,
} from "@classfit/models";
import { initBackend } from "@classfit/models/backend";
import type { Core } from "@classfit/wasm-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { pageCore, publishOutputs, toBase64 } from "./page.js";

export interface ModelsCase {
  name: string;
  /** A network to build from this config and `seed`… */
  arch?: ArchConfig;
  /** …or a model shipped in packages/models/assets/models/<shipped> (model.json + weights.bin). */
  shipped?: string;
  input: InputSpec;
  seed: number;
  n: number;
  pool: Pooling;
  train?: { n: number; epochs: number; batchSize: number };
}

export interface ModelsFixtureFile {
  cases: ModelsCase[];
}

export interface ModelsOutput {
  name: string;
  /** Stage names and channel counts, in output order. */
  stages: { name: string; channels: number }[];
  /** Every stage's (n × C) float32 activations, then the (n × classes) logits, concatenated. */
  base64: string;
}

/** How a host reads a shipped model directory: model.json text, weights.bin bytes, manifest.json text. */
export type ShippedReader = (name: string) => Promise<{ modelJson: string; weights: Uint8Array; manifest: string }>;

async function buildCase(
  core: Core,
  c: ModelsCase,
  readShipped: ShippedReader,
): Promise<{ model: LayersModel; stages: string[] }> {
  if (c.shipped) {
    const files = await readShipped(c.shipped);
    const manifest = validateManifest(JSON.parse(files.manifest));
    return { model: await deserializeModel(files.modelJson, files.weights), stages: manifest.stages };
  }
  if (!c.arch) throw new Error(`case ${c.name}: needs arch or shipped`);
  return createModel(c.arch, c.input, core, c.seed);
}

/** Runs every case; `initBackend` must have been called by the host. */
export async function runModelFixtures(
  core: Core,
  file: ModelsFixtureFile,
  readShipped: ShippedReader,
): Promise<ModelsOutput[]> {
  const outputs: ModelsOutput[] = [];
  for (const c of file.cases) {
    const { model, stages } = await buildCase(core, c, readShipped);
    try {
      const shape = {
        height: c.input.height,
        width: c.input.width,
        channels: c.input.channels,
        numClasses: c.input.numClasses,
      };
      const ds = syntheticDataset({ n: c.n, ...shape, variant: c.seed });
      const norm = computeNormalisation(ds);
      if (c.train) {
        const train = syntheticDataset({ n: c.train.n, ...shape, variant: c.seed + 100 });
        await trainModel({
          core,
          model,
          train,
          normalisation: norm,
          config: {
            epochs: c.train.epochs,
            batchSize: c.train.batchSize,
            learningRate: 0.05,
            momentum: 0.9,
            weightDecay: 5e-4,
            schedule: { name: "onecycle" },
            augmentation: { cropPadding: 2, flip: true },
            seed: c.seed,
          },
        });
      }
      const sink = new MemorySink();
      await extractActivations({ model, stages, dataset: ds, normalisation: norm, pool: c.pool, batchSize: 4, sink });
      const x = new Float32Array(ds.n * ds.height * ds.width * ds.channels);
      fillBatch(
        ds,
        Array.from({ length: ds.n }, (_, i) => i),
        norm,
        x,
      );
      const logits = await predictLogits(model, x, ds.n);
      const parts = [...sink.data, logits];
      const total = parts.reduce((s, p) => s + p.byteLength, 0);
      const bytes = new Uint8Array(total);
      let off = 0;
      for (const p of parts) {
        bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), off);
        off += p.byteLength;
      }
      outputs.push({
        name: c.name,
        stages: sink.stages.map((s, i) => ({ name: s, channels: sink.channels[i] as number })),
        base64: toBase64(bytes),
      });
    } finally {
      model.dispose();
    }
  }
  return outputs;
}

async function pageMain(): Promise<void> {
  await publishOutputs("__classfitModelsParity", async () => {
    await initBackend({ wasmPath: new URL("tfjs-backend-wasm-simd.wasm", location.href).href });
    const core = await pageCore();
    const file = (await (await fetch("models.json")).json()) as ModelsFixtureFile;
    const readShipped: ShippedReader = async (name) => ({
      modelJson: await (await fetch(`shipped/${name}/model.json`)).text(),
      weights: new Uint8Array(await (await fetch(`shipped/${name}/weights.bin`)).arrayBuffer()),
      manifest: await (await fetch(`shipped/${name}/manifest.json`)).text(),
    });
    return runModelFixtures(core, file, readShipped);
  });
}

if (typeof window !== "undefined" && typeof document !== "undefined") void pageMain();
