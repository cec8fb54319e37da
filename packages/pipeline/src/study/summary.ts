// A short machine-readable summary of a finished study (what `classfit study --json` prints and
// the demo's closing lines say): per network, the density split and its evidence, and the
// correlations of class density with complexity, compactness, memorization and robustness, and
// how much of the split the sampler's Monte Carlo error leaves standing (METHOD.md §12).
// Also what the browser app shows for a finished run, live or reopened from storage; it
// imports only types, so a host's page can take it (`@classfit/pipeline/summary`) on its own.
import { type ClassDensity, densityRead, otherDensityView } from "../analysis/loo.js";
import type { StudyAnalysis } from "../analysis/study.js";
import type { RunManifest } from "./run.js";

export interface NetworkSummary {
  name: string;
  label: string;
  splitStage: string;
  /** "within-noise": the tests see two groups (or mixed evidence) but the gap is within the
   * sampler noise of the class means. */
  verdict: "two-groups" | "one-group" | "mixed" | "within-noise";
  // The fields below are optional: summaries of runs stored before they existed lack them.
  /** What the two bimodality tests say before the sampler noise is considered. */
  testVerdict?: "two-groups" | "one-group" | "mixed";
  /** Which class density the verdict, the class means and the correlations are read on
   * (absent: in-sample, as every run before the choice existed). */
  density?: ClassDensity;
  /** Class means at the split stage with their MCSE (nats), highest first. */
  /** startGap: present only where the fit's chains started from both sides of K (METHOD.md §12.6). */
  classMeans?: { name: string; mean: number; mcse: number | null; startGap?: number }[];
  /** The split under the sampler MCSE; null where the fits carry none. */
  samplerNoise?: {
    gapZ: number | null;
    rankingUnchanged: number;
    meanKendallTau: number | null;
    highGroupChanged: number;
    withinNoise: boolean;
  } | null;
  /** Fits (all stages) that did not converge, of those with diagnostics. */
  convergence?: { fits: number; withSampler: number; notConverged: number };
  /** The verdict on the other density's class means and how many conclusions hold under both. */
  other?: { density: ClassDensity; verdict: string; holds: number; of: number } | null;
  /** Summaries stored before `other`: the same for the leave-one-out density. */
  loo?: { verdict: string; holds: number; of: number } | null;
  highClasses: string[];
  lowClasses: string[];
  gapNats: number;
  deltaBic: number | null;
  dipPValue: number | null;
  /** Spearman ρ with class density at the split stage, with its bootstrap interval. */
  correlations: Record<string, { rho: number; lower: number; upper: number; n: number }>;
  /** Group means at the split stage (high vs low). */
  groups: Record<string, { high: number | null; low: number | null }>;
  generativeAccuracy: number | null;
}

export interface StudySummary {
  status: RunManifest["status"];
  name: string;
  profile: string;
  seconds: number;
  stepsComputed: number;
  stepsReused: number;
  report: string | null;
  networks: NetworkSummary[];
  warnings: string[];
}

export function summarizeStudy(manifest: RunManifest, analysis: StudyAnalysis): StudySummary {
  return {
    status: manifest.status,
    name: manifest.name,
    profile: manifest.profile,
    seconds: manifest.seconds,
    stepsComputed: manifest.stepsComputed,
    stepsReused: manifest.stepsReused,
    report: manifest.report?.html ?? null,
    warnings: analysis.warnings,
    networks: analysis.networks.map((n) => {
      const names = new Map(n.classes.map((c) => [c.classIndex, c.className]));
      const correlations: NetworkSummary["correlations"] = {};
      for (const c of n.correlations) {
        if (c.stage !== n.splitStage) continue;
        correlations[`${c.level}:${c.variable}`] = {
          rho: c.ci.estimate,
          lower: c.ci.lower,
          upper: c.ci.upper,
          n: c.ci.n,
        };
      }
      const g = n.stageSummaries.find((s) => s.stage === n.splitStage)?.groups;
      const groups: NetworkSummary["groups"] = {};
      for (const k of ["meanLogDensity", "kl", "compactness", "meanMemorization", "certifiedMeanRadius"] as const) {
        const hi = g?.high[k];
        const lo = g?.low[k];
        if (hi !== undefined || lo !== undefined) groups[k] = { high: hi ?? null, low: lo ?? null };
      }
      const gen = n.generative.find((x) => x.stage === n.splitStage) ?? n.generative[n.generative.length - 1];
      // Optional chaining on the newer fields: a stored run's analysis may predate them.
      const noise = n.split.noise ?? null;
      const conv = n.convergence;
      const other = otherDensityView(n);
      return {
        name: n.name,
        label: n.label,
        density: densityRead(analysis),
        splitStage: n.splitStage,
        verdict: n.split.verdict,
        testVerdict: n.split.testVerdict ?? (n.split.verdict === "within-noise" ? undefined : n.split.verdict),
        classMeans: n.classes
          .filter((c) => c.stage === n.splitStage)
          .sort((a, b) => b.meanLogDensity - a.meanLogDensity || a.classIndex - b.classIndex)
          .map((c) => ({
            name: c.className,
            mean: c.meanLogDensity,
            mcse: c.sampler?.mcse ?? null,
            ...(typeof c.sampler?.startGap === "number" ? { startGap: c.sampler.startGap } : {}),
          })),
        samplerNoise:
          noise === null
            ? null
            : {
                gapZ: noise.gapZ,
                rankingUnchanged: noise.rankingUnchanged,
                meanKendallTau: Number.isFinite(noise.meanKendallTau) ? noise.meanKendallTau : null,
                highGroupChanged: noise.highGroupChanged,
                withinNoise: noise.withinNoise,
              },
        convergence:
          conv === undefined
            ? undefined
            : { fits: conv.fits, withSampler: conv.withSampler, notConverged: conv.notConverged },
        other:
          other === null
            ? null
            : {
                density: other.density,
                verdict: other.split.verdict,
                holds: other.agreement.filter((x) => x.holds).length,
                of: other.agreement.length,
              },
        highClasses: n.split.gap.high.map((i) => names.get(i) ?? String(i)),
        lowClasses: n.split.gap.low.map((i) => names.get(i) ?? String(i)),
        gapNats: n.split.gap.gap,
        deltaBic: n.split.mixture?.deltaBic ?? null,
        dipPValue: n.split.dip?.pValue ?? null,
        correlations,
        groups,
        generativeAccuracy: gen?.accuracy ?? null,
      };
    }),
  };
}

