// The typed, host-agnostic tables the analysis reads. The earlier pipeline steps (density,
// complexity, compactness, memorization, certify) each fill some columns; everything except the
// per-class density summary is optional, and the analysis and report skip what is absent.
//
// Units: log-densities and KL divergences are in nats; distances and radii are in the units of
// the reduced representation space and of the network's normalised input space respectively.

import { z } from "zod";
import { InputError } from "../errors.js";

/** One network of the study and the order of its stages (first = shallowest). */
export interface NetworkInfo {
  /** Key used in the records' `network` field, e.g. "resnet18". */
  name: string;
  /** Display name, e.g. "ResNet-18". Defaults to `name`. */
  label?: string;
  /** Architecture family, e.g. "resnet" or "convnet" (free text, shown in the report). */
  family?: string;
  /** Stage keys in depth order, e.g. ["layer1", …, "layer4"]. */
  stages: string[];
}

/** Certified-robustness summary of one class (METHOD.md §9). */
export interface ClassCertified {
  /** F1 of the smoothed classifier on the class; an abstention counts as wrong. */
  f1: number;
  /** Mean certified radius, 0 for abstained or wrong predictions. */
  meanRadius: number;
  /** Fraction of the class's examples where the smoothed classifier did not abstain. */
  fractionNotAbstained: number;
  /** Certified accuracy (correct and radius ≥ r) on a grid of radii. */
  accuracyAtRadius: { radius: number; accuracy: number }[];
}

/** Everything known about one class at one stage of one network. */
export interface ClassStageRecord {
  network: string;
  stage: string;
  /** 0-based class index (the label). */
  classIndex: number;
  className: string;
  /** Training examples of the class. */
  n: number;
  /** Mean and (unbiased) variance of the examples' log-density under their class's model (nats). */
  meanLogDensity: number;
  varLogDensity: number;
  /** D_KL(p ‖ q) of METHOD.md §5 in nats, with its Monte Carlo standard error. */
  kl?: { value: number; se: number };
  /** Mean pairwise distance between class members (METHOD.md §6). */
  compactness?: number;
  /** Mean memorization score of the class's examples (METHOD.md §8). */
  meanMemorization?: number;
  certified?: ClassCertified;
  /** Mean number of occupied clusters over the kept traces. */
  meanK?: number;
  /** Split-R̂ across chains of the log joint density and of K (≈ 1 when chains agree). */
  rhat?: { logJoint: number; k: number };
  /** How much of meanLogDensity belongs to the sampler (METHOD.md §12); absent for fits made
   * before it was measured, and then the analysis treats the mean as exact (and says so). */
  sampler?: ClassSamplerUncertainty;
}

/** R̂ (rank-normalised, max of bulk and folded) and bulk/tail ESS of one sampled quantity;
 * null where undefined (too few draws, constant draws). */
export interface ConvergenceFigures {
  rhat: number | null;
  essBulk: number | null;
  essTail: number | null;
}

/** The sampler's share of a class's mean log-density (METHOD.md §12). */
export interface ClassSamplerUncertainty {
  /** Monte Carlo standard error of meanLogDensity: jackknife over independent chains (nats);
   * null with a single chain. */
  mcse: number | null;
  /** The class mean from each replicate alone (a replicate is an independent group of chains;
   * one per chain unless replicates were asked for). The bootstrap draws among these. */
  replicateMeans: number[];
  /** Leave-one-out (CPO) class mean log-density and its MCSE: the training points scored with
   * themselves removed from their clusters. Not the paper's quantity. */
  looMean: number | null;
  looMcse: number | null;
  looReplicateMeans: number[];
  /** With chains started from both sides of K (wasm-core init `bracket`): the class mean of the
   * chains started from K0 clusters minus that of those started from 16·K0 (nats). Absent or
   * null otherwise. */
  startGap?: number | null;
  /** The same gap for looMean. */
  looStartGap?: number | null;
  /** Only where the analysis reads the leave-one-out density (its class rows then carry
   * meanLogDensity = looMean): the in-sample class mean and MCSE that it replaced. */
  inSampleMean?: number | null;
  inSampleMcse?: number | null;
  convergence: {
    logJoint: ConvergenceFigures;
    k: ConvergenceFigures;
    alpha: ConvergenceFigures;
    classMean: ConvergenceFigures;
  };
  /** Every R̂ < 1.05 and bulk ESS ≥ 400. */
  converged: boolean;
}

