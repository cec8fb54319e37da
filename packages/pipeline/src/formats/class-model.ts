// A fitted class model (one DP-GMM) as an `.npz` that NumPy and SciPy read without classfit:
// `class-NN/model.npz`, written by `classfit fit` and by the study's fit step alike.
//
// Members (C = every component of every kept trace, trace by trace; T kept traces):
//   meta         uint8 (L,)    canonical JSON: format, n, d, the sampler config (predictive,
//                              classScore, profile settings…), prior, R̂, mean K, warnings, and
//                              how each variant pools traces (docs/python.md)
//   weights      f8 (C,)       mixture weight of each component in the `exact` and `mean-log`
//                              predictive: n_k/(n+α) for a cluster, α/(n+α) for the trace's
//                              new-cluster component (Neal 2000, eq. 3.7)
//   paper_weights f8 (C,)      the `paper` variant's weights (α+n_k)/(Kα+n); 0 for new-cluster rows
//   means        f8 (C, d)     Student-t location μ_n (μ0 for the new-cluster component)
//   scale_chol   f8 (C, d, d)  lower Cholesky factor of the Student-t scale matrix
//                              Σ = S_n (κ_n+1)/(κ_n (ν_n−d+1))  (Murphy 2007, eq. 258)
//   df           f8 (C,)       degrees of freedom ν_n − d + 1
//   trace        i4 (C,)       the kept trace each component belongs to (0 … T−1)
//   is_new       u1 (C,)       1 for the new-cluster (prior predictive) component of a trace
//   counts       i4 (C,)       n_k (0 for new-cluster rows)
//   alpha        f8 (T,)       each trace's DP concentration α
//   cfdpgmm      uint8         the model in classfit's own lossless encoding (every chain's full
//                              state, traces, diagnostics), which classfit reads back
// Then, per point x and trace t, log p_t(x) = log Σ_{k∈t} w_k t(x; μ_k, Σ_k, df_k), and
// `exact` = log mean_t p_t(x), `mean-log` and `paper` = mean_t log p_t(x): what wasm-core's
// mixture (assembly/predictive.ts) computes. Only + − × ÷ and sqrt make the arrays, so every
// engine writes the same bytes.
import { encodeNpz, looksLikeZip } from "@classfit/models/npy";
import {
  allTraces,
  type ClassModel,
  decodeClassModel,
  encodeClassModel,
  type PredictiveVariant,
} from "@classfit/wasm-core";
import { InputError } from "../errors.js";
import { canonicalJson, decodeContainer, type Json } from "../units/container.js";
import { noteLegacyFormat } from "./legacy.js";

export const CLASS_MODEL_FORMAT = "classfit-class-model";
export const CLASS_MODEL_FORMAT_VERSION = 1;
/** The file name of a fitted class model, in a FITDIR and in a study's `fit/class-NN/`. */
export const CLASS_MODEL_FILE = "model.npz";

/** How each predictive variant pools the per-trace log densities log p_t(x). */
export const POOLING: Record<PredictiveVariant, { weights: string; pool: string }> = {
  exact: { weights: "weights", pool: "log-mean-exp" },
  "mean-log": { weights: "weights", pool: "mean" },
  paper: { weights: "paper_weights", pool: "mean" },
};

const CFDPGMM_MAGIC = [0x43, 0x46, 0x44, 0x50, 0x47, 0x4d, 0x4d, 0x00];

