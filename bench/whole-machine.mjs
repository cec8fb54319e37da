// Whole-machine throughput: classfit with every core against PyTorch with every core, in the same
// run, for the two heavy kinds of work in the study:
//   - noisy forward passes per second on the shipped narrow ResNet (certification, METHOD.md §9);
//   - training images per second on the bench ResNet (bench/bench-resnet.mjs; memorization and
//     the density-bin protocol train many such networks).
// classfit parallelises across units: one worker per core, each with its own tfjs-wasm and
// wasm-core instance, working on its own copies (certification) or its own network
// (memorization), as `--workers` does. Here each worker is a child process of this script (the
// CLI's workers are worker_threads; the kernels are the same): all of them warm up, wait for a
// common start, run a fixed amount of work, and the throughput is the whole amount over the wall
// time from the start to the last worker's end. PyTorch parallelises inside one model instead:
// `torch.set_num_threads(cores)`, at each batch size in --torch-batches, the best one kept.
// Ratio = classfit / PyTorch, wall clock (target ≥ 1.0 for both).
//
// Run it on an otherwise idle machine; other processes on the cores distort both sides.
// It ends with the arithmetic ceiling: the peak of 128-bit wasm SIMD on one core, measured in the
// same run (bench/simd-ceiling.mjs), against the multiplies per second each side's training
// rate implies.
//
// Usage: npm run build && node bench/whole-machine.mjs [--cores N] [--samples 2048] [--steps 12]
//        [--rounds 2] [--torch-batches 64,256,1024]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BENCH_RESNET_MULTIPLIES, simdPeak } from "./simd-ceiling.mjs";

const { values: opts } = parseArgs({
  options: {
    cores: { type: "string", default: String(availableParallelism()) },
    samples: { type: "string", default: "2048" },
    batch: { type: "string", default: "64" },
    steps: { type: "string", default: "12" },
    rounds: { type: "string", default: "2" },
    sigma: { type: "string", default: "0.5" },
    "torch-batches": { type: "string", default: "64,256,1024" },
    "torch-train-batches": { type: "string", default: "64,256" },
    child: { type: "string" },
    worker: { type: "string" },
  },
});
const CORES = Number(opts.cores);
const SAMPLES = Number(opts.samples);
const BATCH = Number(opts.batch);
const STEPS = Number(opts.steps);
const ROUNDS = Number(opts.rounds);
const SIGMA = Number(opts.sigma);
const self = fileURLToPath(import.meta.url);
const MODEL_DIR = fileURLToPath(new URL("../packages/models/assets/models/resnet-narrow", import.meta.url));
const ARCH = existsSync(join(MODEL_DIR, "manifest.json"))
  ? JSON.parse(readFileSync(join(MODEL_DIR, "manifest.json"), "utf8")).architecture
  : undefined;

if (opts.child) await child(opts.child);
else await main();

/** One worker: warm up, say "ready", wait for "go", run the timed work, print one JSON line. */
async function child(kind) {
  const { initBackend } = await import("@classfit/models/backend");
  await initBackend();
  let work;
  if (kind === "noisy") {
    const { fillBatch, NoisyClassifier } = await import("@classfit/models");
    const { DEFAULT_MODELS_DIR, loadDataset, readModelDir } = await import("@classfit/models/node");
    const { createCore } = await import("@classfit/wasm-core/node");
    const core = await createCore();
    const { model, manifest } = await readModelDir(join(DEFAULT_MODELS_DIR, "resnet-narrow"));
    const test = await loadDataset({ path: "default", split: "test" });
    const x = new Float32Array(784);
    fillBatch(test, [0], manifest?.normalisation, x);
    const nc = new NoisyClassifier(model, { maxBatch: BATCH });
    const r = core.rng(1, Number(opts.worker ?? 0));
    await nc.countNoisy(x, SIGMA, 2 * BATCH, r, BATCH);
    work = async () => {
      await nc.countNoisy(x, SIGMA, SAMPLES, r, BATCH);
      return { units: SAMPLES, executor: nc.executor };
    };
  } else {
    const tf = await import("@tensorflow/tfjs-core");
    const { buildResNet } = await import("./bench-resnet.mjs");
    const model = buildResNet(1 + Number(opts.worker ?? 0));
    model.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p) });
    const x = tf.randomNormal([BATCH, 28, 28, 1], 0, 1, "float32", 7);
    const y = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: BATCH }, (_, i) => i % 10),
        "int32",
      ),
      10,
    );
    await model.trainOnBatch(x, y);
    work = async () => {
      for (let i = 0; i < STEPS; i++) await model.trainOnBatch(x, y);
      return { units: STEPS * BATCH };
    };
  }
  process.stdout.write("ready\n");
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) if (line.trim() === "go") break;
  const t0 = performance.now();
  const out = await work();
  process.stdout.write(`${JSON.stringify({ ...out, seconds: (performance.now() - t0) / 1000 })}\n`);
  process.exit(0);
}

