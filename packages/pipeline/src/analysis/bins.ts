// Density bins of one stage: examples sorted by log-density and cut into B equal-count bins,
// with per-bin means and the trend of each variable across bins.

import type { Rng } from "@classfit/wasm-core";
import { type Correlation, correlateEach } from "./correlations.js";
import { definedIndices } from "./examples.js";
import {
  argsort,
  type BootstrapCI,
  mean,
  percentileInterval,
  resampleCounts,
  spearman,
  standardError,
} from "./stats.js";
import type { BootstrapSettings, StageStreams } from "./streams.js";
import type { ExampleTable } from "./types.js";
import type { VariableColumns } from "./variables.js";

/** One density bin: examples of one stage sorted by log-density, cut into B equal parts. */
export interface DensityBin {
  bin: number;
  n: number;
  logDensityMin: number;
  logDensityMax: number;
  meanLogDensity: number;
  /** Fraction of the bin's examples from high-density classes. */
  fractionHighClasses: number;
  /** Mean and standard error over the bin's scored examples (unscored ones, NaN, left out). */
  meanMemorization?: number;
  seMemorization?: number;
  /** The bin's examples with a memorization score. */
  nMemorization?: number;
  /** Fraction correct (smoothed classifier; abstention = wrong), over the bin's certified examples. */
  accuracy?: number;
  meanCertifiedRadius?: number;
  fractionNotAbstained?: number;
  /** The bin's certified examples (the others, NaN in the certified columns, are left out). */
  nCertified?: number;
  /** The same over the examples the density-bin protocol certified with a network trained
   * without their bin (its bins, from its own density file, need not be these). */
  heldOutAccuracy?: number;
  heldOutMeanRadius?: number;
  nHeldOut?: number;
}

/** Cut points of B nearly equal bins over n sorted items: bin b holds [cut[b], cut[b+1]). */
export function binCuts(n: number, bins: number): number[] {
  const cuts: number[] = [];
  for (let b = 0; b <= bins; b++) cuts.push(Math.floor((b * n) / bins));
  return cuts;
}

export interface DensityBins {
  rows: DensityBin[];
  /** Bin of every example, in table order. */
  binOf: Int32Array;
}

/**
 * Sorts the examples by log-density (ties by table order) and cuts them into `bins` equal-count
 * bins; `high` holds the high-density class indices, `certifiedRadius` the radius column with 0
 * for wrong predictions. Needs at least `bins` examples so that no bin is empty.
 */
export function densityBins(
  t: ExampleTable,
  bins: number,
  high: ReadonlySet<number>,
  certifiedRadius: ArrayLike<number> | undefined,
): DensityBins {
  const n = t.logDensity.length;
  const order = argsort(t.logDensity);
  const cuts = binCuts(n, bins);
  const binOf = new Int32Array(n);
  const rows: DensityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const members: number[] = [];
    for (let k = cuts[b] as number; k < (cuts[b + 1] as number); k++) {
      const i = order[k] as number;
      binOf[i] = b;
      members.push(i);
    }
    const ld = members.map((i) => t.logDensity[i] as number);
    const row: DensityBin = {
      bin: b,
      n: members.length,
      // Members are in ascending log-density order.
      logDensityMin: ld[0] as number,
      logDensityMax: ld[ld.length - 1] as number,
      meanLogDensity: mean(ld),
      fractionHighClasses: members.filter((i) => high.has(t.label[i] as number)).length / members.length,
    };
    if (t.memorization !== undefined) {
      // A bin with one unscored example would otherwise average to NaN and drop out of the figure.
      const m = members.map((i) => t.memorization?.[i] as number).filter((v) => !Number.isNaN(v));
      if (m.length > 0) row.meanMemorization = mean(m);
      if (m.length > 1) row.seMemorization = standardError(m);
      row.nMemorization = m.length;
    }
    if (t.correct !== undefined) {
      const certified = members.filter((i) => !Number.isNaN(t.correct?.[i] as number));
      row.nCertified = certified.length;
      // A bin without certified examples has no value, rather than a NaN mean.
      if (certified.length > 0) {
        row.accuracy = mean(certified.map((i) => t.correct?.[i] as number));
        if (certifiedRadius !== undefined)
          row.meanCertifiedRadius = mean(certified.map((i) => certifiedRadius[i] as number));
        if (t.abstained !== undefined)
          row.fractionNotAbstained = 1 - mean(certified.map((i) => t.abstained?.[i] as number));
      }
    }
    if (t.heldOutCorrect !== undefined) {
      const certified = members.filter((i) => !Number.isNaN(t.heldOutCorrect?.[i] as number));
      row.nHeldOut = certified.length;
      if (certified.length > 0) {
        row.heldOutAccuracy = mean(certified.map((i) => t.heldOutCorrect?.[i] as number));
        if (t.heldOutRadius !== undefined)
          row.heldOutMeanRadius = mean(certified.map((i) => t.heldOutRadius?.[i] as number));
      }
    }
    rows.push(row);
  }
  return { rows, binOf };
}

/** Spearman of (bin index, per-bin mean of y) with a bootstrap over examples. */
export function binTrendBootstrap(
  binOf: Int32Array,
  y: ArrayLike<number>,
  bins: number,
  rng: Rng,
  replicates: number,
  level: number,
): BootstrapCI {
  const n = binOf.length;
  const idx = Float64Array.from({ length: bins }, (_, b) => b);
  const binMeans = (counts: Float64Array | null): Float64Array => {
    const s = new Float64Array(bins);
    const w = new Float64Array(bins);
    for (let i = 0; i < n; i++) {
      const c = counts === null ? 1 : (counts[i] as number);
      if (c === 0) continue;
      const b = binOf[i] as number;
      s[b] = (s[b] as number) + c * (y[i] as number);
      w[b] = (w[b] as number) + c;
    }
    return s.map((v, b) => ((w[b] as number) > 0 ? v / (w[b] as number) : Number.NaN));
  };
  const trend = (m: Float64Array): number => {
    const ok: number[] = [];
    for (let b = 0; b < bins; b++) if (!Number.isNaN(m[b] as number)) ok.push(b);
    if (ok.length < 3) return Number.NaN;
    return spearman(
      ok.map((b) => idx[b] as number),
      ok.map((b) => m[b] as number),
    );
  };
  const estimate = trend(binMeans(null));
  const reps = new Float64Array(replicates);
  const counts = new Float64Array(n);
  for (let r = 0; r < replicates; r++) {
    resampleCounts(rng, n, counts);
    reps[r] = trend(binMeans(counts));
  }
  const { lower, upper, valid } = percentileInterval(reps, level);
  return { estimate, lower, upper, level, n, replicates, validReplicates: valid, unit: "examples" };
}

/** Trend across density bins of each per-example variable present, bootstrapped over examples. */
export function binCorrelations(
  stage: string,
  binOf: Int32Array,
  bins: number,
  variables: VariableColumns,
  streams: StageStreams,
  bootstrap: BootstrapSettings,
): Correlation[] {
  return correlateEach(stage, "bin", "binCorr", variables, streams, (y, rng) => {
    // Resample only the examples with a value; each keeps the bin it has among all examples.
    const keep = definedIndices(y);
    return binTrendBootstrap(
      Int32Array.from(keep, (i) => binOf[i] as number),
      Float64Array.from(keep, (i) => y[i] as number),
      bins,
      rng,
      bootstrap.replicates,
      bootstrap.level,
    );
  });
}
