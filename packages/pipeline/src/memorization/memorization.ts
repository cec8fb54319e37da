// Memorization scores of Feldman & Zhang (2020), "What Neural Networks Memorize and Why:
// Discovering the Long Tail via Influence Estimation", NeurIPS, eq. 1 and their subsampled
// estimator (METHOD.md §8): m models, model u trained on a uniformly random subset S_u holding
// a fraction r of the training set; for example i
//   mem_i = P̂(h(x_i) = y_i | i ∈ S) − P̂(h(x_i) = y_i | i ∉ S),
// the two frequencies taken over the models whose subset does / does not hold i.
// Each model is one work unit, determined by (config, unit index) alone: its subset from
// stream (memorizationSubset, u) and its training seed from (memorizationTrainSeed, u).
//
// The balanced design (`folds: K`) replaces the independent subsets by K-fold cuts: every K
// models share one seeded random permutation of the training set, cut into K folds, and model u
// leaves out fold u mod K of cut ⌊u/K⌋. With m a multiple of K each example is then left out by
// exactly m/K models and kept by m(K−1)/K, so no example goes unscored and none gets a thin
// "without" side by chance. Feldman & Zhang's estimator only needs the subsets to be chosen
// independently of the examples' content (their §3 with random subsets of a fixed size): a
// seeded permutation is such a choice, and each model still sees a uniformly random subset of
// size ≈ N(K−1)/K, so both frequencies stay unbiased for the subset distribution's expectations.
// The models of one cut are no longer independent of each other (their held-out folds are
// disjoint); the per-example binomial error treats them as independent, as it does anyway.
import type { Core } from "@classfit/wasm-core";
import { noteLegacyFormat } from "../formats/legacy.js";
import {
  decodeContainer,
  encodeContainer,
  hashArray,
  isLegacyContainer,
  type Json,
  requireArray,
} from "../units/container.js";
import { STREAM_TAG, streamOf } from "../units/streams.js";
import { configHash, type UnitProtocol } from "../units/units.js";

/** What memorization needs from a model: train on some examples, predict others. */
export interface TrainerBackend {
  /** Trains one model on `trainIndices` (ascending) with `seed`; returns predicted labels for
   * `evalIndices` (same order). */
  trainAndPredict(trainIndices: Int32Array, evalIndices: Int32Array, seed: number): Promise<Int32Array>;
}

export interface MemorizationSettings {
  /** Number of models m ≥ 2. */
  models: number;
  /** Fraction r of the training set in each subset, 0 < r < 1 (default 0.7). Not with `folds`. */
  fraction?: number;
  /** The balanced design: K ≥ 2 folds per cut, each model leaving one fold out (fraction
   * (K−1)/K); `models` must be a multiple of K. */
  folds?: number;
  seed: number;
}

export interface MemorizationOptions {
  core: Core;
  trainer: TrainerBackend;
  /** Training labels (dataset order). */
  labels: Int32Array;
  numClasses: number;
  datasetId: string;
  settings: MemorizationSettings;
}

/** Size of each subset: round(r·N), refused when it would be 0 or N. */
export function subsetSize(numExamples: number, fraction: number): number {
  if (!(fraction > 0 && fraction < 1))
    throw new RangeError(`memorization: subset fraction must be in (0, 1) (exclusive), got ${fraction}`);
  const k = Math.round(fraction * numExamples);
  if (k < 1) throw new RangeError(`memorization: a fraction ${fraction} of ${numExamples} examples is an empty subset`);
  if (k >= numExamples)
    throw new RangeError(
      `memorization: a fraction ${fraction} of ${numExamples} examples leaves no example out of the subset`,
    );
  return k;
}

/**
 * The training subset of model `unit`: round(r·N) indices drawn uniformly without replacement
 * (partial Fisher–Yates with j = i + ⌊u·(N − i)⌋, u uniform on [0, 1)), ascending.
 */