/** `cores` workers of one kind, started together; units per wall-clock second over all of them. */
async function classfitRate(kind) {
  const kids = Array.from({ length: CORES }, (_, w) => {
    const p = spawn(
      process.execPath,
      [
        self,
        "--child",
        kind,
        "--worker",
        String(w),
        "--samples",
        String(SAMPLES),
        "--batch",
        String(BATCH),
        "--steps",
        String(STEPS),
        "--sigma",
        String(SIGMA),
      ],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    const lines = createInterface({ input: p.stdout });
    const queue = [];
    let wake;
    lines.on("line", (l) => {
      queue.push(l);
      wake?.();
    });
    const next = async () => {
      while (queue.length === 0) await new Promise((r) => (wake = r));
      return queue.shift();
    };
    return { p, next };
  });
  for (const k of kids) if ((await k.next()) !== "ready") throw new Error(`${kind} worker did not start`);
  const t0 = performance.now();
  for (const k of kids) k.p.stdin.write("go\n");
  const results = await Promise.all(kids.map(async (k) => JSON.parse(await k.next())));
  const wall = (performance.now() - t0) / 1000;
  for (const k of kids) k.p.stdin.end();
  const units = results.reduce((s, r) => s + r.units, 0);
  return {
    rate: units / wall,
    perWorker: results.map((r) => r.units / r.seconds),
    executor: results[0]?.executor,
  };
}

function torchRate(kind, batch) {
  const py = "/usr/bin/python3";
  const script = fileURLToPath(
    new URL(kind === "noisy" ? "./baseline/torch_noisy.py" : "./baseline/torch_train.py", import.meta.url),
  );
  const args =
    kind === "noisy"
      ? [
          script,
          "--blocks",
          ARCH.blocks.join(","),
          "--width",
          String(ARCH.widthMultiplier),
          "--threads",
          String(CORES),
          "--samples",
          String(Math.max(SAMPLES * CORES, 4 * batch)),
          "--batch",
          String(batch),
          "--sigma",
          String(SIGMA),
        ]
      : [
          script,
          "--threads",
          String(CORES),
          "--steps",
          String(Math.max(STEPS, Math.ceil((STEPS * BATCH * 2) / batch))),
          "--batch",
          String(batch),
          "--infer-steps",
          "2",
        ];
  const r = spawnSync(py, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`torch ${kind} baseline failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout.trim().split("\n").at(-1));
  return { rate: kind === "noisy" ? j.passes_s : j.train_img_s, torch: j.torch, threads: j.threads };
}

async function main() {
  if (ARCH?.arch !== "resnet")
    throw new Error("the shipped narrow ResNet is missing (packages/models/assets/models/resnet-narrow)");
  const haveTorch = spawnSync("/usr/bin/python3", ["-c", "import torch"]).status === 0;
  console.log(`machine: ${spawnSync("uptime", { encoding: "utf8" }).stdout.trim()}`);
  console.log(`${CORES} cores; classfit: ${CORES} workers; PyTorch: torch.set_num_threads(${CORES})`);
  if (!haveTorch) console.log("PyTorch: skipped (/usr/bin/python3 cannot import torch; Debian's python3-torch)");
  const best = {};
  const keep = (key, v) => {
    if (!best[key] || v.rate > best[key].rate) best[key] = v;
  };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of ["noisy", "train"]) {
      const c = await classfitRate(kind);
      keep(`classfit ${kind}`, c);
      let line = `round ${round} ${kind}: classfit ${c.rate.toFixed(0)}/s (per worker ${c.perWorker.map((r) => r.toFixed(0)).join(", ")})`;
      if (haveTorch) {
        for (const b of opts[kind === "noisy" ? "torch-batches" : "torch-train-batches"].split(",").map(Number)) {
          const t = torchRate(kind, b);
          keep(`torch ${kind}`, { ...t, batch: b });
          line += `; PyTorch batch ${b}: ${t.rate.toFixed(0)}/s`;
        }
      }
      console.log(line);
    }
  }
  console.log("\n| work | classfit, all cores | PyTorch, all cores (best batch) | classfit / PyTorch |");
  console.log("|---|---|---|---|");
  for (const [kind, what, unit] of [
    ["noisy", "noisy forward passes, shipped narrow ResNet", "passes/s"],
    ["train", "training, bench ResNet (batch 64 per network)", "images/s"],
  ]) {
    const c = best[`classfit ${kind}`];
    const t = best[`torch ${kind}`];
    console.log(
      `| ${what} | ${c.rate.toFixed(0)} ${unit}${c.executor ? ` (${c.executor})` : ""} | ${t ? `${t.rate.toFixed(0)} ${unit} (torch ${t.torch}, batch ${t.batch})` : "skipped"} | ${t ? `${(c.rate / t.rate).toFixed(2)}×` : "–"} |`,
    );
  }
  console.log(
    `best of ${ROUNDS} rounds per column; ${SAMPLES} noisy passes and ${STEPS} training steps per classfit worker`,
  );
  // What the arithmetic allows: training multiplies per second per core against the peak of
  // 128-bit wasm SIMD on one core of this CPU, measured now.
  const peak = await simdPeak(2);
  const { trainDirect, trainWinograd4 } = BENCH_RESNET_MULTIPLIES;
  const perCore = (rate, mults) => (rate / CORES) * mults;
  const c = best["classfit train"];
  console.log(
    `\nceiling, one core: 128-bit wasm SIMD peaks at ${peak.toFixed(1)} G multiply-adds/s (mul then add; no FMA)`,
  );
  console.log(
    `  classfit training: ${(perCore(c.rate, trainWinograd4) / 1e9).toFixed(1)} G multiplies/s per core, counting Winograd F(4x4)'s fewest, = ${((100 * perCore(c.rate, trainWinograd4)) / (peak * 1e9)).toFixed(0)}% of that peak`,
  );
  const t = best["torch train"];
  if (t)
    console.log(
      `  PyTorch training: ${(perCore(t.rate, trainDirect) / 1e9).toFixed(1)} G direct multiply-adds/s per core (${(perCore(t.rate, trainDirect) / (peak * 1e9)).toFixed(2)}× the wasm peak); matching its rate needs ${((100 * perCore(t.rate, trainWinograd4)) / (peak * 1e9)).toFixed(0)}% of the wasm peak through every training multiply`,
    );
}
