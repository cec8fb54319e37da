// Certification of a dataset as work units, and the authors' density-bin protocol
// (METHOD.md §9). Each example's noise comes from its own stream (seed, example index), so an
// example's result does not depend on how examples are chunked into units or units into shares.
import type { Core } from "@classfit/wasm-core";
import { decodeContainer, encodeContainer, hashArray, type Json, requireArray } from "../units/container.js";
import { STREAM_TAG, streamOf } from "../units/streams.js";
import { configHash, type UnitProtocol } from "../units/units.js";
import { type AdaptiveOptions, certifyAdaptive, type ResolvedAdaptive, resolveAdaptive } from "./adaptive.js";
import {
  type CertifyParams,
  COHEN_DEFAULTS,
  certify,
  checkCertifyParams,
  type SmoothedClassifierBackend,
} from "./cohen.js";
import type { CertifyStats } from "./stats.js";

/**
 * Version of the code behind certification and density-bin units (UnitProtocol.codeVersion),
 * also written into their configs so that units and artifacts of another version never share a
 * key. 2: the noise of the noisy passes comes from wasm-core's ziggurat (Rng.zigguratNormal),
 * no longer from the polar method, so every example's counts changed once.
 */
export const CERTIFY_CODE_VERSION = 2;

/** The examples to certify: normalised inputs and their labels. */
export interface CertifyDataset {
  readonly size: number;
  /** Label per example, length `size`. */
  readonly labels: Int32Array;
  /** One normalised example (the backend's input layout), index in [0, size). */
  input(index: number): Float32Array | Promise<Float32Array>;
}

export interface CertifySettings extends Partial<CertifyParams> {
  /** Seed of all noise (per example: stream (certifyExample, index)). */
  seed: number;
  /** "cohen" (fixed n) or "adaptive" (see adaptive.ts). Default "cohen". */
  method?: "cohen" | "adaptive";
  adaptive?: AdaptiveOptions;
}

/** Resolved settings, as stored in configs. */
export interface ResolvedCertify {
  seed: number;
  sigma: number;
  n0: number;
  n: number;
  alpha: number;
  batchSize: number;
  method: "cohen" | "adaptive";
  adaptive: ResolvedAdaptive | null;
}

export function resolveCertify(s: CertifySettings, where = "certify"): ResolvedCertify {
  if (!Number.isSafeInteger(s.seed) || s.seed < 0)
    throw new RangeError(`${where}: seed must be an integer ≥ 0, got ${s.seed}`);
  const params: CertifyParams = {
    sigma: s.sigma ?? COHEN_DEFAULTS.sigma,
    n0: s.n0 ?? COHEN_DEFAULTS.n0,
    n: s.n ?? COHEN_DEFAULTS.n,
    alpha: s.alpha ?? COHEN_DEFAULTS.alpha,
    batchSize: s.batchSize ?? COHEN_DEFAULTS.batchSize,
  };
  checkCertifyParams(params, where);
  const method = s.method ?? "cohen";
  if (method !== "cohen" && method !== "adaptive")
    throw new RangeError(`${where}: method must be "cohen" or "adaptive", got ${String(method)}`);
  return {
    seed: s.seed,
    ...params,
    method,
    adaptive: method === "adaptive" ? resolveAdaptive(params, s.adaptive) : null,
  };
}

/** Per-example results, columns of equal length. */
export interface CertifyColumns {
  index: Int32Array;
  label: Int32Array;
  top: Int32Array;
  /** −1 = abstain. */
  prediction: Int32Array;
  countTop: Int32Array;
  /** Noisy forward passes spent (n0 + estimation samples). */
  samples: Int32Array;
  pLower: Float64Array;
  radius: Float64Array;
}

const COLUMNS_I32 = ["index", "label", "top", "prediction", "countTop", "samples"] as const;
const COLUMNS_F64 = ["pLower", "radius"] as const;

function emptyColumns(n: number): CertifyColumns {
  return {
    index: new Int32Array(n),
    label: new Int32Array(n),
    top: new Int32Array(n),
    prediction: new Int32Array(n),
    countTop: new Int32Array(n),
    samples: new Int32Array(n),
    pLower: new Float64Array(n),
    radius: new Float64Array(n),
  };
}

