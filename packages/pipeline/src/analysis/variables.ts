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
  trainingLoss: { label: "cumulative training loss (memorization proxy)", unit: "nats" },
  heldOutRadius: {
    label: "certified radius, network trained without the example's density bin (0 if abstained or wrong)",
    unit: "input-space L2",
  },
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
  // NaN marks an example without a value (unscored, uncertified): the correlations resample the
  // examples that have one, and a column with fewer than 3 such examples is left out.
  const enough = (y: ArrayLike<number> | undefined) => {
    if (y === undefined) return undefined;
    let k = 0;
    for (let i = 0; i < y.length && k < 3; i++) if (!Number.isNaN(y[i] as number)) k++;
    return k >= 3 ? y : undefined;
  };
  return [
    ["memorization", enough(t.memorization)],
    ["certifiedRadius", enough(certifiedRadius)],
    // Later additions go last, so that their stream numbers shift no earlier variable's draws.
    ["trainingLoss", enough(t.trainingLoss)],
    ["heldOutRadius", enough(t.heldOutRadius)],
  ];
}

/**
 * Certified radius per example with 0 where the smoothed prediction is wrong (an abstention is
 * stored as wrong), so that the radius measures certified correctness; undefined without both columns.
 */
export function certifiedRadiusColumn(t: ExampleTable): Float64Array | undefined {
  const { certifiedRadius, correct } = t;
  if (certifiedRadius === undefined || correct === undefined) return undefined;
  return Float64Array.from({ length: t.logDensity.length }, (_, i) => {
    const c = correct[i] as number;
    return Number.isNaN(c) ? Number.NaN : c === 1 ? (certifiedRadius[i] as number) : 0;
  });
}
