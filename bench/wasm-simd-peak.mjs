// The ceiling that the convolution benchmarks run against: multiply-add throughput of 128-bit
// WebAssembly SIMD (f32x4.mul then f32x4.add; no FMA, which relaxed-SIMD would add at the price
// of engine-dependent rounding) on this CPU, in the same engine (V8) that runs tfjs-backend-wasm.
// A register-only loop with 12 independent chains a = a·b + m (enough to hide the latency), so the
// figure is the arithmetic peak, not a memory bound: no real kernel reaches it. Compiled here
// from AssemblyScript source with the repository's own asc (nothing is downloaded).
//
// Also prints, for comparison, PyTorch's inference rate of bench/train-throughput.mjs's ResNet
// expressed as multiply-adds per second (the network's direct-convolution MAC count × images/s),
// when /usr/bin/python3 can import torch.
//
// Usage: node bench/wasm-simd-peak.mjs [--seconds 2]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import asc from "assemblyscript/asc";

const { values: opts } = parseArgs({ options: { seconds: { type: "string", default: "2" } } });
const source = `
export function peak(iters: i32, seed: f32): f32 {
  const m = f32x4.splat(seed);
  const b = f32x4.splat(0.999);
  let a0 = f32x4.splat(0.1); let a1 = f32x4.splat(0.2); let a2 = f32x4.splat(0.3);
  let a3 = f32x4.splat(0.4); let a4 = f32x4.splat(0.5); let a5 = f32x4.splat(0.6);
  let a6 = f32x4.splat(0.7); let a7 = f32x4.splat(0.8); let a8 = f32x4.splat(0.9);
  let a9 = f32x4.splat(1.0); let a10 = f32x4.splat(1.1); let a11 = f32x4.splat(1.2);
  for (let i = 0; i < iters; i++) {
    a0 = f32x4.add(f32x4.mul(a0, b), m); a1 = f32x4.add(f32x4.mul(a1, b), m);
    a2 = f32x4.add(f32x4.mul(a2, b), m); a3 = f32x4.add(f32x4.mul(a3, b), m);
    a4 = f32x4.add(f32x4.mul(a4, b), m); a5 = f32x4.add(f32x4.mul(a5, b), m);
    a6 = f32x4.add(f32x4.mul(a6, b), m); a7 = f32x4.add(f32x4.mul(a7, b), m);
    a8 = f32x4.add(f32x4.mul(a8, b), m); a9 = f32x4.add(f32x4.mul(a9, b), m);
    a10 = f32x4.add(f32x4.mul(a10, b), m); a11 = f32x4.add(f32x4.mul(a11, b), m);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  const t = f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)));
  return f32x4.extract_lane(t, 0);
}`;
const { error, binary, stderr } = await asc.compileString(source, {
  optimizeLevel: 3,
  enable: ["simd"],
  runtime: "stub",
});
if (error) throw new Error(`asc failed: ${stderr.toString()}`);
const { instance } = await WebAssembly.instantiate(binary, {});
const peak = instance.exports.peak;
// Each step multiplies the accumulator itself (a = a·b + m), so no multiply can be hoisted out
// of the loop; 12 chains of mul + add latency keep both multiply and both add pipes busy.
peak(1e6, 0.5);
const iters = 2e7;
let best = 0;
const end = performance.now() + Number(opts.seconds) * 1000;
while (performance.now() < end) {
  const c0 = process.cpuUsage();
  peak(iters, 0.5);
  const c = process.cpuUsage(c0);
  const s = (c.user + c.system) / 1e6;
  best = Math.max(best, (iters * 12 * 4) / s / 1e9);
}
console.log(`machine: ${spawnSync("uptime", { encoding: "utf8" }).stdout.trim()}`);
console.log(
  `wasm SIMD128 f32 multiply-adds (mul then add, 12 independent chains): ${best.toFixed(1)} G per CPU-second (best)`,
);

// bench/train-throughput.mjs's ResNet: 3x3 convs at 28/14/7 px (widths 16/32/64), 1x1 stride-2
// projections, a 64x10 dense layer; multiply-adds of a direct convolution per image.
const conv = (hw, k, ci, co) => hw * hw * k * k * ci * co;
const macs =
  conv(28, 3, 1, 16) +
  2 * conv(28, 3, 16, 16) +
  conv(14, 3, 16, 32) +
  conv(14, 3, 32, 32) +
  conv(14, 1, 16, 32) +
  conv(7, 3, 32, 64) +
  conv(7, 3, 64, 64) +
  conv(7, 1, 32, 64) +
  64 * 10;
// Winograd F(2x2,3x3) multiplies for the stride-1 3x3 convolutions after the stem (16 per 2x2
// tile and channel pair, tiles covering ceil(h/2)^2), the rest direct.
const wino = (hw, ci, co) => Math.ceil(hw / 2) ** 2 * 16 * ci * co;
const minMults =
  conv(28, 3, 1, 16) +
  2 * wino(28, 16, 16) +
  conv(14, 3, 16, 32) +
  wino(14, 32, 32) +
  conv(14, 1, 16, 32) +
  conv(7, 3, 32, 64) +
  wino(7, 64, 64) +
  conv(7, 1, 32, 64) +
  64 * 10;
// F(4x4,3x3) (36 multiplies per 4x4 tile; larger transforms and rounding error, not shipped).
const wino4 = (hw, ci, co) => Math.ceil(hw / 4) ** 2 * 36 * ci * co;
const minMults4 =
  minMults -
  2 * wino(28, 16, 16) -
  wino(14, 32, 32) -
  wino(7, 64, 64) +
  2 * wino4(28, 16, 16) +
  wino4(14, 32, 32) +
  wino4(7, 64, 64);
console.log(
  `train-throughput ResNet: ${(macs / 1e6).toFixed(2)} M multiply-adds per image (direct), ${(minMults / 1e6).toFixed(2)} M with Winograd F(2x2,3x3), ${(minMults4 / 1e6).toFixed(2)} M with F(4x4,3x3)`,
);
console.log(
  `  ceiling at this peak, arithmetic only (no transforms, batch norm, relu, adds, memory): ${((best * 1e9) / minMults).toFixed(0)} images/s`,
);
const py = "/usr/bin/python3";
if (spawnSync(py, ["-c", "import torch"]).status === 0) {
  const script = fileURLToPath(new URL("baseline/torch_train.py", import.meta.url));
  const r = spawnSync(py, [script, "--threads", "1", "--steps", "3", "--infer-steps", "60"], { encoding: "utf8" });
  if (r.status === 0) {
    const t = JSON.parse(r.stdout.trim().split("\n").pop());
    console.log(
      `PyTorch ${t.torch} inference (1 thread): ${t.infer_img_s_cpu.toFixed(0)} images/s per CPU-second = ${((t.infer_img_s_cpu * macs) / 1e9).toFixed(1)} G direct multiply-adds per second`,
    );
    console.log(
      `  matching it needs ${((100 * t.infer_img_s_cpu * minMults) / (best * 1e9)).toFixed(0)}% of the wasm SIMD arithmetic peak sustained over the whole network (F(2x2,3x3)); ${((100 * t.infer_img_s_cpu * minMults4) / (best * 1e9)).toFixed(0)}% with F(4x4,3x3)`,
    );
  }
}
