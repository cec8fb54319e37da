// "5. Results": the run's summary, a download for the zip of every artifact, the report and each
// file, and the report itself made interactive (report-view.ts).
import { h } from "../dom.js";
import type { RunSummary } from "../protocol.js";
import { enhanceReport } from "../report-view.js";
import { zipToBlob } from "../zip.js";

export interface ResultsView {
  readonly section: HTMLElement;
  hide(): void;
  /** Shows run `runId`'s results from its artifacts (path → bytes). */
  show(runId: string, summary: RunSummary, artifacts: ReadonlyMap<string, Uint8Array>): Promise<void>;
}

function download(name: string, bytes: Uint8Array, type = "application/octet-stream"): HTMLAnchorElement {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  return h("a", { href: url, download: name, text: name });
}

export function resultsView(): ResultsView {
  const summaryBox = h("div", { id: "summary" });
  const downloads = h("div", { id: "downloads" });
  const reportBox = h("div", { id: "report" });
  const section = h(
    "section",
    { id: "results", hidden: true },
    h("h2", { text: "5. Results" }),
    summaryBox,
    downloads,
    reportBox,
  );
  // Results of one run are shown by the latest call only: building a large run's archive takes
  // a while, and a run shown earlier must not replace a later one when its archive is done last.
  let shown = 0;
  return {
    section,
    hide() {
      shown++;
      section.hidden = true;
    },
    async show(runId, summary, all) {
      const call = ++shown;
      // The previous run's links go at once, so a click in between never downloads it.
      downloads.replaceChildren();
      const blob = await zipToBlob(all);
      if (call !== shown) return;
      summaryBox.replaceChildren(
        h("p", { text: `${summary.name} — profile ${summary.profile}` }),
        h("ul", {}, ...summary.networks.map((n) => h("li", { text: `${n.label}: ${n.verdict} at ${n.splitStage}` }))),
      );
      const zipLink = h("a", {
        href: URL.createObjectURL(blob),
        download: `${runId}.zip`,
      });
      zipLink.id = "download-zip";
      zipLink.textContent = `all artifacts (${runId}.zip, ${all.size} files)`;
      const html = all.get("report/report.html");
      const reportLink = html ? download("report.html", html, "text/html") : null;
      if (reportLink) reportLink.id = "download-report";
      const details = h(
        "details",
        {},
        h("summary", { text: `every artifact (${all.size})` }),
        h(
          "ul",
          { class: "files" },
          ...[...all].map(([k, v]) => h("li", {}, download(k.replaceAll("/", "__"), v), ` ${k}`)),
        ),
      );
      downloads.replaceChildren(h("p", {}, zipLink, " · ", reportLink ?? "no report", " "), details);
      if (html) enhanceReport(reportBox, new TextDecoder().decode(html));
      section.hidden = false;
    },
  };
}
