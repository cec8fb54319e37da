// Training and inference throughput of a small CIFAR-style ResNet (28×28×1, widths 16/32/64, one
// basic block per stage, 78,426 parameters incl. batch-norm statistics) at batch 64:
//   tfjs-backend-wasm with classfit's kernels (initBackend from @classfit/models/backend),
//   tfjs-backend-cpu (tfjs's reference backend),
//   PyTorch CPU with the same thread count (1), when /usr/bin/python3 can import torch.
// Training = one SGD step (momentum 0.9, weight decay 5e-4 as an L2 penalty, softmax
// cross-entropy, batch norm in training mode) per batch, via tfjs-layers' trainOnBatch.
//
// The wasm column is measured twice per round: with classfit's Winograd kernels for the 3×3
// stride-1 convolutions (the default) and without them (XNNPACK forward, classfit's direct
// gradient kernels), so the gain of that change is measured in the same run. Rounds interleave
// PyTorch and wasm so that load drift on a shared machine hits both; ratios use the medians.
// Inference is also timed on classfit's native executor (@classfit/models nativeForward, what
// NoisyClassifier runs: the batch-norm-folded network on classfit's own kernels, no tfjs op), on
// the same trained model and input, as "native" (infer columns only).
//
// Usage: npm -w @classfit/models run build && node bench/train-throughput.mjs [--steps 12] [--cpu-steps 2] [--infer-steps 40] [--rounds 3]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import "@tensorflow/tfjs-backend-cpu";
import { nativeForward } from "@classfit/models";
import { initBackend } from "@classfit/models/backend";
import { useWinograd } from "@classfit/models/kernels";
import * as tf from "@tensorflow/tfjs-core";
import { buildResNet } from "./bench-resnet.mjs";

const { values: opts } = parseArgs({
  options: {
    steps: { type: "string", default: "12" },
    "cpu-steps": { type: "string", default: "2" },
    // Inference batches for the wasm and torch columns: a batch takes ~50 ms, so 10 of them
    // measured the other agents' load more than the kernels (runs varied by 40%).
    "infer-steps": { type: "string", default: "40" },
    only: { type: "string" }, // for profiling: "wasm" runs the wasm column alone (no ratios)
    batch: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
  },
});
const STEPS = Number(opts.steps);
const CPU_STEPS = Number(opts["cpu-steps"]);
const INFER_STEPS = Number(opts["infer-steps"]);
const BATCH = Number(opts.batch);
const ROUNDS = Number(opts.rounds);

async function measure(backend, steps, inferSteps) {
  console.error(`[bench] ${backend}: ${steps} training steps, then ${inferSteps} inference batches`);
  await tf.setBackend(backend);
  const model = buildResNet(1);
  model.compile({
    optimizer: tf.train.momentum(0.05, 0.9),
    loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p),
  });
  const x = tf.randomNormal([BATCH, 28, 28, 1], 0, 1, "float32", 7);
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: BATCH }, (_, i) => i % 10),
      "int32",
    ),
    10,
  );
  const losses = [];
  // Warm-up (operator setup, first allocations, JIT); skipped on the CPU backend, whose steps take
  // minutes and are all compute.
  if (backend !== "cpu") losses.push(await model.trainOnBatch(x, y));
  // Wall-clock and this process's CPU time: on a shared, overloaded machine the CPU-time rate is
  // the fairer figure (the torch baseline reports both the same way).
  const cpuSeconds = (u) => (u.user + u.system) / 1e6;
  let t = performance.now();
  let c = process.cpuUsage();
  for (let i = 0; i < steps; i++) losses.push(await model.trainOnBatch(x, y));
  const train = (steps * BATCH) / ((performance.now() - t) / 1000);
  const trainCpu = (steps * BATCH) / cpuSeconds(process.cpuUsage(c));
  // One batch of BATCH per call, as the torch baseline infers (predict's default splits it into 32s).
  const predict = () => {
    const p = model.predict(x, { batchSize: BATCH });
    p.dataSync();
    p.dispose();
  };
  if (backend !== "cpu") predict();
  t = performance.now();
  c = process.cpuUsage();
  for (let i = 0; i < inferSteps; i++) predict();
  const infer = (inferSteps * BATCH) / ((performance.now() - t) / 1000);
  const inferCpu = (inferSteps * BATCH) / cpuSeconds(process.cpuUsage(c));
  let native;
  const nf = backend === "wasm" ? nativeForward(model, tf.backend()) : undefined;
  if (nf) {
    const xs = x.dataSync();
    const logits = new Float32Array(nf.chunk * nf.numClasses);
    const pass = () => {
      for (let o = 0; o < BATCH; o += nf.chunk) {
        const cnt = Math.min(nf.chunk, BATCH - o);
        nf.input(cnt).set(xs.subarray(o * nf.inputSize, (o + cnt) * nf.inputSize));
        nf.run(cnt, logits);
      }
    };
    pass();
    t = performance.now();
    c = process.cpuUsage();
    for (let i = 0; i < inferSteps; i++) pass();
    native = {
      infer: (inferSteps * BATCH) / ((performance.now() - t) / 1000),
      inferCpu: (inferSteps * BATCH) / cpuSeconds(process.cpuUsage(c)),
    };
    nf.dispose();
  }
  const params = model.countParams();
  tf.dispose([x, y]);
  model.dispose();
  return {
    train,
    infer,
    trainCpu,
    inferCpu,
    native,
    params,
    firstLoss: losses[0],
    lastLoss: losses[losses.length - 1],
  };
}

