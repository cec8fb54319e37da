// Benchmark: seed stability of the study's class mean log-densities on the embedded default.
// `classfit study` on the embedded Fashion-MNIST subset with the shipped narrow ResNet and plain
// ConvNet, only their last stage (d = 64 with the default profile's k), certification off and the
// shipped memorization imported, once per seed. Per network: per-class SD of the class mean
// log-density across seeds (and the MCSE each fit reports), Kendall τ of the class ranking between
// seed pairs, and each seed's split verdict. The shipped certification, density-bin protocol and
// training-loss proxy are imported too (they change no class mean), so that the per-example
// findings — ρ of log-density with memorization, certified radius, held-out radius and the proxy,
// and the memorization trend across density bins — get their spread across seeds as well.
//
// With --init bracket, half of every class's chains start from 16·K0 clusters instead of K0, and
// each network also gets the two halves' class means (from the start gap: under the mean-log class
// score the pooled mean is the average of the halves'), the Kendall τ between their rankings, and
// where each half puts the largest gap.
//
// Every figure is printed for the class density the profile reads (analysis.options.density) and
// for the other one beside it. With --doubling, the first seed is also run with twice the chains
// (--chains, default 32: the default profile's) and each class mean's change is printed: chain c
// draws from stream (seed, c) whatever the count, so the two fits' chains are nested.
//
//   npm run build && node bench/study-stability.mjs [--seeds 1,2,3] [--profile default] [--workers 2] [--init bracket] [--chains N] [--doubling] [--keep DIR]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { kendallTau as kendall } from "./stability-rows.mjs";

const { values: a } = parseArgs({
  options: {
    seeds: { type: "string", default: "1,2,3" },
    profile: { type: "string", default: "default" },
    workers: { type: "string", default: "2" },
    init: { type: "string" },
    chains: { type: "string" },
    doubling: { type: "boolean", default: false },
    keep: { type: "string" },
  },
});
const root = fileURLToPath(new URL("..", import.meta.url));
const cli = join(root, "packages/host-node/dist/cli.js");
const models = join(root, "packages/models/assets/models");
const memo = join(root, "packages/host-node/assets/demo");
const dir = a.keep ?? mkdtempSync(join(tmpdir(), "classfit-study-stability-"));
mkdirSync(dir, { recursive: true });
const seeds = a.seeds.split(",").map(Number);

/** The shipped runs of a network that exist, as study config fields. */
function shipped(name) {
  const files = {
    certificationResults: `certification-${name}.npz`,
    densityBinsResults: `density-bins-${name}.npz`,
    trainingLoss: `training-loss-${name}.npy`,
  };
  return Object.fromEntries(
    Object.entries(files).flatMap(([k, f]) => (existsSync(join(memo, f)) ? [[k, join(memo, f)]] : [])),
  );
}

/** One study of both networks' last stage with `chains` chains per fit (undefined: the profile's). */
function study(seed, chains) {
  const config = {
    name: `seed stability, seed ${seed}`,
    seed,
    dataset: { path: "default" },
    networks: [
      {
        name: "resnet",
        label: "narrow ResNet",
        family: "resnet",
        model: join(models, "resnet-narrow"),
        stages: ["stage4"],
        memorizationScores: join(memo, "memorization-resnet.npz"),
        ...shipped("resnet"),
      },
      {
        name: "convnet",
        label: "narrow ConvNet",
        family: "convnet",
        model: join(models, "convnet-narrow"),
        stages: ["stage4"],
        memorizationScores: join(memo, "memorization-convnet.npz"),
        ...shipped("convnet"),
      },
    ],
    // k = 64 for the one stage (the default profile's last-stage k), as in the paper's stages 3–4.
    // KL and generative scoring enter neither the class means nor the split verdict: kept small.
    steps: {
      reduce: { k: 64 },
      certify: { perClass: 0 },
      density: { generative: "none" },
      complexity: { samples: 200 },
      fit: { ...(a.init ? { init: a.init } : {}), ...(chains ? { chains } : {}) },
    },
  };
  const tag = chains ? `${seed}-${chains}` : `${seed}`;
  const cfgPath = join(dir, `seed-${tag}.json`);
  writeFileSync(cfgPath, JSON.stringify(config, null, 2));
  const out = join(dir, `run-${tag}`);
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [cli, "study", "--config", cfgPath, "--out", out, "--profile", a.profile, "--workers", a.workers, "--json"],
    {
      encoding: "utf8",
      maxBuffer: 1 << 26,
    },
  );
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`study seed ${seed} failed (${r.status}):\n${r.stderr}`);
  const analysis = JSON.parse(readFileSync(join(out, "report/analysis.json"), "utf8"));
  console.log(`seed ${seed}${chains ? `, ${chains} chains` : ""}: ${wall.toFixed(0)} s wall`);
  return { seed, wall, analysis };
}
const baseChains = a.chains ? Number(a.chains) : undefined;
const runs = seeds.map((seed) => study(seed, baseChains));

