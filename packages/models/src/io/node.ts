// Node-only file I/O for @classfit/models (exported as "@classfit/models/node"): datasets from
// directories, model directories (tfjs model.json + weights + manifest.json), checkpoints and
// activation directories. Every directory is written beside its target and renamed into place,
// so an interrupted run never leaves a half-written one under the target's name.
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import type { ImageDataset } from "../data/dataset.js";
import { datasetFromCifar, datasetFromIdx, datasetFromNpy } from "../data/formats.js";
import type { ActivationSink } from "../extract/extract.js";
import { npyHeaderF32 } from "../extract/extract.js";
import {
  deserializeModel,
  MANIFEST_JSON,
  MODEL_JSON,
  type ModelBytes,
  type ModelManifest,
  parseModelJson,
  validateManifest,
  WEIGHTS_BIN,
} from "../model/artifacts.js";
import type { TrainCheckpoint } from "../train/train.js";
import { encodeNpy } from "./npy.js";

/** The embedded default dataset (a stratified Fashion-MNIST subset, gzipped IDX). */
export const DEFAULT_DATASET_DIR = fileURLToPath(new URL("../../assets/fashion-mnist-default", import.meta.url));
/** The models shipped with classfit, trained on the embedded default. */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL("../../assets/models", import.meta.url));

export type Split = "train" | "test";

export interface DatasetSpec {
  /** A dataset directory, an images `.npy` file (with `labels`), or "default". */
  path: string;
  labels?: string;
  split?: Split;
  numClasses?: number;
}

async function firstExisting(dir: string, names: string[]): Promise<string | undefined> {
  for (const n of names) {
    const p = join(dir, n);
    if (existsSync(p)) return p;
  }
  return undefined;
}

async function readClassNames(path: string | undefined): Promise<string[] | undefined> {
  if (!path || !existsSync(path)) return undefined;
  const lines = (await readFile(path, "utf8")).split(/\r?\n/).map((l) => l.trim());
  return lines.filter((l) => l.length > 0);
}

function withNames(ds: ImageDataset, names: string[] | undefined): ImageDataset {
  if (names && names.length >= ds.numClasses) ds.classNames = names.slice(0, Math.max(ds.numClasses, names.length));
  return ds;
}

function resolveDatasetPath(path: string): string {
  return path === "default" ? DEFAULT_DATASET_DIR : resolve(path);
}

/** Which splits a dataset directory offers (for `train`, to evaluate on the test split). */
export async function datasetHasSplit(path: string, split: Split): Promise<boolean> {
  try {
    await locate(resolveDatasetPath(path), split);
    return true;
  } catch {
    return false;
  }
}

type Located =
  | { kind: "idx"; images: string; labels: string; classes?: string }
  | { kind: "cifar10"; files: string[]; classes?: string }
  | { kind: "cifar100"; files: string[]; classes?: string }
  | { kind: "npy"; images: string; labels: string; classes?: string };

async function locate(dir: string, split: Split): Promise<Located> {
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new Error(`${dir}: no such file or directory`);
  if (!st.isDirectory()) throw new Error(`${dir}: not a directory (for an images .npy file, pass --labels too)`);
  const classes = await firstExisting(dir, ["classes.txt", "batches.meta.txt", "fine_label_names.txt"]);
  const idxPrefix = split === "train" ? ["train"] : ["t10k", "test"];
  for (const p of idxPrefix) {
    const images = await firstExisting(dir, [
      `${p}-images-idx3-ubyte.gz`,
      `${p}-images-idx3-ubyte`,
      `${p}-images.idx3-ubyte`,
    ]);
    const labels = await firstExisting(dir, [
      `${p}-labels-idx1-ubyte.gz`,
      `${p}-labels-idx1-ubyte`,
      `${p}-labels.idx1-ubyte`,
    ]);
    if (images && labels) return { kind: "idx", images, labels, ...(classes ? { classes } : {}) };
  }
  for (const sub of [".", "cifar-10-batches-bin"]) {
    const d = join(dir, sub);
    if (existsSync(join(d, "data_batch_1.bin"))) {
      const files =
        split === "train"
          ? [1, 2, 3, 4, 5].map((i) => join(d, `data_batch_${i}.bin`)).filter(existsSync)
          : [join(d, "test_batch.bin")];
      const cls = await firstExisting(d, ["batches.meta.txt"]);
      if (files.every(existsSync)) return { kind: "cifar10", files, ...(cls ? { classes: cls } : {}) };
    }
  }
  for (const sub of [".", "cifar-100-binary"]) {
    const d = join(dir, sub);
    const f = join(d, `${split}.bin`);
    if (existsSync(f) && existsSync(join(d, "fine_label_names.txt"))) {
      return { kind: "cifar100", files: [f], classes: join(d, "fine_label_names.txt") };
    }
  }
  const npyImages = await firstExisting(dir, [`${split}_images.npy`, `x_${split}.npy`]);
  const npyLabels = await firstExisting(dir, [`${split}_labels.npy`, `y_${split}.npy`]);
  if (npyImages && npyLabels)
    return { kind: "npy", images: npyImages, labels: npyLabels, ...(classes ? { classes } : {}) };
  throw new Error(
    `${dir}: no ${split} split found (looked for IDX ${idxPrefix[0]}-images-idx3-ubyte[.gz] + labels, CIFAR-10 data_batch_*.bin/test_batch.bin, CIFAR-100 ${split}.bin + fine_label_names.txt, or ${split}_images.npy + ${split}_labels.npy)`,
  );
}