/** One training example at one stage of one network (row form; see ExampleTable). */
export interface ExampleRecord {
  network: string;
  stage: string;
  /** Index of the example in the training set. */
  index: number;
  label: number;
  /** Log-density under its own class's model (nats). */
  logDensity: number;
  /** Memorization score (METHOD.md §8). */
  memorization?: number;
  /** Certified radius of the smoothed prediction; 0 when abstained. */
  certifiedRadius?: number;
  /** The smoothed classifier predicted the label (false when abstained). */
  correct?: boolean;
  /** The smoothed classifier abstained. */
  abstained?: boolean;
}

/**
 * The same as ExampleRecord[] for one (network, stage), column-wise: every array has one entry
 * per example (length n). Preferable for 50 000+ examples.
 */
export interface ExampleTable {
  network: string;
  stage: string;
  index: ArrayLike<number>;
  label: ArrayLike<number>;
  logDensity: ArrayLike<number>;
  /** Each example's leave-one-out (CPO) log-density under its own class's model (METHOD.md
   * §12.3; not the paper's quantity): the per-example findings are read on it too. NaN where a
   * fit did not record it. */
  looLogDensity?: ArrayLike<number>;
  /** NaN marks an unscored example (in every or in no memorization subset). */
  memorization?: ArrayLike<number>;
  /** NaN in this and the next two columns marks an example that was not certified. */
  certifiedRadius?: ArrayLike<number>;
  /** 1 = correct, 0 = wrong or abstained. */
  correct?: ArrayLike<number>;
  /** 1 = abstained. */
  abstained?: ArrayLike<number>;
  /** Each example's training loss summed over the network's training (a memorization proxy,
   * `classfit train`'s training-loss.npy); NaN where unknown. */
  trainingLoss?: ArrayLike<number>;
  /** The density-bin protocol (METHOD.md §9): certified radius (0 if abstained or wrong) and
   * correctness of the smoothed classifier of a network trained without the example's density
   * bin; NaN where the protocol did not certify the example. */
  heldOutRadius?: ArrayLike<number>;
  heldOutCorrect?: ArrayLike<number>;
}

/**
 * Log-density of every example under every class's model, for generative classification.
 * `scores`: shape (n, numClasses), row-major: scores[i·C + c] = log p(x_i | class c).
 */
export interface ClassScoreTable {
  network: string;
  stage: string;
  numClasses: number;
  labels: ArrayLike<number>;
  scores: ArrayLike<number>;
}

/** Everything the analysis reads. */
export interface StudyInput {
  /** Networks and stage order; inferred from `classes` (in order of appearance) when absent. */
  networks?: NetworkInfo[];
  classes: ClassStageRecord[];
  examples?: ExampleRecord[];
  exampleTables?: ExampleTable[];
  generative?: ClassScoreTable[];
}

const finite = z.number();
const nonNegInt = z.number().int().nonnegative();

const convergenceSchema = z.object({
  rhat: finite.nullable(),
  essBulk: finite.nullable(),
  essTail: finite.nullable(),
});

export const classStageRecordSchema = z.object({
  network: z.string().min(1),
  stage: z.string().min(1),
  classIndex: nonNegInt,
  className: z.string(),
  n: z.number().int().positive(),
  meanLogDensity: finite,
  varLogDensity: z.number().nonnegative(),
  kl: z.object({ value: finite, se: z.number().nonnegative() }).optional(),
  compactness: z.number().nonnegative().optional(),
  meanMemorization: finite.optional(),
  certified: z
    .object({
      f1: z.number().min(0).max(1),
      meanRadius: z.number().nonnegative(),
      fractionNotAbstained: z.number().min(0).max(1),
      accuracyAtRadius: z.array(z.object({ radius: z.number().nonnegative(), accuracy: z.number().min(0).max(1) })),
    })
    .optional(),
  meanK: z.number().nonnegative().optional(),
  rhat: z.object({ logJoint: finite, k: finite }).optional(),
  sampler: z
    .object({
      mcse: z.number().nonnegative().nullable(),
      replicateMeans: z.array(finite),
      looMean: finite.nullable(),
      looMcse: z.number().nonnegative().nullable(),
      looReplicateMeans: z.array(finite),
      startGap: finite.nullable().optional(),
      looStartGap: finite.nullable().optional(),
      convergence: z.object({
        logJoint: convergenceSchema,
        k: convergenceSchema,
        alpha: convergenceSchema,
        classMean: convergenceSchema,
      }),
      converged: z.boolean(),
    })
    .optional(),
});

export const networkInfoSchema = z.object({
  name: z.string().min(1),
  label: z.string().optional(),
  family: z.string().optional(),
  stages: z.array(z.string().min(1)).min(1),
});

/** Bad analysis input: the message names the table, the row and the field. */
export class StudyInputError extends InputError {
  override name = "StudyInputError";
}

