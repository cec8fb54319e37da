// The report's figures as Vega-Lite specs built from a StudyAnalysis. Each figure puts the
// networks side by side (one panel per network, its own scales), colours classes by density
// group with the same two colours everywhere, and gives every mark a hover title.

import type { TopLevelSpec } from "vega-lite";
import type { ClassRow, DensityBin, NetworkAnalysis, StudyAnalysis } from "../analysis/study.js";
import { fmt } from "./format.js";

/** Okabe–Ito vermillion / blue: distinguishable with the common colour-vision deficiencies. */
export const GROUP_COLORS = { high: "#d55e00", low: "#0072b2", none: "#8c8c8c" } as const;

const PANEL = { width: 400, height: 250 };

const CONFIG = {
  font: "sans-serif",
  view: { stroke: "#ccc" },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", gridColor: "#eee" },
  legend: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: "normal",
    orient: "bottom",
    titleLimit: 400,
    labelLimit: 300,
  },
  title: { fontSize: 13, fontWeight: "bold", anchor: "start" },
  header: { labelFontSize: 12 },
} as const;

const colorByGroup = {
  field: "group",
  type: "nominal",
  scale: { domain: ["high", "low", "none"], range: [GROUP_COLORS.high, GROUP_COLORS.low, GROUP_COLORS.none] },
  legend: {
    title: "class group (split at the largest gap)",
    titleLimit: 400,
    labelLimit: 300,
    labelExpr: "datum.label == 'high' ? 'high-density' : datum.label == 'low' ? 'low-density' : 'no split supported'",
  },
} as const;

export interface FigureSpec {
  name: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

type Row = Record<string, string | number | null>;

/** Colour group of a class: its density group, or "none" where neither test supports a split
 * or the gap is within the sampler noise of the class means. */
export function shown(net: NetworkAnalysis, group: string): string {
  return groupsShown(net) ? group : "none";
}

/** Whether the figures colour this network's classes by group (a split is at least suggested). */
export function groupsShown(net: NetworkAnalysis): boolean {
  return net.split.verdict !== "one-group" && net.split.verdict !== "within-noise";
}

/** A class mean's ± 2 MCSE bar ends, where the MCSE was measured. */
function mcseBar(c: ClassRow): { lo: number; hi: number; mcse: number } | undefined {
  const m = c.sampler?.mcse;
  return m === null || m === undefined
    ? undefined
    : { lo: c.meanLogDensity - 2 * m, hi: c.meanLogDensity + 2 * m, mcse: m };
}

/** A bin's size, with how many of its examples have a memorization score where not all do. */
const scoredText = (n: number, scored: number | undefined) =>
  scored === undefined || scored === n ? `${n} examples` : `${n} examples, ${scored} scored`;

const mcseText = (c: ClassRow) => {
  const b = mcseBar(c);
  return b === undefined ? "" : ` ± ${fmt(b.mcse, 2)} (MCSE)`;
};

function splitRows(net: NetworkAnalysis): ClassRow[] {
  return net.classes.filter((c) => c.stage === net.splitStage);
}

/** One panel per network, side by side; shared colour legend. */
function sideBySide(
  analysis: StudyAnalysis,
  panel: (net: NetworkAnalysis) => Record<string, unknown> | null,
  extra: Record<string, unknown> = {},
): TopLevelSpec | null {
  const panels = analysis.networks.flatMap((net) => {
    const p = panel(net);
    return p === null ? [] : [{ ...PANEL, title: `${net.label} · ${net.splitStage}`, ...p }];
  });
  if (panels.length === 0) return null;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: CONFIG,
    hconcat: panels,
    resolve: { scale: { color: "shared" } },
    ...extra,
  } as unknown as TopLevelSpec;
}

const X_DENSITY = {
  field: "x",
  type: "quantitative",
  title: "class mean log-density (nats)",
  scale: { zero: false, nice: true },
} as const;

function tipFor(c: ClassRow, extra: string): string {
  return `${c.className} (${c.group === "high" ? "above" : "below"} the largest gap) · mean log-density ${fmt(c.meanLogDensity)}${mcseText(c)} nats${extra}`;
}