/** Reads a dataset split from disk; errors name the file and the problem. */
export async function loadDataset(spec: DatasetSpec): Promise<ImageDataset> {
  const split = spec.split ?? "train";
  const path = resolveDatasetPath(spec.path);
  const opts = spec.numClasses === undefined ? {} : { numClasses: spec.numClasses };
  if (spec.labels !== undefined || path.endsWith(".npy")) {
    if (spec.labels === undefined) throw new Error(`${path}: an images .npy file needs a labels .npy file (--labels)`);
    const labels = resolve(spec.labels);
    return datasetFromNpy(await readFile(path), await readFile(labels), {
      name: basename(path, ".npy"),
      imagesName: path,
      labelsName: labels,
      ...opts,
    });
  }
  const where = await locate(path, split);
  const name = `${spec.path === "default" ? "fashion-mnist-default" : basename(path)}/${split}`;
  let ds: ImageDataset;
  switch (where.kind) {
    case "idx":
      ds = datasetFromIdx(await readFile(where.images), await readFile(where.labels), {
        name,
        imagesName: where.images,
        labelsName: where.labels,
        ...opts,
      });
      break;
    case "npy":
      ds = datasetFromNpy(await readFile(where.images), await readFile(where.labels), {
        name,
        imagesName: where.images,
        labelsName: where.labels,
        ...opts,
      });
      break;
    case "cifar10":
    case "cifar100": {
      const files = [];
      for (const f of where.files) files.push({ name: f, bytes: new Uint8Array(await readFile(f)) });
      ds = datasetFromCifar(files, { name, variant: where.kind === "cifar10" ? 10 : 100 });
      break;
    }
  }
  return withNames(ds, await readClassNames(where.classes));
}

/**
 * Builds a directory at a temporary sibling path with `fill`, then renames it onto `target`
 * (replacing an earlier one only if `canReplace` accepts it). Stale partial directories from
 * interrupted runs are removed first.
 */