const f = (v: number | null | undefined, d = 2) =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(d);

/** The summary as a few lines of text for a terminal. */
export function formatSummary(s: StudySummary): string[] {
  const lines: string[] = [];
  for (const n of s.networks) {
    const words = (v: string) =>
      v === "two-groups" ? "TWO groups of classes" : v === "mixed" ? "mixed evidence for two groups" : "no split";
    const verdict =
      n.verdict === "within-noise"
        ? `gap within sampler noise (the tests alone: ${n.testVerdict === undefined ? "two groups or mixed" : words(n.testVerdict)})`
        : words(n.verdict);
    lines.push(
      `${n.label} @ ${n.splitStage}: ${verdict} (largest gap ${f(n.gapNats)} nats, ΔBIC ${f(n.deltaBic, 1)}, dip p = ${f(n.dipPValue, 3)})`,
    );
    const sn = n.samplerNoise;
    if (sn) {
      lines.push(
        `  sampler noise: gap z = ${f(sn.gapZ)}${sn.gapZ === null ? " (MCSE 0 either side)" : ""}; ranking unchanged in ${f(100 * sn.rankingUnchanged, 1)}% of draws (mean Kendall τ ${f(sn.meanKendallTau)}); high group changes in ${f(100 * sn.highGroupChanged, 1)}%${sn.withinNoise ? " — within sampler noise" : ""}`,
      );
      if (n.classMeans)
        lines.push(
          `  ${n.density === "leave-one-out" ? "leave-one-out " : ""}class means ± MCSE (nats): ${n.classMeans.map((c) => `${c.name} ${f(c.mean)} ± ${f(c.mcse)}${c.startGap === undefined ? "" : ` (start gap ${f(c.startGap)})`}`).join(", ")}`,
        );
    }
    if (n.convergence && n.convergence.notConverged > 0)
      lines.push(
        `  ${n.convergence.notConverged} of ${n.convergence.withSampler} fits did not converge (R̂ ≥ 1.05 or bulk ESS < 400)`,
      );
    const other = n.other ?? (n.loo ? { ...n.loo, density: "leave-one-out" } : null);
    if (other)
      lines.push(
        `  ${other.density === "leave-one-out" ? "leave-one-out density (not the paper's quantity)" : "in-sample density (the paper's quantity)"}: ${other.verdict}; ${other.holds} of ${other.of} conclusions hold under both`,
      );
    if (n.verdict === "two-groups") {
      lines.push(`  high-density: ${n.highClasses.join(", ") || "–"}`);
      lines.push(`  low-density:  ${n.lowClasses.join(", ") || "–"}`);
    } else {
      // No groups to name: only which classes the largest gap would separate.
      lines.push(`  above the largest gap: ${n.highClasses.join(", ") || "–"} (no split supported)`);
    }
    const rho = (k: string, label: string) => {
      const c = n.correlations[k];
      if (c) lines.push(`  ρ(density, ${label}) = ${f(c.rho)} [${f(c.lower)}, ${f(c.upper)}] over ${c.n}`);
    };
    rho("class:kl", "KL");
    rho("class:compactness", "compactness");
    rho("class:meanMemorization", "memorization");
    rho("example:memorization", "memorization per example");
    rho("class:certifiedMeanRadius", "certified radius");
    if (n.generativeAccuracy !== null)
      lines.push(`  generative classification accuracy: ${f(100 * n.generativeAccuracy, 1)}%`);
  }
  return lines;
}