function classMeansByStage(a: StudyAnalysis): FigureSpec | null {
  const spec = sideBySide(a, (net) => {
    const values: Row[] = net.classes.map((c) => ({
      stage: c.stage,
      cls: c.className,
      group: shown(net, c.group),
      y: c.meanLogDensity,
      lo: mcseBar(c)?.lo ?? c.meanLogDensity,
      hi: mcseBar(c)?.hi ?? c.meanLogDensity,
      tip: `${c.className} · ${c.stage}: mean log-density ${fmt(c.meanLogDensity)}${mcseText(c)} nats`,
    }));
    // The sampler's share (METHOD.md §12): ± 2 MCSE bars and each replicate's own class mean,
    // drawn only where the fits measured them.
    const replicates: Row[] = net.classes.flatMap((c) =>
      (c.sampler?.replicateMeans ?? []).map((y, k) => ({
        stage: c.stage,
        group: shown(net, c.group),
        y,
        tip: `${c.className} · ${c.stage}: replicate ${k + 1}'s class mean ${fmt(y)} nats`,
      })),
    );
    const uncertainty: unknown[] = [];
    if (net.classes.some((c) => mcseBar(c) !== undefined))
      uncertainty.push({
        mark: { type: "rule", strokeWidth: 1.5, opacity: 0.8 },
        encoding: {
          x: { field: "stage", type: "ordinal", sort: net.stages },
          y: { field: "lo", type: "quantitative", title: "class mean log-density (nats)" },
          y2: { field: "hi" },
          color: colorByGroup,
          description: { field: "tip" },
        },
      });
    if (replicates.length > 0)
      uncertainty.push({
        data: { values: replicates },
        mark: { type: "point", filled: true, size: 9, opacity: 0.35 },
        encoding: {
          x: { field: "stage", type: "ordinal", sort: net.stages },
          y: { field: "y", type: "quantitative", title: "class mean log-density (nats)" },
          color: colorByGroup,
          description: { field: "tip" },
        },
      });
    return {
      title: `${net.label}`,
      data: { values },
      layer: [
        {
          mark: { type: "line", strokeWidth: 1.2, opacity: 0.55 },
          encoding: {
            x: { field: "stage", type: "ordinal", sort: net.stages, title: "stage", axis: { labelAngle: 0 } },
            y: { field: "y", type: "quantitative", title: "class mean log-density (nats)", scale: { zero: false } },
            detail: { field: "cls" },
            color: colorByGroup,
            description: { field: "tip" },
          },
        },
        ...uncertainty,
        {
          mark: { type: "point", filled: true, size: 45 },
          encoding: {
            x: { field: "stage", type: "ordinal", sort: net.stages },
            y: { field: "y", type: "quantitative" },
            color: colorByGroup,
            description: { field: "tip" },
          },
        },
      ],
    };
  });
  return spec === null
    ? null
    : {
        name: "class-means-by-stage",
        title: "Class mean log-density across stages",
        caption: a.networks.some((n) => n.classes.some((c) => c.sampler !== undefined))
          ? "Each line is one class: its examples' mean log-density under its own class model at each stage. Bars: ± 2 Monte Carlo standard errors of the class mean (the sampler's share, jackknife over chains); small dots: each replicate's own class mean. Colours give the density group found at the split stage (last stage unless set)."
          : "Each line is one class: its examples' mean log-density under its own class model at each stage. Colours give the density group found at the split stage (last stage unless set).",
        spec,
      };
}