function torchBaseline() {
  const python = "/usr/bin/python3";
  const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) return { skipped: `${python} cannot import torch (Debian python3-torch not installed)` };
  console.error("[bench] pytorch baseline");
  const script = fileURLToPath(new URL("baseline/torch_train.py", import.meta.url));
  const run = spawnSync(
    python,
    [
      script,
      "--threads",
      "1",
      "--steps",
      String(Math.max(STEPS, 10)),
      "--infer-steps",
      String(INFER_STEPS),
      "--batch",
      String(BATCH),
    ],
    {
      encoding: "utf8",
    },
  );
  if (run.status !== 0) return { skipped: `torch baseline failed: ${run.stderr.trim().split("\n").pop()}` };
  return JSON.parse(run.stdout.trim().split("\n").pop());
}

const uptime = spawnSync("uptime", { encoding: "utf8" }).stdout.trim();
console.log(`machine: ${uptime}`);
await initBackend();
if (opts.only === "wasm") {
  const r = await measure("wasm", STEPS, INFER_STEPS);
  console.log(`tfjs-wasm + classfit: train ${r.train.toFixed(1)} img/s, infer ${r.infer.toFixed(1)} img/s`);
  process.exit(0);
}
// Rounds: PyTorch, wasm with Winograd, wasm without; medians of each rate over the rounds.
const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  const torch = torchBaseline();
  useWinograd(true);
  const wasm = await measure("wasm", STEPS, INFER_STEPS);
  useWinograd(false);
  const direct = await measure("wasm", STEPS, INFER_STEPS);
  useWinograd(true);
  rounds.push({ torch, wasm, direct });
  const t = torch.skipped
    ? "skipped"
    : `train ${torch.train_img_s_cpu.toFixed(1)}, infer ${torch.infer_img_s_cpu.toFixed(1)}`;
  console.log(
    `round ${r + 1}: CPU-time images/s  wasm train ${wasm.trainCpu.toFixed(1)}, infer ${wasm.inferCpu.toFixed(1)}, native infer ${wasm.native?.inferCpu.toFixed(1)} | wasm without Winograd train ${direct.trainCpu.toFixed(1)}, infer ${direct.inferCpu.toFixed(1)} | pytorch ${t}`,
  );
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const med = (pick) =>
  Object.fromEntries(["train", "infer", "trainCpu", "inferCpu"].map((k) => [k, median(rounds.map((r) => pick(r)[k]))]));
const wasm = {
  ...med((r) => r.wasm),
  firstLoss: rounds[0].wasm.firstLoss,
  lastLoss: rounds[0].wasm.lastLoss,
  params: rounds[0].wasm.params,
};
const direct = med((r) => r.direct);
const haveNative = rounds.every((r) => r.wasm.native);
const native = haveNative
  ? {
      infer: median(rounds.map((r) => r.wasm.native.infer)),
      inferCpu: median(rounds.map((r) => r.wasm.native.inferCpu)),
    }
  : undefined;
