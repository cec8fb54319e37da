// Prints one closing line over every package's vitest JSON report, in the plain form CI
// reads ("N passed, N failed, N skipped"), and fails if any report is missing or failed.
import { readdirSync, readFileSync } from "node:fs";

const dir = new URL("../.vitest-reports/", import.meta.url);
let passed = 0;
let failed = 0;
let skipped = 0;
let files = [];
try {
  files = readdirSync(dir).filter((f) => f.endsWith(".json"));
} catch {
  // no reports at all
}
if (files.length === 0) {
  console.error("summary: no vitest reports found in .vitest-reports/");
  process.exit(1);
}
for (const f of files) {
  const r = JSON.parse(readFileSync(new URL(f, dir), "utf8"));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
console.log(`\nclassfit test summary over ${files.length} packages:`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
