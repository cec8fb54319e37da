// Timing shared by the single-threaded benchmarks (certify-stats.mjs, svd-projection.mjs,
// conv-kernels.mjs, direct-conv.mjs).

/**
 * Runs `fn` once: wall time in ms, this process's CPU time (user + system) in ms, and its value.
 * Other agents share the CPUs; the single-threaded CPU time is the figure load does not inflate.
 */
export function time(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const v = fn();
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpu: (c.user + c.system) / 1000, v };
}

/** This process's CPU time (user + system) so far, in ms. */
export function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
}

/** tfjs-backend-wasm's own FusedConv2D (XNNPACK), which registerClassfitKernels keeps behind its
 * wrapper: the baseline of the per-kernel convolution benchmarks. */
export function xnnpackFusedConv2d(tf) {
  const k = tf.getKernel("FusedConv2D", "wasm")?.[Symbol.for("classfit.tfjsKernel")];
  if (!k) throw new Error("tfjs-backend-wasm's FusedConv2D not found behind classfit's wrapper");
  return k;
}
