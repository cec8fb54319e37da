import { createCore } from "@classfit/wasm-core/node";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { buildModel, countTrainable, createModel, defaultArchConfig, stageNames } from "../index.js";
import type { ArchConfig, InputSpec } from "./config.js";

const grey: InputSpec = { height: 28, width: 28, channels: 1, numClasses: 10 };
const rgb: InputSpec = { height: 32, width: 32, channels: 3, numClasses: 100 };
const tiny: Record<string, ArchConfig> = {
  resnet: { arch: "resnet", blocks: [1, 1, 1, 1], widthMultiplier: 0.0625 },
  convnet: { arch: "convnet", blocks: [1, 2], widthMultiplier: 0.0625 },
  mixer: { arch: "mixer", patch: 4, dim: 8, depth: 2, tokenHidden: 8, channelHidden: 8, stages: 2 },
  vit: { arch: "vit", patch: 7, dim: 8, depth: 4, heads: 2, mlpHidden: 8, stages: 2 },
};

let core: Awaited<ReturnType<typeof createCore>>;
beforeAll(async () => {
  await initBackend();
  core = await createCore();
});

function weightBytes(m: tf.Tensor[]): string {
  return m.map((t) => Buffer.from((t.dataSync() as Float32Array).buffer).toString("base64")).join("|");
}

describe("architectures", () => {
  it("full CIFAR ResNet-18 has the published parameter count (11 173 962 for 10 classes)", () => {
    const { model } = buildModel(defaultArchConfig("resnet"), { height: 32, width: 32, channels: 3, numClasses: 10 });
    expect(countTrainable(model)).toBe(11_173_962);
    model.dispose();
  });

  it.each(Object.keys(tiny))("%s: stage outputs by name, logits shape, for grey 28×28 and RGB 32×32", (name) => {
    const cfg = tiny[name] as ArchConfig;
    for (const spec of [grey, rgb]) {
      const before = tf.memory().numTensors;
      const { model, stages } = createModel(cfg, spec, core, 7);
      expect(stages).toEqual(stageNames(cfg));
      for (const s of stages) expect(model.getLayer(s)).toBeDefined();
      const out = tf.tidy(() => model.predict(tf.zeros([2, spec.height, spec.width, spec.channels])) as tf.Tensor);
      expect(out.shape).toEqual([2, spec.numClasses]);
      out.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it("ResNet stages halve the resolution after the first; convnet has no Add layers", () => {
    const { model } = buildModel(tiny.resnet as ArchConfig, grey);
    expect(["stage1", "stage2", "stage3", "stage4"].map((s) => model.getLayer(s).outputShape)).toEqual([
      [null, 28, 28, 4],
      [null, 14, 14, 8],
      [null, 7, 7, 16],
      [null, 4, 4, 32],
    ]);
    expect(model.layers.some((l) => l.getClassName() === "Add")).toBe(true);
    const plain = buildModel(tiny.convnet as ArchConfig, grey).model;
    expect(plain.layers.some((l) => l.getClassName() === "Add")).toBe(false);
    model.dispose();
    plain.dispose();
  });

  it("seeded init: same seed same bytes, other seed other bytes; last BN γ of each residual block is zero", () => {
    const a = createModel(tiny.resnet as ArchConfig, grey, core, 1);
    const b = createModel(tiny.resnet as ArchConfig, grey, core, 1);
    const c = createModel(tiny.resnet as ArchConfig, grey, core, 2);
    expect(weightBytes(a.model.getWeights())).toBe(weightBytes(b.model.getWeights()));
    expect(weightBytes(a.model.getWeights())).not.toBe(weightBytes(c.model.getWeights()));
    expect(a.zeroGamma).toEqual(["stage1_block1_bn2", "stage2_block1_bn2", "stage3_block1_bn2", "stage4_block1_bn2"]);
    const gamma = a.model.getLayer("stage2_block1_bn2").getWeights()[0] as tf.Tensor;
    expect(Array.from(gamma.dataSync()).every((g) => g === 0)).toBe(true);
    const gamma1 = a.model.getLayer("stage2_block1_bn1").getWeights()[0] as tf.Tensor;
    expect(Array.from(gamma1.dataSync()).every((g) => g === 1)).toBe(true);
    // He normal, fan-out: the sample std of a conv kernel is near √(2 / (9·c_out)).
    const k = a.model.getLayer("stage4_block1_conv1").getWeights()[0] as tf.Tensor;
    const v = Array.from(k.dataSync());
    const sd = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    expect(sd / Math.sqrt(2 / (9 * 32))).toBeGreaterThan(0.9);
    expect(sd / Math.sqrt(2 / (9 * 32))).toBeLessThan(1.1);
    for (const m of [a, b, c]) m.model.dispose();
  });

  it("rejects wrong channel counts, small inputs and bad configs with clear errors", () => {
    expect(() => buildModel(tiny.resnet as ArchConfig, { ...grey, channels: 2 })).toThrow(
      /channels must be 1 or 3, got 2/,
    );
    expect(() => buildModel(tiny.resnet as ArchConfig, { ...grey, height: 27 })).toThrow(
      /height must be an integer ≥ 28, got 27/,
    );
    expect(() =>
      buildModel({ arch: "vit", patch: 4, dim: 10, depth: 2, heads: 3, mlpHidden: 8, stages: 2 }, grey),
    ).toThrow(/heads \(3\) must divide dim \(10\)/);
    expect(() =>
      buildModel({ arch: "mixer", patch: 4, dim: 8, depth: 3, tokenHidden: 8, channelHidden: 8, stages: 2 }, grey),
    ).toThrow(/stages \(2\) must divide depth \(3\)/);
    expect(() => buildModel({ arch: "resnet", blocks: [], widthMultiplier: 1 }, grey)).toThrow(
      /blocks must be a non-empty list/,
    );
    expect(() => buildModel({ arch: "lenet" } as unknown as ArchConfig, grey)).toThrow(/unknown arch "lenet"/);
  });
});