/** Certifies the examples `indices` of `dataset` with `backend`. */
export async function certifyExamples(
  core: Core,
  backend: SmoothedClassifierBackend,
  stats: CertifyStats,
  dataset: CertifyDataset,
  indices: ArrayLike<number>,
  s: ResolvedCertify,
): Promise<CertifyColumns> {
  const out = emptyColumns(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    const label = dataset.labels[i];
    if (label === undefined)
      throw new RangeError(`certify: example ${i} is outside the dataset (size ${dataset.size})`);
    const input = await dataset.input(i);
    const rng = core.rng(s.seed, streamOf(STREAM_TAG.certifyExample, i));
    try {
      const r =
        s.adaptive === null
          ? await certify(backend, input, s, rng, stats)
          : await certifyAdaptive(backend, input, s, rng, stats, s.adaptive);
      out.index[k] = i;
      out.label[k] = label;
      out.top[k] = r.top;
      out.prediction[k] = r.prediction;
      out.countTop[k] = r.countTop;
      out.samples[k] = r.samples;
      out.pLower[k] = r.pLower;
      out.radius[k] = r.radius;
    } finally {
      rng.dispose();
    }
  }
  return out;
}

export function encodeColumns(c: CertifyColumns, meta: Record<string, Json> = {}): Uint8Array {
  return encodeContainer(meta, [
    ...COLUMNS_I32.map((k) => [k, c[k]] as [string, Int32Array]),
    ...COLUMNS_F64.map((k) => [k, c[k]] as [string, Float64Array]),
  ]);
}

export function decodeColumns(
  bytes: Uint8Array,
  what: string,
): { meta: Record<string, Json>; columns: CertifyColumns } {
  const c = decodeContainer(bytes, what);
  const columns = emptyColumns(0);
  for (const k of COLUMNS_I32) columns[k] = requireArray(c, k, Int32Array, what);
  for (const k of COLUMNS_F64) columns[k] = requireArray(c, k, Float64Array, what);
  const n = columns.index.length;
  for (const k of [...COLUMNS_I32, ...COLUMNS_F64])
    if (columns[k].length !== n)
      throw new RangeError(`${what}: column '${k}' has ${columns[k].length} rows, expected ${n}`);
  return { meta: c.meta, columns };
}

/** Concatenates column sets in order. */
export function concatColumns(parts: readonly CertifyColumns[]): CertifyColumns {
  const n = parts.reduce((a, p) => a + p.index.length, 0);
  const out = emptyColumns(n);
  let off = 0;
  for (const p of parts) {
    for (const k of COLUMNS_I32) out[k].set(p[k], off);
    for (const k of COLUMNS_F64) out[k].set(p[k], off);
    off += p.index.length;
  }
  return out;
}

export interface CertificationOptions {
  core: Core;
  backend: SmoothedClassifierBackend;
  stats: CertifyStats;
  dataset: CertifyDataset;
  /** Names the dataset (e.g. "fashion-mnist/test"); part of the config identity. */
  datasetId: string;
  settings: CertifySettings;
  /** Examples to certify (default: all, in order). */
  examples?: ArrayLike<number>;
  /** Examples per work unit (default 100). */
  unitSize?: number;
}

function datasetIdentity(dataset: CertifyDataset, datasetId: string, where: string): Record<string, Json> {
  if (dataset.labels.length !== dataset.size)
    throw new RangeError(`${where}: dataset has ${dataset.size} examples but ${dataset.labels.length} labels`);
  if (typeof datasetId !== "string" || datasetId === "")
    throw new RangeError(`${where}: datasetId must be a non-empty string`);
  return { datasetId, numExamples: dataset.size, labelsHash: hashArray(dataset.labels) };
}

function toJson(x: unknown): Json {
  return JSON.parse(JSON.stringify(x)) as Json;
}

