// The page: choose data, networks, stages and profile; run the study in a worker with live
// progress and Cancel; then the report with interactive figures and a download for every
// artifact. Plain DOM; no inline scripts or styles (the page's CSP forbids them).
import type { RunManifest, StudyAnalysis } from "@classfit/pipeline";
import { summarizeStudy } from "@classfit/pipeline/summary";
import { buildConfig, type DataChoice, type NetworkChoice, PROFILES } from "./form.js";
import type { RunSummary, StudyEvent, StudyRequest } from "./protocol.js";
import { enhanceReport } from "./report-view.js";
import { IndexedDbRunStorage, listRuns, openRunDb } from "./storage.js";
import { checkFileType, layerNames, manifestStages } from "./validate.js";
import { zipToBlob } from "./zip.js";

type Attrs = Record<string, string | number | boolean | undefined>;
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === "text") el.textContent = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

const app = document.getElementById("app") as HTMLElement;

// ---- state ---------------------------------------------------------------------------------
const state = {
  data: { kind: "default", perClass: 100, files: new Map<string, File>() } as DataChoice & {
    files: Map<string, File>;
  },
  networks: [] as (NetworkChoice & { files: Map<string, File>; scores?: File })[],
  profile: "quick" as (typeof PROFILES)[number],
  seed: 0,
  workers: Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4)),
  configEdited: false,
};
let nextNet = 1;

// ---- layout --------------------------------------------------------------------------------
const message = h("div", { id: "message", role: "alert", class: "message", hidden: true });
function showMessage(text: string, kind: "error" | "info" = "error"): void {
  message.textContent = text;
  message.className = `message ${kind}`;
  message.hidden = false;
  message.scrollIntoView({ block: "nearest" });
}
const clearMessage = () => {
  message.hidden = true;
  message.textContent = "";
};

// Data
const dataDefault = h("input", { type: "radio", name: "data", value: "default", id: "data-default", checked: true });
const dataFiles = h("input", { type: "radio", name: "data", value: "files", id: "data-files" });
const perClass = h("input", { type: "number", id: "per-class", min: 1, value: 100 });
const dataInput = h("input", { type: "file", id: "data-input", multiple: true });
const dataList = h("ul", { class: "files", id: "data-list" });
const dataDrop = h(
  "div",
  { class: "drop", id: "data-drop" },
  "Drop IDX (train-images-idx3-ubyte[.gz] + labels), CIFAR .bin, or train_images.npy + train_labels.npy (+ classes.txt) here, or ",
  dataInput,
);
const dataSection = h(
  "section",
  { id: "data" },
  h("h2", { text: "1. Data" }),
  h(
    "p",
    {},
    h("label", {}, dataDefault, " embedded default (Fashion-MNIST subset, 1 000 training images per class)"),
    h("br"),
    h("label", {}, dataFiles, " my files"),
  ),
  dataDrop,
  dataList,
  h("p", {}, h("label", {}, "examples per class (first n of each class; empty = all) ", perClass)),
);

// Networks
const netList = h("div", { id: "networks" });
const addModel = h("button", { type: "button", id: "add-model", text: "+ a trained tfjs model (files)" });
const addArch = h("button", { type: "button", id: "add-arch", text: "+ an architecture to train here" });
const netSection = h(
  "section",
  {},
  h("h2", { text: "2. Networks and stages" }),
  netList,
  h("p", {}, addModel, " ", addArch),
);

// Settings
const profileSel = h("select", { id: "profile" });
for (const p of PROFILES) profileSel.append(h("option", { value: p, text: p, selected: p === state.profile }));
const seedIn = h("input", { type: "number", id: "seed", min: 0, value: 0 });
const workersIn = h("input", { type: "number", id: "workers", min: 1, max: 16, value: state.workers });
const runIdIn = h("input", { type: "text", id: "run-id", value: "", placeholder: "derived from the config" });
const settingsSection = h(
  "section",
  {},
  h("h2", { text: "3. Profile and settings" }),
  h(
    "p",
    { class: "row" },
    h("label", {}, "profile ", profileSel),
    h("label", {}, "seed ", seedIn),
    h("label", {}, "workers ", workersIn),
    h("label", {}, "run id ", runIdIn),
  ),
  h(
    "p",
    { class: "small" },
    "quick = seconds (smoke run) · demo = a couple of minutes · default / paper = the full study (hours in a tab; the CLI is faster for these).",
  ),
);

