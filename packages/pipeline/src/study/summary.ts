// A short machine-readable summary of a finished study (what `classfit study --json` prints and
// the demo's closing lines say): per network, the density split and its evidence, and the
// correlations of class density with complexity, compactness, memorization and robustness.
// Also what the browser app shows for a finished run, live or reopened from storage; it
// imports only types, so a host's page can take it (`@classfit/pipeline/summary`) on its own.
import type { StudyAnalysis } from "../analysis/study.js";
import type { RunManifest } from "./run.js";

export interface NetworkSummary {
  name: string;
  label: string;
  splitStage: string;
  verdict: "two-groups" | "one-group" | "mixed";
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
      return {
        name: n.name,
        label: n.label,
        splitStage: n.splitStage,
        verdict: n.split.verdict,
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
    const verdict =
      n.verdict === "two-groups"
        ? "TWO groups of classes"
        : n.verdict === "mixed"
          ? "mixed evidence for two groups"
          : "no split";
    lines.push(
      `${n.label} @ ${n.splitStage}: ${verdict} (largest gap ${f(n.gapNats)} nats, ΔBIC ${f(n.deltaBic, 1)}, dip p = ${f(n.dipPValue, 3)})`,
    );
    lines.push(`  high-density: ${n.highClasses.join(", ") || "–"}`);
    lines.push(`  low-density:  ${n.lowClasses.join(", ") || "–"}`);
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
