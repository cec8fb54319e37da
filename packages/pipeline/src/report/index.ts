// The study report: one self-contained HTML page (inline SVG and CSS; no scripts, fonts or
// network) plus every figure as SVG and every table as CSV and JSON. Pure: the host writes the
// files. Identical bytes in Node and the browser for the same analysis and meta.

import { BRACKET_FACTOR } from "@classfit/wasm-core";
import type { Correlation, NetworkAnalysis, StudyAnalysis } from "../analysis/study.js";
import { densityRead, otherDensityView, VARIABLES } from "../analysis/study.js";
import { buildFigures, GROUP_COLORS, groupsShown } from "./figures.js";
import { fmt, fmtCI, fmtP } from "./format.js";
import { escapeXml, renderSvg } from "./svg.js";
import { buildTables, type Table, type TableOutput, tableOutput } from "./tables.js";

export { buildFigures, type FigureSpec, GROUP_COLORS } from "./figures.js";
export { fmt, fmtCI, fmtP, toCsv } from "./format.js";
export { escapeXml, postProcessSvg, renderSvg } from "./svg.js";
export { buildTables, type Table, type TableOutput, tableOutput } from "./tables.js";

export interface ReportMeta {
  title?: string;
  /** One line under the title (dataset, run id…). */
  subtitle?: string;
  /** Timestamp text supplied by the host (the report itself reads no clock). */
  generated?: string;
  /** Marks every page as built from synthetic inputs: a banner says these are not results. */
  synthetic?: boolean;
  /** Extra paragraphs for the summary (plain text). */
  notes?: string[];
}

export interface Report {
  html: string;
  /** Figure name → standalone SVG. */
  figures: Record<string, string>;
  /** Table name → CSV and JSON. */
  tables: Record<string, TableOutput>;
}

const e = escapeXml;

function bicWords(d: number): string {
  if (d <= 0) return "favours one Gaussian";
  if (d < 2) return "barely favours two";
  if (d < 6) return "positive evidence for two";
  if (d < 10) return "strong evidence for two";
  return "very strong evidence for two";
}

function corrText(c: Pick<Correlation, "ci"> | undefined): string {
  if (c === undefined) return "–";
  return `ρ = ${fmtCI(c.ci.estimate, c.ci.lower, c.ci.upper)}`;
}

function findCorr(net: NetworkAnalysis, level: string, variable: string): Correlation | undefined {
  return net.correlations.find((c) => c.stage === net.splitStage && c.level === level && c.variable === variable);
}

function verdictText(v: string): string {
  return v === "two-groups"
    ? "two groups of classes"
    : v === "mixed"
      ? "mixed evidence for two groups"
      : v === "within-noise"
        ? "gap within sampler noise"
        : "no split";
}

const pct = (p: number) => `${fmt(100 * p, 3)}%`;

/**
 * The sampler's share of the split (METHOD.md §12): each class mean with its MCSE, the gap's z,
 * and how stable the ranking and the groups are when the means move within their MCSE.
 */
/** Whether the analysis reads the leave-one-out class density. */
function readsLoo(a: StudyAnalysis): boolean {
  return densityRead(a) === "leave-one-out";
}