// Config + run
const configText = h("textarea", { id: "config", rows: 14, spellcheck: false });
const runBtn = h("button", { type: "button", id: "run", class: "primary", text: "Run study" });
const cancelBtn = h("button", { type: "button", id: "cancel", text: "Cancel", disabled: true });
const deleteBtn = h("button", { type: "button", id: "delete-run", text: "Delete stored files of this run" });
const status = h("p", { id: "status", "data-state": "idle", text: "idle" });
const bars = h("div", { id: "progress" });
const log = h("pre", { id: "log", class: "log" });
const runSection = h(
  "section",
  {},
  h("h2", { text: "4. Study config (generated from the form; editable)" }),
  configText,
  h("p", {}, runBtn, " ", cancelBtn, " ", deleteBtn),
  status,
  bars,
  log,
);

// Runs kept in this browser
const storedList = h("ul", { id: "stored-runs", class: "files" });
const storedSection = h(
  "section",
  {},
  h("h2", { text: "Runs kept in this browser" }),
  h("p", {
    class: "small",
    text: "Finished and interrupted runs stay here until deleted; open one to see its report and downloads.",
  }),
  storedList,
);

// Results
const summaryBox = h("div", { id: "summary" });
const downloads = h("div", { id: "downloads" });
const reportBox = h("div", { id: "report" });
const resultSection = h(
  "section",
  { id: "results", hidden: true },
  h("h2", { text: "5. Results" }),
  summaryBox,
  downloads,
  reportBox,
);

app.append(message, dataSection, netSection, settingsSection, runSection, resultSection, storedSection);

// ---- form → config ---------------------------------------------------------------------------
function currentConfig(): unknown {
  return buildConfig({
    data: { kind: state.data.kind, perClass: state.data.perClass },
    networks: state.networks,
    profile: state.profile,
    seed: state.seed,
  });
}
function refreshConfig(): void {
  if (!state.configEdited) configText.value = JSON.stringify(currentConfig(), null, 2);
}
configText.addEventListener("input", () => {
  state.configEdited = true;
});

function renderDataList(): void {
  dataList.replaceChildren(...[...state.data.files.keys()].map((n) => h("li", { text: n })));
}
function addDataFiles(files: Iterable<File>): void {
  clearMessage();
  const bad: string[] = [];
  for (const f of files) {
    const problem = checkFileType(f.name, "data");
    if (problem) bad.push(problem);
    else state.data.files.set(f.name, f);
  }
  if (bad.length > 0) showMessage(bad.join("\n"));
  if (state.data.files.size > 0) {
    dataFiles.checked = true;
    state.data.kind = "files";
  }
  renderDataList();
  refreshConfig();
}
dataInput.addEventListener("change", () => addDataFiles(dataInput.files ?? []));
for (const zone of [dataDrop]) {
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    addDataFiles(e.dataTransfer?.files ?? []);
  });
}
for (const r of [dataDefault, dataFiles])
  r.addEventListener("change", () => {
    state.data.kind = dataFiles.checked ? "files" : "default";
    refreshConfig();
  });
perClass.addEventListener("input", () => {
  const v = Number.parseInt(perClass.value, 10);
  state.data.perClass = Number.isInteger(v) && v > 0 ? v : undefined;
  refreshConfig();
});
profileSel.addEventListener("change", () => {
  state.profile = profileSel.value as (typeof PROFILES)[number];
  refreshConfig();
});
seedIn.addEventListener("input", () => {
  state.seed = Math.max(0, Number.parseInt(seedIn.value, 10) || 0);
  refreshConfig();
});
workersIn.addEventListener("input", () => {
  state.workers = Math.max(1, Math.min(16, Number.parseInt(workersIn.value, 10) || 1));
});

