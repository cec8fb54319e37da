// The ceiling that the convolution benchmarks run against: multiply-add throughput of 128-bit
// WebAssembly SIMD (f32x4.mul then f32x4.add; no FMA) on this CPU, in the same engine (V8) that
// runs tfjs-backend-wasm (the loop and its caveats: bench/simd-ceiling.mjs).
//
// Also prints, for comparison, PyTorch's inference rate of bench/train-throughput.mjs's ResNet
// expressed as multiply-adds per second (the network's direct-convolution MAC count × images/s),
// when /usr/bin/python3 can import torch.
//
// Usage: node bench/wasm-simd-peak.mjs [--seconds 2]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BENCH_RESNET_MULTIPLIES, simdPeak } from "./simd-ceiling.mjs";

const { values: opts } = parseArgs({ options: { seconds: { type: "string", default: "2" } } });
const best = await simdPeak(Number(opts.seconds));
console.log(`machine: ${spawnSync("uptime", { encoding: "utf8" }).stdout.trim()}`);
console.log(
  `wasm SIMD128 f32 multiply-adds (mul then add, 12 independent chains): ${best.toFixed(1)} G per CPU-second (best)`,
);
const { direct: macs, winograd2: minMults, winograd4: minMults4 } = BENCH_RESNET_MULTIPLIES;
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
