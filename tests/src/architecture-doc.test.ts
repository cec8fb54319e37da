// ARCHITECTURE.md is a map of the repository by file name; a renamed or moved file must not
// leave it pointing at nothing. Every backticked path under a top-level folder is checked, and
// so is every root file it names; placeholders (`<name>`, `*`) mark patterns, not files.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const doc = readFileSync(`${root}ARCHITECTURE.md`, "utf8");
const ROOTS = ["packages/", "tests/", "bench/", "scripts/", "deploy/", "docs/"];

function citedPaths(text: string): string[] {
  const spans = [...text.matchAll(/`([^`\n]+)`/g)].map((m) => (m[1] as string).trim());
  const paths = spans.filter(
    (s) => !/[<>*{}\s]/.test(s) && (ROOTS.some((r) => s.startsWith(r)) || /^[A-Z][A-Z_]*\.md$/.test(s)),
  );
  return [...new Set(paths)];
}

it("names only files and folders that exist", () => {
  const paths = citedPaths(doc);
  expect(paths.length).toBeGreaterThan(40);
  expect(paths.filter((p) => !existsSync(`${root}${p}`))).toEqual([]);
});

it("is linked from the README", () => {
  expect(readFileSync(`${root}README.md`, "utf8")).toContain("ARCHITECTURE.md");
});
