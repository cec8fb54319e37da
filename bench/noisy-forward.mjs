// Noisy forward passes per second (randomised smoothing, METHOD.md §9) of the shipped ResNet
// (packages/models/assets/models/resnet-narrow when it exists; otherwise the same architecture with
// its seeded init weights, said so), through @classfit/models' NoisyClassifier: wasm-core normals,
// x + σ·ε in the normalised input space, forward pass on the tfjs-wasm heap (SIMD, 1 thread),
// argmax, counts. Also times drawing the noise alone, the ziggurat against the polar method it
// replaced, each as a share of a pass.
// Baseline in the same run: PyTorch CPU on the same architecture and thread count (1) doing the
// same per pass (x + σ·randn, forward, argmax, bincount), when /usr/bin/python3 can import torch.
//
// Each round times, interleaved: classfit's native executor (src/noisy/native.ts: the folded
// network on classfit's own kernels, no tfjs ops), the folded network on tfjs ops (Winograd
// convolutions, XNNPACK for the rest), plain model.predict, and one PyTorch process (its own
// warm-up, then one timed run). Every figure is the best of --rounds (CPU time of the
// single-threaded process), PyTorch's included: its back-to-back runs on this shared 2-core box
// varied from 3 600 to 5 900 passes per CPU-second.
//
// Usage: npm run build && node bench/noisy-forward.mjs [--samples 4096] [--batch 64] [--sigma 0.5] [--rounds 5] [--chunk 8]
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { countTrainable, createModel, fillBatch, NoisyClassifier } from "@classfit/models";
import { initBackend } from "@classfit/models/backend";
import { DEFAULT_MODELS_DIR, loadDataset, readModelDir } from "@classfit/models/node";
import { createCore } from "@classfit/wasm-core/node";

const { values: opts } = parseArgs({
  options: {
    samples: { type: "string", default: "4096" },
    batch: { type: "string", default: "64" },
    sigma: { type: "string", default: "0.5" },
    rounds: { type: "string", default: "5" },
    chunk: { type: "string" },
    model: { type: "string", default: join(DEFAULT_MODELS_DIR, "resnet-narrow") },
  },
});
const SAMPLES = Number(opts.samples);
const BATCH = Number(opts.batch);
const SIGMA = Number(opts.sigma);
const ROUNDS = Number(opts.rounds);

await initBackend();
const core = await createCore();
const test = await loadDataset({ path: "default", split: "test" });
let model;
let arch;
let normalisation;
let source;
// The shipped model, or while it is still training its latest checkpoint (same architecture).
for (const [dir, what] of [
  [opts.model, "shipped model"],
  [`${opts.model}.checkpoint`, "shipped model's training checkpoint"],
]) {
  if (model || !existsSync(join(dir, "model.json"))) continue;
  const loaded = await readModelDir(dir);
  model = loaded.model;
  arch = loaded.manifest?.architecture;
  normalisation = loaded.manifest?.normalisation;
  source = `${what} ${dir}`;
}
if (!model || !arch || arch.arch !== "resnet") {
  arch = { arch: "resnet", blocks: [1, 1, 1, 1], widthMultiplier: 0.125 };
  model = createModel(arch, { height: 28, width: 28, channels: 1, numClasses: 10 }, core, 0).model;
  normalisation = { pixelScale: 1 / 255, mean: [0.286], std: [0.353] };
  source = "no shipped ResNet found: the same architecture with its seeded init weights";
}
const x = new Float32Array(784);
fillBatch(test, [0], normalisation, x);
const nc = new NoisyClassifier(model, { maxBatch: BATCH, ...(opts.chunk ? { chunk: Number(opts.chunk) } : {}) });
const viaTfjs = new NoisyClassifier(model, { maxBatch: BATCH, native: false });

