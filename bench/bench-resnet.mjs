// The benchmark ResNet of bench/train-throughput.mjs and bench/profile-kernels.mjs (28×28×1,
// widths 16/32/64, one basic block per stage, 1×1 stride-2 projection shortcuts, global average
// pool, dense 10); bench/baseline/torch_train.py builds the same network in PyTorch.
import * as tfl from "@tensorflow/tfjs-layers";

export const WEIGHT_DECAY = 5e-4;

/** The network, seeded initialisers from `seed`, L2 penalty WEIGHT_DECAY / 2 on conv and dense kernels. */
export function buildResNet(seed) {
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