/** Certification of (a subset of) a dataset, split into units of `unitSize` examples. */
export function certificationProtocol(o: CertificationOptions): UnitProtocol {
  const where = "certification";
  const settings = resolveCertify(o.settings, where);
  const identity = datasetIdentity(o.dataset, o.datasetId, where);
  const examples = o.examples ? Int32Array.from(o.examples) : null;
  if (examples !== null) {
    if (examples.length === 0) throw new RangeError(`${where}: the example subset is empty`);
    examples.forEach((i, k) => {
      if (i < 0 || i >= o.dataset.size)
        throw new RangeError(`${where}: examples[${k}] = ${i} is outside the dataset (size ${o.dataset.size})`);
    });
  } else if (o.dataset.size === 0) throw new RangeError(`${where}: the dataset is empty`);
  const unitSize = o.unitSize ?? 100;
  if (!Number.isSafeInteger(unitSize) || unitSize < 1)
    throw new RangeError(`${where}: unitSize must be a positive integer, got ${unitSize}`);
  const total = examples ? examples.length : o.dataset.size;
  const indexAt = (k: number) => (examples ? (examples[k] as number) : k);
  return {
    kind: "certification",
    codeVersion: CERTIFY_CODE_VERSION,
    config: {
      codeVersion: CERTIFY_CODE_VERSION,
      ...identity,
      settings: toJson(settings),
      examples: examples ? Array.from(examples) : null,
      unitSize,
    },
    numUnits: Math.ceil(total / unitSize),
    async runUnit(u: number): Promise<Uint8Array> {
      const start = u * unitSize;
      const idx = Int32Array.from({ length: Math.min(unitSize, total - start) }, (_, k) => indexAt(start + k));
      return encodeColumns(await certifyExamples(o.core, o.backend, o.stats, o.dataset, idx, settings));
    },
  };
}

/** Artifact of a certification (or density-bin) run: config identity + per-example columns. */
export function finalizeCertification(
  kind: string,
  config: Record<string, Json>,
  units: readonly Uint8Array[],
  extra: ReadonlyArray<[string, Int32Array]> = [],
): Uint8Array {
  const cols = concatColumns(units.map((u, i) => decodeColumns(u, `${kind} unit ${i}`).columns));
  return encodeContainer({ format: `classfit-${kind}`, kind, config, configHash: configHash(kind, config) }, [
    ...COLUMNS_I32.map((k) => [k, cols[k]] as [string, Int32Array]),
    ...COLUMNS_F64.map((k) => [k, cols[k]] as [string, Float64Array]),
    ...extra,
  ]);
}

// ---------------------------------------------------------------------------------------------
// Density-bin protocol.

export interface DensityBins {
  /** Bin of each training example, Int32Array of length N. */
  binOf: Int32Array;
  /** Members of each bin, ascending example index. */
  members: Int32Array[];
  /** [min, max] log-density per bin. */
  ranges: [number, number][];
}

/**
 * Sorts examples by class-conditional log-density (ascending; ties by index) and cuts the
 * order into B bins of equal size (sizes differ by at most one: bin b holds sorted positions
 * [⌊bN/B⌋, ⌊(b+1)N/B⌋)). Bin 0 is the lowest density.
 */
export function densityBins(logDensity: Float64Array, bins: number): DensityBins {
  const N = logDensity.length;
  if (!Number.isSafeInteger(bins) || bins < 1)
    throw new RangeError(`density bins: B must be a positive integer, got ${bins}`);
  if (N < bins) throw new RangeError(`density bins: ${N} examples cannot fill ${bins} bins (every bin would need one)`);
  logDensity.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new RangeError(`density bins: log-density of example ${i} is ${v}`);
  });
  const order = Array.from({ length: N }, (_, i) => i).sort(
    (a, b) => (logDensity[a] as number) - (logDensity[b] as number) || a - b,
  );
  const binOf = new Int32Array(N);
  const members: Int32Array[] = [];
  const ranges: [number, number][] = [];
  for (let b = 0; b < bins; b++) {
    const lo = Math.floor((b * N) / bins);
    const hi = Math.floor(((b + 1) * N) / bins);
    const m = Int32Array.from(order.slice(lo, hi)).sort();
    for (const i of m) binOf[i] = b;
    members.push(m);
    ranges.push([logDensity[order[lo] as number] as number, logDensity[order[hi - 1] as number] as number]);
  }
  return { binOf, members, ranges };
}

/** Trains one network on the given training examples; returns it as a smoothing backend. */
export interface BinTrainer {
  trainExcluding(trainIndices: Int32Array, seed: number): Promise<SmoothedClassifierBackend>;
}

