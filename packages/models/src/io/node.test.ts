import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCore } from "@classfit/wasm-core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { computeNormalisation, syntheticDataset } from "../data/index.js";
import { extractActivations } from "../extract/extract.js";
import { type ModelManifest, serializeModel } from "../model/artifacts.js";
import { createModel } from "../model/create.js";
import { loadDataset, NpyDirSink, readCheckpoint, readModelDir, writeCheckpoint, writeModelDir } from "./node.js";
import { encodeNpy, parseNpy } from "./npy.js";

const tmp = mkdtempSync(join(tmpdir(), "classfit-models-io-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let core: Awaited<ReturnType<typeof createCore>>;
beforeAll(async () => {
  await initBackend();
  core = await createCore();
});

describe("datasets from disk", () => {
  it("the embedded default: 1 000 training and 200 test images per class of Fashion-MNIST", async () => {
    const train = await loadDataset({ path: "default", split: "train" });
    const test = await loadDataset({ path: "default", split: "test" });
    expect([train.n, train.height, train.width, train.channels, train.numClasses]).toEqual([10000, 28, 28, 1, 10]);
    expect(test.n).toBe(2000);
    for (const [ds, per] of [
      [train, 1000],
      [test, 200],
    ] as const) {
      const counts = new Array(10).fill(0);
      for (const y of ds.labels) counts[y]++;
      expect(counts).toEqual(new Array(10).fill(per));
    }
    expect(train.classNames?.[9]).toBe("Ankle boot");
  });

  it("finds npy splits in a directory and reports what it looked for when nothing matches", async () => {
    const dir = join(tmp, "npyset");
    mkdirSync(dir);
    const ds = syntheticDataset({ n: 4 });
    writeFileSync(join(dir, "train_images.npy"), encodeNpy(ds.images as Uint8Array, [4, 28, 28]));
    writeFileSync(join(dir, "train_labels.npy"), encodeNpy(ds.labels, [4]));
    const got = await loadDataset({ path: dir, split: "train" });
    expect(got.name).toBe("npyset/train");
    expect(Array.from(got.labels)).toEqual(Array.from(ds.labels));
    await expect(loadDataset({ path: dir, split: "test" })).rejects.toThrow(
      /npyset: no test split found \(looked for IDX t10k-images/,
    );
    await expect(loadDataset({ path: join(dir, "train_images.npy") })).rejects.toThrow(
      /needs a labels \.npy file \(--labels\)/,
    );
    await expect(loadDataset({ path: join(tmp, "nope") })).rejects.toThrow(/nope: no such file or directory/);
    const corrupt = join(tmp, "corrupt");
    mkdirSync(corrupt);
    writeFileSync(join(corrupt, "train-images-idx3-ubyte.gz"), Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    writeFileSync(join(corrupt, "train-labels-idx1-ubyte"), Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 0]));
    await expect(loadDataset({ path: corrupt })).rejects.toThrow(/train-images-idx3-ubyte\.gz: corrupt gzip stream/);
  });

  it("finds CIFAR-10 batches (train = data_batch_1…5, test = test_batch) with their class names", async () => {
    const dir = join(tmp, "cifar-10-batches-bin");
    mkdirSync(dir);
    const record = (label: number) => {
      const r = new Uint8Array(3073);
      r[0] = label;
      return r;
    };
    for (let i = 1; i <= 5; i++) writeFileSync(join(dir, `data_batch_${i}.bin`), record(i));
    writeFileSync(join(dir, "test_batch.bin"), record(9));
    writeFileSync(
      join(dir, "batches.meta.txt"),
      "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n",
    );
    const train = await loadDataset({ path: dir });
    expect(Array.from(train.labels)).toEqual([1, 2, 3, 4, 5]);
    expect([train.height, train.width, train.channels, train.numClasses]).toEqual([32, 32, 3, 10]);
    const test = await loadDataset({ path: dir, split: "test" });
    expect(test.n).toBe(1);
    expect(test.classNames?.[9]).toBe("truck");
  });
});

describe("model directories", () => {
  it("write atomically, read back with the manifest, refuse to replace a foreign directory", async () => {
    const ds = syntheticDataset({ n: 6 });
    const norm = computeNormalisation(ds);
    const built = createModel(
      { arch: "resnet", blocks: [1], widthMultiplier: 0.0625 },
      { height: 28, width: 28, channels: 1, numClasses: 3 },
      core,
      1,
    );
    const manifest: ModelManifest = {
      format: "classfit-model",
      version: 1,
      architecture: { arch: "resnet", blocks: [1], widthMultiplier: 0.0625 },
      input: { height: 28, width: 28, channels: 1, numClasses: 3 },
      stages: built.stages,
      normalisation: norm,
      dataset: { name: ds.name, n: ds.n },
      parameters: 1,
      createdBy: "test",
    };
    const dir = join(tmp, "m1");
    const bytes = await serializeModel(built.model);
    await writeModelDir(dir, bytes, manifest);
    await writeModelDir(dir, bytes, { ...manifest, epochs: 2 }); // replacing our own is fine
    expect(readdirSync(tmp).filter((e) => e.includes("partial"))).toEqual([]);
    const loaded = await readModelDir(dir);
    expect(loaded.manifest?.epochs).toBe(2);
    expect(loaded.model.layers.map((l) => l.name)).toEqual(built.model.layers.map((l) => l.name));
    loaded.model.dispose();

    const foreign = join(tmp, "precious");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "notes.txt"), "keep me");
    await expect(writeModelDir(foreign, bytes, manifest)).rejects.toThrow(
      /precious: exists and is not a directory classfit wrote/,
    );
    expect(readFileSync(join(foreign, "notes.txt"), "utf8")).toBe("keep me");

    // A plain tfjs model directory (no manifest) loads; a missing weights file is named.
    const plain = join(tmp, "plain");
    mkdirSync(plain);
    writeFileSync(join(plain, "model.json"), bytes.modelJson);
    await expect(readModelDir(plain)).rejects.toThrow(/model\.json: weight file weights\.bin is missing/);
    writeFileSync(join(plain, "weights.bin"), bytes.weights);
    const p = await readModelDir(plain);
    expect(p.manifest).toBeNull();
    p.model.dispose();

    // Checkpoints carry momentum buffers.
    const ck = join(tmp, "m1.checkpoint");
    await writeCheckpoint(ck, bytes, manifest, {
      epoch: 3,
      momentum: { a: Float32Array.of(1, 2), b: Float32Array.of(3) },
    });
    const back = await readCheckpoint(ck);
    expect(back.state.epoch).toBe(3);
    expect(Array.from(back.state.momentum.b ?? [])).toEqual([3]);
    back.model.dispose();

    // Activations stream into ACTDIR/<stage>.npy, which appears only when complete.
    const act = join(tmp, "act");
    const sink = new NpyDirSink(
      act,
      { model: dir, dataset: { name: ds.name, n: ds.n, numClasses: 3 }, pool: "avg", createdBy: "test" },
      ds.labels,
    );
    await extractActivations({
      model: built.model,
      stages: built.stages,
      dataset: ds,
      normalisation: norm,
      sink,
      batchSize: 4,
    });
    const s1 = parseNpy(readFileSync(join(act, "stage1.npy")));
    expect(s1.dtype).toBe("f4");
    expect(s1.shape).toEqual([6, 4]);
    expect(Array.from(parseNpy(readFileSync(join(act, "labels.npy"))).data as Int32Array)).toEqual(
      Array.from(ds.labels),
    );
    const am = JSON.parse(readFileSync(join(act, "manifest.json"), "utf8"));
    expect(am.stages).toEqual([{ name: "stage1", file: "stage1.npy", channels: 4 }]);
    expect(existsSync(join(tmp, ".act.partial-"))).toBe(false);
    built.model.dispose();
  });
});