// ---- networks --------------------------------------------------------------------------------
function netCard(net: (typeof state.networks)[number]): HTMLElement {
  const card = h("div", { class: "net", "data-net": net.name });
  const nameIn = h("input", { type: "text", value: net.name, class: "net-name" });
  nameIn.addEventListener("change", () => {
    const v = nameIn.value.trim();
    if (!/^[A-Za-z0-9_.-]+$/.test(v)) {
      showMessage(`network name '${v}': use letters, digits, '_', '.', '-' only`);
      nameIn.value = net.name;
      return;
    }
    net.name = v;
    refreshConfig();
  });
  const remove = h("button", { type: "button", text: "remove" });
  remove.addEventListener("click", () => {
    state.networks = state.networks.filter((n) => n !== net);
    renderNetworks();
    refreshConfig();
  });
  card.append(h("p", { class: "row" }, h("label", {}, "name ", nameIn), remove));
  if (net.kind === "model") {
    const input = h("input", { type: "file", multiple: true, class: "model-input" });
    const scores = h("input", { type: "file", class: "scores-input", accept: ".npz,.npy,.csv" });
    const stageBox = h("div", { class: "stages" });
    const drawStages = () => {
      stageBox.replaceChildren();
      if (!net.layers) {
        stageBox.append(h("span", { class: "small", text: "drop model.json to choose its stage layers" }));
        return;
      }
      for (const l of net.layers) {
        const cb = h("input", { type: "checkbox", value: l, checked: net.stages?.includes(l) ?? false });
        cb.addEventListener("change", () => {
          const set = new Set(net.stages ?? []);
          if (cb.checked) set.add(l);
          else set.delete(l);
          net.stages = net.layers?.filter((x) => set.has(x));
          refreshConfig();
        });
        stageBox.append(h("label", { class: "stage" }, cb, ` ${l}`));
      }
    };
    const onFiles = async (files: Iterable<File>) => {
      clearMessage();
      const bad: string[] = [];
      for (const f of files) {
        const problem = checkFileType(f.name, "model");
        if (problem) bad.push(problem);
        else net.files.set(f.name, f);
      }
      const json = net.files.get("model.json");
      if (json) {
        try {
          net.layers = layerNames(await json.text(), "model.json");
          const manifest = net.files.get("manifest.json");
          const fromManifest = manifest ? manifestStages(await manifest.text()) : undefined;
          net.stages = fromManifest?.filter((s) => net.layers?.includes(s));
        } catch (e) {
          net.files.delete("model.json");
          net.layers = undefined;
          bad.push((e as Error).message);
        }
      }
      if (bad.length > 0) showMessage(bad.join("\n"));
      list.replaceChildren(...[...net.files.keys()].map((n) => h("li", { text: n })));
      drawStages();
      refreshConfig();
    };
    const list = h("ul", { class: "files" });
    input.addEventListener("change", () => void onFiles(input.files ?? []));
    card.addEventListener("dragover", (e) => e.preventDefault());
    card.addEventListener("drop", (e) => {
      e.preventDefault();
      void onFiles(e.dataTransfer?.files ?? []);
    });
    scores.addEventListener("change", () => {
      const f = scores.files?.[0];
      const problem = f ? checkFileType(f.name, "scores") : undefined;
      if (problem) {
        showMessage(problem);
        scores.value = "";
        return;
      }
      net.scores = f;
      net.hasScores = f !== undefined;
      refreshConfig();
    });
    card.append(
      h("p", {}, "model.json + weight files (+ manifest.json): ", input),
      list,
      h("p", {}, "stage layers: "),
      stageBox,
      h("p", {}, "memorization scores (.npz with tr_mem, optional): ", scores),
    );
    drawStages();
  } else {
    const arch = h("select", { class: "arch" });
    for (const a of ["resnet", "convnet", "mixer", "vit"])
      arch.append(h("option", { value: a, text: a, selected: a === net.arch }));
    const width = h("input", { type: "number", step: "any", min: 0.01, value: net.widthMultiplier, class: "width" });
    const blocks = h("input", { type: "text", value: net.blocks.join(","), class: "blocks" });
    const epochs = h("input", { type: "number", min: 1, value: net.epochs, class: "epochs" });
    arch.addEventListener("change", () => {
      net.arch = arch.value as typeof net.arch;
      refreshConfig();
    });
    width.addEventListener("input", () => {
      net.widthMultiplier = Number(width.value) || 0.25;
      refreshConfig();
    });
    blocks.addEventListener("input", () => {
      const b = blocks.value.split(",").map((x) => Number.parseInt(x, 10));
      if (b.every((x) => Number.isInteger(x) && x > 0)) net.blocks = b;
      refreshConfig();
    });
    epochs.addEventListener("input", () => {
      net.epochs = Math.max(1, Number.parseInt(epochs.value, 10) || 1);
      refreshConfig();
    });
    card.append(
      h(
        "p",
        { class: "row" },
        h("label", {}, "architecture ", arch),
        h("label", {}, "width × ", width),
        h("label", {}, "blocks per stage ", blocks),
        h("label", {}, "epochs ", epochs),
      ),
    );
  }
  return card;
}
function renderNetworks(): void {
  netList.replaceChildren(...state.networks.map(netCard));
}
addModel.addEventListener("click", () => {
  state.networks.push({ kind: "model", name: `model${nextNet++}`, files: new Map() });
  renderNetworks();
  refreshConfig();
});
addArch.addEventListener("click", () => {
  state.networks.push({
    kind: "arch",
    name: `net${nextNet++}`,
    arch: "convnet",
    widthMultiplier: 0.125,
    blocks: [1, 1],
    epochs: 1,
    files: new Map(),
  });
  renderNetworks();
  refreshConfig();
});
// A first network so the default config runs as is: a tiny ResNet trained in the tab.
state.networks.push({
  kind: "arch",
  name: "resnet",
  arch: "resnet",
  widthMultiplier: 0.125,
  blocks: [1, 1],
  epochs: 1,
  files: new Map(),
});
renderNetworks();
refreshConfig();

