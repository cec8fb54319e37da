// Per-example views of one stage: each class's log-density distribution, and rank correlations
// of log-density with the per-example variables, bootstrapped over examples.

import { type Correlation, correlateEach } from "./correlations.js";
import { spearmanBootstrap } from "./stats.js";
import type { BootstrapSettings, StageStreams } from "./streams.js";
import type { VariableColumns } from "./variables.js";

export interface ClassQuantiles {
  stage: string;
  classIndex: number;
  /** Log-density quantiles 0.05, 0.25, 0.5, 0.75, 0.95 (linear interpolation). */
  q: [number, number, number, number, number];
}

/** Log-density quantiles of every class present in the labels, in class order. */
export function classDensityQuantiles(
  stage: string,
  label: ArrayLike<number>,
  logDensity: ArrayLike<number>,
): ClassQuantiles[] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < logDensity.length; i++) {
    const l = label[i] as number;
    let a = byClass.get(l);
    if (a === undefined) {
      a = [];
      byClass.set(l, a);
    }
    a.push(logDensity[i] as number);
  }
  return [...byClass]
    .sort((a, b) => a[0] - b[0])
    .map(([classIndex, v]) => {
      const s = Float64Array.from(v).sort();
      const q = (p: number) => {
        const h = (s.length - 1) * p;
        const lo = Math.floor(h);
        return (s[lo] as number) + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] as number) - (s[lo] as number));
      };
      return { stage, classIndex, q: [q(0.05), q(0.25), q(0.5), q(0.75), q(0.95)] };
    });
}

/** Spearman ρ of log-density vs each per-example variable present, bootstrapped over examples. */
export function exampleCorrelations(
  stage: string,
  logDensity: ArrayLike<number>,
  variables: VariableColumns,
  streams: StageStreams,
  bootstrap: BootstrapSettings,
): Correlation[] {
  return correlateEach(stage, "example", "exampleCorr", variables, streams, (y, rng) =>
    spearmanBootstrap(logDensity, y, rng, {
      replicates: bootstrap.replicates,
      level: bootstrap.level,
      unit: "examples",
    }),
  );
}
