// The study's own Web Worker: validates the config, builds the web host and runs
// @classfit/pipeline's runStudy — tfjs (training, extraction, certification), the reduction and
// the report all happen here, off the page's thread; per-class fits, densities and KL fan out
// to the task workers. The page only displays progress and results.
import {
  DEMO_TITLE,
  demoNotes,
  isInputError,
  resolveStudyConfig,
  runStudy,
  StudyInterrupted,
  summarizeStudy,
} from "@classfit/pipeline";
import { Core } from "@classfit/wasm-core";
import type { StudyEvent, StudyRequest, WorkerScope } from "./protocol.js";
import { createWebHost, HOST_VERSION, loadCoreModule } from "./web-host.js";

const scope = self as unknown as WorkerScope;
const post = (e: StudyEvent) => scope.postMessage(e);
let controller: AbortController | undefined;

function describeError(e: unknown): { kind: "input" | "failed"; message: string } {
  if (e instanceof RangeError && /allocat|memory|Array buffer|Invalid typed array length/i.test(e.message))
    return {
      kind: "input",
      message: `out of memory in this tab (${e.message}): the data or model is too large for the browser; use dataset.perClass or the CLI`,
    };
  if (e instanceof Error) return { kind: isInputError(e) ? "input" : "failed", message: e.message };
  return { kind: "failed", message: String(e) };
}

async function start(msg: Extract<StudyRequest, { type: "start" }>): Promise<void> {
  controller = new AbortController();
  const { runId } = msg;
  let host: Awaited<ReturnType<typeof createWebHost>> | undefined;
  try {
    const config = resolveStudyConfig(msg.config, { where: "study config" });
    host = await createWebHost({
      runId,
      files: new Map(msg.files),
      workers: msg.workers,
      signal: controller.signal,
      progress: {
        start: (key, total, label) => post({ type: "progress-start", key, total, label }),
        update: (key, done) => post({ type: "progress-update", key, done }),
        finish: (key) => post({ type: "progress-finish", key }),
        log: (message) => post({ type: "log", message }),
      },
    });
    const core = await Core.instantiate(await loadCoreModule());
    const result = await runStudy(host, core, config, {
      versions: { classfit: HOST_VERSION, browser: navigator.userAgent },
      command: "classfit host-web",
      ...(msg.report === "demo" ? { title: DEMO_TITLE, notes: demoNotes(config) } : {}),
    });
    post({
      type: "done",
      runId,
      summary: summarizeStudy(result.manifest, result.analysis),
      files: await host.storage.list(),
    });
  } catch (e) {
    if (e instanceof StudyInterrupted || controller.signal.aborted)
      post({
        type: "interrupted",
        runId,
        message: "cancelled; finished steps are kept in this browser — run the same config again to resume",
      });
    else post({ type: "error", runId, ...describeError(e) });
  } finally {
    host?.dispose();
    controller = undefined;
  }
}

scope.addEventListener("message", (ev: MessageEvent) => {
  const msg = ev.data as StudyRequest;
  if (msg.type === "cancel") controller?.abort();
  else if (msg.type === "start") void start(msg);
});
