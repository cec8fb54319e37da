// Benchmark: how much a class's mean log-density moves with the sampler's seed, against CPU time,
// for every sampler schedule tried, in one run, with the old default (2 chains × 400 sweeps,
// one split–merge proposal per burn-in sweep) as the baseline.
//
// Data: Fashion-MNIST pixels, the first 1 000 training images of each class for the fit and the
// next 1 000 as held-out, uncentred SVD to 64 dims fitted on the fit rows (bench/stability-data.mjs).
// Per class and seed, each family fits its largest chain count once; a fit with fewer chains is
// its first chains (chain c draws from stream (seed, c) whatever the count), so "doubling the
// chains" compares nested subsets of one fit. Figures per option (R chains):
//   sd      — per-class SD across seeds of the in-sample class mean (pooled predictive, log of the
//             mean over all kept traces), mean and max over classes;
//   dbl     — |class mean with 2R chains − with R chains|, mean and max over classes and seeds;
//   loo sd  — the same SD for the leave-one-out (CPO) class mean; ho — held-out mean log-density;
//   cpu     — CPU seconds per class fit with R chains (the family's per-chain time × R).
//
// Bracketed families (`bracket128`) fit half of their chains from 16·K0 clusters and print, per
// class score, the seed SD, the doubling change and the start gap (summarizeBracket).
//
//   npm run build && node bench/seed-stability.mjs [--classes 0,2,4,6,8] [--seeds 1,2,3] [--jobs N] [--quick] [--families a,b] [--out results.jsonl [--resume]]
//   node bench/seed-stability.mjs --summarize results.jsonl --families bracket128 --classes 0,1,2,3,4,5,6,7,8,9
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { classNames, classRows, kendallTau, stabilityData } from "./stability-rows.mjs";

const { values: a } = parseArgs({
  options: {
    classes: { type: "string", default: "0,2,4,6,8" },
    seeds: { type: "string", default: "1,2,3" },
    jobs: { type: "string", default: String(availableParallelism()) },
    quick: { type: "boolean", default: false },
    families: { type: "string" },
    out: { type: "string" },
    resume: { type: "boolean", default: false },
    data: { type: "string" },
    job: { type: "string" },
    summarize: { type: "string" },
  },
});

/** Sampler families: each fits `chains` chains; options are its nested chain counts. */
const FAMILIES = {
  // The old default profile's sampler; its first 2 chains are exactly the old default fit.
  today: {
    sweeps: 400,
    burnIn: 320,
    splitMerge: 1,
    splitMergeKept: 0,
    neighbours: 0,
    init: "random",
    chains: 8,
    options: [2, 4],
  },
  // Split–merge through the whole run, half the pairs from 16 nearest neighbours.
  smAll: {
    sweeps: 400,
    burnIn: 320,
    splitMerge: 5,
    splitMergeKept: 5,
    neighbours: 16,
    init: "random",
    chains: 4,
    options: [1, 2],
  },
  // Many short chains: as today's moves, and with split–merge throughout, and from dispersed starts.
  shortPlain: {
    sweeps: 100,
    burnIn: 60,
    splitMerge: 1,
    splitMergeKept: 0,
    neighbours: 0,
    init: "random",
    chains: 32,
    options: [8, 16],
  },
  short: {
    sweeps: 100,
    burnIn: 60,
    splitMerge: 5,
    splitMergeKept: 5,
    neighbours: 16,
    init: "random",
    chains: 32,
    options: [8, 16],
  },
  shortDispersed: {
    sweeps: 100,
    burnIn: 60,
    splitMerge: 5,
    splitMergeKept: 5,
    neighbours: 16,
    init: "dispersed",
    chains: 32,
    options: [8, 16],
  },
  // The previous default profile's sampler (16 chains × 80 sweeps), fitted with 32 chains for the doubling check.
  default: {
    sweeps: 80,
    burnIn: 48,
    splitMerge: 1,
    splitMergeKept: 0,
    neighbours: 0,
    init: "random",
    chains: 32,
    options: [16],
  },
  // Twice the default's chains at half its sweeps (same CPU): under the mean-log score a class mean
  // is an average of chains' values, so its spread falls with the number of chains, while each
  // chain's value drifts little once it has settled.
  wide: {
    sweeps: 40,
    burnIn: 24,
    splitMerge: 1,
    splitMergeKept: 0,
    neighbours: 0,
    init: "random",
    chains: 64,
    options: [16, 32],
  },
  // The default profile's sampler now: 32 chains × 40 sweeps, two split–merge proposals per
  // burn-in sweep (the 16-chain estimate is its first 16 chains).
  current: {
    sweeps: 40,
    burnIn: 24,
    splitMerge: 2,
    splitMergeKept: 0,
    neighbours: 0,
    init: "random",
    chains: 32,
    options: [16, 32],
  },
  // The shipped sampler (thin 8 as well) fitted with 64 chains: its 32-chain class mean is the profile's, and the
  // doubling check compares it with all 64.
  current64: {
    sweeps: 40,
    burnIn: 24,
    thin: 8,
    splitMerge: 2,
    splitMergeKept: 0,
    neighbours: 0,
    init: "random",
    chains: 64,
    options: [16, 32],
  },
  // As current64, half of the split–merge pairs drawn from each point's 16 nearest neighbours: a
  // merge of two adjacent clusters is proposed far more often than by a uniform pair, which is
  // what a chain left with too many clusters at the end of burn-in lacks.
  current64nn: {
    sweeps: 40,
    burnIn: 24,
    thin: 8,
    splitMerge: 2,
    splitMergeKept: 0,
    neighbours: 16,
    init: "random",
    chains: 64,
    options: [16, 32],
  },
  // Twice as many chains, each shorter: a chain's mean-log class mean varies by 1–4 nats with its
  // partition however long it runs, so the spread of the average falls only with the number of
  // chains; 64 × 24 (burn-in 16, three proposals per burn-in sweep, one trace each) costs about
  // what 32 × 40 does. Fitted with 128 chains for the doubling check.
  short64: {
    sweeps: 24,
    burnIn: 16,
    thin: 8,
    splitMerge: 3,
    splitMergeKept: 0,
    neighbours: 0,
    init: "random",
    chains: 128,
    options: [32, 64],
  },
  tiny: {
    sweeps: 50,
    burnIn: 30,
    splitMerge: 5,
    splitMergeKept: 5,
    neighbours: 16,
    init: "random",
    chains: 64,
    options: [16, 32],
  },
};

