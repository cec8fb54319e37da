// "Runs kept in this browser": every run id in IndexedDB, finished ones with an open button.
import { h } from "../dom.js";
import type { RunSummary } from "../protocol.js";

export interface StoredRun {
  id: string;
  /** Undefined for a run that did not finish. */
  summary: RunSummary | undefined;
}

export interface RunListActions {
  open(id: string, summary: RunSummary): void;
  remove(id: string): void;
}

export interface RunListView {
  readonly section: HTMLElement;
  show(runs: readonly StoredRun[]): void;
  showUnavailable(reason: string): void;
}

export function runListView(actions: RunListActions): RunListView {
  const list = h("ul", { id: "stored-runs", class: "files" });
  const section = h(
    "section",
    {},
    h("h2", { text: "Runs kept in this browser" }),
    h("p", {
      class: "small",
      text: "Finished and interrupted runs stay here until deleted; open one to see its report and downloads.",
    }),
    list,
  );
  const item = ({ id, summary }: StoredRun): HTMLElement => {
    const open = h("button", { type: "button", text: "open", disabled: summary === undefined });
    open.addEventListener("click", () => {
      if (summary) actions.open(id, summary);
    });
    const del = h("button", { type: "button", text: "delete" });
    del.addEventListener("click", () => actions.remove(id));
    const what = summary ? `${summary.name}, ${summary.profile}` : "unfinished (run its config again to resume)";
    return h("li", {}, `${id} — ${what} `, open, " ", del);
  };
  return {
    section,
    show(runs) {
      list.replaceChildren(...(runs.length > 0 ? runs.map(item) : [h("li", { text: "none yet" })]));
    },
    showUnavailable(reason) {
      list.replaceChildren(h("li", { text: `browser storage unavailable: ${reason}` }));
    },
  };
}
