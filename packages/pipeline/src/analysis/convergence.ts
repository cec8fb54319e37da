// Which class fits the sampler did not converge on (METHOD.md §12): every fit is listed with its
// R̂ and ESS, never dropped, because a non-converged class mean is still reported and its MCSE
// is then the honest measure of how far it may move.

import type { ClassStageRecord } from "./types.js";

/** One class fit's convergence figures (null where undefined or not measured). */
export interface FitConvergence {
  stage: string;
  classIndex: number;
  className: string;
  rhatLogJoint: number | null;
  rhatK: number | null;
  rhatAlpha: number | null;
  rhatClassMean: number | null;
  essBulkClassMean: number | null;
  essTailClassMean: number | null;
  /** MCSE of the class mean log-density (nats). */
  mcse: number | null;
  /** Class mean from K0-started chains minus 16·K0-started ones (nats); null unless measured. */
  startGap: number | null;
  converged: boolean;
}

export interface NetworkConvergence {
  /** Class fits of the network, over all stages. */
  fits: number;
  /** Fits that carry the sampler's diagnostics (the others predate them). */
  withSampler: number;
  /** Fits with diagnostics that did not converge (some R̂ ≥ 1.05 or bulk ESS < 400). */
  notConverged: number;
  /** Those fits, in stage then class order. */
  notConvergedFits: FitConvergence[];
}

/** A fit's convergence figures; undefined when the record carries no sampler diagnostics. */
export function fitConvergence(r: ClassStageRecord): FitConvergence | undefined {
  const s = r.sampler;
  if (s === undefined) return undefined;
  const c = s.convergence;
  return {
    stage: r.stage,
    classIndex: r.classIndex,
    className: r.className,
    rhatLogJoint: c.logJoint.rhat,
    rhatK: c.k.rhat,
    rhatAlpha: c.alpha.rhat,
    rhatClassMean: c.classMean.rhat,
    essBulkClassMean: c.classMean.essBulk,
    essTailClassMean: c.classMean.essTail,
    mcse: s.mcse,
    startGap: s.startGap ?? null,
    converged: s.converged,
  };
}

/** Convergence over a network's class records (given in stage, then class order). */
export function networkConvergence(records: readonly ClassStageRecord[]): NetworkConvergence {
  const fits = records.flatMap((r) => fitConvergence(r) ?? []);
  const notConvergedFits = fits.filter((f) => !f.converged);
  return {
    fits: records.length,
    withSampler: fits.length,
    notConverged: notConvergedFits.length,
    notConvergedFits,
  };
}

/** The warning lines for a network: fits that did not converge, and fits without diagnostics. */
export function convergenceWarnings(network: string, c: NetworkConvergence): string[] {
  const out: string[] = [];
  if (c.notConverged > 0)
    out.push(
      `${network}: ${c.notConverged} of ${c.withSampler} fits did not converge (R̂ ≥ 1.05 or bulk ESS < 400): the class means carry the MCSE shown`,
    );
  if (c.withSampler < c.fits)
    out.push(
      `${network}: ${c.fits - c.withSampler} of ${c.fits} fits carry no sampler uncertainty (made before it was measured): their class means are treated as exact`,
    );
  return out;
}