/** Validates the class table and network list; throws StudyInputError naming the first problem. */
export function validateClassRecords(input: StudyInput): void {
  if (!Array.isArray(input.classes) || input.classes.length === 0)
    throw new StudyInputError("study input: `classes` must be a non-empty array of ClassStageRecord");
  for (let i = 0; i < input.classes.length; i++) {
    const r = classStageRecordSchema.safeParse(input.classes[i]);
    if (!r.success) throw new StudyInputError(`classes[${i}]: ${z.prettifyError(r.error).replace(/\n/g, " ")}`);
  }
  if (input.networks !== undefined) {
    for (let i = 0; i < input.networks.length; i++) {
      const r = networkInfoSchema.safeParse(input.networks[i]);
      if (!r.success) throw new StudyInputError(`networks[${i}]: ${z.prettifyError(r.error).replace(/\n/g, " ")}`);
    }
  }
  const seen = new Set<string>();
  for (let i = 0; i < input.classes.length; i++) {
    const c = input.classes[i] as ClassStageRecord;
    const key = `${c.network}\u0000${c.stage}\u0000${c.classIndex}`;
    if (seen.has(key))
      throw new StudyInputError(
        `classes[${i}]: duplicate record for network "${c.network}", stage "${c.stage}", class ${c.classIndex}`,
      );
    seen.add(key);
  }
}

/** Converts row-form example records to one column table per (network, stage), order kept. */
export function examplesToTables(records: ExampleRecord[]): ExampleTable[] {
  const groups = new Map<string, ExampleRecord[]>();
  for (const r of records) {
    const key = `${r.network}\u0000${r.stage}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = [];
      groups.set(key, g);
    }
    g.push(r);
  }
  const tables: ExampleTable[] = [];
  for (const rows of groups.values()) {
    const first = rows[0] as ExampleRecord;
    const col = (f: (r: ExampleRecord) => number | undefined): Float64Array | undefined => {
      if (rows.every((r) => f(r) === undefined)) return undefined;
      return Float64Array.from(rows, (r) => f(r) ?? Number.NaN);
    };
    const t: ExampleTable = {
      network: first.network,
      stage: first.stage,
      index: Float64Array.from(rows, (r) => r.index),
      label: Float64Array.from(rows, (r) => r.label),
      logDensity: Float64Array.from(rows, (r) => r.logDensity),
    };
    const mem = col((r) => r.memorization);
    if (mem) t.memorization = mem;
    const rad = col((r) => r.certifiedRadius);
    if (rad) t.certifiedRadius = rad;
    const cor = col((r) => (r.correct === undefined ? undefined : r.correct ? 1 : 0));
    if (cor) t.correct = cor;
    const abs = col((r) => (r.abstained === undefined ? undefined : r.abstained ? 1 : 0));
    if (abs) t.abstained = abs;
    tables.push(t);
  }
  return tables;
}

/** Checks one example table's columns: equal lengths, finite values, labels among the classes. */
const OPTIONAL_PER_EXAMPLE = new Set([
  "looLogDensity",
  "memorization",
  "certifiedRadius",
  "correct",
  "abstained",
  "trainingLoss",
  "heldOutRadius",
  "heldOutCorrect",
]);

export function validateExampleTable(t: ExampleTable, where: string, numClasses: number): void {
  const n = t.logDensity.length;
  const cols: [string, ArrayLike<number> | undefined][] = [
    ["index", t.index],
    ["label", t.label],
    ["logDensity", t.logDensity],
    ["looLogDensity", t.looLogDensity],
    ["memorization", t.memorization],
    ["certifiedRadius", t.certifiedRadius],
    ["correct", t.correct],
    ["abstained", t.abstained],
    ["trainingLoss", t.trainingLoss],
    ["heldOutRadius", t.heldOutRadius],
    ["heldOutCorrect", t.heldOutCorrect],
  ];
  for (const [name, c] of cols) {
    if (c === undefined) continue;
    if (c.length !== n)
      throw new StudyInputError(
        `${where} (${t.network}/${t.stage}): column ${name} has ${c.length} rows, expected ${n}`,
      );
    for (let i = 0; i < n; i++) {
      const v = c[i] as number;
      // NaN marks an example without that value (unscored, or not certified).
      if (OPTIONAL_PER_EXAMPLE.has(name) && Number.isNaN(v)) continue;
      if (!Number.isFinite(v))
        throw new StudyInputError(
          `${where} (${t.network}/${t.stage}): ${name}[${i}] is ${v}, expected a finite number`,
        );
    }
  }
  for (let i = 0; i < n; i++) {
    const l = t.label[i] as number;
    if (!Number.isInteger(l) || l < 0 || l >= numClasses)
      throw new StudyInputError(
        `${where} (${t.network}/${t.stage}): label[${i}] = ${l} is not a class index in [0, ${numClasses})`,
      );
  }
}
