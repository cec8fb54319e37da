import { createCore } from "@classfit/wasm-core/node";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { ArchConfig } from "../arch/config.js";
import { initBackend } from "../backend.js";
import { computeNormalisation, fillBatch, syntheticDataset } from "../data/index.js";
import { predictLogits } from "../train/evaluate.js";
import { deserializeModel, inputSpecOf, serializeModel, validateManifest } from "./artifacts.js";
import { createModel } from "./create.js";

let core: Awaited<ReturnType<typeof createCore>>;
beforeAll(async () => {
  await initBackend();
  core = await createCore();
});

const spec = { height: 28, width: 28, channels: 1, numClasses: 4 };
const ds = syntheticDataset({ n: 5, numClasses: 4 });

describe("model (de)serialisation", () => {
  it.each([
    ["resnet", { arch: "resnet", blocks: [1, 1], widthMultiplier: 0.0625 }],
    ["mixer", { arch: "mixer", patch: 7, dim: 8, depth: 2, tokenHidden: 4, channelHidden: 8, stages: 2 }],
    ["vit", { arch: "vit", patch: 7, dim: 8, depth: 2, heads: 2, mlpHidden: 8, stages: 1 }],
  ] as [string, ArchConfig][])("%s: model.json + weights.bin reload to bit-identical logits", async (_n, cfg) => {
    const { model } = createModel(cfg, spec, core, 5);
    const bytes = await serializeModel(model);
    const json = JSON.parse(bytes.modelJson);
    expect(json.format).toBe("layers-model");
    expect(json.weightsManifest[0].paths).toEqual(["weights.bin"]);
    const again = await deserializeModel(bytes.modelJson, bytes.weights);
    expect(inputSpecOf(again)).toEqual(spec);
    const x = new Float32Array(5 * 784);
    fillBatch(ds, [0, 1, 2, 3, 4], computeNormalisation(ds), x);
    const a = await predictLogits(model, x, 5);
    const b = await predictLogits(again, x, 5);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(1);
    model.dispose();
    again.dispose();
  });

  it("rejects broken model.json, graph models, and weights of the wrong size", async () => {
    const { model } = createModel({ arch: "convnet", blocks: [1], widthMultiplier: 0.0625 }, spec, core, 1);
    const bytes = await serializeModel(model);
    await expect(deserializeModel("{not json", bytes.weights, "m/model.json")).rejects.toThrow(
      /m\/model\.json: not valid JSON/,
    );
    await expect(
      deserializeModel(
        JSON.stringify({ format: "graph-model", modelTopology: {}, weightsManifest: [] }),
        bytes.weights,
      ),
    ).rejects.toThrow(/is not a tfjs layers model/);
    await expect(deserializeModel(bytes.modelJson, bytes.weights.subarray(4), "m/model.json")).rejects.toThrow(
      new RegExp(
        `m/model\\.json: the weights manifest needs ${bytes.weights.length} bytes, the weight files hold ${bytes.weights.length - 4}`,
      ),
    );
    expect(tf.memory().numTensors).toBeGreaterThan(0);
    model.dispose();
  });

  it("validates manifests", () => {
    expect(() => validateManifest({ format: "other" }, "x/manifest.json")).toThrow(
      /x\/manifest\.json: not a classfit model manifest/,
    );
    expect(() =>
      validateManifest(
        { format: "classfit-model", version: 1, architecture: { arch: "resnet", blocks: [0], widthMultiplier: 1 } },
        "m.json",
      ),
    ).toThrow(/m\.json: architecture: blocks\[0\] must be a positive integer/);
  });
});