function densityDistributions(a: StudyAnalysis): FigureSpec | null {
  let fromQuantiles = true;
  const spec = sideBySide(a, (net) => {
    const names = new Map(net.classes.map((c) => [c.classIndex, c]));
    let values: Row[] = net.densityQuantiles
      .filter((q) => q.stage === net.splitStage)
      .map((q) => {
        const c = names.get(q.classIndex);
        return {
          cls: c?.className ?? String(q.classIndex),
          group: shown(net, c?.group ?? "low"),
          q05: q.q[0],
          q25: q.q[1],
          q50: q.q[2],
          q75: q.q[3],
          q95: q.q[4],
          tip: `${c?.className ?? q.classIndex}: median ${fmt(q.q[2])} nats, IQR ${fmt(q.q[1])} to ${fmt(q.q[3])}, 5–95% ${fmt(q.q[0])} to ${fmt(q.q[4])}`,
        };
      });
    if (values.length === 0) {
      fromQuantiles = false;
      values = splitRows(net).map((c) => {
        const sd = Math.sqrt(c.varLogDensity);
        return {
          cls: c.className,
          group: shown(net, c.group),
          q05: c.meanLogDensity - 2 * sd,
          q25: c.meanLogDensity - sd,
          q50: c.meanLogDensity,
          q75: c.meanLogDensity + sd,
          q95: c.meanLogDensity + 2 * sd,
          tip: `${c.className}: mean ${fmt(c.meanLogDensity)} nats, sd ${fmt(sd)}`,
        };
      });
    }
    const y = { field: "cls", type: "nominal", title: null, sort: { field: "q50", order: "descending" } };
    return {
      data: { values },
      height: { step: 18 },
      layer: [
        {
          mark: { type: "rule" },
          encoding: {
            y,
            x: { field: "q05", type: "quantitative", scale: { zero: false }, title: "log-density (nats)" },
            x2: { field: "q95" },
            color: colorByGroup,
            description: { field: "tip" },
          },
        },
        {
          mark: { type: "bar", size: 11 },
          encoding: {
            y,
            x: { field: "q25", type: "quantitative" },
            x2: { field: "q75" },
            color: colorByGroup,
            description: { field: "tip" },
          },
        },
        {
          mark: { type: "tick", color: "black", size: 11, thickness: 2 },
          encoding: { y, x: { field: "q50", type: "quantitative" }, description: { field: "tip" } },
        },
      ],
    };
  });
  return spec === null
    ? null
    : {
        name: "log-density-distributions",
        title: "Log-density distributions per class",
        caption: fromQuantiles
          ? "Per class at the split stage, the log-density of each training example under its own class model: box = interquartile range, black tick = median, whiskers = 5th–95th percentiles. Classes sorted by median."
          : "Per class at the split stage (no per-example table): box = mean ± 1 sd, whiskers = mean ± 2 sd, tick = mean of the examples' log-density.",
        spec,
      };
}

function scatterVsDensity(
  a: StudyAnalysis,
  name: string,
  title: string,
  yTitle: string,
  get: (c: ClassRow) => { y: number; lo?: number; hi?: number } | undefined,
  caption: string,
  tipExtra: (c: ClassRow) => string,
): FigureSpec | null {
  const spec = sideBySide(a, (net) => {
    const values: Row[] = splitRows(net).flatMap((c) => {
      const v = get(c);
      if (v === undefined) return [];
      return [
        {
          x: c.meanLogDensity,
          xlo: mcseBar(c)?.lo ?? c.meanLogDensity,
          xhi: mcseBar(c)?.hi ?? c.meanLogDensity,
          y: v.y,
          lo: v.lo ?? v.y,
          hi: v.hi ?? v.y,
          group: shown(net, c.group),
          tip: tipFor(c, tipExtra(c)),
        },
      ];
    });
    if (values.length === 0) return null;
    // ± 2 MCSE of the class mean along the density axis, where the fits measured it.
    const xBars = splitRows(net).some((c) => mcseBar(c) !== undefined)
      ? [
          {
            mark: { type: "rule", strokeWidth: 1.5 },
            encoding: {
              x: { ...X_DENSITY, field: "xlo" },
              x2: { field: "xhi" },
              y: { field: "y", type: "quantitative", title: yTitle },
              color: colorByGroup,
              description: { field: "tip" },
            },
          },
        ]
      : [];
    return {
      data: { values },
      layer: [
        {
          mark: { type: "rule", strokeWidth: 1.5 },
          encoding: {
            x: X_DENSITY,
            y: { field: "lo", type: "quantitative", title: yTitle, scale: { zero: false } },
            y2: { field: "hi" },
            color: colorByGroup,
            description: { field: "tip" },
          },
        },
        ...xBars,
        {
          mark: { type: "point", filled: true, size: 60, opacity: 0.9 },
          encoding: {
            x: X_DENSITY,
            y: { field: "y", type: "quantitative" },
            color: colorByGroup,
            description: { field: "tip" },
          },
        },
      ],
    };
  });
  const measured = a.networks.some((net) => splitRows(net).some((c) => mcseBar(c) !== undefined));
  const full = measured
    ? `${caption} Horizontal bars: ± 2 Monte Carlo standard errors of the class mean log-density (the sampler's share).`
    : caption;
  return spec === null ? null : { name, title, caption: full, spec };
}