export function memorizationSubset(
  core: Core,
  seed: number,
  unit: number,
  numExamples: number,
  fraction: number,
): Int32Array {
  const k = subsetSize(numExamples, fraction);
  const perm = Int32Array.from({ length: numExamples }, (_, i) => i);
  const rng = core.rng(seed, streamOf(STREAM_TAG.memorizationSubset, unit));
  let u: Float64Array;
  try {
    u = rng.uniform(k);
  } finally {
    rng.dispose();
  }
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor((u[i] as number) * (numExamples - i));
    const t = perm[i] as number;
    perm[i] = perm[j] as number;
    perm[j] = t;
  }
  return perm.slice(0, k).sort();
}

/**
 * The training subset of model `unit` in the balanced K-fold design: the complement of fold
 * (unit mod K) of cut ⌊unit/K⌋, whose permutation is a full Fisher–Yates shuffle from stream
 * (memorizationFolds, cut); fold f holds permutation positions [⌊fN/K⌋, ⌊(f+1)N/K⌋). Ascending.
 */
export function memorizationFoldSubset(
  core: Core,
  seed: number,
  unit: number,
  numExamples: number,
  folds: number,
): Int32Array {
  if (!Number.isSafeInteger(folds) || folds < 2 || folds > numExamples)
    throw new RangeError(
      `memorization: folds must be an integer in [2, ${numExamples}] (the training set's size), got ${folds}`,
    );
  const N = numExamples;
  const perm = Int32Array.from({ length: N }, (_, i) => i);
  const rng = core.rng(seed, streamOf(STREAM_TAG.memorizationFolds, Math.floor(unit / folds)));
  let u: Float64Array;
  try {
    u = rng.uniform(N - 1);
  } finally {
    rng.dispose();
  }
  for (let i = 0; i < N - 1; i++) {
    const j = i + Math.floor((u[i] as number) * (N - i));
    const t = perm[i] as number;
    perm[i] = perm[j] as number;
    perm[j] = t;
  }
  const f = unit % folds;
  const lo = Math.floor((f * N) / folds);
  const hi = Math.floor(((f + 1) * N) / folds);
  const out = new Int32Array(N - (hi - lo));
  out.set(perm.subarray(0, lo), 0);
  out.set(perm.subarray(hi), lo);
  return out.sort();
}

function packBits(bits: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) out[i >> 3] = (out[i >> 3] as number) | (1 << (i & 7));
  });
  return out;
}

function bitAt(packed: Uint8Array, i: number): number {
  return ((packed[i >> 3] as number) >> (i & 7)) & 1;
}

function checkLabels(labels: Int32Array, numClasses: number, where: string): void {
  if (!Number.isSafeInteger(numClasses) || numClasses < 2)
    throw new RangeError(`${where}: numClasses must be an integer ≥ 2, got ${numClasses}`);
  labels.forEach((y, i) => {
    if (y < 0 || y >= numClasses)
      throw new RangeError(`${where}: label ${y} of example ${i} is not in [0, ${numClasses})`);
  });
}