// ---- run -----------------------------------------------------------------------------------
let worker: Worker | undefined;
const barEls = new Map<string, { row: HTMLElement; bar: HTMLProgressElement; text: HTMLElement; total: number }>();

function setStatus(s: "idle" | "running" | "done" | "error" | "interrupted", text: string): void {
  status.dataset.state = s;
  status.textContent = text;
}

/** A short stable id for a config (FNV-1a of its text), so the same config resumes the same run. */
function configId(text: string): string {
  let h1 = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h1 ^= text.charCodeAt(i);
    h1 = Math.imul(h1, 0x01000193) >>> 0;
  }
  return `run-${h1.toString(16).padStart(8, "0")}`;
}

function filesForRun(): [string, Blob][] {
  const out: [string, Blob][] = [];
  for (const [n, f] of state.data.files) out.push([`data/${n}`, f]);
  for (const net of state.networks) {
    for (const [n, f] of net.files) out.push([`models/${net.name}/${n}`, f]);
    if (net.scores) out.push([`scores/${net.name}.npz`, net.scores]);
  }
  return out;
}

function onEvent(ev: StudyEvent): void {
  switch (ev.type) {
    case "progress-start": {
      let b = barEls.get(ev.key);
      if (!b) {
        const bar = h("progress", { max: ev.total, value: 0 }) as HTMLProgressElement;
        const text = h("span", { class: "small" });
        // Pool tasks are keyed "<kind>:<label>" (fit, density, kl): show the kind with the label.
        const kind = /^(fit|density|kl):/.exec(ev.key)?.[1];
        const row = h(
          "div",
          { class: "bar", "data-key": ev.key },
          h("span", { class: "label", text: kind ? `${kind} · ${ev.label}` : ev.label }),
          bar,
          text,
        );
        b = { row, bar, text, total: ev.total };
        barEls.set(ev.key, b);
        bars.append(row);
      }
      b.total = ev.total;
      b.bar.max = ev.total;
      b.text.textContent = `0/${ev.total}`;
      break;
    }
    case "progress-update": {
      const b = barEls.get(ev.key);
      if (b) {
        b.bar.value = ev.done;
        b.text.textContent = `${ev.done}/${b.total}`;
      }
      break;
    }
    case "progress-finish": {
      const b = barEls.get(ev.key);
      if (b) {
        b.row.remove();
        barEls.delete(ev.key);
      }
      break;
    }
    case "log":
      log.textContent += `${ev.message}\n`;
      break;
    case "done":
      finishRun();
      setStatus(
        "done",
        `done in ${ev.summary.seconds.toFixed(1)} s (${ev.summary.stepsComputed} step(s) computed, ${ev.summary.stepsReused} reused)`,
      );
      void showResults(ev.runId, ev.summary, ev.files);
      break;
    case "interrupted":
      finishRun();
      setStatus("interrupted", ev.message);
      break;
    case "error":
      finishRun();
      setStatus("error", ev.kind === "input" ? "stopped: bad input" : "failed");
      showMessage(ev.message);
      break;
  }
}

function finishRun(): void {
  void refreshStoredRuns();
  runBtn.disabled = false;
  cancelBtn.disabled = true;
  for (const b of barEls.values()) b.row.remove();
  barEls.clear();
}

function studyWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL("./study-worker.ts", import.meta.url), { type: "module", name: "classfit-study" });
  worker.addEventListener("message", (e: MessageEvent) => onEvent(e.data as StudyEvent));
  worker.addEventListener("error", (e) => {
    e.preventDefault();
    worker = undefined;
    finishRun();
    setStatus("error", "failed");
    showMessage(`the study worker failed: ${e.message || "it could not be loaded"}`);
  });
  return worker;
}