function samplerParagraph(net: NetworkAnalysis, a: StudyAnalysis): string {
  const s = net.split;
  const z = s.noise ?? null;
  const conv = net.convergence;
  const convText =
    conv !== undefined && conv.notConverged > 0
      ? ` <span class="warn">${conv.notConverged} of ${conv.withSampler} fits did not converge (R̂ ≥ 1.05 or bulk ESS &lt; 400; see the convergence table); their class means carry the MCSE shown.</span>`
      : "";
  if (z === null)
    return `<p class="small">The class means carry no sampler uncertainty (fits made before it was measured) and are read as exact.${convText}</p>`;
  const names = new Map(net.classes.map((c) => [c.classIndex, c.className]));
  const name = (i: number) => e(names.get(i) ?? String(i));
  const rows = net.classes
    .filter((c) => c.stage === net.splitStage)
    .sort((x, y) => y.meanLogDensity - x.meanLogDensity || x.classIndex - y.classIndex);
  const means = rows
    .map(
      (c) =>
        `${groupsShown(net) ? `<span class="${c.group === "high" ? "hi" : "lo"}">${e(c.className)}</span>` : e(c.className)} ${fmt(c.meanLogDensity)} ± ${fmt(c.sampler?.mcse ?? null, 2)}`,
    )
    .join(", ");
  const gaps = rows.flatMap((c) =>
    c.sampler?.startGap === null || c.sampler?.startGap === undefined ? [] : [{ c, g: c.sampler.startGap }],
  );
  const widest = gaps.reduce<(typeof gaps)[number] | undefined>(
    (w, x) => (w && Math.abs(w.g) >= Math.abs(x.g) ? w : x),
    undefined,
  );
  const gapText = widest
    ? ` Half of each class's chains started from ${BRACKET_FACTOR}·K0 clusters instead of K0: the two halves' class means differ by up to <b>${fmt(Math.abs(widest.g), 3)} nats</b> (${e(widest.c.className)}; from K0 minus from above, per class in the convergence table), which the MCSE does not include; half of it is added to each class mean's error below. A gap between classes smaller than that depends on where the sampler started.`
    : "";
  const zText =
    z.gapZ === null
      ? "both have MCSE 0, so no z"
      : `z = gap ÷ √(${fmt(z.border.lowMcse, 2)}² + ${fmt(z.border.highMcse, 2)}²) = <b>${fmt(z.gapZ, 3)}</b>${gaps.length > 0 ? " (each error √(MCSE² + (start gap ÷ 2)²), METHOD §12.6)" : ""}`;
  const words =
    s.verdict === "within-noise"
      ? ` <b>The gap is within sampler noise</b>: the tests alone say “${e(verdictText(s.testVerdict))}”, but |z| &lt; 1.96 or the high group changes in more than 5% of draws, so another sampler seed could well draw the line elsewhere.`
      : z.withinNoise
        ? " The gap is within sampler noise (and the tests do not support two groups either)."
        : " The gap stands clear of the sampler noise.";
  return (
    `<p>Sampler noise at ${e(net.splitStage)} (METHOD §12): ${readsLoo(a) ? "leave-one-out " : ""}class mean log-density ± MCSE (nats): ${means}. ` +
    `The largest gap lies between ${name(z.border.low)} and ${name(z.border.high)}: ${zText}. ` +
    `Over ${z.draws} draws of every class mean within its ${gaps.length > 0 ? "error" : "MCSE"}, the class ranking is unchanged in <b>${pct(z.rankingUnchanged)}</b> (mean Kendall τ ${fmt(Number.isFinite(z.meanKendallTau) ? z.meanKendallTau : null, 3)}) and the high group changes in <b>${pct(z.highGroupChanged)}</b>.` +
    `${words} The MCSE measures the spread between chains that start alike, not the distance to the posterior. On Fashion-MNIST the class means rose by up to about half a nat when the chains ran twice as long (METHOD §12.1), and chains started from 96 clusters instead of 6 read up to 29 nats higher and ranked the classes differently, while the leave-one-out means kept their order (METHOD §12.6). ${readsLoo(a) ? "This report therefore reads every finding on the leave-one-out means; the paper's in-sample means are analysed beside them (table “Both densities”). A gap of half a nat or less is still not settled by the sampler." : "So a gap of half a nat or less is not settled by the sampler, and neither is an order of in-sample means that the leave-one-out view (table “Both densities”) does not share."}${gapText}${convText}${z.classesWithMcse > 0 ? ` The correlation intervals below (${a.options.bootstrap} replicates) redraw each class mean within its MCSE in every replicate.` : ""}</p>`
  );
}

