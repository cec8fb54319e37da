// Where the chains start, and what that does to a class's mean log-density. Data: the seed-stability
// bench's (Fashion-MNIST, 1 000 fit + 1 000 held-out images per class, uncentred SVD to 64 dims;
// bench/stability-data.mjs). Per class, one fit with the default profile's sampler and init
// `bracket`: even chains start from K0 = 6 random clusters, as every default chain does, odd chains
// from 16·K0 = 96. Per class and half: the in-sample class mean (mean-log, the default's class
// score), the leave-one-out (CPO) mean, the held-out mean (exact predictive), K and the log joint
// at the last sweep, and the start gap (from K0 minus from above); then, per score, Kendall τ
// between the class rankings of the two halves. The schedule is the default's (2 split–merge
// proposals per burn-in sweep, two traces 8 sweeps apart at the end); --sweeps runs it longer,
// with burn-in sweeps − 16.
//
//   npm run build && node bench/start-sensitivity.mjs [--classes 0,1,...,9] [--seed 1]
//     [--chains 16] [--sweeps 40] [--split-merge 2] [--neighbours 0] [--jobs 2] [--out results.jsonl]
import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { classRows, kendallTau as kendall, stabilityData } from "./stability-rows.mjs";

const { values: a } = parseArgs({
  options: {
    classes: { type: "string", default: "0,1,2,3,4,5,6,7,8,9" },
    seed: { type: "string", default: "1" },
    chains: { type: "string", default: "16" },
    sweeps: { type: "string", default: "40" },
    "split-merge": { type: "string", default: "2" },
    neighbours: { type: "string", default: "0" },
    jobs: { type: "string", default: "2" },
    data: { type: "string" },
    out: { type: "string" },
    job: { type: "string" },
  },
});

const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;

async function runJob({ data, cls, seed, chains, sweeps, splitMerge, neighbours }) {
  const { createCore } = await import("@classfit/wasm-core/node");
  const { dpgmmConfig, fitClassModel, logPredictive, looLogDensity, samplerSummary } = await import(
    "@classfit/wasm-core"
  );
  const { d, X, nFit, H, nHeld } = classRows(data, cls);
  const config = dpgmmConfig({
    profile: "default",
    sweeps,
    burnIn: sweeps - 16,
    chains,
    init: "bracket",
    splitMerge,
    neighbours,
    seed,
  });
  const core = await createCore();
  const t0 = process.cpuUsage();
  const model = fitClassModel(core, X, nFit, d, config);
  const cpu = process.cpuUsage(t0);
  const half = (h) => {
    const m = { ...model, chains: model.chains.filter((_, c) => c % 2 === h) };
    return {
      ins: mean(logPredictive(core, m, X, nFit, "mean-log")),
      loo: mean(looLogDensity(core, m)),
      held: mean(logPredictive(core, m, H, nHeld)),
      k: mean(m.chains.map((c) => c.kTrace[sweeps - 1])),
      logJoint: mean(m.chains.map((c) => c.logJointTrace[sweeps - 1])),
      accepted: m.chains.map((c) => c.splitMergeAccepted),
      chainIns: m.chains.map((c) => mean(logPredictive(core, { ...m, chains: [c] }, X, nFit, "mean-log"))),
    };
  };
  const s = samplerSummary(core, model, X);
  const res = {
    cls,
    seed,
    chains,
    sweeps,
    cpu: (cpu.user + cpu.system) / 1e6,
    below: half(0),
    above: half(1),
    startGap: s.startGap,
    looStartGap: s.looStartGap,
    rhatClassMean: s.convergence.classMean.rhat,
  };
  process.stdout.write(`${JSON.stringify(res)}\n`);
}

async function main() {
  const self = fileURLToPath(import.meta.url);
  const data = stabilityData(a.data);
  const classes = a.classes.split(",").map(Number);
  const jobs = classes.map((cls) => ({
    data,
    cls,
    seed: Number(a.seed),
    chains: Number(a.chains),
    sweeps: Number(a.sweeps),
    splitMerge: Number(a["split-merge"]),
    neighbours: Number(a.neighbours),
  }));
  const results = [];
  const t0 = Date.now();
  let next = 0;
  async function worker() {
    while (next < jobs.length) {
      const job = jobs[next++];
      const out = await new Promise((res, rej) => {
        const p = spawn(process.execPath, [self, "--job", JSON.stringify(job)], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let s = "";
        p.stdout.on("data", (b) => {
          s += b;
        });
        p.on("close", (code) => (code === 0 ? res(s) : rej(new Error(`class ${job.cls}: exit ${code}`))));
      });
      const r = JSON.parse(out);
      results.push(r);
      if (a.out) appendFileSync(a.out, `${JSON.stringify(r)}\n`);
      process.stderr.write(`class ${r.cls} done (${r.cpu.toFixed(0)} s CPU)\n`);
    }
  }
  await Promise.all(Array.from({ length: Number(a.jobs) }, worker));
  results.sort((x, y) => x.cls - y.cls);
  // Class names from the embedded default dataset (Fashion-MNIST's, in label order).
  const { loadDataset } = await import("@classfit/models/node");
  const names = (await loadDataset({ path: "default", split: "train" })).classNames ?? [];
  const f = (v, k = 2) => v.toFixed(k);
  console.log(
    `start sensitivity: seed ${a.seed}, ${a.chains} chains (half from K0 = 6, half from 96), ${a.sweeps} sweeps, ${a["split-merge"]} split–merge proposals per burn-in sweep${Number(a.neighbours) > 0 ? ` (half of the pairs from ${a.neighbours} nearest neighbours)` : ""}, ${((Date.now() - t0) / 1000).toFixed(0)} s wall`,
  );
  const acc = results.flatMap((r) => [...r.below.accepted, ...r.above.accepted]);
  console.log(`split–merge moves accepted per chain: ${Math.min(...acc)}–${Math.max(...acc)}`);
  console.log(
    "| class | in-sample from K0 / from 96 | start gap | LOO from K0 / from 96 | held-out from K0 / from 96 | K from K0 / from 96 | log joint from K0 / from 96 | per-chain SD (K0) | CPU s |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    const sd = (v) => Math.sqrt(v.reduce((s, x) => s + (x - mean(v)) ** 2, 0) / (v.length - 1));
    console.log(
      `| ${r.cls} ${names[r.cls] ?? ""} | ${f(r.below.ins)} / ${f(r.above.ins)} | ${f(r.startGap)} | ${f(r.below.loo)} / ${f(r.above.loo)} | ${f(r.below.held)} / ${f(r.above.held)} | ${f(r.below.k, 1)} / ${f(r.above.k, 1)} | ${f(r.below.logJoint, 0)} / ${f(r.above.logJoint, 0)} | ${f(sd(r.below.chainIns))} | ${f(r.cpu, 0)} |`,
    );
  }
  if (results.length > 2) {
    const tau = (k) =>
      kendall(
        results.map((r) => r.below[k]),
        results.map((r) => r.above[k]),
      );
    console.log(
      `Kendall τ between the two halves' class rankings: in-sample ${f(tau("ins"))}, leave-one-out ${f(tau("loo"))}, held-out ${f(tau("held"))}`,
    );
    const gaps = results.map((r) => Math.abs(r.startGap));
    console.log(`|start gap|: mean ${f(mean(gaps))}, max ${f(Math.max(...gaps))} nats`);
  }
}

if (a.job) await runJob(JSON.parse(a.job));
else await main();