const sd = (v) => {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
};
// The density the analysis reads (analyses before the option read the in-sample one), and the other.
const read = runs[0].analysis.options.density ?? "in-sample";
const other = read === "in-sample" ? "leave-one-out" : "in-sample";
/** A class row's mean on the other density. */
const otherMean = (c) => (read === "in-sample" ? c.sampler?.looMean : c.sampler?.inSampleMean);
/** A network's other-density view (named `loo` in analyses before the option). */
const otherView = (n) => n.other ?? n.loo ?? null;
console.log(`\nClass means read on the ${read} density; the ${other} one beside it.`);
for (const net of runs[0].analysis.networks) {
  const rows = runs.map((r) => r.analysis.networks.find((n) => n.name === net.name));
  const classes = net.classes.filter((c) => c.stage === net.splitStage).map((c) => c.className);
  const means = rows.map((n) =>
    classes.map((name) => n.classes.find((c) => c.stage === n.splitStage && c.className === name)),
  );
  console.log(`\n${net.label} @ ${net.splitStage}`);
  console.log(`| class | ${seeds.map((s) => `seed ${s} mean ± MCSE`).join(" | ")} | SD across seeds |`);
  console.log(`|---|${seeds.map(() => "---|").join("")}---|`);
  const sds = [];
  classes.forEach((name, i) => {
    const v = means.map((m) => m[i].meanLogDensity);
    sds.push(sd(v));
    const cells = means.map((m) => `${m[i].meanLogDensity.toFixed(2)} ± ${m[i].sampler?.mcse?.toFixed(2) ?? "–"}`);
    console.log(`| ${name} | ${cells.join(" | ")} | ${sd(v).toFixed(2)} |`);
  });
  const taus = [];
  for (let p = 0; p < runs.length; p++)
    for (let q = p + 1; q < runs.length; q++)
      taus.push(
        kendall(
          means[p].map((c) => c.meanLogDensity),
          means[q].map((c) => c.meanLogDensity),
        ),
      );
  console.log(
    `per-class SD: max ${Math.max(...sds).toFixed(2)}, mean ${(sds.reduce((s, x) => s + x, 0) / sds.length).toFixed(2)}; Kendall τ between seeds: ${taus.map((t) => t.toFixed(2)).join(", ")}`,
  );
  console.log(
    `verdicts: ${rows.map((n) => n.split.verdict).join(", ")}; largest gap: ${rows.map((n) => n.split.gap.gap.toFixed(2)).join(", ")}`,
  );
  // The same reading on the other density's class means.
  const loo = means.map((m) => m.map(otherMean));
  if (loo.every((v) => v.every((x) => typeof x === "number"))) {
    const looSds = classes.map((_, i) => sd(loo.map((v) => v[i])));
    const looTaus = [];
    for (let p = 0; p < loo.length; p++) for (let q = p + 1; q < loo.length; q++) looTaus.push(kendall(loo[p], loo[q]));
    console.log(
      `${other} class means: per-class SD max ${Math.max(...looSds).toFixed(2)}, mean ${(looSds.reduce((s, x) => s + x, 0) / looSds.length).toFixed(2)}; Kendall τ between seeds: ${looTaus.map((t) => t.toFixed(2)).join(", ") || "–"}; verdicts: ${rows.map((n) => otherView(n)?.split.verdict ?? "–").join(", ")}`,
    );
  }
  // Chains started from both sides of K: each half's class means, and what each half would read.
  means.forEach((m, r) => {
    if (m.some((c) => typeof c.sampler?.startGap !== "number")) return;
    const below = m.map((c) => c.meanLogDensity + c.sampler.startGap / 2);
    const above = m.map((c) => c.meanLogDensity - c.sampler.startGap / 2);
    const largestGap = (v) => {
      const order = v.map((x, i) => [x, i]).sort((p, q) => q[0] - p[0]);
      let best = 0;
      for (let i = 1; i < order.length; i++)
        if (order[i - 1][0] - order[i][0] > order[best][0] - order[best + 1][0]) best = i - 1;
      const gap = order[best][0] - order[best + 1][0];
      return `${gap.toFixed(2)} nats below ${order
        .slice(0, best + 1)
        .map(([, i]) => classes[i])
        .join(", ")}`;
    };
    console.log(`seed ${seeds[r]}, chains from K0 against chains from ${16}·K0:`);
    console.log(
      `| class | from K0 | from 16·K0 | start gap | ${read === "in-sample" ? "LOO" : "LOO (read)"} start gap |`,
    );
    console.log("|---|---|---|---|---|");
    classes.forEach((name, i) => {
      const c = m[i];
      console.log(
        `| ${name} | ${below[i].toFixed(2)} | ${above[i].toFixed(2)} | ${c.sampler.startGap.toFixed(2)} | ${typeof c.sampler.looStartGap === "number" ? c.sampler.looStartGap.toFixed(2) : "–"} |`,
      );
    });
    console.log(
      `Kendall τ between the halves' rankings: ${kendall(below, above).toFixed(2)}; largest gap from K0: ${largestGap(below)}; from 16·K0: ${largestGap(above)}`,
    );
  });
}

