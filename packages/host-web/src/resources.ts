// The study's inputs in the browser: the embedded default (Fashion-MNIST subset, served as
// static files next to the app), and files the user dropped or picked, keyed by the path the
// config names them with — "data/<file>" for a dataset, "models/<network>/<file>" for a tfjs
// model directory, "scores/<network>.npz" for memorization scores, "activations/<network>/<stage>.npy"
// for exported activations; the shipped models and their memorization runs are served with the
// app under their repository paths (shipped.ts). Datasets are recognised by
// file names as in the CLI: IDX (train-/t10k-images-idx3-ubyte[.gz] + labels), CIFAR-10/100
// binaries, or <split>_images.npy + <split>_labels.npy; classes.txt names the classes.
import { datasetFromCifar, datasetFromIdx, datasetFromNpy, type ImageDataset } from "@classfit/models";
import { readModelWeights, type StudyResources } from "@classfit/pipeline";
import { InputError } from "@classfit/pipeline/errors";
import defaultClasses from "../../models/assets/fashion-mnist-default/classes.txt?url";
import testImages from "../../models/assets/fashion-mnist-default/t10k-images-idx3-ubyte.gz?url";
import testLabels from "../../models/assets/fashion-mnist-default/t10k-labels-idx1-ubyte.gz?url";
import trainImages from "../../models/assets/fashion-mnist-default/train-images-idx3-ubyte.gz?url";
import trainLabels from "../../models/assets/fashion-mnist-default/train-labels-idx1-ubyte.gz?url";
import { shippedFile, shippedModel } from "./shipped.js";

const DEFAULT_FILES = {
  train: { images: trainImages, labels: trainLabels },
  test: { images: testImages, labels: testLabels },
} as const;

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new InputError(`${what}: the app could not load ${url} (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Uncompressed size of a gzip member (its ISIZE trailer, mod 2^32), or the size itself. */
export async function expandedSize(blob: Blob, name: string): Promise<number> {
  if (!name.endsWith(".gz") || blob.size < 18) return blob.size;
  const t = new Uint8Array(await blob.slice(blob.size - 4).arrayBuffer());
  return ((t[0] ?? 0) | ((t[1] ?? 0) << 8) | ((t[2] ?? 0) << 16)) + (t[3] ?? 0) * 0x1000000;
}

/**
 * What this tab can afford for one dataset: the study holds the images as bytes plus float
 * copies for batches, so the raw bytes must fit a fraction of the JS heap limit (Chromium
 * reports it; elsewhere 1 GiB is assumed).
 */
export function datasetByteBudget(): number {
  const perf = performance as Performance & { memory?: { jsHeapSizeLimit?: number } };
  const limit = perf.memory?.jsHeapSizeLimit ?? 2 ** 32;
  return Math.floor(limit / 4);
}

export async function checkDatasetFits(files: [string, Blob][], budget = datasetByteBudget()): Promise<void> {
  let total = 0;
  for (const [name, blob] of files) total += await expandedSize(blob, name);
  if (total > budget)
    throw new InputError(
      `the dataset is too large for this tab's memory: its files expand to ${(total / 2 ** 20).toFixed(0)} MiB, ` +
        `this tab can hold about ${(budget / 2 ** 20).toFixed(0)} MiB of data. Use dataset.perClass on a smaller file, ` +
        "or the CLI (classfit study) for the full set.",
    );
}

function byName(files: Map<string, Blob>, dir: string): Map<string, Blob> {
  const out = new Map<string, Blob>();
  for (const [k, v] of files) if (k.startsWith(`${dir}/`)) out.set(k.slice(dir.length + 1), v);
  return out;
}

const bytesOf = async (b: Blob) => new Uint8Array(await b.arrayBuffer());

function first(names: Map<string, Blob>, candidates: string[]): string | undefined {
  return candidates.find((c) => names.has(c));
}

async function classNamesFrom(blob: Blob | undefined): Promise<string[] | undefined> {
  if (!blob) return undefined;
  const lines = (await blob.text()).split(/\r?\n/).map((l) => l.trim());
  return lines.filter((l) => l.length > 0);
}

function withNames(ds: ImageDataset, names: string[] | undefined): ImageDataset {
  if (names && names.length >= ds.numClasses) ds.classNames = names.slice(0, Math.max(ds.numClasses, names.length));
  return ds;
}