export interface DensityBinOptions {
  core: Core;
  stats: CertifyStats;
  trainer: BinTrainer;
  /** The TRAINING set: its examples are binned, trained on and certified. */
  dataset: CertifyDataset;
  datasetId: string;
  /** Class-conditional log-density of each training example (METHOD.md §4). */
  logDensity: Float64Array;
  bins: number;
  settings: CertifySettings;
  /** Certify only this many examples of each bin, evenly spaced through the bin's density order
   * (default: every example, as the authors do). The network still leaves the whole bin out. */
  certifyPerBin?: number;
}

/** What unit b of the density-bin protocol trains on and certifies. */
export function densityBinUnitPlan(
  bins: DensityBins,
  b: number,
  logDensity?: Float64Array,
  certifyPerBin?: number,
): { train: Int32Array; certify: Int32Array } {
  const members = bins.members[b];
  if (members === undefined) throw new RangeError(`density bins: bin ${b} out of range [0, ${bins.members.length})`);
  const train = new Int32Array(bins.binOf.length - members.length);
  let k = 0;
  bins.binOf.forEach((bin, i) => {
    if (bin !== b) train[k++] = i;
  });
  if (certifyPerBin === undefined || logDensity === undefined || certifyPerBin >= members.length)
    return { train, certify: members };
  // Positions ⌊(j + ½)·size/k⌋ of the bin in density order (ties by index): a sample that spans
  // the bin's range of densities with no random draw, certified in ascending example order.
  const order = Array.from(members).sort((x, y) => (logDensity[x] as number) - (logDensity[y] as number) || x - y);
  const size = order.length;
  const pick = Int32Array.from(
    { length: certifyPerBin },
    (_, j) => order[Math.floor(((j + 0.5) * size) / certifyPerBin)] as number,
  );
  return { train, certify: pick.sort() };
}

/** One unit per bin: train with the bin held out, certify the bin (authors' protocol, §9). */
export function densityBinProtocol(o: DensityBinOptions): UnitProtocol {
  const where = "density-bin protocol";
  const settings = resolveCertify(o.settings, where);
  const identity = datasetIdentity(o.dataset, o.datasetId, where);
  if (o.logDensity.length !== o.dataset.size)
    throw new RangeError(`${where}: ${o.logDensity.length} log-densities for ${o.dataset.size} examples`);
  const bins = densityBins(o.logDensity, o.bins);
  const per = o.certifyPerBin;
  if (per !== undefined && (!Number.isSafeInteger(per) || per < 1))
    throw new RangeError(`${where}: certifyPerBin must be a positive integer, got ${per}`);
  return {
    kind: "density-bins",
    codeVersion: CERTIFY_CODE_VERSION,
    config: {
      codeVersion: CERTIFY_CODE_VERSION,
      ...identity,
      densityHash: hashArray(o.logDensity),
      bins: o.bins,
      settings: toJson(settings),
      // Named only when set, so configs (and hashes) of runs that certify whole bins stay as they were.
      ...(per !== undefined ? { certifyPerBin: per } : {}),
    },
    numUnits: o.bins,
    async runUnit(b: number): Promise<Uint8Array> {
      const plan = densityBinUnitPlan(bins, b, o.logDensity, per);
      const seedRng = o.core.rng(settings.seed, streamOf(STREAM_TAG.densityBinTrainSeed, b));
      let trainSeed: number;
      try {
        trainSeed = Number((seedRng.u64(1)[0] as bigint) >> 11n);
      } finally {
        seedRng.dispose();
      }
      const backend = await o.trainer.trainExcluding(plan.train, trainSeed);
      return encodeColumns(await certifyExamples(o.core, backend, o.stats, o.dataset, plan.certify, settings));
    },
  };
}

/** Artifact of the density-bin protocol: certification columns (bins in order) + `bin`. */
export function finalizeDensityBins(config: Record<string, Json>, units: readonly Uint8Array[]): Uint8Array {
  const bin = Int32Array.from(
    units.flatMap((u, b) => new Array<number>(decodeColumns(u, `density-bins unit ${b}`).columns.index.length).fill(b)),
  );
  return finalizeCertification("density-bins", config, units, [["bin", bin]]);
}
