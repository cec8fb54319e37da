// The figures' Vega-Lite specs (what vega-lite is given, not pixels) and the page's tables under
// the cases a real study meets: partly unscored memorization, no supported split, labels that
// differ from network names.
import type { Core } from "@classfit/wasm-core";
import * as vl from "vega-lite";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeStudy, type StudyAnalysis } from "../analysis/study.js";
import { testCore } from "../analysis/testing/core.js";
import { syntheticStudy } from "../analysis/testing/synthetic.js";
import type { StudyInput } from "../analysis/types.js";
import { buildFigures, type FigureSpec, GROUP_COLORS } from "./figures.js";
import { renderReport } from "./index.js";

let core: Core;
let input: StudyInput;
let analysis: StudyAnalysis;
beforeAll(async () => {
  core = await testCore();
  input = syntheticStudy(core, { seed: 4, perClass: 60 });
  analysis = analyzeStudy(core, input, { seed: 5, bootstrap: 50, dipSimulations: 200 });
});

type Unit = { mark?: unknown; encoding?: Record<string, unknown>; layer?: Unit[]; data?: unknown };

/** Every unit spec (one mark) of a figure, with the panel it sits in. */
function units(f: FigureSpec): Unit[] {
  const out: Unit[] = [];
  const walk = (u: Unit) => {
    if (u.mark !== undefined) out.push(u);
    for (const l of u.layer ?? []) walk({ ...l, encoding: { ...u.encoding, ...l.encoding } });
  };
  for (const p of (f.spec as unknown as { hconcat: Unit[] }).hconcat) walk(p);
  return out;
}

function figure(a: StudyAnalysis, name: string): FigureSpec {
  const f = buildFigures(a).find((x) => x.name === name);
  if (f === undefined) throw new Error(`figure ${name} expected`);
  return f;
}

/** The split verdict of every network set to `verdict`. */
function withVerdict(a: StudyAnalysis, verdict: StudyAnalysis["networks"][number]["split"]["verdict"]) {
  const b = structuredClone(a);
  for (const n of b.networks) n.split.verdict = verdict;
  return b;
}

describe("memorization vs density (unscored examples)", () => {
  it("draws the binned line from the scored examples of every bin, with their counts", () => {
    // Every 7th example unscored, as when it fell in every (or no) memorization subset.
    const partly = structuredClone(input);
    for (const t of partly.exampleTables ?? [])
      t.memorization = Float64Array.from(t.memorization ?? [], (v, i) => (i % 7 === 0 ? Number.NaN : v));
    const a = analyzeStudy(core, partly, { seed: 5, bootstrap: 50, dipSimulations: 200 });
    const bins = a.networks[0]?.densityBins.find((d) => d.stage === a.networks[0]?.splitStage)?.bins ?? [];
    expect(bins.length).toBe(10);
    for (const b of bins) {
      expect(Number.isFinite(b.meanMemorization)).toBe(true);
      expect(b.nMemorization).toBeGreaterThan(0);
      expect(b.nMemorization).toBeLessThan(b.n);
    }
    const f = figure(a, "memorization-vs-density");
    const line = units(f).find((u) => (u.mark as { type?: string }).type === "line");
    const values = (line?.data as { values: { y: number; tip: string }[] } | undefined)?.values ?? [];
    expect(values.length).toBe(10);
    for (const v of values) {
      expect(Number.isFinite(v.y)).toBe(true);
      expect(v.tip).toMatch(/\d+ examples, \d+ scored/);
    }
    const table = a.networks.flatMap((n) => n.densityBins.flatMap((d) => d.bins));
    expect(table.reduce((s, b) => s + (b.nMemorization ?? 0), 0)).toBeGreaterThan(0);
  });
});