/** The memorization protocol: one unit per model. */
export function memorizationProtocol(o: MemorizationOptions): UnitProtocol {
  const where = "memorization";
  const N = o.labels.length;
  if (N === 0) throw new RangeError(`${where}: the training set is empty`);
  checkLabels(o.labels, o.numClasses, where);
  const folds = o.settings.folds;
  if (folds !== undefined && o.settings.fraction !== undefined)
    throw new RangeError(`${where}: give either a subset fraction or folds, not both (folds K trains on (K−1)/K)`);
  if (folds !== undefined && (!Number.isSafeInteger(folds) || folds < 2 || folds > N))
    throw new RangeError(`${where}: folds must be an integer in [2, ${N}] (the training set's size), got ${folds}`);
  const fraction = folds !== undefined ? (folds - 1) / folds : (o.settings.fraction ?? 0.7);
  subsetSize(N, fraction);
  const m = o.settings.models;
  if (!Number.isSafeInteger(m) || m < 2) throw new RangeError(`${where}: models must be an integer ≥ 2, got ${m}`);
  if (folds !== undefined && m % folds !== 0)
    throw new RangeError(
      `${where}: with ${folds} folds the number of models must be a multiple of ${folds}, got ${m} ` +
        `(so that every example is left out equally often)`,
    );
  if (!Number.isSafeInteger(o.settings.seed) || o.settings.seed < 0)
    throw new RangeError(`${where}: seed must be an integer ≥ 0, got ${o.settings.seed}`);
  if (typeof o.datasetId !== "string" || o.datasetId === "")
    throw new RangeError(`${where}: datasetId must be a non-empty string`);
  const all = Int32Array.from({ length: N }, (_, i) => i);
  return {
    kind: "memorization",
    config: {
      datasetId: o.datasetId,
      numExamples: N,
      numClasses: o.numClasses,
      labelsHash: hashArray(o.labels),
      models: m,
      fraction,
      // Only the balanced design names itself, so the configs (and hashes) of independent-subset
      // runs stay what they were.
      ...(folds !== undefined ? { design: "folds", folds } : {}),
      seed: o.settings.seed,
    },
    numUnits: m,
    async runUnit(u: number): Promise<Uint8Array> {
      const train =
        folds !== undefined
          ? memorizationFoldSubset(o.core, o.settings.seed, u, N, folds)
          : memorizationSubset(o.core, o.settings.seed, u, N, fraction);
      const seedRng = o.core.rng(o.settings.seed, streamOf(STREAM_TAG.memorizationTrainSeed, u));
      let trainSeed: number;
      try {
        trainSeed = Number((seedRng.u64(1)[0] as bigint) >> 11n);
      } finally {
        seedRng.dispose();
      }
      const pred = await o.trainer.trainAndPredict(train, all, trainSeed);
      if (pred.length !== N)
        throw new Error(`${where}: model ${u} returned ${pred.length} predictions for ${N} examples`);
      const inSubset = new Uint8Array(N);
      for (const i of train) inSubset[i] = 1;
      const correct = new Uint8Array(N);
      for (let i = 0; i < N; i++) correct[i] = pred[i] === o.labels[i] ? 1 : 0;
      return encodeContainer({ unit: u }, [
        ["inSubset", packBits(inSubset)],
        ["correct", packBits(correct)],
      ]);
    },
  };
}

/** Per-example memorization results. */
export interface MemorizationResult {
  config: Record<string, Json>;
  /** Models trained with / without the example, and how many of them classify it correctly. */
  inCount: Int32Array;
  inCorrect: Int32Array;
  outCount: Int32Array;
  outCorrect: Int32Array;
  /** mem_i (NaN when no model was trained with, or none without, example i). */
  score: Float64Array;
  /** Binomial standard error of mem_i: sqrt(p̂_in(1−p̂_in)/n_in + p̂_out(1−p̂_out)/n_out). */
  stdError: Float64Array;
}