function networkSummary(net: NetworkAnalysis, a: StudyAnalysis): string {
  const s = net.split;
  const names = new Map(net.classes.map((c) => [c.classIndex, c.className]));
  const list = (ix: number[]) => ix.map((i) => e(names.get(i) ?? String(i))).join(", ");
  const level = `${Math.round(100 * a.options.level)}%`;
  const parts: string[] = [];
  parts.push(
    `<h3><span class="badge ${s.verdict}">${e(verdictText(s.verdict))}</span> ${e(net.label)}</h3>`,
    `<p>At stage <b>${e(s.stage)}</b>, the largest gap between sorted class mean log-densities is <b>${fmt(s.gap.gap)} nats</b> (${fmt(s.gap.gapRatio, 2)}× the next largest gap, ${fmt(s.gap.gapToWithinSd, 2)} within-group sd), ` +
      (s.verdict === "one-group"
        ? `which would put ${s.gap.high.length} ${s.gap.high.length === 1 ? "class" : "classes"} above and ${s.gap.low.length} below it (above: ${list(s.gap.high)}); neither test supports two groups. `
        : `separating <span class="hi">${s.gap.high.length} high-density</span> classes (${list(s.gap.high)}) from <span class="lo">${s.gap.low.length} low-density</span> classes. `) +
      (s.mixture
        ? `Two Gaussians vs one: <b>ΔBIC = ${fmt(s.mixture.deltaBic)}</b> (${bicWords(s.mixture.deltaBic)}). `
        : "Too few classes for a mixture comparison. ") +
      (s.dip
        ? `Hartigan's dip = ${fmt(s.dip.dip)}, <b>p = ${fmtP(s.dip.pValue)}</b> (${s.dip.simulations} uniform simulations, n = ${s.dip.n}).`
        : "") +
      "</p>",
  );
  parts.push(samplerParagraph(net, a));
  const other = otherDensityView(net);
  if (other)
    parts.push(
      `<p class="small">On the ${other.density === "leave-one-out" ? "leave-one-out density (not the paper's quantity)" : "in-sample density (the paper's quantity)"}: ${e(verdictText(other.split.verdict))}; ${other.agreement.filter((x) => x.holds).length} of ${other.agreement.length} conclusions hold under both (table “Both densities”).</p>`,
    );
  const rows: string[] = [];
  const klC = findCorr(net, "class", "kl");
  const g = net.stageSummaries.find((x) => x.stage === net.splitStage)?.groups;
  // Without a supported split there are no groups: the two sides of the largest gap are shown
  // uncoloured, as what a split there would have compared.
  const split = net.split.verdict === "two-groups";
  const grp = (k: "kl" | "compactness" | "meanMemorization" | "certifiedMeanRadius", unit: string) =>
    g && g.high[k] !== undefined && g.low[k] !== undefined
      ? split
        ? ` — group means <span class="hi">${fmt(g.high[k])}</span> vs <span class="lo">${fmt(g.low[k])}</span>${unit}`
        : ` — above vs below the largest gap (no split supported): ${fmt(g.high[k])} vs ${fmt(g.low[k])}${unit}`
      : "";
  if (klC) rows.push(`<li>Complexity (KL to the max-entropy Gaussian): ${corrText(klC)}${grp("kl", " nats")}</li>`);
  const comp = findCorr(net, "class", "compactness");
  if (comp) rows.push(`<li>Compactness (mean pairwise distance): ${corrText(comp)}${grp("compactness", "")}</li>`);
  const mem = findCorr(net, "class", "meanMemorization");
  if (mem) rows.push(`<li>Mean memorization: ${corrText(mem)} over classes${grp("meanMemorization", "")}</li>`);
  const memEx = findCorr(net, "example", "memorization");
  if (memEx) rows.push(`<li>Memorization per example: ${corrText(memEx)} over ${memEx.ci.n} examples</li>`);
  const memBin = findCorr(net, "bin", "memorization");
  if (memBin) rows.push(`<li>Memorization trend across ${a.options.bins} density bins: ${corrText(memBin)}</li>`);
  const rad = findCorr(net, "class", "certifiedMeanRadius");
  if (rad) rows.push(`<li>Mean certified radius: ${corrText(rad)} over classes${grp("certifiedMeanRadius", "")}</li>`);
  const radEx = findCorr(net, "example", "certifiedRadius");
  if (radEx)
    rows.push(`<li>Certified radius per example: ${corrText(radEx)} over ${radEx.ci.n} certified examples</li>`);
  const heldEx = findCorr(net, "example", "heldOutRadius");
  if (heldEx)
    rows.push(
      `<li>Certified radius per example, each certified by a network trained without its density bin (the authors' density-bin protocol): ${corrText(heldEx)} over ${heldEx.ci.n} examples</li>`,
    );
  const proxyEx = findCorr(net, "example", "trainingLoss");
  if (proxyEx)
    rows.push(
      `<li>Memorization proxy (cumulative training loss) per example: ${corrText(proxyEx)} over ${proxyEx.ci.n} examples</li>`,
    );
  if (net.memorizationProxy)
    rows.push(
      `<li>The proxy against the memorization scores themselves: ${corrText({ ci: net.memorizationProxy })} over ${net.memorizationProxy.n} examples</li>`,
    );
  if (rows.length > 0)
    parts.push(
      `<p class="small">Spearman correlations with class density at ${e(net.splitStage)} (${level} seeded percentile bootstrap intervals, ${a.options.bootstrap} replicates; the intervals over classes and over examples also redraw each class's density within its sampler MCSE):</p><ul>${rows.join("")}</ul>`,
    );
  return `<div class="net">${parts.join("")}</div>`;
}

