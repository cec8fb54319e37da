// Benchmark (analysis): the per-example Spearman bootstrap and class compactness,
// each against its baseline measured in the same run.
//
//   1. Spearman ρ with a percentile bootstrap over N examples: spearmanBootstrap re-ranks each
//      resample in O(N) from the original sort orders (multiplicities, not copies) vs the
//      textbook way — materialise the resample and rank it again with a sort, O(N log N).
//      Both draw the same resamples from the same seeded Rng; the intervals must agree exactly.
//   2. Compactness of one class (n × d): exact all-pairs mean vs the seeded sampled estimate
//      (default 1e6 pairs), with the sampled estimate's error in standard errors.
//
//   npm run build && node bench/analysis-bootstrap.mjs [--n 60000] [--reps 100] [--class 6000] [--d 64]
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { compactness, spearman, spearmanBootstrap } from "@classfit/pipeline";
import { createCore } from "@classfit/wasm-core/node";

const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "60000" },
    reps: { type: "string", default: "100" },
    class: { type: "string", default: "6000" },
    d: { type: "string", default: "64" },
  },
});
const N = Number(args.n);
const REPS = Number(args.reps);
const NC = Number(args.class);
const D = Number(args.d);
const core = await createCore();

function time(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { value, wall, cpu: (cpu.user + cpu.system) / 1000 };
}

// Correlated data with ties (memorization-like scores rounded to 1/100).
const r = core.rng(1, 0);
const x = r.normal(N);
const noise = r.normal(N);
const y = x.map((v, i) => Math.round(100 * (0.3 * v + noise[i])) / 100);
r.dispose();

function naiveBootstrap(rng) {
  const reps = new Float64Array(REPS);
  const xs = new Float64Array(N);
  const ys = new Float64Array(N);
  const counts = new Float64Array(N);
  for (let b = 0; b < REPS; b++) {
    // The same draws as resampleCounts: N ints in [0, N).
    const draws = rng.int(N, N);
    counts.fill(0);
    for (let i = 0; i < N; i++) counts[draws[i]]++;
    // Materialise in index order (the statistic does not depend on order).
    let k = 0;
    for (let i = 0; i < N; i++)
      for (let c = 0; c < counts[i]; c++) {
        xs[k] = x[i];
        ys[k] = y[i];
        k++;
      }
    reps[b] = spearman(xs, ys);
  }
  const ok = reps.filter((v) => !Number.isNaN(v)).sort();
  const q = (p) => {
    const h = (ok.length - 1) * p;
    const lo = Math.floor(h);
    return ok[lo] + (h - lo) * (ok[Math.min(lo + 1, ok.length - 1)] - ok[lo]);
  };
  return { lower: q(0.025), upper: q(0.975) };
}

console.log(
  `load average ${loadavg()
    .map((v) => v.toFixed(1))
    .join(" / ")}; N = ${N}, replicates = ${REPS}`,
);
const fast = time(() => spearmanBootstrap(x, y, core.rng(7, 1), { replicates: REPS }));
const slow = time(() => naiveBootstrap(core.rng(7, 1)));
console.log(
  `spearman bootstrap: O(N) re-ranking ${fast.cpu.toFixed(0)} ms CPU (${fast.wall.toFixed(0)} wall) vs re-sort ${slow.cpu.toFixed(0)} ms CPU (${slow.wall.toFixed(0)} wall): ${(slow.cpu / fast.cpu).toFixed(1)}× (wall ${(slow.wall / fast.wall).toFixed(1)}×)`,
);
const same = fast.value.lower === slow.value.lower && fast.value.upper === slow.value.upper;
console.log(`  interval ${fast.value.lower} .. ${fast.value.upper}; baseline identical: ${same}`);

const data = core.rng(2, 0).normal(NC * D);
const exact = time(() => compactness(data, NC, D, { method: "exact" }));
const sampled = time(() => compactness(data, NC, D, { method: "sampled", rng: core.rng(3, 0) }));
const z = (sampled.value.value - exact.value.value) / sampled.value.standardError;
console.log(
  `compactness n = ${NC}, d = ${D}: exact ${exact.cpu.toFixed(0)} ms CPU (${exact.value.pairs} pairs) vs sampled ${sampled.cpu.toFixed(0)} ms CPU (${sampled.value.pairs} pairs): ${(exact.cpu / sampled.cpu).toFixed(1)}× faster; sampled − exact = ${z.toFixed(2)} SE`,
);