function memorizationVsDensity(a: StudyAnalysis): FigureSpec | null {
  const spec = sideBySide(a, (net) => {
    const classes: Row[] = splitRows(net).flatMap((c) =>
      c.meanMemorization === undefined
        ? []
        : [
            {
              x: c.meanLogDensity,
              y: c.meanMemorization,
              group: shown(net, c.group),
              tip: tipFor(c, ` · mean memorization ${fmt(c.meanMemorization)}`),
            },
          ],
    );
    const bins: Row[] = (net.densityBins.find((b) => b.stage === net.splitStage)?.bins ?? []).flatMap((b) =>
      b.meanMemorization === undefined
        ? []
        : [
            {
              x: b.meanLogDensity,
              y: b.meanMemorization,
              lo: b.meanMemorization - 2 * (b.seMemorization ?? 0),
              hi: b.meanMemorization + 2 * (b.seMemorization ?? 0),
              tip: `density bin ${b.bin + 1} (${scoredText(b.n, b.nMemorization)}, log-density ${fmt(b.logDensityMin)} to ${fmt(b.logDensityMax)}): mean memorization ${fmt(b.meanMemorization)} ± ${fmt(b.seMemorization, 2)} (SE)`,
            },
          ],
    );
    if (classes.length === 0 && bins.length === 0) return null;
    const layers: unknown[] = [];
    if (bins.length > 0)
      layers.push(
        {
          data: { values: bins },
          mark: { type: "rule", color: "#777" },
          encoding: {
            x: { field: "x", type: "quantitative", title: "mean log-density (nats)", scale: { zero: false } },
            y: { field: "lo", type: "quantitative", title: "memorization score" },
            y2: { field: "hi" },
            description: { field: "tip" },
          },
        },
        {
          data: { values: bins },
          mark: { type: "line", color: "#777", point: { filled: false, fill: "white", color: "#777" } },
          encoding: {
            x: { field: "x", type: "quantitative" },
            y: { field: "y", type: "quantitative" },
            description: { field: "tip" },
          },
        },
      );
    if (classes.length > 0)
      layers.push({
        data: { values: classes },
        mark: { type: "point", filled: true, size: 60 },
        encoding: {
          x: { field: "x", type: "quantitative", title: "mean log-density (nats)", scale: { zero: false } },
          y: { field: "y", type: "quantitative", title: "memorization score" },
          color: colorByGroup,
          description: { field: "tip" },
        },
      });
    return { layer: layers };
  });
  return spec === null
    ? null
    : {
        name: "memorization-vs-density",
        title: "Memorization vs density",
        caption:
          "Filled points: classes (mean memorization score vs mean log-density). Grey line: examples sorted by log-density and cut into equal density bins, bin mean ± 2 standard errors.",
        spec,
      };
}

const BIN_NETWORKS = {
  with: { label: "network trained on the example", color: "#999", dash: [1, 0] },
  without: { label: "network trained without the example's bin", color: "#333", dash: [5, 3] },
} as const;

