// report — the HTML report with its figures and tables, the analysis as JSON, and the analysis
// input as JSON (so the tables can be rechecked from the run directory). Not keyed: rewritten on
// every run that gets this far.
// Consumes: the analysis and its input. Produces: report/report.html, report/analysis.json,
// report/study-input.json, report/figures/*.svg, report/tables/*.{csv,json}.
import type { StudyAnalysis } from "../../analysis/study.js";
import type { StudyInput } from "../../analysis/types.js";
import type { RunStorage } from "../../host/index.js";
import { type Report, renderReport } from "../../report/index.js";
import { jsonBytes, utf8 } from "../../steps/store.js";

export const REPORT_DIR = "report";

export async function writeReport(
  storage: RunStorage,
  analysis: StudyAnalysis,
  input: StudyInput,
  meta: { title: string; subtitle: string; notes: string[] },
): Promise<Report> {
  const report = await renderReport(analysis, meta);
  const files: [string, Uint8Array][] = [
    [`${REPORT_DIR}/report.html`, utf8(report.html)],
    [`${REPORT_DIR}/analysis.json`, jsonBytes(analysis)],
    [`${REPORT_DIR}/study-input.json`, jsonBytes(studyInputJson(input))],
  ];
  for (const [k, v] of Object.entries(report.figures)) files.push([`${REPORT_DIR}/figures/${k}.svg`, utf8(v)]);
  for (const [k, v] of Object.entries(report.tables)) {
    files.push([`${REPORT_DIR}/tables/${k}.csv`, utf8(v.csv)]);
    files.push([`${REPORT_DIR}/tables/${k}.json`, jsonBytes(v.json)]);
  }
  for (const [p, b] of files) await storage.write(p, b);
  return report;
}

/** The analysis input as JSON (typed arrays as plain lists). */
function studyInputJson(input: StudyInput): unknown {
  return JSON.parse(
    JSON.stringify(input, (_k, v) =>
      ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v,
    ),
  );
}
