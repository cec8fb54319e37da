// Writes a preview of the report from SYNTHETIC input when CLASSFIT_REPORT_PREVIEW names a
// folder (skipped otherwise): report.html, figures/*.svg, tables/*.csv|json, screenshot.png.
//   CLASSFIT_REPORT_PREVIEW=/tmp/preview npx vitest run src/report/preview.test.ts
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "vitest";
import { analyzeStudy } from "../analysis/study.js";
import { testCore } from "../analysis/testing/core.js";
import { syntheticStudy } from "../analysis/testing/synthetic.js";
import { renderReport } from "./index.js";
import { checkPage } from "./screenshot.js";

const dir = process.env.CLASSFIT_REPORT_PREVIEW;

it.skipIf(!dir)("writes a synthetic preview with a screenshot", async () => {
  const out = dir as string;
  const core = await testCore();
  const input = syntheticStudy(core, { seed: 1, perClass: 600 });
  const analysis = analyzeStudy(core, input, { seed: 7, bootstrap: 1000, bins: 10, dipSimulations: 10000 });
  const report = await renderReport(analysis, {
    title: "classfit report (preview)",
    subtitle: "Fashion-MNIST · synthetic input",
    synthetic: true,
  });
  mkdirSync(join(out, "figures"), { recursive: true });
  mkdirSync(join(out, "tables"), { recursive: true });
  writeFileSync(join(out, "report.html"), report.html);
  for (const [k, v] of Object.entries(report.figures)) writeFileSync(join(out, "figures", `${k}.svg`), v);
  for (const [k, v] of Object.entries(report.tables)) {
    writeFileSync(join(out, "tables", `${k}.csv`), v.csv);
    writeFileSync(join(out, "tables", `${k}.json`), JSON.stringify(v.json, null, 1));
  }
  const shot = await checkPage(report.html, Number(process.env.CLASSFIT_PREVIEW_WIDTH ?? 1200));
  writeFileSync(join(out, "screenshot.png"), shot.png);
  console.log(JSON.stringify({ ...shot, png: shot.png.length }));
});
