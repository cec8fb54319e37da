// docs/METHOD.md is what the code's "METHOD.md §N" citations point at: every cited section must
// exist there as a numbered heading ("## 3. …", "### 12.3 …"), so a renumbering or a typo shows
// up here with the file and line of the citation. And since a user's clone is all there is, no
// project file may point outside it at the team's shared folder.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const METHOD_DOC = "docs/METHOD.md";
const SELF = "tests/src/method-doc.test.ts";

/** The spec's sections, in order; docs/METHOD.md keeps this numbering. */
const SECTIONS = [
  "Neural representations",
  "Dimensionality reduction",
  "Per-class density model: DP-GMM",
  "Class-conditional log-density",
  "Complexity",
  "Spatial compactness",
  "High- and low-density classes",
  "Memorization",
  "Randomized smoothing",
  "Architectures",
  "The findings to reproduce",
  "Sampler uncertainty",
];

/** Source and documentation files; binary assets, weights and data are never read. */
const TEXT_EXTENSIONS = new Set([
  ".ts",
  ".tsx",
  ".mts",
  ".cts",
  ".js",
  ".mjs",
  ".cjs",
  ".md",
  ".py",
  ".sh",
  ".yaml",
  ".yml",
  ".sbatch",
  ".html",
  ".css",
]);
const SKIP_DIRS = new Set(["node_modules", "dist", "build", "runs", "tmp", "test-results", "fixtures"]);

function isScanned(path: string): boolean {
  const parts = path.split("/");
  if (parts.slice(0, -1).some((p) => SKIP_DIRS.has(p) || (p.startsWith(".") && p !== ".ci"))) return false;
  return path.startsWith(".ci/") || TEXT_EXTENSIONS.has(extname(path));
}

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && (!e.name.startsWith(".") || e.name === ".ci")) walk(full, out);
    } else if (e.isFile()) out.push(relative(ROOT, full).split(sep).join("/"));
  }
}

/** The project's files (tracked, plus untracked ones git does not ignore), repository-relative.
 * Without git (an unpacked archive) every file under the root, minus build outputs. */
function projectFiles(): string[] {
  let files: string[];
  try {
    const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 64 * 1024 * 1024,
    });
    files = out.split("\0").filter((f) => f !== "");
  } catch {
    files = [];
    walk(ROOT, files);
  }
  return [...new Set(files)].filter((f) => isScanned(f) && existsSync(join(ROOT, f))).sort();
}

const SECTION = String.raw`\d+(?:\.\d+)*`;
/** "METHOD.md §3", "§3.2", "§2–§9", "§§3–5", "§6, §7, §11", "§7 and §11". */
const CITATION = new RegExp(
  String.raw`METHOD\.md\s+(§§?\s*${SECTION}(?:\s*[–—-]\s*§{0,2}\s*${SECTION}|\s*(?:,|and|&)\s*§§?\s*${SECTION})*)`,
  "g",
);

/** The section numbers one citation's text (the part after "METHOD.md ") names; an integer
 * range names every section in it, a range of sub-sections its two ends. */
function citedSections(text: string): string[] {
  const tokens = text.match(new RegExp(`${SECTION}|[–—-]`, "g")) ?? [];
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (/^[–—-]$/.test(t)) continue;
    const prev = tokens[i - 1];
    const from = tokens[i - 2];
    if (prev !== undefined && /^[–—-]$/.test(prev) && from !== undefined && /^\d+$/.test(from) && /^\d+$/.test(t)) {
      for (let s = Number(from) + 1; s <= Number(t); s++) out.push(String(s));
    } else {
      out.push(t);
    }
  }
  return out;
}

interface Citation {
  file: string;
  line: number;
  text: string;
  sections: string[];
}

function citationsIn(file: string, content: string): Citation[] {
  const found: Citation[] = [];
  for (const m of content.matchAll(CITATION)) {
    const before = content.slice(0, m.index);
    const line = before.split("\n").length;
    found.push({ file, line, text: m[0].replace(/\s+/g, " "), sections: citedSections(m[1] as string) });
  }
  return found;
}

/** Section numbers of the numbered headings of a markdown text ("## 3. Title", "### 12.3 Title"). */
function headingNumbers(markdown: string): string[] {
  return [...markdown.matchAll(/^#{2,4}[ \t]+(\d+(?:\.\d+)*)\.?[ \t]/gm)].map((m) => m[1] as string);
}

const methodDoc = readFileSync(join(ROOT, METHOD_DOC), "utf8");
const files = projectFiles();

describe("docs/METHOD.md", () => {
  it("has the spec's twelve sections, numbered in order", () => {
    const top = [...methodDoc.matchAll(/^## (\d+)\. (.+)$/gm)].map((m) => `${m[1]}. ${m[2]}`);
    expect(top).toEqual(SECTIONS.map((title, i) => `${i + 1}. ${title}`));
  });

  it("has the profiles and the references", () => {
    expect(methodDoc).toMatch(/^## Profiles$/m);
    expect(methodDoc).toMatch(/^## References$/m);
  });
});

describe("METHOD.md citations", () => {
  it("are parsed with their ranges and lists", () => {
    const M = "METHOD.md";
    const parse = (s: string) => [...s.matchAll(CITATION)].map((m) => citedSections(m[1] as string));
    expect(parse(`(${M} §3)`)).toEqual([["3"]]);
    expect(parse(`(${M} §12.3).`)).toEqual([["12.3"]]);
    expect(parse(`${M} §2–§5:`)).toEqual([["2", "3", "4", "5"]]);
    expect(parse(`${M} §§3-4`)).toEqual([["3", "4"]]);
    expect(parse(`${M} §6, §7, §11)`)).toEqual([["6", "7", "11"]]);
    expect(parse(`${M} §12.1–§12.3`)).toEqual([["12.1", "12.3"]]);
    expect(parse(`${M} §9, 100 000 samples`)).toEqual([["9"]]);
    expect(parse(`the study of ${M} from one config; ${M}: 400 sweeps`)).toEqual([]);
    expect(parse(`${M}\n  §4`)).toEqual([["4"]]);
  });

  it("all name a section that docs/METHOD.md has", () => {
    const sections = new Set(headingNumbers(methodDoc));
    const citations = files.flatMap((f) => citationsIn(f, readFileSync(join(ROOT, f), "utf8")));
    // The scan must actually see the code's citations (dozens), or this test proves nothing.
    expect(citations.length).toBeGreaterThan(50);
    const dangling = citations.flatMap((c) =>
      c.sections
        .filter((s) => !sections.has(s))
        .map((s) => `${c.file}:${c.line}: "${c.text}" cites §${s}, which ${METHOD_DOC} has no heading for`),
    );
    expect(dangling).toEqual([]);
  });
});

describe("project files", () => {
  // DEVELOPERS.md is the team's guide (it may say where the data sits on the team's machines)
  // and .ci/ runs beside the team's shared folder; everything else must work from a clone alone.
  const allowed = (f: string) => f === "DEVELOPERS.md" || f.startsWith(".ci/") || f === SELF;

  it("never point at the team's shared folder outside the repository", () => {
    const outside = /\.\.\/shared\b|\bshared\/(?:METHOD|datasets|seed)\b/;
    const hits: string[] = [];
    for (const f of files) {
      if (allowed(f)) continue;
      readFileSync(join(ROOT, f), "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (outside.test(line)) hits.push(`${f}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(hits).toEqual([]);
  });
});
