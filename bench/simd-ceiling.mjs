// The arithmetic ceiling of 128-bit WebAssembly SIMD on this CPU, and the multiply counts of the
// bench ResNet (bench/bench-resnet.mjs), shared by bench/wasm-simd-peak.mjs and
// bench/whole-machine.mjs. Not a benchmark on its own.
//
// The peak is a register-only loop of f32x4.mul then f32x4.add (no FMA: relaxed-SIMD's would
// round differently per engine and CPU, and classfit's bytes must not) with 12 independent chains
// a = a·b + m, enough to hide the latency: the figure is the arithmetic peak, not a memory bound,
// and no real kernel reaches it. Compiled from AssemblyScript source with the repository's own
// asc (nothing is downloaded).
import asc from "assemblyscript/asc";

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

/** Best multiply-add rate of one thread over `seconds`, in G per CPU-second. */
export async function simdPeak(seconds = 2) {
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
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const c0 = process.cpuUsage();
    peak(iters, 0.5);
    const c = process.cpuUsage(c0);
    best = Math.max(best, (iters * 12 * 4) / ((c.user + c.system) / 1e6) / 1e9);
  }
  return best;
}

// The bench ResNet: 3x3 convs at 28/14/7 px (widths 16/32/64), 1x1 stride-2 projections, a 64x10
// dense layer; multiply-adds of a direct convolution per image.
const conv = (hw, k, ci, co) => hw * hw * k * k * ci * co;
const STEM = conv(28, 3, 1, 16);
const direct =
  STEM +
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
const winograd2 =
  STEM +
  2 * wino(28, 16, 16) +
  conv(14, 3, 16, 32) +
  wino(14, 32, 32) +
  conv(14, 1, 16, 32) +
  conv(7, 3, 32, 64) +
  wino(7, 64, 64) +
  conv(7, 1, 32, 64) +
  64 * 10;
// F(4x4,3x3): 36 multiplies per 4x4 tile.
const wino4 = (hw, ci, co) => Math.ceil(hw / 4) ** 2 * 36 * ci * co;
const winograd4 =
  winograd2 -
  2 * wino(28, 16, 16) -
  wino(14, 32, 32) -
  wino(7, 64, 64) +
  2 * wino4(28, 16, 16) +
  wino4(14, 32, 32) +
  wino4(7, 64, 64);

/** Multiplies per image of the bench ResNet: a forward pass (direct, and with the fewest
 * multiplies Winograd allows), and a training step, which repeats the forward's multiplies for
 * the input gradient and the filter gradient (less the stem's input gradient, never needed). */
export const BENCH_RESNET_MULTIPLIES = {
  direct,
  winograd2,
  winograd4,
  trainDirect: 3 * direct - STEM,
  trainWinograd4: 3 * winograd4 - STEM,
};
