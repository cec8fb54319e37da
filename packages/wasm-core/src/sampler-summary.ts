// How much of a class model's numbers belong to the sampler (METHOD.md §12): the in-sample and
// leave-one-out class mean log-densities with their Monte Carlo standard errors, one estimate
// per chain (chains are independent replicates: their own starts and generator streams), and
// rank-normalised R̂ / ESS of the log joint, K, α and the per-trace in-sample class mean.
//
// One scoring pass gives everything: log p_t(x_i) for every kept trace t and training point i.
// The pooled class mean, each chain's, and the leave-one-chain-out means behind the jackknife
// standard error are then reductions of that matrix.
import type { Core } from "./core.js";
import { type ConvergenceSummary, convergenceSummary } from "./diagnostics.js";
import { allTraces, type ClassModel, logMeanExpRows, logPredictive, meanRows } from "./dpgmm.js";

/** R̂ and ESS of one quantity; NaN where there are too few draws or they are constant. */
export type Convergence = Pick<ConvergenceSummary, "rhat" | "essBulk" | "essTail">;

export interface SamplerSummary {
  /** Mean over the class's points of their in-sample score, pooled over all kept traces as
   * config.classScore says (the class mean). */
  readonly classMean: number;
  /** Jackknife (leave one chain out) standard error of classMean; NaN with one chain. */
  readonly classMeanMcse: number;
  /** Each replicate's own class mean (its traces alone). A replicate is a group of
   * config.chains chains when config.replicates > 1, otherwise a single chain. */
  readonly replicateClassMeans: readonly number[];
  /** The same for the leave-one-out (CPO) predictive; NaN when it was not recorded. */
  readonly looMean: number;
  readonly looMcse: number;
  readonly replicateLooMeans: readonly number[];
  /** With config.init `bracket`: the class mean of the chains started from K0 clusters minus
   * that of the chains started from BRACKET_FACTOR·K0, each pooled as classMean is; NaN with
   * any other start or fewer than two chains. Chains that start alike agree with one another
   * however far both halves are from the posterior, so the MCSE cannot show this gap. */
  readonly startGap: number;
  /** The same gap for the leave-one-out mean. */
  readonly looStartGap: number;
  /** Over the kept sweeps of all chains (classMean: over the kept traces). */
  readonly convergence: {
    readonly logJoint: Convergence;
    readonly k: Convergence;
    readonly alpha: Convergence;
    readonly classMean: Convergence;
  };
  /** Every R̂ that can be computed below `RHAT_OK` and every bulk ESS at least `ESS_OK`. */
  readonly converged: boolean;
}

/** Stan's looser rule of thumb (Vehtari et al. 2021 recommend 1.01 with ≥ 4 chains). */
export const RHAT_OK = 1.05;
/** Bulk ESS that makes the MCSE itself trustworthy (Vehtari et al. 2021, §4: 100 per chain × 4). */
export const ESS_OK = 400;

const NAN_CONVERGENCE: Convergence = { rhat: Number.NaN, essBulk: Number.NaN, essTail: Number.NaN };

function converge(core: Core, chains: number[][]): Convergence {
  if (chains.length === 0 || (chains[0]?.length ?? 0) < 4) return NAN_CONVERGENCE;
  if (chains.some((c) => c.some((v) => !Number.isFinite(v)))) return NAN_CONVERGENCE;
  const s = convergenceSummary(core, chains);
  return { rhat: s.rhat, essBulk: s.essBulk, essTail: s.essTail };
}

/** Jackknife standard error of a statistic from its R leave-one-out values (Efron 1982, eq. 3.2). */
function jackknife(loo: number[]): number {
  const R = loo.length;
  if (R < 2) return Number.NaN;
  let m = 0;
  for (const v of loo) m += v;
  m /= R;
  let s = 0;
  for (const v of loo) s += (v - m) * (v - m);
  return Math.sqrt(((R - 1) / R) * s);
}

/** Mean over points of the pooled per-point value of rows [rows] of a (T, n) matrix: log of the
 * mean of exp (exact predictive) or the mean (paper and mean-log, means of logs). */
function pooledMean(core: Core, mat: Float64Array, n: number, rows: number[], exact: boolean): number {
  const sub = new Float64Array(rows.length * n);
  rows.forEach((t, r) => {
    sub.set(mat.subarray(t * n, (t + 1) * n), r * n);
  });
  const per = exact ? logMeanExpRows(core, sub, rows.length, n) : meanRows(sub, rows.length, n);
  let s = 0;
  for (let i = 0; i < n; i++) s += per[i] as number;
  return s / n;
}

/**
 * The sampler summary of `model` fitted to `data` (Float64Array, shape (n, d), row-major: the
 * training points themselves). Costs one scoring of the n points against every kept trace.
 */