/** One sentence on which networks split their classes in two and which do not. */
function headline(a: StudyAnalysis): string {
  const by = (v: string) => a.networks.filter((n) => n.split.verdict === v).map((n) => `<b>${e(n.label)}</b>`);
  const two = by("two-groups");
  const mixed = by("mixed");
  const one = by("one-group");
  const noise = by("within-noise");
  const parts: string[] = [];
  if (two.length > 0) parts.push(`Class mean log-densities fall into two groups in ${two.join(", ")}`);
  if (mixed.length > 0) parts.push(`the evidence is mixed in ${mixed.join(", ")}`);
  if (noise.length > 0) parts.push(`the largest gap is within sampler noise in ${noise.join(", ")}`);
  if (one.length > 0)
    parts.push(`${parts.length > 0 ? "but not" : "No split of the class means"} in ${one.join(", ")}`);
  const text = parts.join("; ").replace("; but not", ", but not");
  return `<p class="lead">${text.charAt(0).toUpperCase()}${text.slice(1)} (both tests at each network's split stage; details below).</p>`;
}

function comparisonTable(a: StudyAnalysis): string {
  const nets = a.networks;
  const row = (label: string, f: (n: NetworkAnalysis) => string) =>
    `<tr><th scope="row">${e(label)}</th>${nets.map((n) => `<td>${f(n)}</td>`).join("")}</tr>`;
  const groups = (n: NetworkAnalysis) => n.stageSummaries.find((s) => s.stage === n.splitStage)?.groups;
  const body = [
    row("split stage", (n) => e(n.splitStage)),
    row("verdict", (n) => e(verdictText(n.split.verdict))),
    row("high / low classes", (n) =>
      n.split.verdict === "two-groups"
        ? `${n.split.gap.high.length} / ${n.split.gap.low.length}`
        : `none (largest gap: ${n.split.gap.high.length} above / ${n.split.gap.low.length} below)`,
    ),
    row("largest gap (nats)", (n) => fmt(n.split.gap.gap)),
    row("gap ÷ next gap", (n) => fmt(n.split.gap.gapRatio, 2)),
    row("ΔBIC (1 − 2 Gaussians)", (n) => fmt(n.split.mixture?.deltaBic)),
    row("dip (p)", (n) => (n.split.dip ? `${fmt(n.split.dip.dip)} (${fmtP(n.split.dip.pValue)})` : "–")),
    row("gap z (sampler MCSE)", (n) => fmt(n.split.noise?.gapZ ?? null, 3)),
    row("ranking unchanged / high group changes", (n) =>
      n.split.noise ? `${pct(n.split.noise.rankingUnchanged)} / ${pct(n.split.noise.highGroupChanged)}` : "–",
    ),
    row("fits not converged", (n) =>
      n.convergence ? `${n.convergence.notConverged} of ${n.convergence.withSampler}` : "–",
    ),
    row("ρ density–KL", (n) => corrText(findCorr(n, "class", "kl"))),
    row("ρ density–compactness", (n) => corrText(findCorr(n, "class", "compactness"))),
    row("ρ density–memorization (examples)", (n) => corrText(findCorr(n, "example", "memorization"))),
    row("ρ density–certified radius (examples)", (n) => corrText(findCorr(n, "example", "certifiedRadius"))),
    ...(nets.some((n) => findCorr(n, "example", "heldOutRadius"))
      ? [
          row("ρ density–held-out certified radius (examples)", (n) =>
            corrText(findCorr(n, "example", "heldOutRadius")),
          ),
        ]
      : []),
    row("ρ proxy–memorization (examples)", (n) => (n.memorizationProxy ? corrText({ ci: n.memorizationProxy }) : "–")),
    row("KL high / low (nats)", (n) =>
      n.split.verdict === "two-groups"
        ? `${fmt(groups(n)?.high.kl)} / ${fmt(groups(n)?.low.kl)}`
        : `${n.split.verdict === "one-group" ? "no split" : "no supported split"} (above / below the largest gap: ${fmt(groups(n)?.high.kl)} / ${fmt(groups(n)?.low.kl)})`,
    ),
    row("generative accuracy", (n) => {
      const g = n.generative.find((x) => x.stage === n.splitStage);
      return g ? `${fmt(100 * g.accuracy, 3)}%` : "–";
    }),
  ];
  return `<table class="cmp"><thead><tr><th></th>${nets.map((n) => `<th scope="col">${e(n.label)}</th>`).join("")}</tr></thead><tbody>${body.join("")}</tbody></table>`;
}

