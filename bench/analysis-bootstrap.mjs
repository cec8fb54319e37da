// Benchmark (analysis): the per-example Spearman bootstrap and class compactness,
// each against its baseline measured in the same run.
//
//   1. Spearman ρ with a percentile bootstrap over N examples: spearmanBootstrap re-ranks each
//      resample in O(N) from the original sort orders (multiplicities, not copies) vs the
//      textbook way — materialise the resample and rank it again with a sort, O(N log N).
//      Both draw the same resamples from the same seeded Rng; the intervals must agree exactly.
//   2. Compactness of one class (n × d): exact all-pairs mean vs the seeded sampled estimate
//      (default 1e6 pairs), with the sampled estimate's error in standard errors.
//   3. The same bootstrap as the study runs it over examples, with each class's sampler error
//      redrawn per replicate (xGroupError: one shift per class): spearmanBootstrap ranks each
//      replicate by merging the classes' fixed orders vs sorting all shifted values again
//      (argsort, then the same mid-rank and Pearson arithmetic). Intervals must agree exactly.
//
//   npm run build && node bench/analysis-bootstrap.mjs [--n 60000] [--reps 100] [--class 6000] [--d 64]
//     [--examples 10000] [--classes 10] [--group-reps 1000]
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
    examples: { type: "string", default: "10000" },
    classes: { type: "string", default: "10" },
    "group-reps": { type: "string", default: "1000" },
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

/** The baselines' 95% percentile interval (linear interpolation, NaNs dropped), as the pipeline's. */
function interval95(reps) {
  const ok = reps.filter((v) => !Number.isNaN(v)).sort();
  const q = (p) => {
    const h = (ok.length - 1) * p;
    const lo = Math.floor(h);
    return ok[lo] + (h - lo) * (ok[Math.min(lo + 1, ok.length - 1)] - ok[lo]);
  };
  return { lower: q(0.025), upper: q(0.975) };
}

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
  return interval95(reps);
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

// 3. Per-class error, as the study's per-example intervals draw it.
const NE = Number(args.examples);
const G = Number(args.classes);
const GREPS = Number(args["group-reps"]);
const g = core.rng(4, 0);
const label = Float64Array.from(g.int(NE, G));
const ex = g.normal(NE).map((v, i) => v + 3 * label[i]);
const eNoise = g.normal(NE);
const ey = ex.map((v, i) => Math.round(100 * (0.2 * v + eNoise[i])) / 100);
const se = Float64Array.from({ length: G }, (_, c) => 0.2 + 0.1 * c);
g.dispose();

/** The previous path: sort all shifted values every replicate, then rank with multiplicities. */
function resortBootstrap(rng, noise) {
  const reps = new Float64Array(GREPS);
  const counts = new Float64Array(NE);
  const xb = new Float64Array(NE);
  const rx = new Float64Array(NE);
  const ry = new Float64Array(NE);
  const plan = (v) => {
    // A stable argsort (ties in index order), as the pipeline's.
    const order = new Uint32Array(NE).map((_, i) => i).sort((a, b) => v[a] - v[b] || a - b);
    const starts = [];
    for (let k = 0; k < NE; k++) if (k === 0 || v[order[k]] !== v[order[k - 1]]) starts.push(k);
    starts.push(NE);
    return { order, starts };
  };
  const rank = (p, out) => {
    let below = 0;
    for (let q = 0; q + 1 < p.starts.length; q++) {
      let c = 0;
      for (let k = p.starts[q]; k < p.starts[q + 1]; k++) c += counts[p.order[k]];
      const r = below + (c + 1) / 2;
      for (let k = p.starts[q]; k < p.starts[q + 1]; k++) out[p.order[k]] = r;
      below += c;
    }
  };
  const py = plan(ey);
  for (let b = 0; b < GREPS; b++) {
    counts.fill(0);
    const draws = rng.int(NE, NE);
    for (let i = 0; i < NE; i++) counts[draws[i]]++;
    const z = noise.normal(G);
    for (let i = 0; i < NE; i++) xb[i] = ex[i] + se[label[i]] * z[label[i]];
    rank(plan(xb), rx);
    rank(py, ry);
    let total = 0;
    for (let i = 0; i < NE; i++) total += counts[i];
    const m = (total + 1) / 2;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < NE; i++) {
      const c = counts[i];
      if (c === 0) continue;
      const dx = rx[i] - m;
      const dy = ry[i] - m;
      sxy += c * dx * dy;
      sxx += c * dx * dx;
      syy += c * dy * dy;
    }
    reps[b] = sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
  }
  return interval95(reps);
}

const merged = time(() =>
  spearmanBootstrap(ex, ey, core.rng(9, 1), {
    replicates: GREPS,
    xGroupError: { group: label, se, rng: core.rng(9, 2) },
  }),
);
const resorted = time(() => resortBootstrap(core.rng(9, 1), core.rng(9, 2)));
console.log(
  `spearman bootstrap with per-class error, N = ${NE} examples in ${G} classes, ${GREPS} replicates: merge of class orders ${merged.cpu.toFixed(0)} ms CPU (${merged.wall.toFixed(0)} wall) vs full re-sort ${resorted.cpu.toFixed(0)} ms CPU (${resorted.wall.toFixed(0)} wall): ${(resorted.cpu / merged.cpu).toFixed(1)}× (wall ${(resorted.wall / merged.wall).toFixed(1)}×)`,
);
const sameGroup = merged.value.lower === resorted.value.lower && merged.value.upper === resorted.value.upper;
console.log(`  interval ${merged.value.lower} .. ${merged.value.upper}; baseline identical: ${sameGroup}`);
