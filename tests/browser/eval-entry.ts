// Evaluation parity scenario (tests/fixtures/eval.json): a small memorization run (tiny ResNets
// trained on seeded subsets by the models' training loop) and CERTIFY / adaptive CERTIFY of a
// few inputs with noisy forward passes, all on tfjs's wasm backend and wasm-core's Rng. Imported
// by tests/src/parity-eval.test.ts in Node; bundled and run as the page script in Chromium,
// where it publishes its outputs on window.__classfitEvalParity.
import {
  type ArchConfig,
  computeNormalisation,
  createModel,
  type ImageDataset,
  type InputSpec,
  NoisyClassifier,
  normalisedExamples,
  SubsetTrainer,
} from "@classfit/models";
import { initBackend } from "@classfit/models/backend";
import { certificationProtocol, coreStats, memorizationProtocol, runSingle } from "@classfit/pipeline";
import type { Core } from "@classfit/wasm-core";
import { pageCore, publishOutputs, toBase64 } from "./page.js";

export interface EvalFixture {
  input: InputSpec;
  arch: ArchConfig;
  dataset: { seed: number; n: number };
  memorization: { models: number; fraction: number; seed: number; epochs: number; batchSize: number };
  certify: {
    modelSeed: number;
    examples: number[];
    seed: number;
    sigma: number;
    n: number;
    n0: number;
    alpha: number;
    batchSize: number;
  };
}

export interface EvalOutput {
  name: string;
  base64: string;
  /** Noisy forward passes run (certification) or models trained (memorization). */
  work: number;
  /** What ran the noisy forward passes (NoisyClassifier.executor), for certification. */
  executor?: string;
}

/** A seeded uint8 image set whose classes differ in which quadrant is brighter. */
export function syntheticDataset(core: Core, f: EvalFixture): ImageDataset {
  const { height: h, width: w, channels: c, numClasses: k } = f.input;
  const n = f.dataset.n;
  const rng = core.rng(f.dataset.seed, 0);
  const noise = rng.int(n * h * w * c, 128);
  rng.dispose();
  const images = new Uint8Array(n * h * w * c);
  const labels = Int32Array.from({ length: n }, (_, i) => i % k);
  for (let i = 0; i < n; i++) {
    const q = (labels[i] as number) % 4;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let ch = 0; ch < c; ch++) {
          const o = ((i * h + y) * w + x) * c + ch;
          const inQuadrant = (y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1) === q;
          images[o] = (noise[o] as number) + (inQuadrant ? 127 : 0);
        }
  }
  return { name: "eval-parity", n, height: h, width: w, channels: c, numClasses: k, images, labels };
}

/** Runs the scenario; `initBackend` must have been called by the host. */
export async function runEvalScenario(core: Core, f: EvalFixture): Promise<EvalOutput[]> {
  const ds = syntheticDataset(core, f);
  const normalisation = computeNormalisation(ds);
  const out: EvalOutput[] = [];

  let trained = 0;
  const trainer = new SubsetTrainer({
    core,
    arch: f.arch,
    train: ds,
    normalisation,
    config: {
      epochs: f.memorization.epochs,
      batchSize: f.memorization.batchSize,
      learningRate: 0.05,
      momentum: 0.9,
      weightDecay: 5e-4,
      schedule: { name: "onecycle" },
      augmentation: { cropPadding: 2, flip: false },
    },
    onModel: () => {
      trained++;
    },
  });
  const mem = await runSingle(
    memorizationProtocol({
      core,
      trainer,
      labels: ds.labels,
      numClasses: ds.numClasses,
      datasetId: ds.name,
      settings: { models: f.memorization.models, fraction: f.memorization.fraction, seed: f.memorization.seed },
    }),
  );
  out.push({ name: "memorization", base64: toBase64(mem), work: trained });

  const { model } = createModel(f.arch, f.input, core, f.certify.modelSeed);
  try {
    for (const method of ["cohen", "adaptive"] as const) {
      const backend = new NoisyClassifier(model, { maxBatch: 16 });
      const { modelSeed: _m, examples, ...settings } = f.certify;
      const bytes = await runSingle(
        certificationProtocol({
          core,
          backend,
          stats: coreStats(core),
          dataset: normalisedExamples(ds, normalisation),
          datasetId: ds.name,
          settings: { ...settings, method },
          examples,
          unitSize: 2,
        }),
      );
      out.push({
        name: `certification-${method}`,
        base64: toBase64(bytes),
        work: backend.passes,
        executor: backend.executor,
      });
      backend.dispose();
    }
  } finally {
    model.dispose();
  }
  return out;
}

async function pageMain(): Promise<void> {
  await publishOutputs("__classfitEvalParity", async () => {
    await initBackend({ wasmPath: new URL("tfjs-backend-wasm-simd.wasm", location.href).href });
    const core = await pageCore();
    const f = (await (await fetch("eval.json")).json()) as EvalFixture;
    return runEvalScenario(core, f);
  });
}

if (typeof window !== "undefined" && typeof document !== "undefined") void pageMain();
