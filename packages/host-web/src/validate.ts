// Checks the page makes as files arrive, before any study runs: the file is of a kind this slot
// takes, and a model.json is a tfjs layers model whose layer names can be offered as stages.
// Deliberately free of @classfit/models, so the page's thread never loads TensorFlow.js; the
// study worker validates the model again with models' parseModelJson and loads it.

export type Slot = "data" | "model" | "scores" | "activations";

const DATA_OK = /(-idx[13]-ubyte(\.gz)?|\.idx[13]-ubyte|\.bin|\.npy|\.txt)$/;
const MODEL_OK = /(^model\.json|^manifest\.json|\.bin)$/;
const SCORES_OK = /\.(npz|npy|csv)$/;
const ACTIVATIONS_OK = /\.npy$/;

/** A message naming the file and what the slot expects, or undefined when the name fits. */
export function checkFileType(name: string, slot: Slot): string | undefined {
  const ok = { data: DATA_OK, model: MODEL_OK, scores: SCORES_OK, activations: ACTIVATIONS_OK }[slot];
  if (ok.test(name)) return undefined;
  const want =
    slot === "data"
      ? "IDX files (*-idx3-ubyte[.gz], *-idx1-ubyte[.gz]), CIFAR binaries (*.bin), .npy arrays or a classes.txt"
      : slot === "model"
        ? "a tfjs layers model: model.json, its weight files (*.bin) and optionally classfit's manifest.json"
        : slot === "scores"
          ? "memorization scores: .npz (with tr_mem), .npy or .csv"
          : "activations: one <stage>.npy of shape (N, C) per stage";
  return `${name}: not a file this slot takes (expected ${want})`;
}

interface LayerJson {
  name?: string;
  config?: { name?: string; layers?: LayerJson[] };
  layers?: LayerJson[];
}

/** The checks of models' parseModelJson, with its messages. */
function parseLayersModelJson(text: string, where: string): { modelTopology: unknown } {
  let json: { format?: string; modelTopology?: unknown; weightsManifest?: unknown };
  try {
    json = JSON.parse(text);
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
  return { modelTopology: json.modelTopology };
}

/** Names of every layer in a tfjs layers model.json (nested models included), in order. */
export function layerNames(modelJson: string, where: string): string[] {
  const json = parseLayersModelJson(modelJson, where);
  const topo = json.modelTopology as { model_config?: LayerJson } & LayerJson;
  const root = topo.model_config ?? topo;
  const out: string[] = [];
  const walk = (layers: LayerJson[] | undefined) => {
    for (const l of layers ?? []) {
      const name = l.config?.name ?? l.name;
      if (name) out.push(name);
      walk(l.config?.layers);
    }
  };
  walk(root.config?.layers ?? root.layers);
  if (out.length === 0) throw new Error(`${where}: no layers found in modelTopology`);
  return out;
}

/** The stage layers a classfit manifest.json names, if it is one. */
export function manifestStages(text: string): string[] | undefined {
  try {
    const m = JSON.parse(text) as { stages?: unknown };
    return Array.isArray(m.stages) ? m.stages.filter((s): s is string => typeof s === "string") : undefined;
  } catch {
    return undefined;
  }
}
