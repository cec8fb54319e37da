// Adaptive CERTIFY against Cohen et al.'s fixed-n CERTIFY on a real network: the shipped ResNet
// (packages/models/assets/models/resnet-narrow; while it is still training, its latest checkpoint
// resnet-narrow.checkpoint, said so) on the first --examples images of the embedded Fashion-MNIST
// test subset, noise in the normalised input space, both through the pipeline's certifyExamples
// with @classfit/models' NoisyClassifier and the same per-example noise streams. Prints the total
// noisy forward passes and the mean certified radius (abstentions and wrong predictions count 0)
// of each, the pass ratio (target ≥ 3×) and the radius loss in units of σ (target ≤ 0.05).
// n is reduced from the paper's 100 000 to fit the time (--n), and said so.
//
// Usage: npm run build && node bench/adaptive-certify-real.mjs [--examples 20] [--n 4000] [--n0 100]
//        [--sigma 0.5] [--alpha 0.001] [--model DIR]
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { NoisyClassifier, normalisedExamples } from "@classfit/models";
import { initBackend } from "@classfit/models/backend";
import { DEFAULT_MODELS_DIR, loadDataset, readModelDir } from "@classfit/models/node";
import { certifyExamples, coreStats, resolveCertify } from "@classfit/pipeline";
import { createCore } from "@classfit/wasm-core/node";

const { values: opts } = parseArgs({
  options: {
    examples: { type: "string", default: "20" },
    n: { type: "string", default: "4000" },
    n0: { type: "string", default: "100" },
    sigma: { type: "string", default: "0.5" },
    alpha: { type: "string", default: "0.001" },
    batch: { type: "string", default: "64" },
    seed: { type: "string", default: "0" },
    model: { type: "string" },
  },
});
const K = Number(opts.examples);

await initBackend();
const core = await createCore();
const candidates = opts.model
  ? [[opts.model, "given model"]]
  : [
      [join(DEFAULT_MODELS_DIR, "resnet-narrow"), "shipped ResNet"],
      [join(DEFAULT_MODELS_DIR, "resnet-narrow.checkpoint"), "shipped ResNet's training checkpoint (still training)"],
    ];
const found = candidates.find(([d]) => existsSync(join(d, "model.json")));
if (!found) throw new Error(`no model found (looked in ${candidates.map(([d]) => d).join(", ")}); pass --model DIR`);
const loaded = await readModelDir(found[0]);
if (!loaded.manifest) throw new Error(`${found[0]}: no manifest.json (normalisation unknown)`);
const m = loaded.manifest;
const test = await loadDataset({ path: "default", split: "test" });
const dataset = normalisedExamples(test, m.normalisation);
const stats = coreStats(core);
const indices = Int32Array.from({ length: K }, (_, i) => i);
const common = {
  seed: Number(opts.seed),
  sigma: Number(opts.sigma),
  n: Number(opts.n),
  n0: Number(opts.n0),
  alpha: Number(opts.alpha),
  batchSize: Number(opts.batch),
};
console.log(
  `model: ${found[1]} ${found[0]} (${m.architecture?.arch ?? "?"}, epochs ${m.epochs ?? "?"}, test accuracy ${m.metrics?.testAccuracy ?? "n/a"})`,
);
console.log(
  `${K} test examples of ${test.name}; σ = ${common.sigma}, n0 = ${common.n0}, n = ${common.n} (reduced from 100 000 to fit the time), α = ${common.alpha}`,
);

async function run(method) {
  const backend = new NoisyClassifier(loaded.model, { maxBatch: common.batchSize });
  const s = resolveCertify({ ...common, method }, method);
  const t0 = performance.now();
  const c = await certifyExamples(core, backend, stats, dataset, indices, s);
  const seconds = (performance.now() - t0) / 1000;
  backend.dispose();
  let radiusSum = 0;
  let correct = 0;
  let abstain = 0;
  for (let k = 0; k < K; k++) {
    const ok = c.prediction[k] === c.label[k];
    if (ok) correct++;
    if (c.prediction[k] === -1) abstain++;
    radiusSum += ok ? c.radius[k] : 0;
  }
  const passes = backend.passes;
  const samples = c.samples.reduce((a, v) => a + v, 0);
  if (passes !== samples) throw new Error(`${method}: backend ran ${passes} passes, the columns say ${samples}`);
  return { method, passes, meanRadius: radiusSum / K, correct, abstain, seconds, columns: c };
}

const fixed = await run("cohen");
const adaptive = await run("adaptive");
for (const r of [fixed, adaptive])
  console.log(
    `${r.method === "cohen" ? "fixed-n CERTIFY " : "adaptive CERTIFY"}: ${r.passes} noisy passes (${(r.passes / K).toFixed(0)} per example), mean certified radius ${r.meanRadius.toFixed(4)}, ${r.correct}/${K} certified correct, ${r.abstain} abstained, ${r.seconds.toFixed(1)} s`,
  );
let same = 0;
for (let k = 0; k < K; k++) if (fixed.columns.prediction[k] === adaptive.columns.prediction[k]) same++;
const ratio = fixed.passes / adaptive.passes;
const loss = (fixed.meanRadius - adaptive.meanRadius) / common.sigma;
console.log(`same decision (class or abstain) on ${same}/${K} examples`);
console.log(`passes ratio fixed / adaptive: ${ratio.toFixed(2)}× (target ≥ 3×)`);
console.log(
  `mean radius loss: ${(fixed.meanRadius - adaptive.meanRadius).toFixed(4)} = ${loss.toFixed(4)}·σ (target ≤ 0.05·σ)`,
);
loaded.model.dispose();
