// Training and inference throughput of a small CIFAR-style ResNet (28×28×1, widths 16/32/64, one
// basic block per stage, 78,426 parameters incl. batch-norm statistics) at batch 64:
//   tfjs-backend-wasm with classfit's kernels (initBackend from @classfit/models/backend),
//   tfjs-backend-cpu (tfjs's reference backend),
//   PyTorch CPU with the same thread count (1), when /usr/bin/python3 can import torch.
// Training = one SGD step (momentum 0.9, weight decay 5e-4 as an L2 penalty, softmax
// cross-entropy, batch norm in training mode) per batch, via tfjs-layers' trainOnBatch.
//
// Usage: npm -w @classfit/models run build && node bench/train-throughput.mjs [--steps 12] [--cpu-steps 2]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import "@tensorflow/tfjs-backend-cpu";
import { initBackend } from "@classfit/models/backend";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

const { values: opts } = parseArgs({
  options: {
    steps: { type: "string", default: "12" },
    "cpu-steps": { type: "string", default: "2" },
    only: { type: "string" }, // for profiling: "wasm" runs the wasm column alone (no ratios)
    batch: { type: "string", default: "64" },
  },
});
const STEPS = Number(opts.steps);
const CPU_STEPS = Number(opts["cpu-steps"]);
const BATCH = Number(opts.batch);
const WEIGHT_DECAY = 5e-4;

/** The benchmark ResNet; bench/baseline/torch_train.py builds the same network. */
function buildResNet(seed) {
  let s = seed;
  const reg = tfl.regularizers.l2({ l2: WEIGHT_DECAY / 2 }); // ∂(λ/2·‖w‖²) = λw, as torch's weight_decay
  const conv = (x, filters, k, strides) =>
    tfl.layers
      .conv2d({
        filters,
        kernelSize: k,
        strides,
        padding: "same",
        useBias: false,
        kernelInitializer: tfl.initializers.heNormal({ seed: s++ }),
        kernelRegularizer: reg,
      })
      .apply(x);
  const bn = (x) => tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(x);
  const relu = (x) => tfl.layers.activation({ activation: "relu" }).apply(x);
  const input = tfl.input({ shape: [28, 28, 1] });
  let x = relu(bn(conv(input, 16, 3, 1)));
  let cin = 16;
  for (const [width, stride] of [
    [16, 1],
    [32, 2],
    [64, 2],
  ]) {
    let y = relu(bn(conv(x, width, 3, stride)));
    y = bn(conv(y, width, 3, 1));
    const shortcut = stride !== 1 || cin !== width ? bn(conv(x, width, 1, stride)) : x;
    x = relu(tfl.layers.add().apply([y, shortcut]));
    cin = width;
  }
  x = tfl.layers.globalAveragePooling2d({}).apply(x);
  const out = tfl.layers
    .dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: s++ }), kernelRegularizer: reg })
    .apply(x);
  return tfl.model({ inputs: input, outputs: out });
}

async function measure(backend, steps) {
  console.error(`[bench] ${backend}: ${steps} training steps, then ${steps} inference batches`);
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
  losses.push(await model.trainOnBatch(x, y)); // warm-up: operator setup, first allocations
  let t = performance.now();
  for (let i = 0; i < steps; i++) losses.push(await model.trainOnBatch(x, y));
  const train = (steps * BATCH) / ((performance.now() - t) / 1000);
  const predict = () => {
    const p = model.predict(x);
    p.dataSync();
    p.dispose();
  };
  predict();
  t = performance.now();
  for (let i = 0; i < steps; i++) predict();
  const infer = (steps * BATCH) / ((performance.now() - t) / 1000);
  const params = model.countParams();
  tf.dispose([x, y]);
  model.dispose();
  return { train, infer, params, firstLoss: losses[0], lastLoss: losses[losses.length - 1] };
}

function torchBaseline() {
  const python = "/usr/bin/python3";
  const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.status !== 0) return { skipped: `${python} cannot import torch (Debian python3-torch not installed)` };
  console.error("[bench] pytorch baseline");
  const script = fileURLToPath(new URL("baseline/torch_train.py", import.meta.url));
  const run = spawnSync(
    python,
    [script, "--threads", "1", "--steps", String(Math.max(STEPS, 10)), "--batch", String(BATCH)],
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
  const r = await measure("wasm", STEPS);
  console.log(`tfjs-wasm + classfit: train ${r.train.toFixed(1)} img/s, infer ${r.infer.toFixed(1)} img/s`);
  process.exit(0);
}
const torch = torchBaseline();
const wasm = await measure("wasm", STEPS);
const cpu = await measure("cpu", CPU_STEPS);
const fmt = (v) => v.toFixed(1).padStart(8);
console.log(`ResNet 28x28x1 widths 16/32/64, batch ${BATCH}, ${wasm.params} params (tfjs count incl. BN statistics)`);
console.log("                          train img/s   infer img/s");
console.log(
  `tfjs-wasm + classfit      ${fmt(wasm.train)}      ${fmt(wasm.infer)}   (loss ${wasm.firstLoss.toFixed(3)} -> ${wasm.lastLoss.toFixed(3)})`,
);
console.log(`tfjs-cpu                  ${fmt(cpu.train)}      ${fmt(cpu.infer)}`);
if (torch.skipped) console.log(`pytorch (1 thread)        skipped: ${torch.skipped}`);
else
  console.log(
    `pytorch ${torch.torch} (${torch.threads} thread)  ${fmt(torch.train_img_s)}      ${fmt(torch.infer_img_s)}`,
  );
console.log(
  `ratio wasm / cpu:   train ${(wasm.train / cpu.train).toFixed(2)}x   infer ${(wasm.infer / cpu.infer).toFixed(2)}x`,
);
if (!torch.skipped) {
  console.log(
    `ratio wasm / torch: train ${(wasm.train / torch.train_img_s).toFixed(2)}x (target >= 0.5)   infer ${(wasm.infer / torch.infer_img_s).toFixed(2)}x (target >= 1.0)`,
  );
}