export function samplerSummary(core: Core, model: ClassModel, data: Float64Array): SamplerSummary {
  const { n } = model;
  // Training points are scored as config.classScore says: the density step's per-example score.
  const variant = model.config.classScore;
  const exact = variant === "exact";
  const traces = allTraces(model);
  const T = traces.length;
  // Row t: log p_t(x_i) of trace t alone (a one-trace model: the exact predictive's log of a
  // one-term mean is log p_t; the paper variant's mean of one log is log p_t too).
  const mat = new Float64Array(T * n);
  let t = 0;
  model.chains.forEach((ch) => {
    for (const tr of ch.traces) {
      const one: ClassModel = { ...model, chains: [{ ...ch, traces: [tr] }] };
      mat.set(logPredictive(core, one, data, n, variant), t * n);
      t++;
    }
  });
  const R = model.chains.length;
  const rowsOf: number[][] = [];
  let off = 0;
  for (const ch of model.chains) {
    rowsOf.push(Array.from({ length: ch.traces.length }, (_, j) => off + j));
    off += ch.traces.length;
  }
  const all = rowsOf.flat();
  // Replicate g: chains [g·size, (g + 1)·size).
  const size = model.config.replicates > 1 ? model.config.chains : 1;
  const groups = Array.from({ length: R / size }, (_, g) => Array.from({ length: size }, (_, j) => g * size + j));
  const classMean = pooledMean(core, mat, n, all, exact);
  const replicateClassMeans = groups.map((g) =>
    pooledMean(
      core,
      mat,
      n,
      g.flatMap((c) => rowsOf[c] ?? []),
      exact,
    ),
  );
  const classMeanMcse =
    R > 1
      ? jackknife(rowsOf.map((_, r) => pooledMean(core, mat, n, rowsOf.filter((_, q) => q !== r).flat(), exact)))
      : Number.NaN;

  // Chain c started from initialClusters(config, c): K0 when c is even under `bracket`.
  const bracket = model.config.init === "bracket" && R >= 2;
  const lower = rowsOf.map((_, c) => c).filter((c) => c % 2 === 0);
  const upper = rowsOf.map((_, c) => c).filter((c) => c % 2 === 1);
  const startGap = bracket
    ? pooledMean(
        core,
        mat,
        n,
        lower.flatMap((c) => rowsOf[c] ?? []),
        exact,
      ) -
      pooledMean(
        core,
        mat,
        n,
        upper.flatMap((c) => rowsOf[c] ?? []),
        exact,
      )
    : Number.NaN;
  let looStartGap = Number.NaN;

  const loos = model.chains.map((c) => c.looLogDensity);
  let looMean = Number.NaN;
  let looMcse = Number.NaN;
  let replicateLooMeans: number[] = groups.map(() => Number.NaN);
  if (loos.every((v) => v !== undefined && !v.some((x) => Number.isNaN(x)))) {
    const lm = new Float64Array(R * n);
    loos.forEach((v, r) => {
      lm.set(v as Float64Array, r * n);
    });
    // Rows are chains here, pooled as looLogDensity pools them: by the log of the mean (the log
    // of the mean over all traces, every chain keeping the same number) under the exact score,
    // by the mean of the chains' logs otherwise.
    const rows = Array.from({ length: R }, (_, r) => r);
    looMean = pooledMean(core, lm, n, rows, exact);
    replicateLooMeans = groups.map((g) => pooledMean(core, lm, n, g, exact));
    if (bracket) looStartGap = pooledMean(core, lm, n, lower, exact) - pooledMean(core, lm, n, upper, exact);
    if (R > 1)
      looMcse = jackknife(
        rows.map((r) =>
          pooledMean(
            core,
            lm,
            n,
            rows.filter((q) => q !== r),
            exact,
          ),
        ),
      );
  }

  const burn = model.config.burnIn;
  const post = (f: (c: ClassModel["chains"][number]) => ArrayLike<number>) =>
    model.chains.map((c) => Array.from(f(c)).slice(burn));
  const traceMeans = rowsOf.map((rows) =>
    rows.map((row) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += mat[row * n + i] as number;
      return s / n;
    }),
  );
  const convergence = {
    logJoint: converge(
      core,
      post((c) => c.logJointTrace),
    ),
    k: converge(
      core,
      post((c) => c.kTrace),
    ),
    alpha: converge(
      core,
      post((c) => c.alphaTrace),
    ),
    classMean: converge(core, traceMeans),
  };
  // K is an integer: its tail ESS is undefined whenever one value holds 5% of the draws, so
  // only R̂ and the bulk ESS decide. A figure that cannot be computed (the per-trace class mean
  // with fewer than 4 kept traces per chain, or fewer than 6 for its ESS) does not vote; the log
  // joint's always does.
  const ok = (c: Convergence) =>
    (Number.isNaN(c.rhat) || c.rhat < RHAT_OK) && (Number.isNaN(c.essBulk) || c.essBulk >= ESS_OK);
  const converged = !Number.isNaN(convergence.logJoint.rhat) && Object.values(convergence).every(ok);
  return {
    classMean,
    classMeanMcse,
    replicateClassMeans,
    looMean,
    looMcse,
    replicateLooMeans,
    startGap,
    looStartGap,
    convergence,
    converged,
  };
}