export async function writeDirAtomically(
  target: string,
  fill: (dir: string) => Promise<void>,
  canReplace: (existing: string) => boolean,
): Promise<void> {
  const abs = resolve(target);
  const parent = dirname(abs);
  const base = basename(abs);
  await mkdir(parent, { recursive: true });
  if (existsSync(abs)) {
    const st = await stat(abs);
    const empty = st.isDirectory() && (await readdir(abs)).length === 0;
    if (!st.isDirectory() || (!empty && !canReplace(abs)))
      throw new Error(`${abs}: exists and is not a directory classfit wrote; refusing to replace it`);
  }
  for (const e of await readdir(parent)) {
    if (e.startsWith(`.${base}.partial-`)) await rm(join(parent, e), { recursive: true, force: true });
  }
  const tmp = await mkdtemp(join(parent, `.${base}.partial-`));
  try {
    await chmod(tmp, 0o755); // mkdtemp makes it private; the result is an ordinary directory
    await fill(tmp);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  if (existsSync(abs)) {
    const old = join(parent, `.${base}.partial-old-${process.pid}`);
    await rename(abs, old);
    await rename(tmp, abs);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(tmp, abs);
  }
}

const isModelDir = (d: string) => existsSync(join(d, MANIFEST_JSON)) && existsSync(join(d, MODEL_JSON));

/** Writes MODELDIR (model.json, weights.bin, manifest.json [, extra files]) atomically. */
export async function writeModelDir(
  dir: string,
  bytes: ModelBytes,
  manifest: ModelManifest,
  extra: Record<string, Uint8Array | string> = {},
): Promise<void> {
  await writeDirAtomically(
    dir,
    async (tmp) => {
      await writeFile(join(tmp, MODEL_JSON), bytes.modelJson);
      await writeFile(join(tmp, WEIGHTS_BIN), bytes.weights);
      await writeFile(join(tmp, MANIFEST_JSON), `${JSON.stringify(manifest, null, 2)}\n`);
      for (const [name, content] of Object.entries(extra)) await writeFile(join(tmp, name), content);
    },
    isModelDir,
  );
}

export interface LoadedModel {
  model: LayersModel;
  /** null for a plain tfjs model directory without classfit's manifest. */
  manifest: ModelManifest | null;
  dir: string;
}

/** Reads a model directory: any tfjs layers model.json with its weight files, plus manifest.json if present. */
export async function readModelDir(dir: string): Promise<LoadedModel> {
  const abs = resolve(dir);
  const jsonPath = existsSync(abs) && (await stat(abs)).isFile() ? abs : join(abs, MODEL_JSON);
  const root = dirname(jsonPath);
  if (!existsSync(jsonPath)) throw new Error(`${abs}: no ${MODEL_JSON} (expected a tfjs layers model directory)`);
  const text = await readFile(jsonPath, "utf8");
  const { weightPaths } = parseModelJson(text, jsonPath);
  const parts: Uint8Array[] = [];
  for (const p of weightPaths) {
    const f = join(root, p);
    if (!existsSync(f)) throw new Error(`${jsonPath}: weight file ${p} is missing`);
    parts.push(new Uint8Array(await readFile(f)));
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const weights = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    weights.set(p, off);
    off += p.length;
  }
  const model = await deserializeModel(text, weights, jsonPath);
  const manifestPath = join(root, MANIFEST_JSON);
  let manifest: ModelManifest | null = null;
  if (existsSync(manifestPath)) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(manifestPath, "utf8"));
    } catch (e) {
      model.dispose();
      throw new Error(`${manifestPath}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    try {
      manifest = validateManifest(raw, manifestPath);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  return { model, manifest, dir: root };
}

const MOMENTUM_BIN = "momentum.bin";
const MOMENTUM_JSON = "momentum.json";
/** The per-example cumulative training loss so far (float64, little-endian, dataset order). */
const LOSS_BIN = "loss.bin";

/** Writes a training checkpoint (the model so far plus momentum buffers) atomically. */
export async function writeCheckpoint(
  dir: string,
  bytes: ModelBytes,
  manifest: ModelManifest,
  state: TrainCheckpoint,
): Promise<void> {
  const names = Object.keys(state.momentum);
  const total = names.reduce((s, n) => s + (state.momentum[n] as Float32Array).length, 0);
  const all = new Float32Array(total);
  const index: { name: string; offset: number; length: number }[] = [];
  let off = 0;
  for (const n of names) {
    const m = state.momentum[n] as Float32Array;
    all.set(m, off);
    index.push({ name: n, offset: off, length: m.length });
    off += m.length;
  }
  await writeModelDir(dir, bytes, manifest, {
    [MOMENTUM_BIN]: new Uint8Array(all.buffer),
    [MOMENTUM_JSON]: `${JSON.stringify({ epoch: state.epoch, buffers: index }, null, 2)}\n`,
    ...(state.cumulativeLoss
      ? {
          [LOSS_BIN]: new Uint8Array(
            state.cumulativeLoss.buffer,
            state.cumulativeLoss.byteOffset,
            state.cumulativeLoss.byteLength,
          ),
        }
      : {}),
  });
}

/** Reads a checkpoint written by writeCheckpoint. */
export async function readCheckpoint(dir: string): Promise<LoadedModel & { state: TrainCheckpoint }> {
  const loaded = await readModelDir(dir);
  try {
    const meta = JSON.parse(await readFile(join(loaded.dir, MOMENTUM_JSON), "utf8")) as {
      epoch: number;
      buffers: { name: string; offset: number; length: number }[];
    };
    const bin = await readFile(join(loaded.dir, MOMENTUM_BIN));
    const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    const momentum: Record<string, Float32Array> = {};
    for (const b of meta.buffers) {
      if (b.offset + b.length > all.length) throw new Error(`${dir}: momentum.bin is truncated`);
      momentum[b.name] = all.slice(b.offset, b.offset + b.length);
    }
    const lossPath = join(loaded.dir, LOSS_BIN);
    let cumulativeLoss: Float64Array | undefined;
    if (existsSync(lossPath)) {
      const lb = await readFile(lossPath);
      if (lb.byteLength % 8 !== 0) throw new Error(`${dir}: ${LOSS_BIN} is truncated`);
      cumulativeLoss = new Float64Array(lb.buffer.slice(lb.byteOffset, lb.byteOffset + lb.byteLength));
    }
    return { ...loaded, state: { epoch: meta.epoch, momentum, ...(cumulativeLoss ? { cumulativeLoss } : {}) } };
  } catch (e) {
    loaded.model.dispose();
    throw new Error(`${dir}: not a usable checkpoint (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Manifest of an activations directory. */
export interface ActivationsManifest {
  format: "classfit-activations";
  version: 1;
  model: string;
  dataset: { name: string; n: number; numClasses: number; classNames?: string[] };
  pool: "avg" | "max";
  stages: { name: string; file: string; channels: number }[];
  labels: string;
  command?: string;
  createdBy: string;
}

function safeFileName(stage: string): string {
  return stage.replace(/[^A-Za-z0-9._-]/g, "_");
}

/**
 * An ActivationSink writing one float32 `.npy` per stage (N × C), streamed row block by row
 * block, into a directory that appears under its final name only once complete.
 */
export class NpyDirSink implements ActivationSink {
  readonly #target: string;
  readonly #meta: Omit<ActivationsManifest, "stages" | "labels" | "format" | "version">;
  readonly #labels: Int32Array;
  #files: { name: string; file: string; channels: number }[] = [];
  #handles: import("node:fs/promises").FileHandle[] = [];
  #tmp: string | undefined;
  #next: number[] = [];

  constructor(
    target: string,
    meta: Omit<ActivationsManifest, "stages" | "labels" | "format" | "version">,
    labels: Int32Array,
  ) {
    this.#target = resolve(target);
    this.#meta = meta;
    this.#labels = labels;
  }

  async begin(info: { stages: string[]; channels: number[]; n: number }): Promise<void> {
    const parent = dirname(this.#target);
    await mkdir(parent, { recursive: true });
    const base = basename(this.#target);
    for (const e of await readdir(parent)) {
      if (e.startsWith(`.${base}.partial-`)) await rm(join(parent, e), { recursive: true, force: true });
    }
    if (
      existsSync(this.#target) &&
      (await readdir(this.#target)).length > 0 &&
      !existsSync(join(this.#target, "labels.npy"))
    )
      throw new Error(
        `${this.#target}: exists and is not an activations directory classfit wrote; refusing to replace it`,
      );
    this.#tmp = await mkdtemp(join(parent, `.${base}.partial-`));
    await chmod(this.#tmp, 0o755);
    const used = new Set<string>();
    this.#files = info.stages.map((name, i) => {
      let file = `${safeFileName(name)}.npy`;
      for (let k = 2; used.has(file); k++) file = `${safeFileName(name)}_${k}.npy`;
      used.add(file);
      return { name, file, channels: info.channels[i] as number };
    });
    for (const f of this.#files) {
      const h = await open(join(this.#tmp, f.file), "w");
      this.#handles.push(h);
      await h.write(npyHeaderF32([info.n, f.channels]));
    }
    this.#next = info.stages.map(() => 0);
  }

  async write(stage: number, start: number, rows: Float32Array): Promise<void> {
    const h = this.#handles[stage];
    const f = this.#files[stage];
    if (!h || !f) throw new Error(`NpyDirSink: no stage ${stage}`);
    if (start !== this.#next[stage]) throw new Error(`NpyDirSink: rows for stage ${f.name} out of order`);
    await h.write(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
    this.#next[stage] = start + rows.length / f.channels;
  }

  async end(): Promise<void> {
    const tmp = this.#tmp;
    if (!tmp) throw new Error("NpyDirSink: end() before begin()");
    for (const h of this.#handles.splice(0)) await h.close();
    await writeFile(join(tmp, "labels.npy"), encodeNpy(this.#labels, [this.#labels.length]));
    const manifest: ActivationsManifest = {
      format: "classfit-activations",
      version: 1,
      ...this.#meta,
      stages: this.#files,
      labels: "labels.npy",
    };
    await writeFile(join(tmp, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    const isActDir = (d: string) => {
      try {
        return existsSync(join(d, "manifest.json")) && existsSync(join(d, "labels.npy"));
      } catch {
        return false;
      }
    };
    if (existsSync(this.#target)) {
      const empty = (await readdir(this.#target)).length === 0;
      if (!empty && !isActDir(this.#target)) {
        await rm(tmp, { recursive: true, force: true });
        throw new Error(
          `${this.#target}: exists and is not an activations directory classfit wrote; refusing to replace it`,
        );
      }
      const old = `${this.#target}.partial-old-${process.pid}`;
      await rename(this.#target, old);
      await rename(tmp, this.#target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, this.#target);
    }
  }

  /** Removes the partial directory after a failure. */
  async abort(): Promise<void> {
    for (const h of this.#handles.splice(0)) await h.close().catch(() => undefined);
    if (this.#tmp) await rm(this.#tmp, { recursive: true, force: true });
  }
}