/** Whether bytes are a raw CFDPGMM class model (the format before `.npz`). */
export function isLegacyClassModel(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && CFDPGMM_MAGIC.every((b, i) => bytes[i] === b);
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** The `.npz` of a class model; `encoded` (its encodeClassModel bytes) saves re-encoding. */
export function encodeClassModelNpz(model: ClassModel, encoded: Uint8Array = encodeClassModel(model)): Uint8Array {
  const { d } = model;
  const traces = allTraces(model);
  const T = traces.length;
  const C = traces.reduce((s, t) => s + t.counts.length + 1, 0);
  const weights = new Float64Array(C);
  const paperWeights = new Float64Array(C);
  const means = new Float64Array(C * d);
  const scaleChol = new Float64Array(C * d * d);
  const df = new Float64Array(C);
  const trace = new Int32Array(C);
  const isNew = new Uint8Array(C);
  const counts = new Int32Array(C);
  const alpha = new Float64Array(T);
  const { mu0, s0, kappa0, nu0 } = model.prior;
  let c = 0;
  traces.forEach((t, ti) => {
    const K = t.counts.length;
    let n = 0;
    for (let k = 0; k < K; k++) n += t.counts[k] as number;
    alpha[ti] = t.alpha;
    for (let k = 0; k < K; k++, c++) {
      const nk = t.counts[k] as number;
      const kappa = kappa0 + nk;
      const nu = nu0 + nk;
      const dof = nu - d + 1;
      const f = Math.sqrt((kappa + 1) / (kappa * dof));
      weights[c] = nk / (n + t.alpha);
      paperWeights[c] = (t.alpha + nk) / (K * t.alpha + n);
      means.set(t.means.subarray(k * d, (k + 1) * d), c * d);
      for (let i = 0; i < d; i++)
        for (let j = 0; j <= i; j++) scaleChol[c * d * d + i * d + j] = (t.chol[k * d * d + i * d + j] as number) * f;
      df[c] = dof;
      trace[c] = ti;
      counts[c] = nk;
    }
    // The new-cluster term: the prior predictive t_{ν0−d+1}(μ0, S0 (κ0+1)/(κ0 (ν0−d+1))).
    const dof0 = nu0 - d + 1;
    const f0 = (kappa0 + 1) / (kappa0 * dof0);
    weights[c] = t.alpha / (n + t.alpha);
    paperWeights[c] = 0;
    means.set(mu0, c * d);
    for (let i = 0; i < d; i++) scaleChol[c * d * d + i * d + i] = Math.sqrt((s0[i] as number) * f0);
    df[c] = dof0;
    trace[c] = ti;
    isNew[c] = 1;
    c++;
  });
  const meta: Record<string, Json> = {
    format: CLASS_MODEL_FORMAT,
    formatVersion: CLASS_MODEL_FORMAT_VERSION,
    n: model.n,
    d,
    traces: T,
    components: C,
    config: { ...model.config } as unknown as Json,
    prior: { kappa0, nu0, flooredDims: model.prior.flooredDims, mu0: [...mu0], s0: [...s0] },
    rhat: { logJoint: finiteOrNull(model.rhat.logJoint), k: finiteOrNull(model.rhat.k) },
    meanK: finiteOrNull(model.meanK),
    warnings: model.warnings,
    pooling: POOLING as unknown as Json,
  };
  const header = new TextEncoder().encode(canonicalJson(meta));
  return encodeNpz([
    ["meta", header, [header.length]],
    ["weights", weights, [C]],
    ["paper_weights", paperWeights, [C]],
    ["means", means, [C, d]],
    ["scale_chol", scaleChol, [C, d, d]],
    ["df", df, [C]],
    ["trace", trace, [C]],
    ["is_new", isNew, [C]],
    ["counts", counts, [C]],
    ["alpha", alpha, [T]],
    ["cfdpgmm", encoded, [encoded.length]],
  ]);
}

/** A class model file read back: the model, and its lossless encoding (what tasks take). */
export interface ReadClassModel {
  model: ClassModel;
  encoded: Uint8Array;
}

/**
 * Reads a class model file: the `.npz` (checked: format, the members' shapes against each other
 * and against the embedded model), or, for one version, a raw CFDPGMM file (with a note).
 * Anything else is bad input naming `what`.
 */
export function readClassModelFile(bytes: Uint8Array, what: string): ReadClassModel {
  if (isLegacyClassModel(bytes)) {
    noteLegacyFormat(what, "CFDPGMM");
    return { model: decodeLegacy(bytes, what), encoded: bytes };
  }
  if (!looksLikeZip(bytes)) throw new InputError(`${what}: not a classfit class model (neither .npz nor CFDPGMM)`);
  const c = decodeContainer(bytes, what);
  if (c.meta.format !== CLASS_MODEL_FORMAT)
    throw new InputError(`${what}: not a classfit class model (format ${JSON.stringify(c.meta.format ?? null)})`);
  const encoded = c.arrays.get("cfdpgmm");
  if (!(encoded instanceof Uint8Array)) throw new InputError(`${what}: missing its uint8 'cfdpgmm' member`);
  const model = decodeLegacy(encoded, `${what}[cfdpgmm]`);
  const C = allTraces(model).reduce((s, t) => s + t.counts.length + 1, 0);
  const d = model.d;
  const want: Record<string, number[]> = {
    weights: [C],
    paper_weights: [C],
    means: [C, d],
    scale_chol: [C, d, d],
    df: [C],
    trace: [C],
    is_new: [C],
    counts: [C],
    alpha: [allTraces(model).length],
  };
  for (const [name, shape] of Object.entries(want)) {
    const got = c.shapes.get(name);
    if (got === undefined) throw new InputError(`${what}: missing member '${name}'`);
    if (got.length !== shape.length || got.some((v, i) => v !== shape[i]))
      throw new InputError(
        `${what}: member '${name}' has shape (${got.join(", ")}), expected (${shape.join(", ")}) for this model`,
      );
  }
  if (c.meta.d !== d || c.meta.n !== model.n)
    throw new InputError(`${what}: metadata (n, d) disagrees with the embedded model`);
  return { model, encoded };
}

function decodeLegacy(bytes: Uint8Array, what: string): ClassModel {
  try {
    return decodeClassModel(bytes);
  } catch (e) {
    throw new InputError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The file name of a class's folder: `class-NN` (two digits at least), `class-all` unlabelled. */
export function classDirName(label: number | null): string {
  return label === null ? "class-all" : `class-${String(label).padStart(2, "0")}`;
}