// The per-example findings on each seed: the estimate and interval of each correlation, and the
// spread of the estimates across seeds against the interval's half-width (sampling error).
console.log("\n## Per-example findings across seeds (split stage)");
const FINDINGS = [
  ["example", "memorization", "ρ(density, memorization)"],
  ["bin", "memorization", "memorization trend across density bins"],
  ["example", "certifiedRadius", "ρ(density, certified radius)"],
  ["example", "heldOutRadius", "ρ(density, held-out certified radius)"],
  ["example", "trainingLoss", "ρ(density, cumulative training loss)"],
];
console.log(
  `| network | finding | ${seeds.map((s) => `seed ${s}`).join(" | ")} | range across seeds | mean CI half-width |`,
);
console.log(`|---|---|${seeds.map(() => "---|").join("")}---|---|`);
// Each finding on the density read, then on each example's other density.
const density = [
  [` [${read}]`, (n) => n.correlations],
  [` [${other}]`, (n) => otherView(n)?.exampleCorrelations ?? []],
];
for (const net of runs[0].analysis.networks) {
  for (const [level, variable, name] of FINDINGS)
    for (const [tag, of] of density) {
      const label = `${name}${tag}`;
      const cs = runs.map((r) =>
        of(r.analysis.networks.find((n) => n.name === net.name)).find(
          (c) => c.level === level && c.variable === variable && c.stage === net.splitStage,
        ),
      );
      if (cs.some((c) => c === undefined)) continue;
      const est = cs.map((c) => c.ci.estimate);
      const half = cs.map((c) => (c.ci.upper - c.ci.lower) / 2);
      console.log(
        `| ${net.label} | ${label} (n = ${cs[0].ci.n}) | ${cs.map((c) => `${c.ci.estimate.toFixed(3)} [${c.ci.lower.toFixed(3)}, ${c.ci.upper.toFixed(3)}]`).join(" | ")} | ${(Math.max(...est) - Math.min(...est)).toFixed(3)} | ${(half.reduce((s, x) => s + x, 0) / half.length).toFixed(3)} |`,
      );
    }
}

// Twice the chains for the first seed: each class mean's change on both densities.
if (a.doubling) {
  const base = baseChains ?? 32;
  const twice = study(seeds[0], 2 * base);
  console.log(`\n## Doubling the chains (${base} → ${2 * base}), seed ${seeds[0]}`);
  console.log(`| network | class | ${read} ${base} → ${2 * base} | Δ | ${other} ${base} → ${2 * base} | Δ |`);
  console.log("|---|---|---|---|---|---|");
  for (const net of runs[0].analysis.networks) {
    const at = (r) =>
      r.analysis.networks.find((n) => n.name === net.name).classes.filter((c) => c.stage === net.splitStage);
    const d1 = [];
    const d2 = [];
    for (const c of at(runs[0])) {
      const t = at(twice).find((x) => x.classIndex === c.classIndex);
      const dr = t.meanLogDensity - c.meanLogDensity;
      const dothers = otherMean(t) - otherMean(c);
      d1.push(Math.abs(dr));
      d2.push(Math.abs(dothers));
      console.log(
        `| ${net.label} | ${c.className} | ${c.meanLogDensity.toFixed(2)} → ${t.meanLogDensity.toFixed(2)} | ${dr.toFixed(2)} | ${otherMean(c)?.toFixed(2)} → ${otherMean(t)?.toFixed(2)} | ${dothers.toFixed(2)} |`,
      );
    }
    console.log(
      `${net.label}: |Δ| max ${Math.max(...d1).toFixed(2)}, mean ${(d1.reduce((s, x) => s + x, 0) / d1.length).toFixed(2)} (${read}); max ${Math.max(...d2).toFixed(2)}, mean ${(d2.reduce((s, x) => s + x, 0) / d2.length).toFixed(2)} (${other})`,
    );
  }
}