function certifiedAcrossBins(a: StudyAnalysis): FigureSpec | null {
  const spec = sideBySide(
    a,
    (net) => {
      const bins = net.densityBins.find((b) => b.stage === net.splitStage)?.bins ?? [];
      const point = (
        b: DensityBin,
        who: keyof typeof BIN_NETWORKS,
        radius: number,
        accuracy: number | undefined,
        n: number | undefined,
      ): Row => ({
        x: b.meanLogDensity,
        y: radius,
        high: b.fractionHighClasses,
        who: BIN_NETWORKS[who].label,
        tip: `density bin ${b.bin + 1} (${b.n} examples, log-density ${fmt(b.logDensityMin)} to ${fmt(b.logDensityMax)}), ${BIN_NETWORKS[who].label}: mean certified radius ${fmt(radius)}, accuracy ${fmt(accuracy)} over ${n} certified examples, ${fmt(100 * b.fractionHighClasses, 3)}% from high-density classes`,
      });
      const values: Row[] = bins.flatMap((b) => [
        ...(b.meanCertifiedRadius === undefined
          ? []
          : [point(b, "with", b.meanCertifiedRadius, b.accuracy, b.nCertified)]),
        ...(b.heldOutMeanRadius === undefined
          ? []
          : [point(b, "without", b.heldOutMeanRadius, b.heldOutAccuracy, b.nHeldOut)]),
      ]);
      if (values.length === 0) return null;
      const present = (Object.keys(BIN_NETWORKS) as (keyof typeof BIN_NETWORKS)[]).filter((k) =>
        values.some((v) => v.who === BIN_NETWORKS[k].label),
      );
      const who = {
        field: "who",
        type: "nominal",
        scale: {
          domain: present.map((k) => BIN_NETWORKS[k].label),
          range: present.map((k) => BIN_NETWORKS[k].color),
        },
        legend: { title: null, orient: "bottom", direction: "vertical", labelLimit: 400 },
      };
      const x = { field: "x", type: "quantitative", title: "bin mean log-density (nats)", scale: { zero: false } };
      return {
        data: { values },
        layer: [
          {
            mark: { type: "line", strokeWidth: 1.5 },
            encoding: {
              x,
              y: { field: "y", type: "quantitative", title: "mean certified radius" },
              color: who,
              strokeDash: {
                field: "who",
                type: "nominal",
                scale: {
                  domain: present.map((k) => BIN_NETWORKS[k].label),
                  range: present.map((k) => BIN_NETWORKS[k].dash),
                },
                legend: null,
              },
              description: { field: "tip" },
            },
          },
          {
            mark: { type: "point", filled: true, size: 80, opacity: 1, stroke: "#555", strokeWidth: 0.5 },
            encoding: {
              x,
              y: { field: "y", type: "quantitative" },
              fill: {
                field: "high",
                type: "quantitative",
                scale: { domain: [0, 1], range: [GROUP_COLORS.low, GROUP_COLORS.high] },
                legend: {
                  title: "share from high-density classes",
                  titleLimit: 400,
                  orient: "bottom",
                  direction: "horizontal",
                  gradientLength: 160,
                },
              },
              description: { field: "tip" },
            },
          },
        ],
      };
    },
    { resolve: { scale: { fill: "shared" } } },
  );
  return spec === null
    ? null
    : {
        name: "certified-radius-across-density-bins",
        title: "Certified robustness across density bins",
        caption:
          "Training examples sorted by log-density at the split stage and cut into equal bins: mean certified radius per bin (a wrong or abstained prediction counts as radius 0), each point filled by the share of the bin that comes from high-density classes. Solid grey: the network itself, which trained on the examples. Dashed, where a density-bin protocol was imported: the authors' protocol, each example certified by a network trained without its density bin.",
        spec,
      };
}

/**
 * One legend entry per curve: colour and dash share the field "curve", so Vega-Lite draws a single
 * legend whose symbols are the curves' own strokes. A network with a split draws its groups
 * ("high"/"low", the group colours); one without draws the two sides of the largest gap in grey,
 * told apart by the dash alone.
 */
const CURVES = {
  high: { color: GROUP_COLORS.high, dash: [1, 0], label: "high-density classes" },
  low: { color: GROUP_COLORS.low, dash: [6, 3], label: "low-density classes" },
  above: { color: GROUP_COLORS.none, dash: [1, 0], label: "above the largest gap (no split)" },
  below: { color: GROUP_COLORS.none, dash: [6, 3], label: "below the largest gap (no split)" },
} as const;
type CurveKey = keyof typeof CURVES;

