// A stage's measures as the analysis takes them: one ClassStageRecord per class (means over the
// class's examples) and one ExampleTable (per example, study order).
import type { ClassCertified, ClassStageRecord, ExampleTable } from "../analysis/types.js";
import { groupMeasures } from "../certify/measures.js";
import type { StudyData } from "./data.js";
import type { Certified } from "./steps/certify.js";
import type { Densities } from "./steps/density.js";
import type { FittedClass } from "./steps/fit.js";

const CERT_RADII = Array.from({ length: 21 }, (_, i) => i * 0.1);

/** What one stage's steps gave, with the network-wide memorization and certification. */
export interface StageMeasures {
  network: string;
  stage: string;
  fits: FittedClass[];
  density: Densities;
  kl: { kl: number; se: number }[];
  compactness: number[];
  memorization: Float64Array | null;
  certified: ClassCertified[] | null;
  /** The memorization proxy, study order. */
  trainingLoss?: Float64Array | null;
}

/** Per class: F1 (one-vs-rest within the certified examples), mean radius, non-abstained share, curve. */
export function certifiedByClass(cert: Certified, numClasses: number): ClassCertified[] {
  const { label, prediction, radius } = cert.columns;
  const C = numClasses;
  const all = groupMeasures(label, prediction, radius, C, { radiusList: CERT_RADII });
  return Array.from({ length: C }, (_, c) => {
    const members: number[] = [];
    label.forEach((y, j) => {
      if (y === c) members.push(j);
    });
    const g = groupMeasures(label, prediction, radius, C, { members, radiusList: CERT_RADII });
    return {
      f1: all.perClass.find((p) => p.cls === c)?.f1 ?? 0,
      meanRadius: g.meanRadius,
      fractionNotAbstained: g.notAbstained,
      accuracyAtRadius: g.certifiedAccuracy,
    };
  });
}

/** Mean and (n − 1) variance of `values` over `rows`. */
function meanVar(values: Float64Array, rows: Int32Array): { mean: number; variance: number } {
  let m = 0;
  rows.forEach((r) => {
    m += values[r] as number;
  });
  m /= rows.length;
  let v = 0;
  rows.forEach((r) => {
    const t = (values[r] as number) - m;
    v += t * t;
  });
  return { mean: m, variance: rows.length > 1 ? v / (rows.length - 1) : 0 };
}

/** Mean of the finite values over `rows`, or undefined when none is. */
function finiteMean(values: Float64Array, rows: Int32Array): number | undefined {
  let s = 0;
  let k = 0;
  rows.forEach((r) => {
    const v = values[r] as number;
    if (Number.isFinite(v)) {
      s += v;
      k++;
    }
  });
  return k > 0 ? s / k : undefined;
}

export function classRecords(data: StudyData, m: StageMeasures): ClassStageRecord[] {
  return data.rowsOf.map((rows, c) => {
    const { mean, variance } = meanVar(m.density.own, rows);
    const fi = (m.fits[c] as FittedClass).info;
    const rec: ClassStageRecord = {
      network: m.network,
      stage: m.stage,
      classIndex: c,
      className: data.classNames[c] as string,
      n: rows.length,
      meanLogDensity: mean,
      varLogDensity: variance,
      kl: { value: m.kl[c]?.kl as number, se: m.kl[c]?.se as number },
      meanK: fi.meanK,
    };
    const cv = m.compactness[c];
    if (cv !== undefined && Number.isFinite(cv)) rec.compactness = cv;
    if (fi.rhatLogJoint !== null && fi.rhatK !== null) rec.rhat = { logJoint: fi.rhatLogJoint, k: fi.rhatK };
    // Fits made before the sampler summary existed have none; the analysis then says so.
    const sp = fi.sampler;
    if (sp) {
      const finite = (v: readonly (number | null)[]) => v.filter((x): x is number => x !== null);
      rec.sampler = {
        mcse: sp.classMeanMcse,
        replicateMeans: finite(sp.replicateClassMeans),
        looMean: sp.looMean,
        looMcse: sp.looMcse,
        looReplicateMeans: finite(sp.replicateLooMeans),
        // Only fits whose chains started from both sides of K have one (older fits: no field).
        ...(sp.startGap !== null && sp.startGap !== undefined ? { startGap: sp.startGap } : {}),
        ...(sp.looStartGap !== null && sp.looStartGap !== undefined ? { looStartGap: sp.looStartGap } : {}),
        convergence: sp.convergence,
        converged: sp.converged ?? false,
      };
    }
    if (m.memorization) {
      const mm = finiteMean(m.memorization, rows);
      if (mm !== undefined) rec.meanMemorization = mm;
    }
    const cc = m.certified?.[c];
    if (cc) rec.certified = cc;
    return rec;
  });
}

/**
 * The per-example table. Memorization joins it with NaN for each unscored example, and each
 * certification (the network's own; the density-bin protocol's) with NaN for each example it did
 * not certify.
 */
export function exampleTable(
  data: StudyData,
  m: StageMeasures,
  cert: Certified | null,
  heldOut: Certified | null = null,
): ExampleTable {
  const { ds } = data;
  const table: ExampleTable = {
    network: m.network,
    stage: m.stage,
    index: Float64Array.from(data.subset ?? Int32Array.from({ length: ds.n }, (_, i) => i)),
    label: Float64Array.from(ds.labels),
    logDensity: m.density.own,
  };
  if (m.density.loo) table.looLogDensity = m.density.loo;
  // Unscored examples stay NaN: the density bins average the scored ones, and the correlations
  // over examples leave the column out (analysis/variables.ts).
  if (m.memorization) {
    const mem = m.memorization;
    table.memorization = mem.every((v) => Number.isFinite(v)) ? mem : mem.map((v) => (Number.isFinite(v) ? v : NaN));
  }
  if (m.trainingLoss) table.trainingLoss = m.trainingLoss;
  if (cert) {
    // Examples that were not certified stay NaN: the correlations, bins and curves over examples
    // use the certified ones and count them.
    const c = certifiedColumns(cert, ds.labels);
    table.certifiedRadius = c.radius;
    table.correct = c.correct;
    table.abstained = c.abstained;
  }
  if (heldOut) {
    const c = certifiedColumns(heldOut, ds.labels);
    table.heldOutRadius = c.radius;
    table.heldOutCorrect = c.correct;
  }
  return table;
}

/** A certification's columns in study order: radius (0 when wrong or abstained), correct and
 * abstained (1/0); NaN for every example it did not certify. */
function certifiedColumns(
  cert: Certified,
  labels: Int32Array,
): { radius: Float64Array; correct: Float64Array; abstained: Float64Array } {
  const n = labels.length;
  const radius = new Float64Array(n).fill(Number.NaN);
  const correct = new Float64Array(n).fill(Number.NaN);
  const abstained = new Float64Array(n).fill(Number.NaN);
  cert.rows.forEach((row, j) => {
    const pred = cert.columns.prediction[j] as number;
    const ok = pred === (labels[row] as number);
    radius[row] = ok ? (cert.columns.radius[j] as number) : 0;
    correct[row] = ok ? 1 : 0;
    abstained[row] = pred < 0 ? 1 : 0;
  });
  return { radius, correct, abstained };
}
