// Stage activations (METHOD.md §1): for each chosen stage layer, the spatial mean (or max) of
// its output — r_s(x), one C-vector per example — computed in batches and handed to a sink
// batch by batch, so no stage's full feature maps for the dataset ever exist at once.
import * as tf from "@tensorflow/tfjs-core";
import { model as functionalModel, type LayersModel, type SymbolicTensor } from "@tensorflow/tfjs-layers";
import { checkNormalisation, fillBatch, type ImageDataset, type Normalisation } from "../data/dataset.js";
import { resolveStageLayers } from "../model/artifacts.js";
import { checkDatasetFitsModel } from "../train/train.js";

export type Pooling = "avg" | "max";

/** Receives pooled rows: for stage `s`, rows [start, start + b) as a (b × channels[s]) Float32Array. */
export interface ActivationSink {
  begin(info: { stages: string[]; channels: number[]; n: number }): void | Promise<void>;
  write(stage: number, start: number, rows: Float32Array): void | Promise<void>;
  end(): void | Promise<void>;
}

export interface ExtractOptions {
  model: LayersModel;
  stages: readonly string[];
  dataset: ImageDataset;
  normalisation: Normalisation;
  pool?: Pooling;
  batchSize?: number;
  sink: ActivationSink;
  onProgress?: (done: number, total: number) => void;
  /** Names the model in error messages. */
  where?: string;
}

/**
 * A model sharing `model`'s weights whose outputs are the stage layers' outputs. (Do not
 * dispose it: that would dispose the shared weights.)
 */
export function stageModel(
  model: LayersModel,
  stages: readonly string[],
  where?: string,
): { model: LayersModel; channels: number[] } {
  const layers = resolveStageLayers(model, stages, where);
  const outputs = layers.map((l) => {
    if (l.inboundNodes.length !== 1)
      throw new Error(
        `${where ?? "model"}: stage layer '${l.name}' is used ${l.inboundNodes.length} times; its output is ambiguous`,
      );
    const out = l.output;
    if (Array.isArray(out)) throw new Error(`${where ?? "model"}: stage layer '${l.name}' has several outputs`);
    return out as SymbolicTensor;
  });
  const channels = outputs.map((o, i) => {
    const c = o.shape[o.shape.length - 1];
    if (typeof c !== "number" || o.shape.length < 2 || o.shape.length > 4)
      throw new Error(
        `${where ?? "model"}: stage layer '${stages[i]}' outputs shape [${o.shape.join(", ")}]; expected [batch, h, w, c], [batch, tokens, c] or [batch, c]`,
      );
    return c;
  });
  return { model: functionalModel({ inputs: model.inputs, outputs }), channels };
}

/** Global pooling of a stage output to (batch, channels): over (h, w) for maps, over tokens for sequences. */
export function poolStage(t: tf.Tensor, pool: Pooling): tf.Tensor2D {
  if (t.rank === 2) return t as tf.Tensor2D;
  const axes = t.rank === 4 ? [1, 2] : [1];
  return (pool === "max" ? tf.max(t, axes) : tf.mean(t, axes)) as tf.Tensor2D;
}

/** Runs the extraction, feeding `sink`. Every tensor it creates is disposed before it returns. */
export async function extractActivations(o: ExtractOptions): Promise<{ channels: number[] }> {
  const ds = o.dataset;
  checkDatasetFitsModel(o.model, ds);
  checkNormalisation(o.normalisation, ds);
  const pool = o.pool ?? "avg";
  if (pool !== "avg" && pool !== "max") throw new Error(`extract: pooling must be avg or max, got ${String(pool)}`);
  const { model, channels } = stageModel(o.model, o.stages, o.where);
  const bs = Math.max(1, Math.min(o.batchSize ?? 128, ds.n));
  const buf = new Float32Array(bs * ds.height * ds.width * ds.channels);
  await o.sink.begin({ stages: [...o.stages], channels, n: ds.n });
  for (let start = 0; start < ds.n; start += bs) {
    const b = Math.min(bs, ds.n - start);
    const rows = await extractRows(model, ds, o.normalisation, pool, start, b, buf);
    for (let s = 0; s < rows.length; s++) await o.sink.write(s, start, rows[s] as Float32Array);
    o.onProgress?.(start + b, ds.n);
  }
  await o.sink.end();
  return { channels };
}

/**
 * The pooled stage outputs of examples [start, start + b) of `ds` through a `stageModel`: one
 * (b × channels[s]) Float32Array per stage. A batch's rows depend only on the examples in it, so
 * workers that each run some of the batches of one extraction give its bytes. `buf` (at least
 * b × height × width × channels) is reused for the normalised inputs when given.
 */
export async function extractRows(
  model: LayersModel,
  ds: ImageDataset,
  normalisation: Normalisation,
  pool: Pooling,
  start: number,
  b: number,
  buf?: Float32Array,
): Promise<Float32Array[]> {
  const px = ds.height * ds.width * ds.channels;
  const input = buf ?? new Float32Array(b * px);
  const idx = Int32Array.from({ length: b }, (_, j) => start + j);
  fillBatch(ds, idx, normalisation, input);
  const pooled = tf.tidy(() => {
    const x = tf.tensor4d(input.subarray(0, b * px), [b, ds.height, ds.width, ds.channels]);
    const outs = model.predict(x);
    const list = Array.isArray(outs) ? outs : [outs];
    return list.map((t) => poolStage(t, pool));
  });
  try {
    const out: Float32Array[] = [];
    for (const t of pooled) out.push(((await t.data()) as Float32Array).slice());
    return out;
  } finally {
    for (const t of pooled) t.dispose();
  }
}

/** A sink that keeps everything in memory: per stage a Float32Array of shape (n, channels), row-major. */
export class MemorySink implements ActivationSink {
  stages: string[] = [];
  channels: number[] = [];
  data: Float32Array[] = [];
  begin(info: { stages: string[]; channels: number[]; n: number }): void {
    this.stages = info.stages;
    this.channels = info.channels;
    this.data = info.channels.map((c) => new Float32Array(info.n * c));
  }
  write(stage: number, start: number, rows: Float32Array): void {
    (this.data[stage] as Float32Array).set(rows, start * (this.channels[stage] as number));
  }
  end(): void {}
}

/**
 * The `.npy` header for a little-endian float32 C-order array of `shape`, laid out as NumPy's
 * np.save writes it (format 1.0, 64-byte aligned, room for the first axis to grow), so a file
 * can be streamed: header first, then rows.
 */
export function npyHeaderF32(shape: readonly number[]): Uint8Array {
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) header += " ".repeat(Math.max(0, 21 - String(shape[0]).length));
  let pre = 10;
  if (header.length + 1 > 0xffff) pre = 12;
  const pad = (64 - ((pre + header.length + 1) % 64)) % 64;
  header = `${header}${" ".repeat(pad)}\n`;
  const out = new Uint8Array(pre + header.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, pre === 10 ? 1 : 2, 0]);
  const dv = new DataView(out.buffer);
  if (pre === 10) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  for (let j = 0; j < header.length; j++) out[pre + j] = header.charCodeAt(j);
  return out;
}
