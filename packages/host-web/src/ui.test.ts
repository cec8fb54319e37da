// The page's pure parts: which files a slot takes, the layer names offered as stages, the config
// the form generates (validated by the pipeline's own schema), and how a figure mark's label
// names its class for the linked selection.
import { parseModelJson } from "@classfit/models";
import { DEMO_TITLE, demoStudyInput, resolveStudyConfig } from "@classfit/pipeline";
import { describe, expect, it } from "vitest";
import { activationStages, buildConfig, PRESETS, presetChoices } from "./form.js";
import { classesIn, classKey } from "./report-view.js";
import { checkFileType, layerNames, manifestStages } from "./validate.js";

describe("file slots", () => {
  it("takes dataset, model and score files by name and names the file it refuses", () => {
    expect(checkFileType("train-images-idx3-ubyte.gz", "data")).toBeUndefined();
    expect(checkFileType("t10k-labels-idx1-ubyte", "data")).toBeUndefined();
    expect(checkFileType("data_batch_1.bin", "data")).toBeUndefined();
    expect(checkFileType("train_images.npy", "data")).toBeUndefined();
    expect(checkFileType("model.json", "model")).toBeUndefined();
    expect(checkFileType("group1-shard1of1.bin", "model")).toBeUndefined();
    expect(checkFileType("cifar100_infl_matrix.npz", "scores")).toBeUndefined();
    expect(checkFileType("photo.png", "data")).toMatch(/^photo\.png: not a file this slot takes \(expected IDX/);
    expect(checkFileType("weights.h5", "model")).toMatch(/^weights\.h5: .*tfjs layers model/);
    expect(checkFileType("model.json", "scores")).toMatch(/memorization scores/);
    expect(checkFileType("stage1.npy", "activations")).toBeUndefined();
    expect(checkFileType("stage1.npz", "activations")).toMatch(/^stage1\.npz: .*one <stage>\.npy of shape \(N, C\)/);
  });
});

describe("stage layers from model.json", () => {
  const modelJson = (layers: unknown[]) =>
    JSON.stringify({
      format: "layers-model",
      modelTopology: { model_config: { class_name: "Model", config: { name: "m", layers } } },
      weightsManifest: [{ paths: ["weights.bin"], weights: [] }],
    });
  it("lists every layer, nested models included, in order", () => {
    const json = modelJson([
      { class_name: "InputLayer", config: { name: "input" } },
      { class_name: "Conv2D", config: { name: "stage1" } },
      {
        class_name: "Sequential",
        config: { name: "block", layers: [{ class_name: "Dense", config: { name: "inner" } }] },
      },
      { class_name: "Dense", config: { name: "logits" } },
    ]);
    expect(layerNames(json, "model.json")).toEqual(["input", "stage1", "block", "inner", "logits"]);
  });
  it("refuses graph models and non-JSON with the file named", () => {
    expect(() => layerNames("{nope", "m/model.json")).toThrow(/m\/model\.json: not valid JSON/);
    expect(() => layerNames(JSON.stringify({ format: "graph-model", modelTopology: {} }), "g.json")).toThrow(
      /g\.json: format "graph-model" is not a tfjs layers model/,
    );
    expect(() => layerNames(modelJson([]), "e.json")).toThrow(/e\.json: no layers/);
  });
  it("refuses what the study worker's parseModelJson refuses, with its message", () => {
    const bad = [
      "{nope",
      "[]",
      JSON.stringify({ weightsManifest: [] }),
      JSON.stringify({ format: "graph-model", modelTopology: {}, weightsManifest: [] }),
      JSON.stringify({ modelTopology: {} }),
    ];
    for (const b of bad) {
      let expected = "";
      try {
        parseModelJson(b, "x/model.json");
      } catch (e) {
        expected = (e as Error).message;
      }
      expect(expected.length, b).toBeGreaterThan(0);
      expect(() => layerNames(b, "x/model.json"), b).toThrow(expected);
    }
  });
  it("reads the stages of a classfit manifest, nothing from anything else", () => {
    expect(manifestStages(JSON.stringify({ stages: ["a", "b", 3] }))).toEqual(["a", "b"]);
    expect(manifestStages("not json")).toBeUndefined();
    expect(manifestStages("{}")).toBeUndefined();
  });
});

describe("the form's study config", () => {
  it("is a valid study config naming dropped files by the web host's paths", () => {
    const raw = buildConfig({
      data: { kind: "files", perClass: 50 },
      networks: [
        { kind: "model", name: "mine", stages: ["s1", "s2"], hasScores: true },
        { kind: "arch", name: "conv", arch: "convnet", widthMultiplier: 0.25, blocks: [1, 2], epochs: 3 },
      ],
      profile: "quick",
      seed: 5,
    });
    const c = resolveStudyConfig(raw);
    expect(c.dataset).toEqual({ path: "data", perClass: 50 });
    expect(c.networks[0]).toMatchObject({
      model: "models/mine",
      stages: ["s1", "s2"],
      memorizationScores: "scores/mine.npz",
    });
    expect(c.networks[1]).toMatchObject({ arch: { arch: "convnet", blocks: [1, 2] }, train: { epochs: 3 } });
    expect(c.profile).toBe("quick");
    expect(c.seed).toBe(5);
  });
  it("leaves stages to the model's manifest when none are ticked", () => {
    const raw = buildConfig({
      data: { kind: "default" },
      networks: [{ kind: "model", name: "m", stages: [] }],
      profile: "demo",
      seed: 0,
    }) as { networks: Record<string, unknown>[]; dataset: unknown };
    expect(raw.networks[0]).not.toHaveProperty("stages");
    expect(raw.dataset).toEqual({ path: "default" });
  });
});

describe("presets and exported activations", () => {
  it("give the demo's own config for the shipped networks, whole or one network at a time", () => {
    expect(PRESETS.map((p) => p.id)).toEqual(["demo", "resnet", "convnet"]);
    for (const p of PRESETS) {
      const c = presetChoices(p);
      const raw = buildConfig({ ...c, networks: c.networks });
      expect(resolveStudyConfig(raw), p.id).toEqual(resolveStudyConfig(demoStudyInput({ networks: p.networks })));
    }
    const demo = resolveStudyConfig(buildConfig(presetChoices(PRESETS[0] as (typeof PRESETS)[number])));
    expect(demo.networks.map((n) => n.model)).toEqual([
      "packages/models/assets/models/resnet-narrow",
      "packages/models/assets/models/convnet-narrow",
    ]);
    expect(demo.steps.certify.perClass).toBe(10);
    expect(DEMO_TITLE.length).toBeGreaterThan(0);
  });
  it("name dropped activations by stage, in stage order, under activations/<network>/", () => {
    const acts = activationStages(["stage10.npy", "stage2.npy", "classes.txt", "stage1.npy"]);
    expect(acts).toEqual([
      ["stage1", "stage1.npy"],
      ["stage2", "stage2.npy"],
      ["stage10", "stage10.npy"],
    ]);
    const c = resolveStudyConfig(
      buildConfig({
        data: { kind: "default" },
        networks: [{ kind: "activations", name: "torch", activations: acts, hasScores: true }],
        profile: "quick",
        seed: 0,
      }),
    );
    expect(c.networks[0]).toMatchObject({
      activations: {
        stage1: "activations/torch/stage1.npy",
        stage2: "activations/torch/stage2.npy",
        stage10: "activations/torch/stage10.npy",
      },
      memorizationScores: "scores/torch.npz",
    });
    expect(Object.keys(c.networks[0]?.activations ?? {})).toEqual(["stage1", "stage2", "stage10"]);
  });
});

describe("class of a figure mark", () => {
  const labels = [
    "Coat · stage2: mean log-density 3.1 nats",
    "stage: stage1; class mean log-density (nats): 10.5; group: none; cls: T-shirt/top",
    "true Shirt → assigned Coat: 3 of 10 (30.0%)",
    "Sandal: median 2.0 nats, IQR 1 to 3",
    "y: 1.1",
    "density bin 3 (25 examples, log-density 1 to 2): mean memorization 0.1 ± 0.01",
  ];
  it("reads tips, Vega-Lite field lists and confusion cells", () => {
    const classes = classesIn(labels);
    expect([...classes].sort()).toEqual(["Coat", "Shirt", "T-shirt/top"]);
    expect(labels.map((l) => classKey(l, new Set([...classes, "Sandal"])))).toEqual([
      "Coat",
      "T-shirt/top",
      "Shirt",
      "Sandal",
      undefined,
      undefined,
    ]);
    // "Name: …" counts only for a known class, so field lists never select.
    expect(classKey("Sandal: median 2.0 nats")).toBeUndefined();
  });
});

describe("artifact zip", () => {
  it("round-trips every file byte for byte, empty and binary ones included", async () => {
    const { unzipSync } = await import("fflate");
    const { zipToBlob } = await import("./zip.js");
    const files = new Map<string, Uint8Array>([
      ["manifest.json", new TextEncoder().encode('{"a":1}\n')],
      ["resnet/stage1/fit/class-00/model.npz", Uint8Array.from({ length: 70_000 }, (_, i) => (i * 37) & 255)],
      ["report/empty.txt", new Uint8Array(0)],
    ]);
    const blob = await zipToBlob(files);
    const back = unzipSync(new Uint8Array(await blob.arrayBuffer()));
    expect(Object.keys(back).sort()).toEqual([...files.keys()].sort());
    for (const [k, v] of files) expect(Buffer.from(back[k] as Uint8Array).equals(Buffer.from(v))).toBe(true);
  });
});
