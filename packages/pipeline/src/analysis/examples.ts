// Per-example views of one stage: each class's log-density distribution, and rank correlations
// of log-density with the per-example variables, bootstrapped over examples.

import type { Rng } from "@classfit/wasm-core";
import { type Correlation, correlateEach } from "./correlations.js";
import { spearmanBootstrap } from "./stats.js";
import { type BootstrapSettings, type StageStreams, withStream } from "./streams.js";
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

/** The indices where y is a number (NaN marks an example without a value: unscored, uncertified). */
export function definedIndices(y: ArrayLike<number>): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < y.length; i++) if (!Number.isNaN(y[i] as number)) out.push(i);
  return Int32Array.from(out);
}

/**
 * Spearman ρ of log-density vs each per-example variable present, bootstrapped over the examples
 * that have a value (the interval's n says how many). With `classError` (the MCSE of each class's
 * mean log-density, by class index, and the examples' labels), every replicate also moves each
 * class's examples together by a draw of its class's MCSE, so the interval carries the sampler's
 * uncertainty of the densities as the class-level intervals do.
 */
export function exampleCorrelations(
  stage: string,
  logDensity: ArrayLike<number>,
  variables: VariableColumns,
  streams: StageStreams,
  bootstrap: BootstrapSettings,
  classError?: { label: ArrayLike<number>; se: ArrayLike<number> },
): Correlation[] {
  return correlateEach(stage, "example", "exampleCorr", variables, streams, (y, rng, vi) => {
    const keep = definedIndices(y);
    const x = Float64Array.from(keep, (i) => logDensity[i] as number);
    const yy = Float64Array.from(keep, (i) => y[i] as number);
    const run = (noise?: Rng) =>
      spearmanBootstrap(x, yy, rng, {
        replicates: bootstrap.replicates,
        level: bootstrap.level,
        unit: "examples",
        ...(noise !== undefined && classError !== undefined
          ? {
              xGroupError: {
                group: Int32Array.from(keep, (i) => classError.label[i] as number),
                se: classError.se,
                rng: noise,
              },
            }
          : {}),
      });
    return classError === undefined ? run() : withStream(streams, "exampleCorrNoise", vi, run);
  });
}
