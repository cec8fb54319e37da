import { describe, expect, it } from "vitest";
import { archConfigOf, trainConfigOf, trainingSetup } from "./setup.js";
import { DEFAULT_TRAIN_CONFIG } from "./train.js";

describe("archConfigOf", () => {
  it("keeps the architecture's defaults for unset fields", () => {
    expect(archConfigOf({ arch: "resnet" })).toEqual({ arch: "resnet", blocks: [2, 2, 2, 2], widthMultiplier: 1 });
    expect(archConfigOf({ arch: "convnet", blocks: [1, 1], widthMultiplier: 0.25 })).toEqual({
      arch: "convnet",
      blocks: [1, 1],
      widthMultiplier: 0.25,
    });
  });
  it("takes a ResNet depth as a preset, and refuses depth with blocks or an unknown depth", () => {
    expect(archConfigOf({ arch: "resnet", depth: 34 })).toMatchObject({ blocks: [3, 4, 6, 3] });
    expect(() => archConfigOf({ arch: "resnet", depth: 18, blocks: [1] })).toThrow(/either blocks or depth/);
    expect(() => archConfigOf({ arch: "resnet", depth: 50 })).toThrow(/one of 10, 18, 34/);
  });
  it("mixer/vit: one stage per block when the default stage count does not divide depth", () => {
    expect(archConfigOf({ arch: "vit", depth: 6 })).toMatchObject({ depth: 6, stages: 6 });
    expect(archConfigOf({ arch: "mixer", depth: 6, stages: 3, tokenHidden: 8 })).toMatchObject({
      depth: 6,
      stages: 3,
      tokenHidden: 8,
    });
    expect(archConfigOf({ arch: "vit", heads: 8, mlpHidden: 32, blocks: [9] })).toEqual({
      arch: "vit",
      patch: 4,
      dim: 64,
      depth: 4,
      heads: 8,
      mlpHidden: 32,
      stages: 4,
    });
  });
  it("validates the result", () => {
    expect(() => archConfigOf({ arch: "resnet", widthMultiplier: 0 })).toThrow(/widthMultiplier/);
    expect(() => archConfigOf({ arch: "vit", heads: 5 })).toThrow(/heads \(5\) must divide dim/);
  });
});

describe("trainConfigOf", () => {
  it("fills DEFAULT_TRAIN_CONFIG and the input's default augmentation, seed last", () => {
    const c = trainConfigOf({}, { height: 28, channels: 1 });
    expect(c).toEqual({ ...DEFAULT_TRAIN_CONFIG, augmentation: { cropPadding: 2, flip: false } });
    expect(Object.keys(c).at(-1)).toBe("seed");
    expect(trainConfigOf({}, { height: 32, channels: 3 }).augmentation).toEqual({ cropPadding: 4, flip: true });
  });
  it("overrides field by field", () => {
    const c = trainConfigOf(
      { epochs: 2, learningRate: 0.05, schedule: "step", cropPadding: 0, seed: 7 },
      { height: 32, channels: 3 },
    );
    expect(c).toMatchObject({ epochs: 2, learningRate: 0.05, schedule: { name: "step" }, seed: 7 });
    expect(c.augmentation).toEqual({ cropPadding: 0, flip: true });
  });
});

it("trainingSetup gives both configs", () => {
  const s = trainingSetup({ arch: { arch: "resnet", depth: 10 }, train: { flip: true } }, { height: 28, channels: 1 });
  expect(s.arch).toMatchObject({ blocks: [1, 1, 1, 1] });
  expect(s.train.augmentation).toEqual({ cropPadding: 2, flip: true });
});