const HTML_TABLES: { name: string; title: string; caption: string; omit?: string[] }[] = [
  {
    name: "split-evidence",
    title: "Bimodality of class means per stage",
    caption:
      "Largest gap between sorted class mean log-densities, its ratio to the next gap, ΔBIC = BIC(1 Gaussian) − BIC(2 Gaussians, shared variance), and the dip test's simulated p-value.",
  },
  {
    name: "split-stability",
    title: "Class means and the sampler's noise at the split stage",
    caption:
      "Each class mean log-density with its Monte Carlo standard error (jackknife over chains) and pHigh, the share of draws (every class mean drawn as mean + MCSE·z) in which the class lands above the largest gap.",
  },
  {
    name: "correlations",
    title: "Rank correlations with density",
    caption:
      "Spearman ρ between class density and each variable: over classes (class means), over examples (per-example values), and across density bins (bin index vs bin mean). Percentile bootstrap intervals over the same units.",
  },
  {
    name: "group-means",
    title: "Group means per stage",
    caption: "Means over the classes of each density group (groups from the split stage).",
  },
  {
    name: "class-stage",
    title: "Classes at the split stage",
    caption: "All stages are in class-stage.csv / .json.",
  },
  {
    name: "density-bins",
    title: "Density bins",
    caption: "Examples sorted by log-density and cut into equal bins (split stage).",
  },
  {
    name: "convergence",
    title: "Convergence of every fit",
    caption:
      "Rank-normalised R̂ of the log joint, of K, of α and of the class mean, and the class mean's bulk and tail ESS, per class fit; converged = every R̂ < 1.05 and bulk ESS ≥ 400. Fits that did not converge stay in the analysis with their MCSE.",
  },
  {
    name: "density-agreement",
    title: "Both densities: in-sample (the paper's) and leave-one-out",
    caption:
      "The split, the class-level correlations at the split stage and the correlations over examples and density bins, on each density: the in-sample one, which scores every training point under clusters that contain it (the paper's quantity), and the leave-one-out (CPO) one, which scores it with itself removed from its cluster. The leave-one-out class means move far less with where the sampler's chains start (METHOD §12.6). The summary reads the density named in the Method section. Which conclusions hold under both: the verdict, and each correlation's sign and whether its interval excludes 0.",
  },
  {
    name: "generative",
    title: "Generative classification",
    caption: "Accuracy of assigning each example to the class of highest density (per-class recall in generative.csv).",
    omit: ["recallPerClass"],
  },
];

/**
 * A table for the page. The CSV and JSON keep the network's name (a stable key for notebooks);
 * the page shows its label, as the figures do. Without a supported split a class has no group:
 * its group cell says which side of the largest gap it lies on, and its row is not coloured.
 */
