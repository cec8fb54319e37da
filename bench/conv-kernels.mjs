// Per-kernel CPU time of the 3×3 stride-1 convolutions of bench/train-throughput.mjs's ResNet
// (widths 16/32/64) and of the shipped narrow ResNet (8/16), batch 64, on tfjs-backend-wasm:
// classfit's Winograd F(2×2, 3×3) kernels against the kernels they replace, measured in the same
// process, interleaved, best of --rounds:
//   forward:          XNNPACK's direct convolution (tfjs-backend-wasm's FusedConv2D), against
//                     F(2×2, 3×3) and F(4×4, 3×3)
//   input gradient:   classfit's direct SIMD kernel (assembly/conv.ts)
//   filter gradient:  classfit's direct SIMD kernel (assembly/conv.ts), against F(2×2, 3×3) and
//                     F(4×4, 3×3) in the transform domain
// Prints ms of CPU time per call and the speed-up (baseline time / Winograd time).
//
// Usage: npm run build && node bench/conv-kernels.mjs [--rounds 5] [--reps 5]
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { initBackend } from "@classfit/models/backend";
import {
  conv2dBackpropFilterInfo,
  conv2dBackpropInputInfo,
  winograd4Conv2d,
  winogradBackpropFilter,
  winogradBackpropInput,
  winogradConv2d,
} from "@classfit/models/kernels";
import * as tf from "@tensorflow/tfjs-core";
import { cpuMs, xnnpackFusedConv2d } from "./timing.mjs";

const { values: opts } = parseArgs({
  options: { rounds: { type: "string", default: "5" }, reps: { type: "string", default: "5" } },
});
const ROUNDS = Number(opts.rounds);
const REPS = Number(opts.reps);
await initBackend();
const backend = tf.findBackend("wasm");
const xnnpack = xnnpackFusedConv2d(tf);
console.log(`machine: ${spawnSync("uptime", { encoding: "utf8" }).stdout.trim()}`);
console.log(
  "shape [n,h,w,cin->cout]   forward: XNNPACK / F(2x2) / F(4x4)   input grad: direct / Winograd (tile as prefersF4 picks)   filter grad: direct / F(2x2) / F(4x4)   (ms CPU per call; speed-up over the first)",
);
for (const [n, h, w, ci, co] of [
  [64, 28, 28, 16, 16],
  [64, 14, 14, 32, 32],
  [64, 7, 7, 64, 64],
  [64, 28, 28, 8, 8],
  [64, 14, 14, 16, 16],
  [64, 7, 7, 32, 32],
  [64, 4, 4, 64, 64],
]) {
  const x = tf.randomNormal([n, h, w, ci], 0, 1, "float32", 1);
  const f = tf.randomNormal([3, 3, ci, co], 0, 1, "float32", 2);
  const dy = tf.randomNormal([n, h, w, co], 0, 1, "float32", 3);
  const info = tf.backend_util.computeConv2DInfo([n, h, w, ci], [3, 3, ci, co], 1, 1, "same");
  const attrs = { strides: 1, pad: "same", dilations: 1, dataFormat: "NHWC", activation: "linear" };
  const fns = {
    fwdBase: () => xnnpack.kernelFunc({ inputs: { x, filter: f }, backend, attrs }),
    fwdWino: () => winogradConv2d(backend, x, f, null, false, info),
    fwdWino4: () => winograd4Conv2d(backend, x, f, null, false, info),
    inBase: () => conv2dBackpropInputInfo(backend, dy, f, info),
    inWino: () => winogradBackpropInput(backend, dy, f, info),
    filtBase: () => conv2dBackpropFilterInfo(backend, x, dy, info),
    filtWino: () => winogradBackpropFilter(backend, x, dy, info, "simd", 2),
    filtWino4: () => winogradBackpropFilter(backend, x, dy, info, "simd", 4),
  };
  const best = Object.fromEntries(Object.keys(fns).map((k) => [k, Number.POSITIVE_INFINITY]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, fn] of Object.entries(fns)) {
      const t = cpuMs();
      for (let i = 0; i < REPS; i++) backend.disposeData(fn().dataId);
      best[k] = Math.min(best[k], (cpuMs() - t) / REPS);
    }
  }
  const cell = (a, b) => `${best[a].toFixed(2)} / ${best[b].toFixed(2)} (${(best[a] / best[b]).toFixed(2)}×)`;
  console.log(
    `[${n},${h},${w},${ci}->${co}]`.padEnd(26),
    `${cell("fwdBase", "fwdWino")} / ${best.fwdWino4.toFixed(2)} (${(best.fwdBase / best.fwdWino4).toFixed(2)}×)   ${cell("inBase", "inWino")}   ${cell("filtBase", "filtWino")} / ${best.filtWino4.toFixed(2)} (${(best.filtBase / best.filtWino4).toFixed(2)}×)`,
  );
  tf.dispose([x, f, dy]);
}
console.log(`machine at the end: ${spawnSync("uptime", { encoding: "utf8" }).stdout.trim()}`);
