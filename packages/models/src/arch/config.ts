// Architecture configurations: plain JSON-able records, validated here, recorded in a model's
// manifest so `classfit` can rebuild or describe the network it trained.

export type ArchName = "resnet" | "convnet" | "mixer" | "vit";
export const ARCH_NAMES: readonly ArchName[] = ["resnet", "convnet", "mixer", "vit"];

/** What the network sees and predicts. Images are NHWC. */
export interface InputSpec {
  height: number;
  width: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  numClasses: number;
}

/**
 * CIFAR-style ResNet (He et al. 2016; the variant of METHOD.md §10) or the same network
 * without skip connections ("convnet"). Stage s has `blocks[s]` basic blocks of width
 * round(64·2^s·widthMultiplier); stage 1 keeps the resolution, later ones halve it.
 */
export interface ConvNetConfig {
  arch: "resnet" | "convnet";
  /** Basic blocks per stage; [2, 2, 2, 2] is ResNet-18. */
  blocks: number[];
  /** Multiplies the widths 64/128/256/512; 1 is the full ResNet-18. */
  widthMultiplier: number;
}

/** MLP-Mixer (Tolstikhin et al. 2021): patch embedding, `depth` mixer blocks in `stages` groups. */
export interface MixerConfig {
  arch: "mixer";
  patch: number;
  dim: number;
  depth: number;
  tokenHidden: number;
  channelHidden: number;
  /** Number of stage groups the blocks are split into (stage outputs); divides depth. */
  stages: number;
}

/** A small Vision Transformer (Dosovitskiy et al. 2021) with token-mean pooling, no class token. */
export interface VitConfig {
  arch: "vit";
  patch: number;
  dim: number;
  depth: number;
  heads: number;
  mlpHidden: number;
  stages: number;
}

export type ArchConfig = ConvNetConfig | MixerConfig | VitConfig;

/** ResNet depth presets (blocks per stage), as in He et al. 2016 for basic blocks. */
export const RESNET_DEPTHS: Readonly<Record<number, number[]>> = {
  10: [1, 1, 1, 1],
  18: [2, 2, 2, 2],
  34: [3, 4, 6, 3],
};

/** Defaults for each architecture, overridable field by field. */
export function defaultArchConfig(arch: ArchName): ArchConfig {
  switch (arch) {
    case "resnet":
    case "convnet":
      return { arch, blocks: [2, 2, 2, 2], widthMultiplier: 1 };
    case "mixer":
      return { arch, patch: 4, dim: 64, depth: 4, tokenHidden: 64, channelHidden: 128, stages: 4 };
    case "vit":
      return { arch, patch: 4, dim: 64, depth: 4, heads: 4, mlpHidden: 128, stages: 4 };
  }
}

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1)
    throw new Error(`architecture: ${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** Checks a config (e.g. read back from a manifest) and returns it typed. */
export function validateArchConfig(raw: unknown): ArchConfig {
  if (typeof raw !== "object" || raw === null) throw new Error("architecture: expected an object");
  const r = raw as Record<string, unknown>;
  switch (r.arch) {
    case "resnet":
    case "convnet": {
      if (!Array.isArray(r.blocks) || r.blocks.length < 1)
        throw new Error(`architecture: blocks must be a non-empty list, got ${JSON.stringify(r.blocks)}`);
      const blocks = r.blocks.map((b, i) => positiveInt(b, `blocks[${i}]`));
      const w = r.widthMultiplier;
      if (typeof w !== "number" || !(w > 0) || !Number.isFinite(w))
        throw new Error(`architecture: widthMultiplier must be a positive number, got ${JSON.stringify(w)}`);
      return { arch: r.arch, blocks, widthMultiplier: w };
    }
    case "mixer": {
      const c: MixerConfig = {
        arch: "mixer",
        patch: positiveInt(r.patch, "patch"),
        dim: positiveInt(r.dim, "dim"),
        depth: positiveInt(r.depth, "depth"),
        tokenHidden: positiveInt(r.tokenHidden, "tokenHidden"),
        channelHidden: positiveInt(r.channelHidden, "channelHidden"),
        stages: positiveInt(r.stages, "stages"),
      };
      if (c.depth % c.stages !== 0)
        throw new Error(`architecture: stages (${c.stages}) must divide depth (${c.depth})`);
      return c;
    }
    case "vit": {
      const c: VitConfig = {
        arch: "vit",
        patch: positiveInt(r.patch, "patch"),
        dim: positiveInt(r.dim, "dim"),
        depth: positiveInt(r.depth, "depth"),
        heads: positiveInt(r.heads, "heads"),
        mlpHidden: positiveInt(r.mlpHidden, "mlpHidden"),
        stages: positiveInt(r.stages, "stages"),
      };
      if (c.depth % c.stages !== 0)
        throw new Error(`architecture: stages (${c.stages}) must divide depth (${c.depth})`);
      if (c.dim % c.heads !== 0) throw new Error(`architecture: heads (${c.heads}) must divide dim (${c.dim})`);
      return c;
    }
    default:
      throw new Error(
        `architecture: unknown arch ${JSON.stringify(r.arch)} (expected one of ${ARCH_NAMES.join(", ")})`,
      );
  }
}

/** Checks that an input spec is one the architectures accept (1 or 3 channels, ≥ 28 px). */
export function validateInputSpec(spec: InputSpec): InputSpec {
  const { height, width, channels, numClasses } = spec;
  if (channels !== 1 && channels !== 3) throw new Error(`input: channels must be 1 or 3, got ${channels}`);
  for (const [v, what] of [
    [height, "height"],
    [width, "width"],
  ] as const) {
    if (!Number.isInteger(v) || v < 28) throw new Error(`input: ${what} must be an integer ≥ 28, got ${v}`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 2)
    throw new Error(`input: numClasses must be an integer ≥ 2, got ${numClasses}`);
  return spec;
}

/** The names of the stage-output layers a built network exposes, in order. */
export function stageNames(config: ArchConfig): string[] {
  const n = "blocks" in config ? config.blocks.length : config.stages;
  return Array.from({ length: n }, (_, i) => `stage${i + 1}`);
}
