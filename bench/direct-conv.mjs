// Per-kernel CPU time of the shipped ResNet's convolutions that Winograd does not take, batch 64,
// on tfjs-backend-wasm: classfit's direct SIMD kernel (assembly/direct.ts, directConv2d) against
// XNNPACK's convolution (tfjs-backend-wasm's own FusedConv2D, kept behind classfit's wrapper),
// both with bias (and relu where the network has one), measured in the same process,
// interleaved, best of --rounds:
//   the stem (3×3 stride 1, 1 → 8 channels at 28×28), the stride-2 3×3 convolutions and the 1×1
//   stride-2 projection shortcuts, 'same' padding.
// Prints ms of CPU time per call and the speed-up (XNNPACK time / direct time).
//
// Usage: npm run build && node bench/direct-conv.mjs [--rounds 5] [--reps 5]
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { initBackend } from "@classfit/models/backend";
import { directApplies, directConv2d } from "@classfit/models/kernels";
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
const maxDiff = (a, b) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
console.log(`machine: ${spawnSync("uptime", { encoding: "utf8" }).stdout.trim()}`);
console.log(`rounds ${ROUNDS}, ${REPS} calls each; ms CPU per call, best round`);
console.log("conv [n,h,w,cin->cout]            XNNPACK   direct   speed-up   max |diff|");
// [name, n, h, w, ci, co, k, stride, relu]
for (const [name, n, h, w, ci, co, k, s, relu] of [
  ["stem 3x3 s1", 64, 28, 28, 1, 8, 3, 1, true],
  ["3x3 s2", 64, 28, 28, 8, 16, 3, 2, true],
  ["3x3 s2", 64, 14, 14, 16, 32, 3, 2, true],
  ["3x3 s2", 64, 7, 7, 32, 64, 3, 2, true],
  ["1x1 s2", 64, 28, 28, 8, 16, 1, 2, false],
  ["1x1 s2", 64, 14, 14, 16, 32, 1, 2, false],
  ["1x1 s2", 64, 7, 7, 32, 64, 1, 2, false],
]) {
  const x = tf.randomNormal([n, h, w, ci], 0, 1, "float32", 1);
  const f = tf.randomNormal([k, k, ci, co], 0, 0.3, "float32", 2);
  const bias = tf.randomNormal([co], 0, 1, "float32", 3);
  const info = tf.backend_util.computeConv2DInfo([n, h, w, ci], [k, k, ci, co], s, 1, "same");
  if (!directApplies(info)) throw new Error(`directConv2d does not apply to ${name}`);
  const attrs = { strides: s, pad: "same", dilations: 1, dataFormat: "NHWC", activation: relu ? "relu" : "linear" };
  const fns = {
    xnnpack: () => xnnpack.kernelFunc({ inputs: { x, filter: f, bias }, backend, attrs }),
    direct: () => directConv2d(backend, x, f, bias, null, relu, info),
  };
  const read = (t) => {
    const r = tf.engine().makeTensorFromTensorInfo(t);
    const v = r.dataSync();
    r.dispose();
    return v;
  };
  const diff = maxDiff(read(fns.xnnpack()), read(fns.direct()));
  const best = { xnnpack: Number.POSITIVE_INFINITY, direct: Number.POSITIVE_INFINITY };
  for (let r = 0; r < ROUNDS; r++) {
    for (const [key, fn] of Object.entries(fns)) {
      const t = cpuMs();
      for (let i = 0; i < REPS; i++) backend.disposeData(fn().dataId);
      best[key] = Math.min(best[key], (cpuMs() - t) / REPS);
    }
  }
  console.log(
    `${name} [${n},${h},${w},${ci}->${co}]`.padEnd(34),
    best.xnnpack.toFixed(3).padStart(8),
    best.direct.toFixed(3).padStart(8),
    `${(best.xnnpack / best.direct).toFixed(2)}×`.padStart(10),
    diff.toExponential(1).padStart(12),
  );
  tf.dispose([x, f, bias]);
}
console.log(`machine at the end: ${spawnSync("uptime", { encoding: "utf8" }).stdout.trim()}`);