// The shipped sampler with 128 chains, even ones from K0 = 6 clusters and odd ones from 96
// (init "bracket"): the even chains are the shipped fit and its doubling check (32 → 64), the
// odd ones measure how far the whole set sits from chains started above. Records every chain's
// own in-sample and leave-one-out class means, so each class score (in-sample mean-log, the
// leave-one-out log of the mean over all traces, the leave-one-out mean over chains) gets its
// seed spread, doubling change and start gap from one fit.
FAMILIES.bracket128 = { ...FAMILIES.current64, init: "bracket", chains: 128, options: [], halves: [16, 32, 64] };

if (a.job) {
  await runJob(JSON.parse(a.job));
} else if (a.summarize) {
  const { readFileSync } = await import("node:fs");
  const results = readFileSync(a.summarize, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  const families = a.families ? a.families.split(",") : Object.keys(FAMILIES);
  await summarize(results, families, a.classes.split(",").map(Number), a.seeds.split(",").map(Number));
} else {
  await main();
}

async function runJob({ data, cls, seed, family, quick }) {
  const { createCore } = await import("@classfit/wasm-core/node");
  const { chainSubset, dpgmmConfig, fitClassModel, logPredictive, looLogDensity } = await import("@classfit/wasm-core");
  const f = FAMILIES[family];
  const { d, X, nFit, H, nHeld } = classRows(data, cls);
  const scale = quick ? 10 : 1;
  const config = dpgmmConfig({
    profile: "default",
    sweeps: Math.ceil(f.sweeps / scale),
    burnIn: Math.ceil(f.burnIn / scale),
    // Families without a thin of their own keep every 4th sweep, as the runs recorded before.
    thin: quick ? 1 : (f.thin ?? 4),
    chains: f.chains,
    splitMerge: f.splitMerge,
    splitMergeKept: f.splitMergeKept,
    neighbours: f.neighbours,
    init: f.init,
    seed,
  });
  const core = await createCore();
  const t0 = process.cpuUsage();
  const model = fitClassModel(core, X, nFit, d, config);
  const fitCpu = process.cpuUsage(t0);
  const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
  const counts = [...new Set([1, ...f.options, ...f.options.map((r) => 2 * r)])].filter((r) => r <= f.chains);
  // Per chain: its own mean-log class mean and its mean log joint over kept sweeps, so how much of
  // the spread comes from a few chains far below the others can be read off the records. Every
  // chain keeps the same number of traces, so the mean-log class mean of the first r chains is
  // the mean of their chain means: scored once here, not again per subset.
  const chainInsML = model.chains.map((_, c) =>
    mean(logPredictive(core, chainSubset(model, c, c + 1), X, nFit, "mean-log")),
  );
  const chainLogJoint = model.chains.map((c) => Math.round(mean(Array.from(c.logJointTrace).slice(config.burnIn))));
  const sub = {};
  for (const r of counts) {
    const m = chainSubset(model, 0, r);
    const loo = looLogDensity(core, m);
    sub[r] = {
      ins: mean(logPredictive(core, m, X, nFit)),
      insML: mean(chainInsML.slice(0, r)),
      ho: mean(logPredictive(core, m, H, nHeld)),
      hoML: mean(logPredictive(core, m, H, nHeld, "mean-log")),
      loo: loo ? mean(loo) : Number.NaN,
    };
  }
  // Bracketed families: subsets of like-started chains (even = from K0, odd = from 16·K0).
  let halves;
  let chainLoo;
  if (f.halves) {
    chainLoo = model.chains.map((c) => mean(c.looLogDensity));
    halves = {};
    for (const [name, parity] of [
      ["from6", 0],
      ["from96", 1],
    ]) {
      for (const r of f.halves) {
        const chains = model.chains.filter((_, c) => c % 2 === parity).slice(0, r);
        if (chains.length < r) continue;
        const m = { ...model, chains };
        const loo = looLogDensity(core, m);
        halves[`${name}/${r}`] = {
          ins: mean(logPredictive(core, m, X, nFit)),
          ho: mean(logPredictive(core, m, H, nHeld)),
          loo: loo ? mean(loo) : Number.NaN,
        };
      }
    }
  }
  const res = {
    family,
    cls,
    seed,
    chains: f.chains,
    cpuPerChain: (fitCpu.user + fitCpu.system) / 1e6 / f.chains,
    meanK: model.chains.map((c) => mean(c.traces.map((t) => t.counts.length))),
    accepted: model.chains.map((c) => c.splitMergeAccepted),
    finalLogJoint: model.chains.map((c) => Math.round(c.logJointTrace[c.logJointTrace.length - 1])),
    chainInsML,
    chainLogJoint,
    sub,
    ...(halves ? { chainLoo, halves } : {}),
  };
  process.stdout.write(`${JSON.stringify(res)}\n`);
}

async function main() {
  const self = fileURLToPath(import.meta.url);
  const data = stabilityData(a.data);
  const classes = a.classes.split(",").map(Number);
  const seeds = a.seeds.split(",").map(Number);
  const families = a.families ? a.families.split(",") : Object.keys(FAMILIES);
  // Longest jobs first, so the pool's tail is short.
  const jobs = [];
  for (const family of families) {
    const f = FAMILIES[family];
    if (!f) throw new Error(`unknown family ${family} (${Object.keys(FAMILIES).join(", ")})`);
    for (const cls of classes)
      for (const seed of seeds)
        jobs.push({ data, cls, seed, family, quick: a.quick, cost: f.chains * f.sweeps * (1 + f.splitMergeKept / 10) });
  }
  jobs.sort((x, y) => y.cost - x.cost);
  // --resume: keep the fits already in --out and run only the missing ones.
  const results = [];
  if (a.resume && a.out && existsSync(a.out)) {
    const { readFileSync } = await import("node:fs");
    for (const l of readFileSync(a.out, "utf8").trim().split("\n").filter(Boolean)) results.push(JSON.parse(l));
    const done = new Set(results.map((r) => `${r.family}/${r.cls}/${r.seed}`));
    for (let i = jobs.length - 1; i >= 0; i--) {
      const j = jobs[i];
      if (done.has(`${j.family}/${j.cls}/${j.seed}`)) jobs.splice(i, 1);
    }
  }
  const width = Number(a.jobs);
  console.log(
    `${jobs.length} fits on ${width} processes (${availableParallelism()} cores); classes ${classes}, seeds ${seeds}${a.quick ? ", QUICK (sweeps/10)" : ""}`,
  );
  const t0 = performance.now();
  if (a.out && !a.resume) writeFileSync(a.out, "");
  let next = 0;
  async function worker() {
    while (next < jobs.length) {
      const job = jobs[next++];
      const { cost: _c, ...spec } = job;
      const out = await new Promise((resolve, reject) => {
        const p = spawn(process.execPath, [self, "--job", JSON.stringify(spec)], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let s = "";
        p.stdout.on("data", (b) => (s += b));
        p.on("close", (code) =>
          code === 0 ? resolve(s) : reject(new Error(`job ${JSON.stringify(spec)} exited ${code}`)),
        );
      });
      const r = JSON.parse(out);
      results.push(r);
      if (a.out) appendFileSync(a.out, out);
      process.stderr.write(
        `  ${r.family} class ${r.cls} seed ${r.seed}: ${(r.cpuPerChain * r.chains).toFixed(1)} s CPU\n`,
      );
    }
  }
  await Promise.all(Array.from({ length: width }, worker));
  const wall = (performance.now() - t0) / 1000;
  await summarize(results, families, classes, seeds);
  console.log(`wall ${wall.toFixed(0)} s`);
}

/**
 * Bracketed families: per class score, the per-class SD across seeds of the class mean from the
 * first 32 chains started from K0, its change when those are doubled to 64, and the start gap
 * (64 chains from K0 minus 64 from 16·K0), with Kendall τ between the two halves' rankings and
 * between seeds.
 */
function summarizeBracket(results, family, classes, seeds, names) {
  const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
  const sd = (v) => Math.sqrt(v.reduce((s, x) => s + (x - mean(v)) ** 2, 0) / (v.length - 1));
  const tau = kendallTau;
  const half = (parity, k) => (parity === 0 ? `from6/${k}` : `from96/${k}`);
  const chainsOf = (v, parity, k) => v.filter((_, c) => c % 2 === parity).slice(0, k);
  const SCORES = [
    ["in-sample, mean of logs (the default's in-sample score)", (r, p, k) => mean(chainsOf(r.chainInsML, p, k))],
    ["leave-one-out, log of the mean over chains", (r, p, k) => r.halves[half(p, k)].loo],
    [
      "**leave-one-out, mean over chains (the default's class density)**",
      (r, p, k) => mean(chainsOf(r.chainLoo, p, k)),
    ],
    ["held-out, exact predictive", (r, p, k) => r.halves[half(p, k)].ho],
  ];
  const f2 = (x) => x.toFixed(2);
  const overview = [];
  for (const [label, score] of SCORES) {
    console.log(`\n${label}\n`);
    console.log(
      `| class | 32 chains from 6, seeds ${seeds.join(" / ")} | SD | doubling to 64, max |Δ| | start gap (64 from 6 − 64 from 96), per seed |`,
    );
    console.log("|---|---|---|---|---|");
    const sds = [];
    const dbl = [];
    const gaps = [];
    const bySeed = new Map(seeds.map((s) => [s, { from6: [], from96: [] }]));
    for (const cls of classes) {
      const rs = seeds.map((s) => results.find((r) => r.family === family && r.cls === cls && r.seed === s));
      if (rs.some((r) => r === undefined)) continue;
      const v = rs.map((r) => score(r, 0, 32));
      const d = rs.map((r) => Math.abs(score(r, 0, 64) - score(r, 0, 32)));
      const g = rs.map((r) => score(r, 0, 64) - score(r, 1, 64));
      rs.forEach((r, i) => {
        bySeed.get(seeds[i]).from6.push(score(r, 0, 64));
        bySeed.get(seeds[i]).from96.push(score(r, 1, 64));
      });
      sds.push(sd(v));
      dbl.push(...d);
      gaps.push(...g);
      console.log(
        `| ${cls} ${names[cls] ?? ""} | ${v.map(f2).join(" / ")} | ${f2(sd(v))} | ${f2(Math.max(...d))} | ${g.map(f2).join(" / ")} |`,
      );
    }
    if (sds.length === 0) continue;
    const halvesTau = [...bySeed.values()].map((b) => tau(b.from6, b.from96));
    const seedTau = [];
    for (let i = 0; i < seeds.length; i++)
      for (let j = i + 1; j < seeds.length; j++)
        seedTau.push(tau(bySeed.get(seeds[i]).from6, bySeed.get(seeds[j]).from6));
    const row = {
      label,
      sd: `${f2(mean(sds))} / ${f2(Math.max(...sds))}`,
      sdOk: `${sds.filter((x) => x <= 0.5).length}/${sds.length}`,
      dbl: `${f2(mean(dbl))} / ${f2(Math.max(...dbl))}`,
      dblOk: `${dbl.filter((x) => x <= 0.5).length}/${dbl.length}`,
      gap: `${f2(mean(gaps.map(Math.abs)))} / ${f2(Math.max(...gaps.map(Math.abs)))}`,
      halvesTau: halvesTau.map(f2).join(", "),
      seedTau: seedTau.map(f2).join(", "),
    };
    overview.push(row);
  }
  console.log(
    "\n| class score | seed SD mean / max | SD ≤ 0.5 | doubling |Δ| mean / max | doubling ≤ 0.5 (class × seed) | |start gap| mean / max | τ halves, per seed | τ between seeds |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of overview)
    console.log(
      `| ${r.label} | ${r.sd} | ${r.sdOk} | ${r.dbl} | ${r.dblOk} | ${r.gap} | ${r.halvesTau} | ${r.seedTau} |`,
    );
  const cpu = results.filter((r) => r.family === family).map((r) => r.cpuPerChain);
  console.log(
    `\nCPU s per chain: mean ${mean(cpu).toFixed(2)} (32 chains: ${(32 * mean(cpu)).toFixed(1)} s per class)`,
  );
}

async function summarize(results, families, classes, seeds) {
  for (const family of families)
    if (FAMILIES[family]?.halves) summarizeBracket(results, family, classes, seeds, await classNames());
  families = families.filter((f) => !FAMILIES[f]?.halves);
  if (families.length === 0) return;
  const sd = (v) => {
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
  };
  const avg = (v) => v.reduce((s, x) => s + x, 0) / v.length;
  const rows = [];
  let baseCpu;
  for (const family of families) {
    const f = FAMILIES[family];
    for (const R of [...new Set([1, ...f.options])]) {
      if (R === 1 && family === "today") continue;
      const sds = [];
      const mlSds = [];
      const mlDbl = [];
      const looSds = [];
      const dbl = [];
      const ho = [];
      const cpu = [];
      for (const cls of classes) {
        const rs = seeds
          .map((s) => results.find((r) => r.family === family && r.cls === cls && r.seed === s))
          .filter(Boolean);
        if (rs.length < 2 || !rs[0].sub[R]) continue;
        sds.push(sd(rs.map((r) => r.sub[R].ins)));
        if (rs.every((r) => r.sub[R].insML !== undefined)) mlSds.push(sd(rs.map((r) => r.sub[R].insML)));
        looSds.push(sd(rs.map((r) => r.sub[R].loo)));
        for (const r of rs) {
          if (r.sub[2 * R]) dbl.push(Math.abs(r.sub[2 * R].ins - r.sub[R].ins));
          if (r.sub[2 * R]?.insML !== undefined) mlDbl.push(Math.abs(r.sub[2 * R].insML - r.sub[R].insML));
          ho.push(r.sub[R].ho);
          cpu.push(r.cpuPerChain * R);
        }
      }
      if (sds.length === 0) continue;
      const row = {
        option: `${family} ${R}×${f.sweeps}${f.splitMergeKept ? ` sm${f.splitMergeKept}/nn${f.neighbours}` : ""}${f.init === "dispersed" ? " dispersed" : ""}`,
        sdMean: avg(sds),
        sdMax: Math.max(...sds),
        dblMean: dbl.length ? avg(dbl) : Number.NaN,
        dblMax: dbl.length ? Math.max(...dbl) : Number.NaN,
        mlSdMean: mlSds.length ? avg(mlSds) : Number.NaN,
        mlSdMax: mlSds.length ? Math.max(...mlSds) : Number.NaN,
        mlDblMean: mlDbl.length ? avg(mlDbl) : Number.NaN,
        mlDblMax: mlDbl.length ? Math.max(...mlDbl) : Number.NaN,
        looSdMax: Math.max(...looSds),
        ho: avg(ho),
        cpu: avg(cpu),
      };
      if (family === "today" && R === 2) baseCpu = row.cpu;
      rows.push(row);
    }
  }
  const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : "–");
  console.log(
    "\n| option | in-sample SD mean / max | doubling Δ mean / max | mean-log SD mean / max | mean-log doubling Δ mean / max | LOO SD max | held-out mean | CPU s per class | × old |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(
      `| ${r.option} | ${f2(r.sdMean)} / ${f2(r.sdMax)} | ${f2(r.dblMean)} / ${f2(r.dblMax)} | ${f2(r.mlSdMean)} / ${f2(r.mlSdMax)} | ${f2(r.mlDblMean)} / ${f2(r.mlDblMax)} | ${f2(r.looSdMax)} | ${f2(r.ho)} | ${r.cpu.toFixed(1)} | ${baseCpu ? (r.cpu / baseCpu).toFixed(2) : "–"} |`,
    );
  }
}
