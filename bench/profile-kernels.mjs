// Where a step's time goes: tfjs's profiler over --steps training steps (trainOnBatch) or
// inference batches (predict) of bench/train-throughput.mjs's ResNet on the wasm backend with
// classfit's kernels; kernel wall time per step, summed by kernel name, then the --top kernels by
// (name, input shapes). Wall time: run it on a quiet machine. Not a benchmark (no baseline); a
// tool for finding the next hot spot (see BENCHMARKS.md).
//
// Usage: npm run build && node bench/profile-kernels.mjs [--mode train|infer] [--steps 10] [--top 30]
import { parseArgs } from "node:util";
import { initBackend } from "@classfit/models/backend";
import * as tf from "@tensorflow/tfjs-core";
import { buildResNet } from "./bench-resnet.mjs";

const { values: opts } = parseArgs({
  options: {
    mode: { type: "string", default: "train" },
    steps: { type: "string", default: "10" },
    top: { type: "string", default: "30" },
  },
});
await initBackend();
const model = buildResNet(1);
model.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p) });
const x = tf.randomNormal([64, 28, 28, 1], 0, 1, "float32", 7);
const y = tf.oneHot(
  tf.tensor1d(
    Array.from({ length: 64 }, (_, i) => i % 10),
    "int32",
  ),
  10,
);
const step = async () => {
  if (opts.mode === "train") await model.trainOnBatch(x, y);
  else {
    const p = model.predict(x, { batchSize: 64 });
    p.dataSync();
    p.dispose();
  }
};
for (let i = 0; i < 3; i++) await step();
const N = Number(opts.steps);
const byKey = new Map();
for (let r = 0; r < N; r++) {
  const prof = await tf.profile(step);
  for (const k of prof.kernels) {
    // Ops that wrap a kernel (e.g. fusedConv2d__op around FusedConv2D) would count it twice.
    if (k.name.endsWith("__op")) continue;
    const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
    const a = byKey.get(key) ?? { ms: 0, calls: 0 };
    a.ms += await k.kernelTimeMs;
    a.calls++;
    byKey.set(key, a);
  }
}
const rows = [...byKey.entries()].sort((a, b) => b[1].ms - a[1].ms);
const total = rows.reduce((t, [, a]) => t + a.ms, 0);
console.log(`${opts.mode}: ${(total / N).toFixed(1)} ms of kernel time per step (wall), batch 64`);
const byName = new Map();
for (const [k, a] of rows) byName.set(k.split(" ")[0], (byName.get(k.split(" ")[0]) ?? 0) + a.ms);
for (const [name, ms] of [...byName.entries()].sort((a, b) => b[1] - a[1]))
  console.log(`  ${(ms / N).toFixed(2).padStart(7)} ms  ${name}`);
console.log(`top ${opts.top} (ms per step, calls per step, kernel, input shapes):`);
for (const [k, a] of rows.slice(0, Number(opts.top)))
  console.log(`  ${(a.ms / N).toFixed(2).padStart(7)}  ${String(a.calls / N).padStart(3)}  ${k}`);
