// Seeded random streams of the analysis: one per (network, stage, purpose, k), so every random
// draw is a pure function of the seed and where it is used.

import type { Core, Rng } from "@classfit/wasm-core";

// Fixed stream numbers per purpose, so adding an optional table never shifts another's draws.
// New purposes go at the end: a number once given is never reused or moved.
export const STREAM = {
  dip: 1,
  classCorr: 2,
  exampleCorr: 3,
  binCorr: 4,
  /** Draws of the class means under their sampler MCSE for the split's stability (split.ts). */
  splitNoise: 5,
  /** The measurement-error draws of the class-level bootstrap, apart from its resamples. */
  classCorrNoise: 6,
  /** Resamples of the high − low group difference of class density (summary.ts) … */
  groupDiff: 7,
  /** … and its measurement-error draws. */
  groupDiffNoise: 8,
  /** The class-shared sampler-error draws of the per-example bootstrap. */
  exampleCorrNoise: 9,
  /** The memorization proxy against the memorization scores, over examples. */
  proxyCorr: 10,
} as const;
export type Purpose = keyof typeof STREAM;

export function streamOf(net: number, stage: number, purpose: number, k: number): number {
  return 1 + net * 1_000_000 + stage * 10_000 + purpose * 100 + k;
}

/** Where a part draws its random numbers: the root seed and the (network, stage) it works on. */
export interface StageStreams {
  core: Core;
  seed: number;
  /** Index of the network in the study's network list. */
  network: number;
  /** Index of the stage in the network's stage list. */
  stage: number;
}

/** Runs `use` with the generator of one stream and always frees it (it lives in wasm memory). */
export function withStream<T>(streams: StageStreams, purpose: Purpose, k: number, use: (rng: Rng) => T): T {
  const rng = streams.core.rng(streams.seed, streamOf(streams.network, streams.stage, STREAM[purpose], k));
  try {
    return use(rng);
  } finally {
    rng.dispose();
  }
}

/** Bootstrap settings shared by every interval of one analysis. */
export interface BootstrapSettings {
  replicates: number;
  level: number;
}
