// Timing shared by the single-threaded benchmarks (certify-stats.mjs, svd-projection.mjs).

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
