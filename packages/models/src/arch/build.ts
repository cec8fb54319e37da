// Builds the four architectures as tfjs-layers functional models whose stage outputs are
// layers named `stage1`, `stage2`, … (METHOD.md §1, §10), so representations can be read at
// every stage of any of them the same way. Every weight starts at zero; `initWeights`
// (init.ts) then draws them from a seeded wasm-core Rng.
import {
  model as functionalModel,
  initializers,
  type LayersModel,
  layers,
  type SymbolicTensor,
  input as symbolicInput,
} from "@tensorflow/tfjs-layers";
import {
  type ArchConfig,
  type ConvNetConfig,
  type InputSpec,
  type MixerConfig,
  stageNames,
  type VitConfig,
  validateArchConfig,
  validateInputSpec,
} from "./config.js";
import { PositionEmbedding, SelfAttention } from "./layers.js";

export interface BuiltModel {
  model: LayersModel;
  /** Stage-output layer names, in order. */
  stages: string[];
  /** Batch-norm layers whose γ starts at zero (the last BN of each residual block). */
  zeroGamma: string[];
}

const zeros = () => initializers.zeros();
const ones = () => initializers.ones();
type T = SymbolicTensor;
const ap = (layer: { apply(x: T | T[]): unknown }, x: T | T[]): T => layer.apply(x) as T;

// BN momentum 0.9 in Keras terms = PyTorch's momentum 0.1, the authors' setting; tfjs's
// default 0.99 lags too far behind in short runs. ε = 1e-5 as in PyTorch.
function bn(name: string): ReturnType<typeof layers.batchNormalization> {
  return layers.batchNormalization({
    name,
    momentum: 0.9,
    epsilon: 1e-5,
    gammaInitializer: ones(),
    betaInitializer: zeros(),
    movingMeanInitializer: zeros(),
    movingVarianceInitializer: ones(),
  });
}

function conv(name: string, filters: number, kernelSize: number, strides: number): ReturnType<typeof layers.conv2d> {
  return layers.conv2d({
    name,
    filters,
    kernelSize,
    strides,
    padding: "same",
    useBias: false,
    kernelInitializer: zeros(),
  });
}

function dense(name: string, units: number, activation?: "gelu"): ReturnType<typeof layers.dense> {
  return layers.dense({
    name,
    units,
    ...(activation ? { activation } : {}),
    kernelInitializer: zeros(),
    biasInitializer: zeros(),
  });
}

function relu(name: string): ReturnType<typeof layers.activation> {
  return layers.activation({ name, activation: "relu" });
}

function buildConvNet(c: ConvNetConfig, spec: InputSpec): BuiltModel {
  const residual = c.arch === "resnet";
  const zeroGamma: string[] = [];
  const inp = symbolicInput({ shape: [spec.height, spec.width, spec.channels], name: "image" });
  const width = (s: number) => Math.max(1, Math.round(64 * 2 ** s * c.widthMultiplier));
  let x = ap(conv("stem_conv", width(0), 3, 1), inp);
  x = ap(bn("stem_bn"), x);
  x = ap(relu("stem_relu"), x);
  let channels = width(0);
  c.blocks.forEach((nBlocks, s) => {
    const w = width(s);
    for (let b = 0; b < nBlocks; b++) {
      const p = `stage${s + 1}_block${b + 1}`;
      const stride = s > 0 && b === 0 ? 2 : 1;
      const last = b === nBlocks - 1;
      const outName = last ? `stage${s + 1}` : `${p}_out`;
      let h = ap(conv(`${p}_conv1`, w, 3, stride), x);
      h = ap(bn(`${p}_bn1`), h);
      h = ap(relu(`${p}_relu1`), h);
      h = ap(conv(`${p}_conv2`, w, 3, 1), h);
      h = ap(bn(`${p}_bn2`), h);
      if (residual) {
        // Goyal et al. 2017: a zero γ makes each residual block start as the identity.
        zeroGamma.push(`${p}_bn2`);
        let shortcut = x;
        if (stride !== 1 || channels !== w) {
          shortcut = ap(conv(`${p}_proj_conv`, w, 1, stride), x);
          shortcut = ap(bn(`${p}_proj_bn`), shortcut);
        }
        h = ap(layers.add({ name: `${p}_add` }), [h, shortcut]);
      }
      x = ap(relu(outName), h);
      channels = w;
    }
  });
  x = ap(layers.globalAveragePooling2d({ name: "pool" }), x);
  const logits = ap(dense("logits", spec.numClasses), x);
  return { model: functionalModel({ inputs: inp, outputs: logits, name: c.arch }), stages: stageNames(c), zeroGamma };
}