function htmlTable(
  name: string,
  full: Table,
  csv: string,
  splitStages: Set<string>,
  nets: readonly NetworkAnalysis[],
  omit: string[] = [],
): string {
  const keep = full.columns.flatMap((c, i) => (omit.includes(c) ? [] : [i]));
  const t: Table = {
    columns: keep.map((i) => full.columns[i] as string),
    rows: full.rows.map((r) => keep.map((i) => r[i] ?? null)),
  };
  let rows = t.rows;
  if (name === "class-stage") rows = rows.filter((r) => splitStages.has(`${r[0]}\u0000${r[1]}`));
  const pCols = new Set(t.columns.flatMap((c, i) => (/pvalue/i.test(c) ? [i] : [])));
  const num = (v: number, i: number): string => {
    if (pCols.has(i)) return fmtP(v);
    if (Number.isInteger(v)) return String(v);
    const s = fmt(v, 4);
    // Trailing zeros after the decimal point add nothing in a table ("0.9500" → "0.95").
    return /^[−]?\d+\.\d+$/.test(s) ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  };
  const cell = (v: string | number | boolean | null, i: number) =>
    typeof v === "number" ? `<td class="num">${num(v, i)}</td>` : `<td>${v === null ? "–" : e(String(v))}</td>`;
  const head = `<tr>${t.columns.map((c) => `<th scope="col">${e(c)}</th>`).join("")}</tr>`;
  const byName = new Map(nets.map((n) => [n.name, n]));
  const netCol = t.columns.indexOf("network");
  const g = t.columns.indexOf("group");
  const body = rows
    .map((r) => {
      const net = netCol >= 0 ? byName.get(String(r[netCol])) : undefined;
      const grouped = net === undefined || groupsShown(net);
      const shownRow = r.map((v, i) => {
        if (i === netCol && net !== undefined) return net.label;
        if (i === g && !grouped && (v === "high" || v === "low"))
          return `${v === "high" ? "above" : "below"} the gap (no split)`;
        return v;
      });
      const cls = g >= 0 && grouped ? ` class="g-${e(String(r[g]))}"` : "";
      return `<tr${cls}>${shownRow.map((v, i) => cell(v, i)).join("")}</tr>`;
    })
    .join("");
  const href = `data:text/csv;charset=utf-8,${encodeURIComponent(csv)}`;
  return `<div class="tablewrap"><table><thead>${head}</thead><tbody>${body}</tbody></table></div><p class="small"><a download="${e(name)}.csv" href="${href}">${e(name)}.csv</a></p>`;
}

const CSS = `
:root{--hi:${GROUP_COLORS.high};--lo:${GROUP_COLORS.low};--fg:#1a1a1a;--mut:#5a5a5a;--rule:#ddd}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff}
main{max-width:1120px;margin:0 auto;padding:24px 28px 64px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 10px;border-bottom:1px solid var(--rule);padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px}
.sub{color:var(--mut);margin:0 0 12px}
.banner{background:#fff4d6;border:1px solid #e6c260;padding:8px 12px;border-radius:6px;margin:12px 0;font-weight:600}
.hi{color:var(--hi);font-weight:600}.lo{color:var(--lo);font-weight:600}
.badge{display:inline-block;font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px;margin-right:6px;vertical-align:2px;border:1px solid}
.badge.two-groups{color:#8a3b00;background:#fde8dc;border-color:#f0b899}.badge.mixed{color:#6b5800;background:#fff6cc;border-color:#e8d77a}.badge.one-group{color:#2f4f6f;background:#e3eef8;border-color:#a9c6e2}.badge.within-noise{color:#5a4a6f;background:#efe8f6;border-color:#c7b6dd}
.net{border-left:3px solid var(--rule);padding-left:14px;margin:10px 0 18px}
ul{margin:4px 0 8px;padding-left:22px}li{margin:2px 0}
.small{font-size:13px;color:var(--mut)}
.lead{font-size:16.5px;margin:8px 0 14px}
figure{margin:18px 0 28px}figure .svg{overflow-x:auto}figure svg{max-width:100%;height:auto}
figcaption{font-size:13.5px;color:var(--mut);max-width:900px}figcaption b{color:var(--fg)}
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}thead th{border-bottom:2px solid #ccc;position:sticky;top:0;background:#fff}
tr.g-high td:first-child{box-shadow:inset 3px 0 var(--hi)}tr.g-low td:first-child{box-shadow:inset 3px 0 var(--lo)}
.tablewrap{overflow-x:auto;max-height:460px;overflow-y:auto;border:1px solid #eee}
table.cmp td,table.cmp th{white-space:normal}table.cmp th[scope=row]{color:var(--mut);font-weight:500}
nav{font-size:13px;color:var(--mut)}nav a{color:inherit;margin-right:12px}
.warn{color:#8a3b00}
`;