/** Sums the units into per-example counts and scores; the artifact's bytes. */
export function finalizeMemorization(config: Record<string, Json>, units: readonly Uint8Array[]): Uint8Array {
  const N = config.numExamples;
  if (typeof N !== "number") throw new RangeError("memorization config lacks numExamples");
  const inCount = new Int32Array(N);
  const inCorrect = new Int32Array(N);
  const outCount = new Int32Array(N);
  const outCorrect = new Int32Array(N);
  units.forEach((bytes, u) => {
    const what = `memorization unit ${u}`;
    const c = decodeContainer(bytes, what);
    const inSubset = requireArray(c, "inSubset", Uint8Array, what);
    const correct = requireArray(c, "correct", Uint8Array, what);
    const nb = Math.ceil(N / 8);
    if (inSubset.length !== nb || correct.length !== nb)
      throw new RangeError(`${what}: sized for another training set`);
    for (let i = 0; i < N; i++) {
      const ok = bitAt(correct, i);
      if (bitAt(inSubset, i)) {
        inCount[i] = (inCount[i] as number) + 1;
        inCorrect[i] = (inCorrect[i] as number) + ok;
      } else {
        outCount[i] = (outCount[i] as number) + 1;
        outCorrect[i] = (outCorrect[i] as number) + ok;
      }
    }
  });
  const score = new Float64Array(N);
  const stdError = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const ni = inCount[i] as number;
    const no = outCount[i] as number;
    if (ni === 0 || no === 0) {
      score[i] = Number.NaN;
      stdError[i] = Number.NaN;
      continue;
    }
    const pi = (inCorrect[i] as number) / ni;
    const po = (outCorrect[i] as number) / no;
    score[i] = pi - po;
    stdError[i] = Math.sqrt((pi * (1 - pi)) / ni + (po * (1 - po)) / no);
  }
  return encodeContainer(
    { format: "classfit-memorization", kind: "memorization", config, configHash: configHash("memorization", config) },
    [
      ["inCount", inCount],
      ["inCorrect", inCorrect],
      ["outCount", outCount],
      ["outCorrect", outCorrect],
      ["score", score],
      ["stdError", stdError],
    ],
  );
}

export function decodeMemorization(bytes: Uint8Array, what = "memorization artifact"): MemorizationResult {
  const c = decodeContainer(bytes, what);
  if (isLegacyContainer(bytes)) noteLegacyFormat(what, "CFA1");
  if (c.meta.format !== "classfit-memorization") throw new RangeError(`${what}: not a memorization artifact`);
  return {
    config: c.meta.config as Record<string, Json>,
    inCount: requireArray(c, "inCount", Int32Array, what),
    inCorrect: requireArray(c, "inCorrect", Int32Array, what),
    outCount: requireArray(c, "outCount", Int32Array, what),
    outCorrect: requireArray(c, "outCorrect", Int32Array, what),
    score: requireArray(c, "score", Float64Array, what),
    stdError: requireArray(c, "stdError", Float64Array, what),
  };
}

export interface ClassMemorization {
  cls: number;
  count: number;
  /** Examples with a defined score (trained with and without by at least one model each). */
  defined: number;
  mean: number;
  /** Sample standard deviation of the scores within the class. */
  std: number;
  /** Standard error of the class mean from the per-example binomial errors: sqrt(Σ se_i²)/defined
   * (NaN when no per-example errors are known, e.g. imported scores). */
  stdErrorOfMean: number;
}

/** Per-class means of per-example scores (NaN scores skipped and counted). */
export function memorizationByClass(
  score: Float64Array,
  labels: Int32Array,
  numClasses: number,
  stdError?: Float64Array,
): ClassMemorization[] {
  if (score.length !== labels.length)
    throw new RangeError(`memorization: ${score.length} scores for ${labels.length} labels`);
  checkLabels(labels, numClasses, "memorization");
  const out: ClassMemorization[] = [];
  for (let c = 0; c < numClasses; c++) {
    let count = 0;
    let defined = 0;
    let sum = 0;
    let varSum = 0;
    for (let i = 0; i < score.length; i++) {
      if (labels[i] !== c) continue;
      count++;
      const s = score[i] as number;
      if (Number.isNaN(s)) continue;
      defined++;
      sum += s;
      if (stdError) varSum += (stdError[i] as number) * (stdError[i] as number);
    }
    const mean = defined > 0 ? sum / defined : Number.NaN;
    let ss = 0;
    for (let i = 0; i < score.length; i++)
      if (labels[i] === c && !Number.isNaN(score[i] as number)) {
        const d = (score[i] as number) - mean;
        ss += d * d;
      }
    out.push({
      cls: c,
      count,
      defined,
      mean,
      std: defined > 1 ? Math.sqrt(ss / (defined - 1)) : Number.NaN,
      stdErrorOfMean: stdError && defined > 0 ? Math.sqrt(varSum) / defined : Number.NaN,
    });
  }
  return out;
}
