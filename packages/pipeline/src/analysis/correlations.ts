// Class-level rank correlations: class mean log-density against each class variable, with a
// percentile bootstrap over classes that also redraws each class mean within its sampler MCSE.

import type { Rng } from "@classfit/wasm-core";
import { samplerSe } from "./noise.js";
import { type BootstrapCI, spearmanBootstrap } from "./stats.js";
import { type BootstrapSettings, type Purpose, type StageStreams, withStream } from "./streams.js";
import type { ClassStageRecord } from "./types.js";
import { CLASS_VARIABLES, type VariableColumns } from "./variables.js";

export type CorrelationLevel = "class" | "example" | "bin";

export interface Correlation {
  stage: string;
  level: CorrelationLevel;
  /** Variable correlated with density (see VARIABLES). */
  variable: string;
  ci: BootstrapCI;
}

export interface ClassCorrelations {
  correlations: Correlation[];
  /** Variables present for some classes but not all (correlated over the classes that have them). */
  partial: { variable: string; missing: number }[];
}

/**
 * Spearman ρ of mean log-density vs each class variable at one stage, over the classes that
 * have the variable; a variable known for fewer than 3 classes is skipped. Variable k of
 * CLASS_VARIABLES draws from the stage's k-th "classCorr" stream.
 */
export function classCorrelations(
  stage: string,
  rows: readonly ClassStageRecord[],
  streams: StageStreams,
  bootstrap: BootstrapSettings,
): ClassCorrelations {
  const out: ClassCorrelations = { correlations: [], partial: [] };
  for (const [vi, [variable, get]] of CLASS_VARIABLES.entries()) {
    const pairs = rows.filter((r) => get(r) !== undefined);
    if (pairs.length < 3) continue;
    if (pairs.length < rows.length) out.partial.push({ variable, missing: rows.length - pairs.length });
    // The class means carry their sampler MCSE into every replicate (see BootstrapOptions.xError);
    // the noise has its own stream, so the resamples are today's and, with no MCSE, so is the interval.
    const ci = withStream(streams, "classCorr", vi, (rng) =>
      withStream(streams, "classCorrNoise", vi, (noise) =>
        spearmanBootstrap(
          pairs.map((r) => r.meanLogDensity),
          pairs.map((r) => get(r) as number),
          rng,
          {
            replicates: bootstrap.replicates,
            level: bootstrap.level,
            unit: "classes",
            xError: { se: pairs.map(samplerSe), rng: noise },
          },
        ),
      ),
    );
    out.correlations.push({ stage, level: "class", variable, ci });
  }
  return out;
}

/**
 * One correlation per present per-example variable, its interval from `interval`. Variable k
 * (absent ones included in the count) draws from the stage's k-th stream of `purpose`, so a
 * missing column never shifts another's draws.
 */
export function correlateEach(
  stage: string,
  level: CorrelationLevel,
  purpose: Purpose,
  variables: VariableColumns,
  streams: StageStreams,
  interval: (y: ArrayLike<number>, rng: Rng, variableIndex: number) => BootstrapCI,
): Correlation[] {
  const out: Correlation[] = [];
  for (const [vi, [variable, y]] of variables.entries()) {
    if (y === undefined) continue;
    out.push({ stage, level, variable, ci: withStream(streams, purpose, vi, (rng) => interval(y, rng, vi)) });
  }
  return out;
}