const plain = new NoisyClassifier(model, { maxBatch: BATCH, fold: false });
async function rate(backend) {
  const r = core.rng(1, 1);
  await backend.countNoisy(x, SIGMA, Math.min(SAMPLES, 2 * BATCH), r, BATCH); // warm-up
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const counts = await backend.countNoisy(x, SIGMA, SAMPLES, r, BATCH);
  const cpu = process.cpuUsage(c0);
  r.dispose();
  return { cpu: SAMPLES / ((cpu.user + cpu.system) / 1e6), wall: SAMPLES / ((performance.now() - t0) / 1000), counts };
}
const py = "/usr/bin/python3";
const script = fileURLToPath(new URL("./baseline/torch_noisy.py", import.meta.url));
const haveTorch = spawnSync(py, ["-c", "import torch"], { encoding: "utf8" }).status === 0;
function torchRate() {
  const r = spawnSync(
    py,
    [
      script,
      "--blocks",
      arch.blocks.join(","),
      "--width",
      String(arch.widthMultiplier),
      "--threads",
      "1",
      "--samples",
      String(SAMPLES),
      "--batch",
      String(BATCH),
      "--sigma",
      String(SIGMA),
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`torch baseline failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1));
}
const keepBest = (a, b) => (!a || b.cpu > a.cpu ? b : a);
// Per-round ratios (classfit native / PyTorch, measured seconds apart): their median resists
// the host's bursts better than the ratio of the bests.
const perRound = [];
let best;
let bestTfjs;
let bestPlain;
let bestTorch;
for (let k = 0; k < ROUNDS; k++) {
  const mine = await rate(nc);
  best = keepBest(best, mine);
  bestTfjs = keepBest(bestTfjs, await rate(viaTfjs));
  bestPlain = keepBest(bestPlain, await rate(plain));
  if (haveTorch) {
    const t = torchRate();
    bestTorch = keepBest(bestTorch, { ...t, cpu: t.passes_cpu_s, wall: t.passes_s });
    perRound.push(mine.cpu / t.passes_cpu_s);
  }
  console.log(
    `round ${k + 1}: best so far (passes per CPU-second) native ${best.cpu.toFixed(0)}, folded on tfjs ops ${bestTfjs.cpu.toFixed(0)}, plain ${bestPlain.cpu.toFixed(0)}${bestTorch ? `, PyTorch ${bestTorch.cpu.toFixed(0)}` : ""}`,
  );
}
const ours = best.cpu;
const cpuSeconds = SAMPLES / ours;
console.log(
  `model: ${source}; executor: ${nc.executor}${nc.executor === "native" ? ` (chunk ${opts.chunk ?? "default"})` : ""}; ${arch.arch} blocks ${arch.blocks.join(",")} width ${arch.widthMultiplier}, ${countTrainable(model)} trainable parameters`,
);
console.log(
  `classfit (tfjs wasm SIMD, 1 thread): ${ours.toFixed(0)} noisy passes per CPU-second, ${best.wall.toFixed(0)} per wall-clock second (best of ${ROUNDS}; ${SAMPLES} passes, batch ${BATCH}, σ ${SIGMA}; counts ${Array.from(best.counts).join(" ")})`,
);
console.log(
  `  the folded network on tfjs ops (${viaTfjs.executor}): ${bestTfjs.cpu.toFixed(0)} passes per CPU-second (native gains ${(ours / bestTfjs.cpu).toFixed(2)}×)`,
);
console.log(
  `  without batch-norm folding (model.predict): ${bestPlain.cpu.toFixed(0)} passes per CPU-second (folding gains ${(ours / bestPlain.cpu).toFixed(2)}×)`,
);
// Drawing the noise: what NoisyClassifier does per batch of BATCH copies, timed alone, best of
// ROUNDS, interleaved: today's ziggurat into one reused buffer (Rng.zigguratNormalInto), and the
// polar method with a fresh copy out of wasm memory per batch (Rng.normal, the sampler before).
// Each as a share of a noisy pass: the native executor's best time above already contains the
// ziggurat's draws, so the polar share is taken of that time with the ziggurat's replaced by it.
const px = x.length;
function noiseSeconds(draw) {
  const r = core.rng(2, 2);
  const c1 = process.cpuUsage();
  for (let done = 0; done < SAMPLES; done += BATCH) draw(r, Math.min(BATCH, SAMPLES - done) * px);
  const cn = process.cpuUsage(c1);
  r.dispose();
  return (cn.user + cn.system) / 1e6;
}
const eps = new Float64Array(BATCH * px);
const drawZiggurat = (r, n) => r.zigguratNormalInto(eps.subarray(0, n));
const drawPolar = (r, n) => r.normal(n);
noiseSeconds(drawZiggurat); // warm-up
noiseSeconds(drawPolar);
let zig = Number.POSITIVE_INFINITY;
let polar = Number.POSITIVE_INFINITY;
for (let k = 0; k < ROUNDS; k++) {
  zig = Math.min(zig, noiseSeconds(drawZiggurat));
  polar = Math.min(polar, noiseSeconds(drawPolar));
}
const zigShare = zig / cpuSeconds;
const polarShare = polar / (cpuSeconds - zig + polar);
console.log(
  `  of which drawing the noise (wasm-core ziggurat, Rng.zigguratNormalInto): ${(100 * zigShare).toFixed(1)}% (target ≤ 8%); ${((1e9 * zig) / (SAMPLES * px)).toFixed(1)} ns per normal`,
);
console.log(
  `  the polar method before it (Rng.normal, a fresh copy per batch), same run: ${(100 * polarShare).toFixed(1)}% of a pass; ${((1e9 * polar) / (SAMPLES * px)).toFixed(1)} ns per normal; ziggurat / polar time ${(zig / polar).toFixed(3)} (${(polar / zig).toFixed(1)}× faster)`,
);

if (!bestTorch) {
  console.log("PyTorch baseline: skipped (/usr/bin/python3 cannot import torch)");
} else {
  const t = bestTorch;
  console.log(
    `PyTorch ${t.torch} CPU (${t.threads} thread, ${t.params} parameters): ${t.passes_cpu_s.toFixed(0)} noisy passes per CPU-second, ${t.passes_s.toFixed(0)} per wall-clock second (best of ${ROUNDS})`,
  );
  console.log(`ratio classfit / PyTorch (CPU time): ${(ours / t.passes_cpu_s).toFixed(2)}× (target ≥ 0.8×)`);
  const sorted = [...perRound].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  console.log(
    `median of the ${sorted.length} per-round ratios (CPU time): ${median.toFixed(2)}× (rounds: ${perRound.map((r) => r.toFixed(2)).join(" ")})`,
  );
  console.log(`ratio classfit / PyTorch (wall clock, load-sensitive): ${(best.wall / t.passes_s).toFixed(2)}×`);
}
console.log(`machine: ${spawnSync("uptime", { encoding: "utf8" }).stdout.trim()}`);
model.dispose();