function certifiedCurves(a: StudyAnalysis): FigureSpec | null {
  const present = new Set<CurveKey>();
  const spec = sideBySide(
    a,
    (net) => {
      const values: Row[] = net.certifiedCurves
        .filter((c) => c.stage === net.splitStage && (c.group === "high" || c.group === "low"))
        .flatMap((c) => {
          const side = c.group === "high" ? "above" : "below";
          const curve: CurveKey = groupsShown(net) ? (c.group as "high" | "low") : side;
          present.add(curve);
          return c.points.map((p) => ({
            radius: p.radius,
            accuracy: p.accuracy,
            curve,
            tip: `classes ${side} the largest gap (${c.n} examples): certified accuracy ${fmt(p.accuracy)} at radius ${fmt(p.radius)}`,
          }));
        });
      if (values.length === 0) return null;
      return {
        data: { values },
        mark: { type: "line", strokeWidth: 2, point: { size: 14 } },
        encoding: {
          x: { field: "radius", type: "quantitative", title: "radius (L2, normalised input space)" },
          y: { field: "accuracy", type: "quantitative", title: "certified accuracy", scale: { domain: [0, 1] } },
          color: { field: "curve", type: "nominal", scale: { domain: [] }, legend: {} },
          strokeDash: { field: "curve", type: "nominal", scale: { domain: [] }, legend: {} },
          description: { field: "tip" },
        },
      };
    },
    { resolve: { scale: { color: "shared", strokeDash: "shared" } } },
  );
  if (spec === null) return null;
  // The domain holds only the curves drawn, so the legend lists no entry without a line.
  const keys = (Object.keys(CURVES) as CurveKey[]).filter((k) => present.has(k));
  const legend = {
    title: "examples of",
    symbolType: "stroke",
    symbolStrokeWidth: 2,
    symbolSize: 300,
    labelExpr: `${keys.map((k) => `datum.label == '${k}' ? '${CURVES[k].label}' : `).join("")}datum.label`,
  };
  for (const panel of (spec as unknown as { hconcat: { encoding: Record<string, Record<string, unknown>> }[] })
    .hconcat) {
    panel.encoding.color = {
      ...panel.encoding.color,
      scale: { domain: keys, range: keys.map((k) => CURVES[k].color) },
      legend,
    };
    panel.encoding.strokeDash = {
      ...panel.encoding.strokeDash,
      scale: { domain: keys, range: keys.map((k) => CURVES[k].dash) },
      legend,
    };
  }
  return {
    name: "certified-accuracy-vs-radius",
    title: "Certified accuracy vs radius per density group",
    caption:
      "Fraction of a group's examples that the smoothed classifier predicts correctly with a certified radius ≥ r (abstentions count as wrong; Cohen et al. 2019). Without a supported split, the two sides of the largest gap are drawn in grey, solid above and dashed below.",
    spec,
  };
}

function rhatAndK(a: StudyAnalysis): FigureSpec | null {
  const spec = sideBySide(a, (net) => {
    const values: Row[] = net.classes.flatMap((c) =>
      c.rhat === undefined || c.meanK === undefined
        ? []
        : [
            {
              k: c.meanK,
              rhat: c.rhat.logJoint,
              group: shown(net, c.group),
              stage: c.stage,
              tip: `${c.className} · ${c.stage}: R̂(log joint) ${fmt(c.rhat.logJoint, 4)}, R̂(K) ${fmt(c.rhat.k, 4)}, mean K ${fmt(c.meanK)}`,
            },
          ],
    );
    if (values.length === 0) return null;
    return {
      title: `${net.label} · all stages`,
      layer: [
        {
          data: { values: [{ y: 1.1, tip: "R̂ = 1.1: above this line the chains disagree" }] },
          mark: { type: "rule", strokeDash: [4, 3], color: "#999" },
          encoding: { y: { field: "y", type: "quantitative" }, description: { field: "tip" } },
        },
        {
          data: { values },
          mark: { type: "point", filled: true, size: 50, opacity: 0.85 },
          encoding: {
            x: { field: "k", type: "quantitative", title: "mean number of clusters K", scale: { zero: false } },
            y: { field: "rhat", type: "quantitative", title: "split-R̂ of the log joint", scale: { zero: false } },
            color: colorByGroup,
            shape: {
              field: "stage",
              type: "nominal",
              sort: net.stages,
              legend: { title: "stage", orient: "bottom" },
            },
            description: { field: "tip" },
          },
        },
      ],
      resolve: { scale: { shape: "independent" } },
    };
  });
  return spec === null
    ? null
    : {
        name: "rhat-and-k",
        title: "Convergence: R̂ and K per fit",
        caption:
          "One point per class model (every stage): split-R̂ of the log joint density across chains vs the mean number of occupied clusters. Dashed line: R̂ = 1.1, above which chains disagree.",
        spec,
      };
}

