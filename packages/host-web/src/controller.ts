// The page's controller: owns the form's state, the study worker and the views, and turns user
// actions and worker events into view updates. All mutable state lives in one controller
// instance (made by main.ts), none at module level.
import { configId } from "./config-id.js";
import type { RunSummary, StudyEvent, StudyRequest } from "./protocol.js";
import { IndexedDbRunStorage, listRuns, openRunDb } from "./storage.js";
import { readRunFiles, storedSummary, withRunStorage } from "./stored-runs.js";
import { type FormState, type FormView, filesForRun, formView, initialFormState } from "./views/form.js";
import { type MessageView, messageView } from "./views/message.js";
import { type ProgressView, progressView } from "./views/progress.js";
import { type ResultsView, resultsView } from "./views/results.js";
import { type RunListView, runListView, type StoredRun } from "./views/run-list.js";

export class StudyController {
  readonly #state: FormState;
  readonly #message: MessageView;
  readonly #progress: ProgressView;
  readonly #form: FormView;
  readonly #results: ResultsView;
  readonly #runList: RunListView;
  #worker: Worker | undefined;

  constructor(app: HTMLElement, hardwareConcurrency: number, deviceMemoryGib?: number) {
    this.#state = initialFormState(hardwareConcurrency, deviceMemoryGib);
    this.#message = messageView();
    this.#progress = progressView();
    this.#form = formView(this.#state, this.#message, this.#progress.nodes, {
      run: () => this.#run(),
      cancel: () => this.#cancel(),
      deleteStored: () => void this.#deleteStored(),
    });
    this.#results = resultsView();
    this.#runList = runListView({
      open: (id, summary) => void this.#openStored(id, summary),
      remove: (id) => void this.#removeStored(id),
    });
    app.append(this.#message.el, ...this.#form.sections, this.#results.section, this.#runList.section);
    void this.#refreshStoredRuns();
  }

  /** The run id of the config as typed: the user's own, else the one derived from the config. */
  #runIdFor(config: unknown): string {
    return this.#form.runId() || configId(JSON.stringify(config));
  }

  #run(): void {
    this.#message.clear();
    let raw: unknown;
    try {
      raw = JSON.parse(this.#form.configText());
    } catch (e) {
      this.#progress.setStatus("error", `stopped: bad input — study config: not valid JSON (${(e as Error).message})`);
      return;
    }
    const runId = this.#runIdFor(raw);
    this.#form.showDerivedRunId(runId);
    this.#results.hide();
    this.#progress.clearLog();
    this.#form.setRunning(true);
    this.#progress.setStatus("running", `running ${runId}…`);
    const req: StudyRequest = {
      type: "start",
      runId,
      config: raw,
      files: filesForRun(this.#state),
      workers: this.#state.workers,
      ...(this.#state.preset !== undefined ? { report: "demo" as const } : {}),
    };
    this.#studyWorker().postMessage(req);
  }

  #cancel(): void {
    this.#worker?.postMessage({ type: "cancel" } satisfies StudyRequest);
    this.#progress.setStatus("running", "cancelling after the current unit of work…");
  }

  async #deleteStored(): Promise<void> {
    const text = this.#form.configText();
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      raw = text;
    }
    const runId = this.#runIdFor(raw);
    await withRunStorage(runId, (storage) => storage.clear());
    this.#message.show(`deleted the stored files of ${runId}`, "info");
    await this.#refreshStoredRuns();
  }

  #studyWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL("./study-worker.ts", import.meta.url), {
      type: "module",
      name: "classfit-study",
    });
    worker.addEventListener("message", (e: MessageEvent) => this.#onEvent(e.data as StudyEvent));
    worker.addEventListener("error", (e) => {
      e.preventDefault();
      this.#worker = undefined;
      this.#finishRun();
      this.#progress.setStatus("error", `failed — the study worker failed: ${e.message || "it could not be loaded"}`);
    });
    this.#worker = worker;
    return worker;
  }

  #onEvent(ev: StudyEvent): void {
    switch (ev.type) {
      case "progress-start":
      case "progress-update":
      case "progress-finish":
      case "log":
        this.#progress.apply(ev);
        break;
      case "done":
        this.#finishRun();
        this.#progress.setStatus(
          "done",
          `done in ${ev.summary.seconds.toFixed(1)} s (${ev.summary.stepsComputed} step(s) computed, ${ev.summary.stepsReused} reused)`,
        );
        void this.#showResults(ev.runId, ev.summary, ev.files);
        break;
      case "interrupted":
        this.#finishRun();
        this.#progress.setStatus("interrupted", ev.message);
        break;
      case "error":
        this.#finishRun();
        // Next to the Run button, where the user looks: the message names the field or file.
        this.#progress.setStatus("error", `${ev.kind === "input" ? "stopped: bad input" : "failed"} — ${ev.message}`);
        break;
    }
  }

  #showRequests = 0;

  #finishRun(): void {
    void this.#refreshStoredRuns();
    this.#form.setRunning(false);
    this.#progress.clearBars();
  }

  async #refreshStoredRuns(): Promise<void> {
    try {
      const db = await openRunDb();
      const runs: StoredRun[] = [];
      for (const id of await listRuns(db)) {
        runs.push({ id, summary: await storedSummary(new IndexedDbRunStorage(db, id)) });
      }
      db.close();
      this.#runList.show(runs);
    } catch (e) {
      this.#runList.showUnavailable((e as Error).message);
    }
  }

  async #openStored(id: string, summary: RunSummary): Promise<void> {
    const files = await withRunStorage(id, (storage) => storage.list());
    await this.#showResults(id, summary, files);
    this.#results.section.scrollIntoView();
  }

  async #removeStored(id: string): Promise<void> {
    await withRunStorage(id, (storage) => storage.clear());
    await this.#refreshStoredRuns();
  }

  async #showResults(runId: string, summary: RunSummary, files: string[]): Promise<void> {
    // Only the latest request shows: an earlier run read back last must not replace it.
    const request = ++this.#showRequests;
    const all = await readRunFiles(runId, files);
    if (request !== this.#showRequests) return;
    await this.#results.show(runId, summary, all);
    // Lets a script driving the page (Playwright, a console) see which run the results show.
    (window as unknown as { __classfitRun?: unknown }).__classfitRun = { runId, files };
  }
}