describe("certified accuracy vs radius (legend)", () => {
  const legendOf = (a: StudyAnalysis) => {
    const f = figure(a, "certified-accuracy-vs-radius");
    const enc = units(f)[0]?.encoding as Record<
      string,
      { field: string; scale: { domain: string[]; range: unknown[] }; legend: Record<string, unknown> }
    >;
    return { f, color: enc.color, dash: enc.strokeDash };
  };

  it("gives the two groups one legend whose symbols are their strokes, in their colours", () => {
    const { f, color, dash } = legendOf(withVerdict(analysis, "two-groups"));
    expect(color?.field).toBe("curve");
    expect(dash?.field).toBe("curve");
    expect(color?.scale.domain).toEqual(["high", "low"]);
    expect(color?.scale.range).toEqual([GROUP_COLORS.high, GROUP_COLORS.low]);
    expect(dash?.scale.range).toEqual([
      [1, 0],
      [6, 3],
    ]);
    expect(color?.legend.symbolType).toBe("stroke");
    // Vega-Lite merges colour and dash into one legend (the one with both encodings).
    const compiled = vl.compile(f.spec).spec as { legends?: { stroke?: string; strokeDash?: string }[] };
    expect(compiled.legends?.length).toBe(1);
    expect(compiled.legends?.[0]?.stroke).toBeDefined();
    expect(compiled.legends?.[0]?.strokeDash).toBeDefined();
  });

  it("draws no group colours without a split: grey sides of the gap told apart by the dash", () => {
    const { color, dash } = legendOf(withVerdict(analysis, "one-group"));
    expect(color?.scale.domain).toEqual(["above", "below"]);
    expect(color?.scale.range).toEqual([GROUP_COLORS.none, GROUP_COLORS.none]);
    expect(dash?.scale.range).toEqual([
      [1, 0],
      [6, 3],
    ]);
    expect(String(color?.legend.labelExpr)).toContain("no split");
  });
});

describe("group colours", () => {
  const domains = (a: StudyAnalysis) =>
    new Set(
      buildFigures(a).flatMap((f) =>
        units(f).flatMap((u) => {
          const c = u.encoding?.color as { field?: string; scale?: { domain?: string[] } } | undefined;
          return c?.field === "group" ? [JSON.stringify(c.scale?.domain)] : [];
        }),
      ),
    );
  it("list only the groups drawn: no high/low entries without a split", () => {
    expect(domains(withVerdict(analysis, "one-group"))).toEqual(new Set(['["none"]']));
    expect(domains(withVerdict(analysis, "two-groups"))).toEqual(new Set(['["high","low"]']));
  });
});

describe("tooltips", () => {
  it("gives every mark of every figure its own tip text", () => {
    for (const f of buildFigures(analysis))
      for (const u of units(f)) expect(u.encoding?.description, `${f.name}: ${JSON.stringify(u.mark)}`).toBeDefined();
  });

  it("shows no raw field names and no long decimals on hover", async () => {
    const r = await renderReport(analysis);
    for (const [name, svg] of Object.entries(r.figures)) {
      const marks = [...svg.matchAll(/<[a-z]+\b[^>]*>/g)].flatMap((m) => {
        const role = /aria-roledescription="([^"]+)"/.exec(m[0])?.[1];
        const label = /aria-label="([^"]*)"/.exec(m[0])?.[1];
        return role === undefined || label === undefined || ["axis", "legend", "title"].includes(role) ? [] : [label];
      });
      expect(marks.length, name).toBeGreaterThan(0);
      for (const l of marks) {
        expect(l, name).not.toMatch(
          /(^|; )(x|y|lo|hi|xlo|xhi|q\d\d|group|cls|curve|side|tip|frac|high|k|rhat|stage): /,
        );
        expect(l, name).not.toMatch(/\d\.0*[1-9]\d{4,}/);
      }
    }
  });
});

describe("the page without a supported split", () => {
  it("colours no group anywhere and says so in the side-by-side table", async () => {
    const r = await renderReport(withVerdict(analysis, "one-group"));
    const summary = r.html.slice(r.html.indexOf('id="summary"'), r.html.indexOf('id="figures"'));
    expect(summary).not.toMatch(/class="(hi|lo)"/);
    expect(summary).toContain("no split (above / below the largest gap:");
    const tables = r.html.slice(r.html.indexOf('id="tables"'));
    expect(tables).not.toMatch(/class="g-(high|low)"/);
    expect(tables).toContain("above the gap (no split)");
    // With a split, the same page colours its groups.
    const two = await renderReport(withVerdict(analysis, "two-groups"));
    expect(two.html).toMatch(/class="g-high"/);
    expect(two.html.slice(two.html.indexOf('id="summary"'), two.html.indexOf('id="figures"'))).toMatch(/class="hi"/);
  });
});

describe("tables", () => {
  it("name networks by the figures' labels on the page, by name in CSV and JSON", async () => {
    const r = await renderReport(analysis);
    const tables = r.html.slice(r.html.indexOf('id="tables"'), r.html.indexOf('id="method"'));
    const cells = [...tables.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
    for (const n of analysis.networks) {
      expect(cells).toContain(n.label);
      expect(cells).not.toContain(n.name);
    }
    expect(r.tables["class-stage"]?.json[0]?.network).toBe("resnet");
  });
});