function confusion(a: StudyAnalysis): FigureSpec | null {
  const spec = sideBySide(
    a,
    (net) => {
      const g = net.generative.find((r) => r.stage === net.splitStage) ?? net.generative.at(-1);
      if (g === undefined) return null;
      const names = new Map(net.classes.map((c) => [c.classIndex, c.className]));
      const order = Array.from({ length: g.numClasses }, (_, c) => names.get(c) ?? String(c));
      const values: Row[] = [];
      g.confusion.forEach((row, t) => {
        const tot = row.reduce((x, y) => x + y, 0);
        row.forEach((count, p) => {
          const frac = tot > 0 ? count / tot : 0;
          values.push({
            t: order[t] as string,
            p: order[p] as string,
            frac,
            tip: `true ${order[t]} → assigned ${order[p]}: ${count} of ${tot} (${fmt(100 * frac, 3)}%)`,
          });
        });
      });
      return {
        title: `${net.label} · ${g.stage} · accuracy ${fmt(100 * g.accuracy, 3)}%`,
        width: { step: 22 },
        height: { step: 22 },
        data: { values },
        mark: { type: "rect" },
        encoding: {
          x: {
            field: "p",
            type: "nominal",
            sort: order,
            title: "assigned class (highest density)",
            axis: { labelAngle: -45 },
          },
          y: { field: "t", type: "nominal", sort: order, title: "true class" },
          color: {
            field: "frac",
            type: "quantitative",
            scale: { scheme: "greys", domain: [0, 1] },
            legend: { title: "fraction of true class", orient: "right" },
          },
          description: { field: "tip" },
        },
      };
    },
    { resolve: { scale: { color: "shared" } } },
  );
  return spec === null
    ? null
    : {
        name: "generative-confusion",
        title: "Generative classification (sanity check)",
        caption:
          "Each example is assigned to the class whose density model gives it the highest log-density; rows are normalised by the true class. A good density model per class should put most mass on the diagonal.",
        spec,
      };
}

/**
 * Narrows every group colour scale to the groups the figures draw, so that the legend lists no
 * group that is not there (without a split anywhere: only "no split supported").
 */
function groupsDrawn(spec: unknown, groups: readonly string[]): void {
  if (Array.isArray(spec)) for (const x of spec) groupsDrawn(x, groups);
  else if (typeof spec === "object" && spec !== null) {
    const o = spec as Record<string, unknown>;
    const color = (o.encoding as Record<string, unknown> | undefined)?.color as Record<string, unknown> | undefined;
    if (color?.field === "group")
      (o.encoding as Record<string, unknown>).color = {
        ...color,
        scale: { domain: groups, range: groups.map((g) => GROUP_COLORS[g as keyof typeof GROUP_COLORS]) },
      };
    for (const v of Object.values(o)) groupsDrawn(v, groups);
  }
}

/** All figures that the analysis has data for, in reading order. */
export function buildFigures(a: StudyAnalysis): FigureSpec[] {
  const present = new Set(a.networks.flatMap((net) => net.classes.map((c) => shown(net, c.group))));
  const groups = (["high", "low", "none"] as const).filter((g) => present.has(g));
  const figs = [
    densityDistributions(a),
    classMeansByStage(a),
    scatterVsDensity(
      a,
      "kl-vs-density",
      "Complexity (relative entropy) vs density",
      "KL(p ‖ q) (nats)",
      (c) =>
        c.kl === undefined ? undefined : { y: c.kl.value, lo: c.kl.value - 2 * c.kl.se, hi: c.kl.value + 2 * c.kl.se },
      "Relative entropy of each class's predictive density p to the Gaussian q matching its mean and per-dimension variance (METHOD §5), vs the class mean log-density, at the split stage. Bars: ± 2 Monte Carlo standard errors (often smaller than the points).",
      (c) => (c.kl === undefined ? "" : ` · KL ${fmt(c.kl.value)} ± ${fmt(c.kl.se, 2)} nats`),
    ),
    scatterVsDensity(
      a,
      "compactness-vs-density",
      "Compactness vs density",
      "mean pairwise distance",
      (c) => (c.compactness === undefined ? undefined : { y: c.compactness }),
      "Mean pairwise Euclidean distance between a class's reduced representations (METHOD §6; zero distances excluded), vs the class mean log-density, at the split stage. Smaller = more compact.",
      (c) => ` · compactness ${fmt(c.compactness)}`,
    ),
    memorizationVsDensity(a),
    certifiedCurves(a),
    certifiedAcrossBins(a),
    rhatAndK(a),
    confusion(a),
  ];
  const out = figs.filter((f): f is FigureSpec => f !== null);
  for (const f of out) groupsDrawn(f.spec, groups);
  return out;
}
