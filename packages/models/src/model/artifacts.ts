// A model on disk is a tfjs layers-model directory: `model.json` (topology + weights manifest)
// plus `weights.bin`, and classfit's `manifest.json` beside them recording how it was made.
// This module converts between a LayersModel and those bytes; hosts do the file I/O.
import * as tf from "@tensorflow/tfjs-core";
import { type LayersModel, loadLayersModel } from "@tensorflow/tfjs-layers";
import { type ArchConfig, type InputSpec, validateArchConfig } from "../arch/config.js";
import type { Augmentation, Normalisation } from "../data/dataset.js";
import "../arch/layers.js"; // registers the custom layers before any model is deserialised

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";
export const MANIFEST_JSON = "manifest.json";

/** Training settings as recorded in a manifest. */
export interface TrainingRecord {
  epochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  weightDecay: number;
  schedule: string;
  augmentation: Augmentation;
  seed: number;
}

/** classfit's record of a model, saved as manifest.json next to model.json. */
export interface ModelManifest {
  format: "classfit-model";
  version: 1;
  /** null for models classfit did not build (imported tfjs models). */
  architecture: ArchConfig | null;
  input: InputSpec;
  /** Stage-output layer names, in order (what `extract` reads by default). */
  stages: string[];
  normalisation: Normalisation;
  dataset: { name: string; n: number; test?: { name: string; n: number } };
  parameters: number;
  training?: TrainingRecord;
  /** Epochs completed. */
  epochs?: number;
  metrics?: { trainLoss?: number; trainAccuracy?: number; testAccuracy?: number; testN?: number };
  /** The exact command line that made the model. */
  command?: string;
  createdBy: string;
}

export interface ModelBytes {
  /** model.json text (tfjs "layers-model" format, one weights file). */
  modelJson: string;
  weights: Uint8Array;
}

/** Serialises `model` to tfjs layers-model format (model.json + one weights.bin). */
export async function serializeModel(model: LayersModel): Promise<ModelBytes> {
  let out: ModelBytes | undefined;
  await model.save({
    save: async (artifacts: tf.io.ModelArtifacts) => {
      const data = artifacts.weightData;
      const buf =
        data === undefined ? new ArrayBuffer(0) : Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
      const json = {
        format: "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      out = { modelJson: JSON.stringify(json), weights: new Uint8Array(buf) };
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
    },
  });
  if (!out) throw new Error("serializeModel: tfjs did not call the save handler");
  return out;
}

interface ModelJsonShape {
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
}

/** Parses model.json text and lists the weight files it names, in order. */
export function parseModelJson(text: string, where = MODEL_JSON): { json: ModelJsonShape; weightPaths: string[] } {
  let json: ModelJsonShape;
  try {
    json = JSON.parse(text) as ModelJsonShape;
  } catch (e) {
    throw new Error(`${where}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof json !== "object" || json === null || json.modelTopology === undefined)
    throw new Error(`${where}: not a tfjs model.json (no modelTopology)`);
  if (json.format !== undefined && json.format !== "layers-model")
    throw new Error(
      `${where}: format "${json.format}" is not a tfjs layers model (graph models have no named stage layers)`,
    );
  if (!Array.isArray(json.weightsManifest)) throw new Error(`${where}: no weightsManifest`);
  return { json, weightPaths: json.weightsManifest.flatMap((g) => g.paths) };
}

/** Rebuilds a LayersModel from model.json text and its weight bytes (shards concatenated in manifest order). */
export async function deserializeModel(
  modelJson: string,
  weights: Uint8Array,
  where = MODEL_JSON,
): Promise<LayersModel> {
  const { json } = parseModelJson(modelJson, where);
  const weightSpecs = (json.weightsManifest ?? []).flatMap((g) => g.weights);
  let expected = 0;
  for (const s of weightSpecs) {
    const bytesPer =
      s.dtype === "int32" || s.dtype === "float32" || s.dtype === undefined ? 4 : s.dtype === "bool" ? 1 : 4;
    if (s.quantization) throw new Error(`${where}: quantized weights (${s.name}) are not supported`);
    expected += s.shape.reduce((a, b) => a * b, 1) * bytesPer;
  }
  if (weights.byteLength !== expected)
    throw new Error(
      `${where}: the weights manifest needs ${expected} bytes, the weight files hold ${weights.byteLength}`,
    );
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  try {
    return await loadLayersModel({
      load: async () => ({
        modelTopology: json.modelTopology as object,
        weightSpecs,
        weightData,
        format: "layers-model",
      }),
    });
  } catch (e) {
    throw new Error(`${where}: tfjs could not load the model: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Checks a manifest read from disk. */
export function validateManifest(raw: unknown, where = MANIFEST_JSON): ModelManifest {
  if (typeof raw !== "object" || raw === null) throw new Error(`${where}: expected a JSON object`);
  const m = raw as Partial<ModelManifest>;
  if (m.format !== "classfit-model")
    throw new Error(`${where}: not a classfit model manifest (format ${JSON.stringify(m.format)})`);
  if (m.version !== 1) throw new Error(`${where}: unsupported manifest version ${JSON.stringify(m.version)}`);
  if (m.architecture !== null) {
    try {
      validateArchConfig(m.architecture);
    } catch (e) {
      throw new Error(`${where}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const n = m.normalisation;
  if (
    !n ||
    !Array.isArray(n.mean) ||
    !Array.isArray(n.std) ||
    typeof n.pixelScale !== "number" ||
    n.mean.length !== n.std.length
  )
    throw new Error(`${where}: missing or malformed normalisation`);
  if (!m.input || typeof m.input.height !== "number") throw new Error(`${where}: missing input spec`);
  if (!Array.isArray(m.stages) || m.stages.some((s) => typeof s !== "string"))
    throw new Error(`${where}: stages must be a list of layer names`);
  return m as ModelManifest;
}

/** The layers named `names`, with a clear error naming what is missing and what exists. */
// The return type is spelled out: inferred, tsc would name a deep tfjs-layers path that a
// consumer's module resolution (nodenext, exports maps) cannot follow.
export function resolveStageLayers(
  model: LayersModel,
  names: readonly string[],
  where = MODEL_JSON,
): LayersModel["layers"] {
  if (names.length === 0) throw new Error(`${where}: no stage layers given`);
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const missing = names.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    const all = model.layers.map((l) => l.name);
    const shown = all.length > 40 ? `${all.slice(0, 40).join(", ")}, … (${all.length} in all)` : all.join(", ");
    throw new Error(`${where}: no layer named ${missing.map((m) => `'${m}'`).join(", ")} (layers: ${shown})`);
  }
  return names.map((n) => byName.get(n) as NonNullable<ReturnType<typeof byName.get>>);
}

/** The input spec a loaded model expects (from its input layer). */
export function inputSpecOf(model: LayersModel, where = MODEL_JSON): InputSpec {
  const shape = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || !shape || shape.length !== 4)
    throw new Error(
      `${where}: expected one image input of shape [batch, h, w, c], got ${JSON.stringify(model.inputs.map((i) => i.shape))}`,
    );
  const [, h, w, c] = shape;
  const out = model.outputs[0]?.shape;
  const k = out?.[out.length - 1];
  if (typeof h !== "number" || typeof w !== "number" || typeof c !== "number")
    throw new Error(`${where}: the input shape must be fully known, got [${shape.join(", ")}]`);
  return { height: h, width: w, channels: c, numClasses: typeof k === "number" ? k : 0 };
}