/** A dataset split from dropped files (see the file comment for the layouts recognised). */
export async function datasetFromFiles(
  files: Map<string, Blob>,
  dir: string,
  split: "train" | "test",
): Promise<ImageDataset> {
  const f = byName(files, dir);
  if (f.size === 0)
    throw new InputError(`no dataset files were given (drop them on "Data", or pick the embedded default)`);
  await checkDatasetFits([...f]);
  const classes = f.get(first(f, ["classes.txt", "batches.meta.txt", "fine_label_names.txt"]) ?? "");
  const name = `${dir}/${split}`;
  const prefixes = split === "train" ? ["train"] : ["t10k", "test"];
  for (const p of prefixes) {
    const images = first(f, [`${p}-images-idx3-ubyte.gz`, `${p}-images-idx3-ubyte`, `${p}-images.idx3-ubyte`]);
    const labels = first(f, [`${p}-labels-idx1-ubyte.gz`, `${p}-labels-idx1-ubyte`, `${p}-labels.idx1-ubyte`]);
    if (images && labels) {
      const ds = datasetFromIdx(await bytesOf(f.get(images) as Blob), await bytesOf(f.get(labels) as Blob), {
        name,
        imagesName: images,
        labelsName: labels,
      });
      return withNames(ds, await classNamesFrom(classes));
    }
  }
  const cifar10 =
    split === "train"
      ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).filter((n) => f.has(n))
      : f.has("test_batch.bin")
        ? ["test_batch.bin"]
        : [];
  if (cifar10.length > 0) {
    const parts = [];
    for (const n of cifar10) parts.push({ name: n, bytes: await bytesOf(f.get(n) as Blob) });
    return withNames(datasetFromCifar(parts, { name, variant: 10 }), await classNamesFrom(classes));
  }
  if (f.has(`${split}.bin`) && f.has("fine_label_names.txt")) {
    const ds = datasetFromCifar([{ name: `${split}.bin`, bytes: await bytesOf(f.get(`${split}.bin`) as Blob) }], {
      name,
      variant: 100,
    });
    return withNames(ds, await classNamesFrom(f.get("fine_label_names.txt")));
  }
  const npyImages = first(f, [`${split}_images.npy`, `x_${split}.npy`]);
  const npyLabels = first(f, [`${split}_labels.npy`, `y_${split}.npy`]);
  if (npyImages && npyLabels) {
    const ds = datasetFromNpy(await bytesOf(f.get(npyImages) as Blob), await bytesOf(f.get(npyLabels) as Blob), {
      name,
      imagesName: npyImages,
      labelsName: npyLabels,
    });
    return withNames(ds, await classNamesFrom(classes));
  }
  throw new InputError(
    `the dropped files (${[...f.keys()].join(", ")}) hold no ${split} split: expected IDX ${prefixes[0]}-images-idx3-ubyte[.gz] + ` +
      `${prefixes[0]}-labels-idx1-ubyte[.gz], CIFAR-10 data_batch_*.bin / test_batch.bin, CIFAR-100 ${split}.bin + ` +
      `fine_label_names.txt, or ${split}_images.npy + ${split}_labels.npy`,
  );
}

/** The embedded default, exactly as the CLI's `loadDataset({ path: "default" })` reads it. */
export async function defaultDataset(split: "train" | "test"): Promise<ImageDataset> {
  const urls = DEFAULT_FILES[split];
  const prefix = split === "train" ? "train" : "t10k";
  const ds = datasetFromIdx(
    await fetchBytes(urls.images, "the embedded default dataset"),
    await fetchBytes(urls.labels, "the embedded default dataset"),
    {
      name: `fashion-mnist-default/${split}`,
      imagesName: `${prefix}-images-idx3-ubyte.gz`,
      labelsName: `${prefix}-labels-idx1-ubyte.gz`,
    },
  );
  const names = new TextDecoder().decode(await fetchBytes(defaultClasses, "the embedded default's class names"));
  return withNames(
    ds,
    names
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0),
  );
}

/** A tfjs layers model from dropped files under `dir` (model.json + the weight files it names). */
export async function modelFromFiles(
  files: Map<string, Blob>,
  dir: string,
): Promise<{ modelJson: string; weights: Uint8Array; manifestJson?: string }> {
  const f = byName(files, dir);
  const json = f.get("model.json");
  if (!json)
    throw new InputError(`${dir}: no model.json was given (drop a tfjs layers model: model.json + its weight files)`);
  const modelJson = await json.text();
  const weights = await readModelWeights(modelJson, `${dir}/model.json`, (paths) => {
    const missing = paths.filter((w) => !f.has(w.split("/").pop() as string));
    if (missing.length > 0)
      throw new InputError(`${dir}/model.json names weight file(s) that were not given: ${missing.join(", ")}`);
    return Promise.all(paths.map((w) => bytesOf(f.get(w.split("/").pop() as string) as Blob)));
  });
  const manifest = f.get("manifest.json");
  return manifest ? { modelJson, weights, manifestJson: await manifest.text() } : { modelJson, weights };
}

/** A shipped model (served with the app), read as the CLI reads the same folder. */
async function shippedModelFrom(
  urls: Record<string, string>,
  dir: string,
): Promise<{ modelJson: string; weights: Uint8Array; manifestJson?: string }> {
  const what = `the shipped model ${dir}`;
  const text = async (name: string) => {
    const url = urls[name];
    return url === undefined ? undefined : new TextDecoder().decode(await fetchBytes(url, what));
  };
  const modelJson = (await text("model.json")) as string;
  const weights = await readModelWeights(modelJson, `${dir}/model.json`, (paths) =>
    Promise.all(
      paths.map((w) => {
        const url = urls[w.split("/").pop() as string];
        if (url === undefined) throw new InputError(`${dir}/model.json names a weight file not shipped: ${w}`);
        return fetchBytes(url, what);
      }),
    ),
  );
  const manifestJson = await text("manifest.json");
  return manifestJson === undefined ? { modelJson, weights } : { modelJson, weights, manifestJson };
}

/** StudyResources over dropped files, the shipped models and the embedded default. */
export function webResources(files: Map<string, Blob>): StudyResources {
  return {
    loadDataset: (path, split) => (path === "default" ? defaultDataset(split) : datasetFromFiles(files, path, split)),
    async readFile(path) {
      const b = files.get(path);
      if (b) return bytesOf(b);
      const shipped = shippedFile(path);
      if (shipped !== undefined) return fetchBytes(shipped, `the shipped file ${path}`);
      throw new InputError(`the config names '${path}', but no such file was given in the page`);
    },
    readModel: (path) => {
      const shipped = shippedModel(path);
      return shipped !== undefined ? shippedModelFrom(shipped, path) : modelFromFiles(files, path);
    },
    // Shipped paths read as the CLI names them from the repository root, so the run records
    // (manifest, report notes) match a CLI run of the same config byte for byte.
    describe: (p) =>
      p === "default"
        ? "default (embedded Fashion-MNIST subset)"
        : shippedModel(p) !== undefined || shippedFile(p) !== undefined
          ? p
          : `${p} (files given in the page)`,
  };
}