/** Non-overlapping patches → (tokens, dim), as a strided convolution plus a reshape. */
function patchEmbed(inp: T, spec: InputSpec, patch: number, dim: number): T {
  if (patch > spec.height || patch > spec.width)
    throw new Error(`architecture: patch ${patch} is larger than the ${spec.height}×${spec.width} input`);
  const gh = Math.floor(spec.height / patch);
  const gw = Math.floor(spec.width / patch);
  const x = ap(
    layers.conv2d({
      name: "patch_embed",
      filters: dim,
      kernelSize: patch,
      strides: patch,
      padding: "valid",
      kernelInitializer: zeros(),
      biasInitializer: zeros(),
    }),
    inp,
  );
  return ap(layers.reshape({ name: "tokens", targetShape: [gh * gw, dim] }), x);
}

function ln(name: string): ReturnType<typeof layers.layerNormalization> {
  return layers.layerNormalization({ name, epsilon: 1e-6 });
}

function blockOutName(i: number, depth: number, stages: number): string {
  const per = depth / stages;
  return (i + 1) % per === 0 ? `stage${(i + 1) / per}` : `block${i + 1}_out`;
}

function head(x: T, spec: InputSpec): T {
  x = ap(ln("final_ln"), x);
  x = ap(layers.globalAveragePooling1d({ name: "pool" }), x);
  return ap(dense("logits", spec.numClasses), x);
}

function buildMixer(c: MixerConfig, spec: InputSpec): BuiltModel {
  const inp = symbolicInput({ shape: [spec.height, spec.width, spec.channels], name: "image" });
  let x = patchEmbed(inp, spec, c.patch, c.dim);
  const tokens = Math.floor(spec.height / c.patch) * Math.floor(spec.width / c.patch);
  for (let i = 0; i < c.depth; i++) {
    const p = `block${i + 1}`;
    let y = ap(ln(`${p}_ln1`), x);
    y = ap(layers.permute({ name: `${p}_to_tokens`, dims: [2, 1] }), y);
    y = ap(dense(`${p}_token_fc1`, c.tokenHidden, "gelu"), y);
    y = ap(dense(`${p}_token_fc2`, tokens), y);
    y = ap(layers.permute({ name: `${p}_to_channels`, dims: [2, 1] }), y);
    x = ap(layers.add({ name: `${p}_token_add` }), [x, y]);
    y = ap(ln(`${p}_ln2`), x);
    y = ap(dense(`${p}_channel_fc1`, c.channelHidden, "gelu"), y);
    y = ap(dense(`${p}_channel_fc2`, c.dim), y);
    x = ap(layers.add({ name: blockOutName(i, c.depth, c.stages) }), [x, y]);
  }
  return {
    model: functionalModel({ inputs: inp, outputs: head(x, spec), name: "mixer" }),
    stages: stageNames(c),
    zeroGamma: [],
  };
}

function buildVit(c: VitConfig, spec: InputSpec): BuiltModel {
  const inp = symbolicInput({ shape: [spec.height, spec.width, spec.channels], name: "image" });
  let x = patchEmbed(inp, spec, c.patch, c.dim);
  x = ap(new PositionEmbedding({ name: "pos_embed" }), x);
  for (let i = 0; i < c.depth; i++) {
    const p = `block${i + 1}`;
    let y = ap(ln(`${p}_ln1`), x);
    y = ap(new SelfAttention({ name: `${p}_attn`, heads: c.heads }), y);
    x = ap(layers.add({ name: `${p}_attn_add` }), [x, y]);
    y = ap(ln(`${p}_ln2`), x);
    y = ap(dense(`${p}_mlp_fc1`, c.mlpHidden, "gelu"), y);
    y = ap(dense(`${p}_mlp_fc2`, c.dim), y);
    x = ap(layers.add({ name: blockOutName(i, c.depth, c.stages) }), [x, y]);
  }
  return {
    model: functionalModel({ inputs: inp, outputs: head(x, spec), name: "vit" }),
    stages: stageNames(c),
    zeroGamma: [],
  };
}

/** Builds the network for `config` on inputs described by `spec` (weights all zero). */
export function buildModel(config: ArchConfig, spec: InputSpec): BuiltModel {
  const c = validateArchConfig(config);
  validateInputSpec(spec);
  switch (c.arch) {
    case "resnet":
    case "convnet":
      return buildConvNet(c, spec);
    case "mixer":
      return buildMixer(c, spec);
    case "vit":
      return buildVit(c, spec);
  }
}
