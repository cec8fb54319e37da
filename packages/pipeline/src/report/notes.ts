// The report's sentences about how each network's measures were made (its "notes"), written as
// the study runs: where activations, memorization scores and certification came from, and at
// what scale. One place for the wording, apart from the steps that produce the numbers.
import type { Json } from "../units/container.js";

export const ACTIVATIONS_IMPORTED = "activations imported from .npy files";

export const NOT_CERTIFIED = "not certified: robustness needs the network itself, and only its activations were given";

export const MEMORIZATION_PARTLY_UNDEFINED =
  "some examples were in every (or no) memorization subset, so their score is undefined; class means, density bins and the correlations over examples use the defined scores";

/** The line under the report's title. */
export function reportSubtitle(o: { dataset: string; n: number; profile: string; seed: number }): string {
  return `${o.dataset} · ${o.n} training examples · profile ${o.profile} · seed ${o.seed}`;
}

/** A network's notes as the report's summary paragraphs. */
export function networkNotes(label: string, notes: string[]): string[] {
  return notes.map((x) => `${label}: ${x}.`);
}

export function memorizationRunNote(ms: { models: number; epochs: number; fraction: number }, n: number): string {
  return `memorization from ${ms.models} networks of the same architecture, each trained ${ms.epochs} epoch(s) on a random ${Math.round(ms.fraction * 100)}% of the ${n} study examples`;
}

/** Where imported scores came from; the scale of the run when the file is classfit's own artifact. */
export function memorizationImportNote(source: string, runConfig: Record<string, Json> | null | undefined): string {
  const mc = runConfig;
  const folds = mc && mc.design === "folds" && typeof mc.folds === "number" ? mc.folds : undefined;
  const scale =
    mc && typeof mc.models === "number"
      ? folds !== undefined
        ? ` (${mc.models} networks in a balanced ${folds}-fold design, each trained${epochsOf(mc)} on ${folds - 1} of ${folds} folds of the ${mc.numExamples} training examples, so each example is left out by exactly ${mc.models / folds} of them; seed ${mc.seed})`
        : ` (${mc.models} networks, each trained${epochsOf(mc)} on a random ${Math.round(100 * Number(mc.fraction))}% of the ${mc.numExamples} training examples, seed ${mc.seed})`
      : "";
  return `memorization scores imported from ${source}${scale}`;
}

/** Where the memorization proxy comes from, and what it stands for. */
export function memorizationProxyNote(withScores: boolean, source: string | undefined): string {
  return (
    `memorization proxy: each training example's loss summed over the network's training (Ravikumar et al. 2025)${source ? `, from ${source}` : ""}; ` +
    (withScores
      ? "shown beside the Feldman–Zhang scores, with its rank correlation to them"
      : "no memorization run exists for this network, so the proxy stands in for it; it is not Feldman–Zhang's score")
  );
}

/** A certification imported from an artifact: its source and its own settings. */
export function certificationImportNote(
  source: string,
  runConfig: Record<string, Json>,
  examples: number,
  certified: number = examples,
): string {
  return `certified robustness imported from ${source}: ${certifyRunText(runConfig, examples, certified)}`;
}

/** The density-bin protocol's artifact, as the report states its scale. */
export function densityBinsImportNote(
  source: string,
  runConfig: Record<string, Json>,
  examples: number,
  certified: number = examples,
): string {
  const bins = typeof runConfig.bins === "number" ? runConfig.bins : Number.NaN;
  const per =
    typeof runConfig.certifyPerBin === "number"
      ? `${runConfig.certifyPerBin} examples of each`
      : "every example of each";
  return `density-bin protocol imported from ${source}: the training set cut into ${bins} bins by log-density, ${per} bin certified by a network trained without that bin${epochsOf(runConfig)}; ${certifyRunText(runConfig, examples, certified)}`;
}

/** An imported run's CERTIFY settings, how many of its examples the study holds, and the
 * largest radius a reduced n can certify. */
function certifyRunText(runConfig: Record<string, Json>, examples: number, certified: number): string {
  const s = (runConfig.settings ?? {}) as Record<string, Json>;
  const num = (k: string) => (typeof s[k] === "number" ? (s[k] as number) : Number.NaN);
  const n = num("n");
  const method = s.adaptive === true ? "adaptive CERTIFY (same 1 − α guarantee, fewer noisy passes)" : "CERTIFY";
  return (
    `${method}, σ = ${num("sigma")}, n0 = ${num("n0")}, n = ${n}, α = ${num("alpha")}, on ${examples} training examples${certified > examples ? ` of this study (${certified - examples} other certified example${certified - examples === 1 ? " lies" : "s lie"} outside it)` : ""}` +
    (n < 100_000
      ? `; n is reduced from the paper's 100 000, so the largest certifiable radius is ${fmtRadius(num("sigma"), num("alpha"), n)}`
      : "")
  );
}

/** " for N epoch(s)" from a memorization artifact's trainer record, when it has one. */
function epochsOf(config: Record<string, Json>): string {
  const t = config.trainer as { config?: { epochs?: unknown } } | undefined;
  const e = t?.config?.epochs;
  return typeof e === "number" ? ` for ${e} epoch${e === 1 ? "" : "s"}` : "";
}

export function certifyNote(
  c: { sigma: number; n0: number; n: number; alpha: number; perClass: number },
  examples: number,
): string {
  return (
    `certified robustness (Cohen et al. CERTIFY, σ = ${c.sigma}, n0 = ${c.n0}, n = ${c.n}, α = ${c.alpha}) on the first ${c.perClass} study examples of each class (${examples} in all)` +
    (c.n < 100_000
      ? `; n is reduced from the paper's 100 000, so the largest certifiable radius is ${fmtRadius(c.sigma, c.alpha, c.n)}`
      : "")
  );
}

/**
 * σ·Φ⁻¹(α^(1/n)) as text, via a bisection on the normal tail (display only).
 *
 * Not wasm-core's normPpf, on purpose: this Φ is Abramowitz & Stegun 26.2.17 (error ~7.5e-8),
 * and for about 0.4% of (σ, α, n) the two round apart in the second decimal (σ = 0.25, α = 0.1,
 * n = 1851 gives 3.03σ here, 3.02σ from the exact quantile), so the swap would change the report
 * of existing runs. The bisection's floor at 0 also gives 0.00 where α^(1/n) < ½.
 */
export function fmtRadius(sigma: number, alpha: number, n: number): string {
  const p = alpha ** (1 / n);
  let lo = 0;
  let hi = 10;
  const phi = (x: number) => {
    const t = 1 / (1 + 0.2316419 * x);
    const d = Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
    return 1 - d * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  };
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (phi(mid) < p) lo = mid;
    else hi = mid;
  }
  return `${(sigma * lo).toFixed(2)} (${lo.toFixed(2)}σ)`;
}
