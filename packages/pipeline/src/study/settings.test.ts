// The study's network settings come from models' builders; these pin what the study wrote
// before it used them (values and key order, since step.json and manifest.json are plain JSON).
import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import type { NetworkConfig } from "./config.js";
import { deriveSeed } from "./seed.js";
import { archOf, trainSettings } from "./settings.js";

const net = (arch: NetworkConfig["arch"], train?: NetworkConfig["train"]): NetworkConfig =>
  ({ name: "resnet", arch, ...(train ? { train } : {}) }) as NetworkConfig;
const grey28 = { height: 28, width: 28, channels: 1 } as Parameters<typeof trainSettings>[1];

describe("study network settings", () => {
  it("fills the architecture's defaults and ignores fields of other architectures", () => {
    expect(JSON.stringify(archOf(net({ arch: "convnet", blocks: [1, 1], widthMultiplier: 0.25, heads: 2 })))).toBe(
      '{"arch":"convnet","blocks":[1,1],"widthMultiplier":0.25}',
    );
    expect(archOf(net({ arch: "vit", depth: 8, dim: 32, heads: 2 }))).toEqual({
      arch: "vit",
      patch: 4,
      dim: 32,
      depth: 8,
      heads: 2,
      mlpHidden: 128,
      stages: 4,
    });
  });
  it("turns a refused architecture into bad input", () => {
    expect(() => archOf(net({ arch: "vit", heads: 5 }))).toThrow(InputError);
    expect(() => archOf(net({ arch: "resnet", depth: 50 }))).toThrow(InputError);
  });
  it("takes the resnet depth presets", () => {
    expect(archOf(net({ arch: "resnet", depth: 34 }))).toMatchObject({ blocks: [3, 4, 6, 3] });
  });
  it("keeps the training config's values and key order", () => {
    const t = trainSettings(net({ arch: "resnet" }, { epochs: 2, flip: true }), grey28, 3);
    expect(JSON.stringify(t)).toBe(
      JSON.stringify({
        epochs: 2,
        batchSize: 128,
        learningRate: 0.1,
        momentum: 0.9,
        weightDecay: 5e-4,
        schedule: { name: "onecycle" },
        seed: deriveSeed(3, "train", "resnet"),
        augmentation: { cropPadding: 2, flip: true },
      }),
    );
    expect(trainSettings(net({ arch: "resnet" }, { seed: 9 }), grey28, 3).seed).toBe(9);
  });
});