runBtn.addEventListener("click", () => {
  clearMessage();
  let raw: unknown;
  try {
    raw = JSON.parse(configText.value);
  } catch (e) {
    showMessage(`study config: not valid JSON (${(e as Error).message})`);
    return;
  }
  const runId = runIdIn.value.trim() || configId(JSON.stringify(raw));
  runIdIn.placeholder = runId;
  resultSection.hidden = true;
  log.textContent = "";
  runBtn.disabled = true;
  cancelBtn.disabled = false;
  setStatus("running", `running ${runId}…`);
  const req: StudyRequest = { type: "start", runId, config: raw, files: filesForRun(), workers: state.workers };
  studyWorker().postMessage(req);
});
cancelBtn.addEventListener("click", () => {
  worker?.postMessage({ type: "cancel" } satisfies StudyRequest);
  setStatus("running", "cancelling after the current unit of work…");
});
deleteBtn.addEventListener("click", async () => {
  let raw: unknown;
  try {
    raw = JSON.parse(configText.value);
  } catch {
    raw = configText.value;
  }
  const runId = runIdIn.value.trim() || configId(JSON.stringify(raw));
  const db = await openRunDb();
  await new IndexedDbRunStorage(db, runId).clear();
  db.close();
  showMessage(`deleted the stored files of ${runId}`, "info");
  await refreshStoredRuns();
});

// ---- stored runs ---------------------------------------------------------------------------
/** A finished run's summary from its manifest and analysis (for runs opened from storage). */
async function storedSummary(storage: IndexedDbRunStorage): Promise<RunSummary | undefined> {
  const dec = new TextDecoder();
  const m = await storage.read("manifest.json");
  if (!m) return undefined;
  const manifest = JSON.parse(dec.decode(m)) as RunManifest;
  if (manifest.status !== "complete") return undefined;
  const a = await storage.read("report/analysis.json");
  const analysis = a
    ? (JSON.parse(dec.decode(a)) as StudyAnalysis)
    : ({ networks: [], warnings: [] } as unknown as StudyAnalysis);
  return summarizeStudy(manifest, analysis);
}

async function refreshStoredRuns(): Promise<void> {
  try {
    const db = await openRunDb();
    const runs = await listRuns(db);
    const items: HTMLElement[] = [];
    for (const id of runs) {
      const storage = new IndexedDbRunStorage(db, id);
      const summary = await storedSummary(storage);
      const open = h("button", { type: "button", text: "open", disabled: summary === undefined });
      open.addEventListener("click", async () => {
        if (!summary) return;
        const d = await openRunDb();
        const files = await new IndexedDbRunStorage(d, id).list();
        d.close();
        await showResults(id, summary, files);
        resultSection.scrollIntoView();
      });
      const del = h("button", { type: "button", text: "delete" });
      del.addEventListener("click", async () => {
        const d = await openRunDb();
        await new IndexedDbRunStorage(d, id).clear();
        d.close();
        await refreshStoredRuns();
      });
      items.push(
        h(
          "li",
          {},
          `${id} — ${summary ? `${summary.name}, ${summary.profile}` : "unfinished (run its config again to resume)"} `,
          open,
          " ",
          del,
        ),
      );
    }
    db.close();
    storedList.replaceChildren(...(items.length > 0 ? items : [h("li", { text: "none yet" })]));
  } catch (e) {
    storedList.replaceChildren(h("li", { text: `browser storage unavailable: ${(e as Error).message}` }));
  }
}
void refreshStoredRuns();

// ---- results -------------------------------------------------------------------------------
function download(name: string, bytes: Uint8Array, type = "application/octet-stream"): HTMLAnchorElement {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  return h("a", { href: url, download: name, text: name });
}

async function showResults(runId: string, summary: RunSummary, files: string[]): Promise<void> {
  const db = await openRunDb();
  const storage = new IndexedDbRunStorage(db, runId);
  const all = new Map<string, Uint8Array>();
  for (const f of files) {
    const b = await storage.read(f);
    if (b) all.set(f, b);
  }
  db.close();
  summaryBox.replaceChildren(
    h("p", { text: `${summary.name} — profile ${summary.profile}` }),
    h("ul", {}, ...summary.networks.map((n) => h("li", { text: `${n.label}: ${n.verdict} at ${n.splitStage}` }))),
  );
  const zipLink = h("a", {
    href: URL.createObjectURL(await zipToBlob(all)),
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
  resultSection.hidden = false;
  (window as unknown as { __classfitRun?: unknown }).__classfitRun = { runId, files };
}