/** Renders the report. Async only because vega's renderer is. */
export async function renderReport(analysis: StudyAnalysis, meta: ReportMeta = {}): Promise<Report> {
  const figSpecs = buildFigures(analysis);
  const figures: Record<string, string> = {};
  for (const f of figSpecs) figures[f.name] = await renderSvg(f.spec, `fig-${f.name}`);
  const tablesRaw = buildTables(analysis);
  const tables: Record<string, TableOutput> = {};
  for (const [name, t] of Object.entries(tablesRaw)) tables[name] = tableOutput(t);

  const title = meta.title ?? "classfit: how the networks fit each class";
  const splitStages = new Set(analysis.networks.map((n) => `${n.name}\u0000${n.splitStage}`));
  const o = analysis.options;
  const sections: string[] = [];
  sections.push(`<h1>${e(title)}</h1>`);
  if (meta.subtitle) sections.push(`<p class="sub">${e(meta.subtitle)}</p>`);
  if (meta.synthetic)
    sections.push(
      `<div class="banner">Synthetic input — a preview of the report's layout. These numbers are generated, not results of a study.</div>`,
    );
  sections.push(
    `<nav><a href="#summary">Summary</a><a href="#figures">Figures</a><a href="#tables">Tables</a><a href="#method">Method</a></nav>`,
  );
  sections.push(`<h2 id="summary">Summary</h2>`);
  sections.push(headline(analysis));
  for (const net of analysis.networks) sections.push(networkSummary(net, analysis));
  if (analysis.networks.length > 1) sections.push(`<h3>Side by side</h3>${comparisonTable(analysis)}`);
  for (const note of meta.notes ?? []) sections.push(`<p>${e(note)}</p>`);
  if (analysis.warnings.length > 0)
    sections.push(
      `<p class="small warn">Warnings:</p><ul class="small warn">${analysis.warnings.map((w) => `<li>${e(w)}</li>`).join("")}</ul>`,
    );

  sections.push(`<h2 id="figures">Figures</h2>`);
  figSpecs.forEach((f, i) => {
    sections.push(
      `<figure id="${e(f.name)}"><div class="svg">${figures[f.name]}</div><figcaption><b>Figure ${i + 1}. ${e(f.title)}.</b> ${e(f.caption)} <span class="small">(${e(f.name)}.svg; hover a mark for its class and values)</span></figcaption></figure>`,
    );
  });

  sections.push(`<h2 id="tables">Tables</h2>`);
  for (const t of HTML_TABLES) {
    const raw = tablesRaw[t.name];
    const out = tables[t.name];
    if (raw === undefined || out === undefined || raw.rows.length === 0) continue;
    sections.push(
      `<h3 id="t-${e(t.name)}">${e(t.title)}</h3><p class="small">${e(t.caption)}</p>${htmlTable(t.name, raw, out.csv, splitStages, analysis.networks, t.omit)}`,
    );
  }

  sections.push(
    `<h2 id="method">Method</h2><p class="small">Class density: ${readsLoo(analysis) ? "mean leave-one-out log-density of a class's training examples under its own DP-GMM, each example scored with itself removed from its cluster (METHOD §12.3; the paper's in-sample density is analysed beside it)" : "mean log-density of a class's training examples under its own DP-GMM (METHOD §4)"}. Split: class means sorted at the split stage (${analysis.networks.map((n) => `${e(n.label)}: ${e(n.splitStage)}`).join("; ")}), cut at the midpoint of the largest gap (METHOD §7). Bimodality: 1- vs 2-component Gaussian mixture with a shared variance by BIC (ΔBIC &gt; 6 = strong, Kass &amp; Raftery 1995) and Hartigan's dip test with p from ${o.dipSimulations} seeded uniform samples; "two groups" requires both. Correlations: Spearman ρ (mid-ranks for ties) with ${Math.round(100 * o.level)}% percentile bootstrap intervals, ${o.bootstrap} replicates, resampling classes or examples. Sampler noise (METHOD §12): each class mean is an MCMC estimate with a Monte Carlo standard error (jackknife over chains); every class-level bootstrap replicate also draws each class mean as mean + MCSE·z, and the split's stability comes from ${o.samplerDraws ?? 1000} such draws; "gap within sampler noise" means the tests see two groups (or mixed evidence) but the gap's |z| &lt; 1.96 or the high group changes in more than 5% of draws. Density bins: ${o.bins} equal bins of examples sorted by log-density. Seed ${o.seed}; all randomness from wasm-core's xoshiro256** streams, so the page is reproducible byte for byte.${meta.generated ? ` Generated ${e(meta.generated)}.` : ""}</p>`,
  );

  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(title)}</title><style>${CSS}</style></head>
<body><main>
${sections.join("\n")}
</main></body></html>
`;
  return { html, figures, tables };
}

/** Display name and unit of a correlated variable. */
export function variableLabel(v: string): string {
  const x = VARIABLES[v];
  return x === undefined ? v : x.unit ? `${x.label} (${x.unit})` : x.label;
}
