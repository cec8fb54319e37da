// The variables related to class density: their display names, and how each is read from the
// class table and from an example table.

import type { ClassStageRecord, ExampleTable } from "./types.js";

/** Variables correlated with class density, with their display names and units. */
export const VARIABLES: Record<string, { label: string; unit: string }> = {
  kl: { label: "relative entropy KL(p‖q)", unit: "nats" },
  compactness: { label: "compactness (mean pairwise distance)", unit: "representation units" },
  meanMemorization: { label: "mean memorization", unit: "score" },
  memorization: { label: "memorization", unit: "score" },
  certifiedMeanRadius: { label: "mean certified radius", unit: "input-space L2" },
  certifiedRadius: { label: "certified radius (0 if abstained or wrong)", unit: "input-space L2" },
  certifiedF1: { label: "certified F1", unit: "" },
};

type ClassGetter = (c: ClassStageRecord) => number | undefined;

/**
 * Per-class variables correlated with the class mean log-density. The order fixes the order of
 * the correlations, of the group means' fields and the index of each variable's random stream.
 */
export const CLASS_VARIABLES = [
  ["kl", (c) => c.kl?.value],
  ["compactness", (c) => c.compactness],
  ["meanMemorization", (c) => c.meanMemorization],
  ["certifiedMeanRadius", (c) => c.certified?.meanRadius],
  ["certifiedF1", (c) => c.certified?.f1],
] as const satisfies readonly (readonly [string, ClassGetter])[];

export type ClassVariable = (typeof CLASS_VARIABLES)[number][0];

/** Named per-example columns, undefined where the table lacks one (it still counts for stream numbers). */
export type VariableColumns = readonly (readonly [variable: string, values: ArrayLike<number> | undefined])[];

/** Per-example variables, in stream order, with their columns where the table has them. */
export function exampleVariables(t: ExampleTable, certifiedRadius: ArrayLike<number> | undefined): VariableColumns {
  // Per-example and bin-trend correlations resample every example, so a column with unscored
  // (NaN) examples is left out of them; the density bins still average its scored examples.
  const mem = t.memorization;
  const scored = mem !== undefined && Array.prototype.every.call(mem, (v: number) => !Number.isNaN(v));
  return [
    ["memorization", scored ? mem : undefined],
    ["certifiedRadius", certifiedRadius],
  ];
}

/**
 * Certified radius per example with 0 where the smoothed prediction is wrong (an abstention is
 * stored as wrong), so that the radius measures certified correctness; undefined without both columns.
 */
export function certifiedRadiusColumn(t: ExampleTable): Float64Array | undefined {
  const { certifiedRadius, correct } = t;
  if (certifiedRadius === undefined || correct === undefined) return undefined;
  return Float64Array.from({ length: t.logDensity.length }, (_, i) =>
    (correct[i] as number) === 1 ? (certifiedRadius[i] as number) : 0,
  );
}
