// The one place the CLI calls wasm-core's math (projection, DP-GMM fit, predictive density,
// relative entropy), so commands and workers deal only in plain buffers and bytes.
import {
  type ClassModel,
  type Core,
  type DpgmmConfig,
  decodeClassModel,
  decodeProjection,
  dpgmmConfig,
  encodeClassModel,
  encodeProjection,
  fitClassModel,
  fitProjection,
  type KlReference,
  logPredictive,
  type PredictiveVariant,
  type Profile,
  project,
  relativeEntropy,
} from "@classfit/wasm-core";
import { InputError } from "./io.js";

export type { ClassModel, DpgmmConfig, KlReference, PredictiveVariant, Profile };
export const PROFILES: readonly Profile[] = ["default", "paper"];
export const DENSITY_VARIANTS: readonly PredictiveVariant[] = ["exact", "paper"];
export const KL_REFERENCES: readonly KlReference[] = ["diag", "full"];

/** The sampler configuration of a profile with the CLI's overrides; bad combinations become InputError. */
export function fitConfig(
  profile: Profile,
  o: { sweeps?: number; burnIn?: number; thin?: number; chains?: number; initClusters?: number; seed?: number },
): DpgmmConfig {
  const overrides: Partial<DpgmmConfig> = { profile };
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (overrides as Record<string, unknown>)[k] = v;
  try {
    return dpgmmConfig(overrides);
  } catch (e) {
    throw new InputError((e as Error).message.replace(/^dpgmm config: /, "invalid fit options: "));
  }
}

/**
 * The seed of one class: splitmix64 of (seed, label), cut to 53 bits. Classes get unrelated
 * generator streams, and a class's model depends only on the seed, its label and its rows —
 * not on --workers or the other classes. Integer-only BigInt arithmetic: same value everywhere.
 */
export function classSeed(seed: number, label: number | null): number {
  const M = (1n << 64n) - 1n;
  let z = (BigInt(seed) * 0x9e3779b97f4a7c15n + BigInt.asUintN(64, BigInt(label ?? -1)) + 0x632be59bd9b4e019n) & M;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
  z ^= z >> 31n;
  return Number(z >> 11n);
}

/** One class's fit, as sent to a worker. data: Float64Array, shape (n, d), row-major. */
export interface FitTaskInput {
  label: number | null;
  index: number;
  data: Float64Array;
  n: number;
  d: number;
  /** The run's configuration; the class's own seed is derived from config.seed and label. */
  config: DpgmmConfig;
}

export interface FitTaskResult {
  modelBytes: Uint8Array;
  meanK: number;
  /** Split-R̂ of the log joint (null when undefined, e.g. too few draws). */
  rhat: number | null;
  warnings: string[];
  seconds: number;
}

/** Fits one class; `onProgress(done, total)` counts sweeps over all chains. */
export function fitClass(
  core: Core,
  t: FitTaskInput,
  onProgress?: (done: number, total: number) => void,
): Omit<FitTaskResult, "seconds"> {
  const config = dpgmmConfig({ ...t.config, seed: classSeed(t.config.seed, t.label) });
  const total = config.sweeps * config.chains;
  const model = fitClassModel(core, t.data, t.n, t.d, config, (chain, sweep) =>
    onProgress?.(chain * config.sweeps + sweep, total),
  );
  const rhat = model.rhat.logJoint;
  return {
    modelBytes: encodeClassModel(model),
    meanK: model.meanK,
    rhat: Number.isFinite(rhat) ? rhat : null,
    warnings: model.warnings,
  };
}

/** One class's relative entropy, as sent to a worker. data: the class's rows, shape (n, d). */
export interface KlTaskInput {
  label: number | null;
  /** The class file's name, for error messages. */
  name: string;
  modelBytes: Uint8Array;
  data: Float64Array;
  n: number;
  d: number;
  samples: number;
  reference: KlReference;
  seed: number;
}

export interface KlTaskResult {
  kl: number;
  standardError: number;
  seconds: number;
}

/** Decodes a class file; a corrupt one becomes InputError naming it. */
export function loadModel(_core: Core, bytes: Uint8Array, name: string): ClassModel {
  try {
    return decodeClassModel(bytes);
  } catch (e) {
    throw new InputError(`${name}: ${(e as Error).message}`);
  }
}

/** Log predictive density of each row of points (shape (m, d)) under a class model. */
export function logDensity(
  core: Core,
  model: ClassModel,
  points: Float64Array,
  m: number,
  d: number,
  variant: PredictiveVariant,
): Float64Array {
  if (d !== model.d) throw new InputError(`points have ${d} dimensions, the model ${model.d}`);
  return logPredictive(core, model, points, m, variant);
}

/** Monte Carlo D_KL(p ‖ q) of a class model to the Gaussian of its data (shape (n, d)). */
export function relativeEntropyOf(
  core: Core,
  model: ClassModel,
  classData: Float64Array,
  n: number,
  d: number,
  o: { samples: number; reference: KlReference; seed: number; label: number | null },
): { kl: number; standardError: number } {
  if (d !== model.d) throw new InputError(`class data have ${d} dimensions, the model ${model.d}`);
  if (n !== model.n) throw new InputError(`class has ${n} rows now but ${model.n} when fitted`);
  return relativeEntropy(core, model, {
    classData,
    n,
    samples: o.samples,
    reference: o.reference,
    seed: classSeed(o.seed, o.label),
  });
}

/** SVD projection (METHOD.md §2) of data (shape (n, c)) onto k directions, and the projected rows. */
export function projectionFit(
  core: Core,
  data: Float64Array,
  n: number,
  c: number,
  k: number,
  center: boolean,
): { z: Float64Array; projectionBytes: Uint8Array; retainedEnergy: number } {
  const projection = fitProjection(core, data, n, c, { k, center });
  return {
    z: project(core, projection, data, n),
    projectionBytes: encodeProjection(projection),
    retainedEnergy: projection.retainedEnergy,
  };
}

/** Applies a saved projection (its bytes, from `name`) to data of shape (n, c). */
export function projectionApply(
  core: Core,
  bytes: Uint8Array,
  data: Float64Array,
  n: number,
  c: number,
  name: string,
): { z: Float64Array; k: number } {
  let projection: ReturnType<typeof decodeProjection>;
  try {
    projection = decodeProjection(bytes);
  } catch (e) {
    throw new InputError(`${name}: ${(e as Error).message}`);
  }
  if (projection.c !== c) {
    throw new InputError(`${name}: projects ${projection.c}-column data, the input has ${c} columns`);
  }
  return { z: project(core, projection, data, n), k: projection.k };
}