const torchRuns = rounds.map((r) => r.torch).filter((t) => !t.skipped);
const torch = torchRuns.length
  ? {
      torch: torchRuns[0].torch,
      train_img_s: median(torchRuns.map((t) => t.train_img_s)),
      infer_img_s: median(torchRuns.map((t) => t.infer_img_s)),
      train_img_s_cpu: median(torchRuns.map((t) => t.train_img_s_cpu)),
      infer_img_s_cpu: median(torchRuns.map((t) => t.infer_img_s_cpu)),
    }
  : rounds[0].torch;
const cpu = await measure("cpu", CPU_STEPS, CPU_STEPS);
const fmt = (v) => v.toFixed(1).padStart(9);
console.log(
  `ResNet 28x28x1 widths 16/32/64, batch ${BATCH}, ${wasm.params} params (tfjs count incl. BN statistics); medians of ${ROUNDS} rounds (tfjs-cpu: one run)`,
);
console.log("images/s                  train (wall)  train (CPU)  infer (wall)  infer (CPU)");
const row = (name, r) =>
  console.log(`${name.padEnd(24)}${fmt(r.train)}    ${fmt(r.trainCpu)}    ${fmt(r.infer)}    ${fmt(r.inferCpu)}`);
row("tfjs-wasm + classfit", wasm);
row("  without Winograd", direct);
if (native)
  console.log(
    `${"  native executor".padEnd(24)}${"-".padStart(9)}    ${"-".padStart(9)}    ${fmt(native.infer)}    ${fmt(native.inferCpu)}`,
  );
row("tfjs-cpu", cpu);
if (torch.skipped) console.log(`pytorch (1 thread)      skipped: ${torch.skipped}`);
else
  row(`pytorch ${torch.torch} (1 thr)`, {
    train: torch.train_img_s,
    trainCpu: torch.train_img_s_cpu,
    infer: torch.infer_img_s,
    inferCpu: torch.infer_img_s_cpu,
  });
console.log(`wasm training loss ${wasm.firstLoss.toFixed(3)} -> ${wasm.lastLoss.toFixed(3)} over ${STEPS + 1} steps`);
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
console.log(
  `ratio wasm / cpu:   train ${ratio(wasm.train, cpu.train)} wall, ${ratio(wasm.trainCpu, cpu.trainCpu)} CPU   infer ${ratio(wasm.infer, cpu.infer)} wall, ${ratio(wasm.inferCpu, cpu.inferCpu)} CPU`,
);
console.log(
  `Winograd gain (same run, CPU): train ${ratio(wasm.trainCpu, direct.trainCpu)}, infer ${ratio(wasm.inferCpu, direct.inferCpu)}`,
);
if (torchRuns.length) {
  // Per-round ratios pair measurements taken minutes apart at most, so load drift cancels better
  // than in the ratio of the medians.
  const per = (a, b) => median(rounds.filter((r) => !r.torch.skipped).map((r) => a(r) / b(r)));
  console.log(
    `median of per-round ratios wasm / torch (CPU): train ${per(
      (r) => r.wasm.trainCpu,
      (r) => r.torch.train_img_s_cpu,
    ).toFixed(2)}x, infer ${per(
      (r) => r.wasm.inferCpu,
      (r) => r.torch.infer_img_s_cpu,
    ).toFixed(2)}x; Winograd gain train ${per(
      (r) => r.wasm.trainCpu,
      (r) => r.direct.trainCpu,
    ).toFixed(2)}x, infer ${per(
      (r) => r.wasm.inferCpu,
      (r) => r.direct.inferCpu,
    ).toFixed(2)}x`,
  );
}
if (torchRuns.length && native) {
  const per = median(
    rounds.filter((r) => !r.torch.skipped).map((r) => r.wasm.native.inferCpu / r.torch.infer_img_s_cpu),
  );
  console.log(
    `native executor inference / torch (CPU): ${ratio(native.inferCpu, torch.infer_img_s_cpu)} (medians), ${per.toFixed(2)}x (median of per-round ratios)`,
  );
}
if (!torch.skipped) {
  console.log(
    `ratio wasm / torch: train ${ratio(wasm.train, torch.train_img_s)} wall, ${ratio(wasm.trainCpu, torch.train_img_s_cpu)} CPU (target >= 0.5)   infer ${ratio(wasm.infer, torch.infer_img_s)} wall, ${ratio(wasm.inferCpu, torch.infer_img_s_cpu)} CPU (target >= 1.0)`,
  );
}
console.log(`machine at the end: ${spawnSync("uptime", { encoding: "utf8" }).stdout.trim()}`);
