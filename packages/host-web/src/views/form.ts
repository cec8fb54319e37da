// Sections 1–4 of the page: data, networks and their stages, profile and settings, and the study
// config generated from them (editable; once edited, the form no longer overwrites it). The form
// writes every choice into the FormState it is given; the controller reads it to start a run.
import { h } from "../dom.js";
import {
  activationStages,
  buildConfig,
  type DataChoice,
  type NetworkChoice,
  PRESETS,
  PROFILES,
  type Preset,
  presetChoices,
} from "../form.js";
import { checkFileType, layerNames, manifestStages } from "../validate.js";
import type { MessageView } from "./message.js";

export type Profile = (typeof PROFILES)[number];
/** A network of the form with the files dropped for it. */
export type FormNetwork = NetworkChoice & { files: Map<string, File>; scores?: File };

export interface FormState {
  data: DataChoice & { files: Map<string, File> };
  networks: FormNetwork[];
  profile: Profile;
  seed: number;
  workers: number;
  /** Whether the config text was edited by hand (the form then leaves it alone). */
  configEdited: boolean;
  /** Number for the next network's default name. */
  nextNet: number;
  /** A preset's study name and step settings (kept until the form's networks or data change). */
  name?: string | undefined;
  steps?: Record<string, unknown> | undefined;
  /** The preset the form holds, whose report notes the run then carries. */
  preset?: Preset["id"] | undefined;
}

/** The form as the page opens: embedded data and a tiny ResNet trained in the tab, so the
 * default config runs as is. */
/** Memory one unit worker (its own tfjs-wasm and wasm-core) needs, as the CLI states it. */
const WORKER_FOOTPRINT_GIB = 0.25;

/**
 * Workers by default: every core, but no more than half the device's memory holds at
 * WORKER_FOOTPRINT_GIB each (`navigator.deviceMemory`, GiB, where the browser tells it).
 */
export function defaultWorkers(hardwareConcurrency: number, deviceMemoryGib?: number): number {
  const cores = Math.max(1, Math.min(hardwareConcurrency || 2, 16));
  if (deviceMemoryGib === undefined || !(deviceMemoryGib > 0)) return cores;
  return Math.max(1, Math.min(cores, Math.floor(deviceMemoryGib / 2 / WORKER_FOOTPRINT_GIB)));
}

export function initialFormState(hardwareConcurrency: number, deviceMemoryGib?: number): FormState {
  return {
    data: { kind: "default", perClass: 100, files: new Map() },
    networks: [
      {
        kind: "arch",
        name: "resnet",
        arch: "resnet",
        widthMultiplier: 0.125,
        blocks: [1, 1],
        epochs: 1,
        files: new Map(),
      },
    ],
    profile: "quick",
    seed: 0,
    workers: defaultWorkers(hardwareConcurrency, deviceMemoryGib),
    configEdited: false,
    nextNet: 1,
  };
}

/** Every user file of the form by the path the generated config names it with. */
export function filesForRun(state: FormState): [string, Blob][] {
  const out: [string, Blob][] = [];
  for (const [n, f] of state.data.files) out.push([`data/${n}`, f]);
  for (const net of state.networks) {
    const dir = net.kind === "activations" ? "activations" : "models";
    for (const [n, f] of net.files) out.push([`${dir}/${net.name}/${n}`, f]);
    if (net.scores) out.push([`scores/${net.name}.npz`, net.scores]);
  }
  return out;
}

export interface FormActions {
  run(): void;
  cancel(): void;
  deleteStored(): void;
}

export interface FormView {
  /** Sections 1 to 4, in page order. */
  readonly sections: readonly HTMLElement[];
  configText(): string;
  /** The run id typed by the user, or "" for one derived from the config. */
  runId(): string;
  showDerivedRunId(runId: string): void;
  setRunning(running: boolean): void;
}

/** `runNodes` (status, progress, log) go below the run buttons. */
export function formView(
  state: FormState,
  message: MessageView,
  runNodes: readonly Node[],
  actions: FormActions,
): FormView {
  const configText = h("textarea", { id: "config", rows: 14, spellcheck: false });
  const refreshConfig = (): void => {
    if (state.configEdited) return;
    const config = buildConfig({
      data: { kind: state.data.kind, perClass: state.data.perClass },
      networks: state.networks,
      profile: state.profile,
      seed: state.seed,
      name: state.name,
      steps: state.steps,
    });
    configText.value = JSON.stringify(config, null, 2);
  };
  configText.addEventListener("input", () => {
    state.configEdited = true;
  });

  const netList = h("div", { id: "networks" });
  const renderNetworks = (): void => {
    netList.replaceChildren(...state.networks.map((net) => networkCard(net, message, refreshConfig, remove)));
  };
  /** The form no longer holds a preset once the user changes its networks or data. */
  const leavePreset = (): void => {
    state.preset = undefined;
    state.name = undefined;
    state.steps = undefined;
  };
  const remove = (net: FormNetwork): void => {
    leavePreset();
    state.networks = state.networks.filter((n) => n !== net);
    renderNetworks();
    refreshConfig();
  };
  const addNetwork = (net: FormNetwork): void => {
    leavePreset();
    state.networks.push(net);
    renderNetworks();
    refreshConfig();
  };
  const addModel = h("button", { type: "button", id: "add-model", text: "+ a trained tfjs model (files)" });
  const addArch = h("button", { type: "button", id: "add-arch", text: "+ an architecture to train here" });
  const addActs = h("button", {
    type: "button",
    id: "add-activations",
    text: "+ exported activations (.npy per stage)",
  });
  addActs.addEventListener("click", () =>
    addNetwork({ kind: "activations", name: `acts${state.nextNet++}`, activations: [], files: new Map() }),
  );
  addModel.addEventListener("click", () =>
    addNetwork({ kind: "model", name: `model${state.nextNet++}`, files: new Map() }),
  );
  addArch.addEventListener("click", () =>
    addNetwork({
      kind: "arch",
      name: `net${state.nextNet++}`,
      arch: "convnet",
      widthMultiplier: 0.125,
      blocks: [1, 1],
      epochs: 1,
      files: new Map(),
    }),
  );
  const netSection = h(
    "section",
    {},
    h("h2", { text: "2. Networks and stages" }),
    netList,
    h("p", {}, addModel, " ", addArch, " ", addActs),
  );

  const runIdIn = h("input", { type: "text", id: "run-id", value: "", placeholder: "derived from the config" });
  const runBtn = h("button", { type: "button", id: "run", class: "primary", text: "Run study" });
  const cancelBtn = h("button", { type: "button", id: "cancel", text: "Cancel", disabled: true });
  const deleteBtn = h("button", { type: "button", id: "delete-run", text: "Delete stored files of this run" });
  runBtn.addEventListener("click", () => actions.run());
  cancelBtn.addEventListener("click", () => actions.cancel());
  deleteBtn.addEventListener("click", () => actions.deleteStored());
  const runSection = h(
    "section",
    {},
    h("h2", { text: "4. Study config (generated from the form; editable)" }),
    configText,
    h("p", {}, runBtn, " ", cancelBtn, " ", deleteBtn),
    ...runNodes,
  );

  const data = dataSection(state, message, () => {
    leavePreset();
    refreshConfig();
  });
  const settings = settingsSection(state, runIdIn, refreshConfig);
  const applyPreset = (p: Preset): void => {
    message.clear();
    const c = presetChoices(p);
    state.data = { ...c.data, files: state.data.files };
    state.networks = c.networks.map((n) => ({ ...n, files: new Map() }));
    state.profile = c.profile;
    state.seed = c.seed;
    state.name = c.name;
    state.steps = c.steps;
    state.preset = p.id;
    state.configEdited = false;
    data.sync();
    settings.sync();
    renderNetworks();
    refreshConfig();
  };
  const presetButtons = PRESETS.map((p) => {
    const b = h("button", { type: "button", id: `preset-${p.id}`, text: p.label });
    b.addEventListener("click", () => applyPreset(p));
    return b;
  });
  const presetSection = h(
    "section",
    { id: "presets" },
    h("h2", { text: "Presets" }),
    h("p", { class: "row" }, ...presetButtons),
    h(
      "p",
      { class: "small" },
      "The networks shipped with classfit, set up as `classfit demo` (npm start) runs them: the demo preset reproduces the demo's artifacts byte for byte (a few minutes in a tab).",
    ),
  );
  const sections = [presetSection, data.el, netSection, settings.el, runSection];
  renderNetworks();
  refreshConfig();
  return {
    sections,
    configText: () => configText.value,
    runId: () => runIdIn.value.trim(),
    showDerivedRunId(runId) {
      runIdIn.placeholder = runId;
    },
    setRunning(running) {
      runBtn.disabled = running;
      cancelBtn.disabled = !running;
    },
  };
}

function dataSection(state: FormState, message: MessageView, changed: () => void): { el: HTMLElement; sync(): void } {
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
  const addDataFiles = (files: Iterable<File>): void => {
    message.clear();
    const bad: string[] = [];
    for (const f of files) {
      const problem = checkFileType(f.name, "data");
      if (problem) bad.push(problem);
      else state.data.files.set(f.name, f);
    }
    if (bad.length > 0) message.show(bad.join("\n"));
    if (state.data.files.size > 0) {
      dataFiles.checked = true;
      state.data.kind = "files";
    }
    dataList.replaceChildren(...[...state.data.files.keys()].map((n) => h("li", { text: n })));
    changed();
  };
  dataInput.addEventListener("change", () => addDataFiles(dataInput.files ?? []));
  dataDrop.addEventListener("dragover", (e) => {
    e.preventDefault();
    dataDrop.classList.add("over");
  });
  dataDrop.addEventListener("dragleave", () => dataDrop.classList.remove("over"));
  dataDrop.addEventListener("drop", (e) => {
    e.preventDefault();
    dataDrop.classList.remove("over");
    addDataFiles(e.dataTransfer?.files ?? []);
  });
  for (const r of [dataDefault, dataFiles])
    r.addEventListener("change", () => {
      state.data.kind = dataFiles.checked ? "files" : "default";
      changed();
    });
  perClass.addEventListener("input", () => {
    const v = Number.parseInt(perClass.value, 10);
    state.data.perClass = Number.isInteger(v) && v > 0 ? v : undefined;
    changed();
  });
  const el = h(
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
  const sync = (): void => {
    dataDefault.checked = state.data.kind === "default";
    dataFiles.checked = state.data.kind === "files";
    perClass.value = state.data.perClass === undefined ? "" : String(state.data.perClass);
  };
  return { el, sync };
}

function settingsSection(
  state: FormState,
  runIdIn: HTMLInputElement,
  changed: () => void,
): { el: HTMLElement; sync(): void } {
  const profileSel = h("select", { id: "profile" });
  for (const p of PROFILES) profileSel.append(h("option", { value: p, text: p, selected: p === state.profile }));
  const seedIn = h("input", { type: "number", id: "seed", min: 0, value: 0 });
  const workersIn = h("input", { type: "number", id: "workers", min: 1, max: 16, value: state.workers });
  profileSel.addEventListener("change", () => {
    state.profile = profileSel.value as Profile;
    changed();
  });
  seedIn.addEventListener("input", () => {
    state.seed = Math.max(0, Number.parseInt(seedIn.value, 10) || 0);
    changed();
  });
  workersIn.addEventListener("input", () => {
    state.workers = Math.max(1, Math.min(16, Number.parseInt(workersIn.value, 10) || 1));
  });
  const el = h(
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
  const sync = (): void => {
    profileSel.value = state.profile;
    seedIn.value = String(state.seed);
  };
  return { el, sync };
}

function networkCard(
  net: FormNetwork,
  message: MessageView,
  changed: () => void,
  remove: (net: FormNetwork) => void,
): HTMLElement {
  const card = h("div", { class: "net", "data-net": net.name });
  const nameIn = h("input", { type: "text", value: net.name, class: "net-name" });
  nameIn.addEventListener("change", () => {
    const v = nameIn.value.trim();
    if (!/^[A-Za-z0-9_.-]+$/.test(v)) {
      message.show(`network name '${v}': use letters, digits, '_', '.', '-' only`);
      nameIn.value = net.name;
      return;
    }
    net.name = v;
    changed();
  });
  const removeBtn = h("button", { type: "button", text: "remove" });
  removeBtn.addEventListener("click", () => remove(net));
  card.append(h("p", { class: "row" }, h("label", {}, "name ", nameIn), removeBtn));
  if (net.kind === "model") modelFields(card, net, message, changed);
  else if (net.kind === "shipped") shippedFields(card, net);
  else if (net.kind === "activations") activationFields(card, net, message, changed);
  else archFields(card, net, changed);
  return card;
}

function modelFields(
  card: HTMLElement,
  net: Extract<FormNetwork, { kind: "model" }>,
  message: MessageView,
  changed: () => void,
): void {
  const input = h("input", { type: "file", multiple: true, class: "model-input" });
  const scores = h("input", { type: "file", class: "scores-input", accept: ".npz,.npy,.csv" });
  const stageBox = h("div", { class: "stages" });
  const list = h("ul", { class: "files" });
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
        changed();
      });
      stageBox.append(h("label", { class: "stage" }, cb, ` ${l}`));
    }
  };
  const onFiles = async (files: Iterable<File>) => {
    message.clear();
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
    if (bad.length > 0) message.show(bad.join("\n"));
    list.replaceChildren(...[...net.files.keys()].map((n) => h("li", { text: n })));
    drawStages();
    changed();
  };
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
      message.show(problem);
      scores.value = "";
      return;
    }
    net.scores = f;
    net.hasScores = f !== undefined;
    changed();
  });
  card.append(
    h("p", {}, "model.json + weight files (+ manifest.json): ", input),
    list,
    h("p", {}, "stage layers: "),
    stageBox,
    h("p", {}, "memorization scores (.npz with tr_mem, optional): ", scores),
  );
  drawStages();
}

function archFields(card: HTMLElement, net: Extract<FormNetwork, { kind: "arch" }>, changed: () => void): void {
  const arch = h("select", { class: "arch" });
  for (const a of ["resnet", "convnet", "mixer", "vit"])
    arch.append(h("option", { value: a, text: a, selected: a === net.arch }));
  const width = h("input", { type: "number", step: "any", min: 0.01, value: net.widthMultiplier, class: "width" });
  const blocks = h("input", { type: "text", value: net.blocks.join(","), class: "blocks" });
  const epochs = h("input", { type: "number", min: 1, value: net.epochs, class: "epochs" });
  arch.addEventListener("change", () => {
    net.arch = arch.value as typeof net.arch;
    changed();
  });
  width.addEventListener("input", () => {
    net.widthMultiplier = Number(width.value) || 0.25;
    changed();
  });
  blocks.addEventListener("input", () => {
    const b = blocks.value.split(",").map((x) => Number.parseInt(x, 10));
    if (b.every((x) => Number.isInteger(x) && x > 0)) net.blocks = b;
    changed();
  });
  epochs.addEventListener("input", () => {
    net.epochs = Math.max(1, Number.parseInt(epochs.value, 10) || 1);
    changed();
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

function shippedFields(card: HTMLElement, net: Extract<FormNetwork, { kind: "shipped" }>): void {
  card.append(
    h("p", {}, `${net.label} (${net.family}), shipped with the app: ${net.model}`),
    h(
      "p",
      { class: "small" },
      net.memorizationScores === undefined
        ? "no memorization scores"
        : `memorization scores: ${net.memorizationScores} (the demo's shipped run)`,
    ),
  );
}

function activationFields(
  card: HTMLElement,
  net: Extract<FormNetwork, { kind: "activations" }>,
  message: MessageView,
  changed: () => void,
): void {
  const input = h("input", { type: "file", multiple: true, class: "activations-input", accept: ".npy" });
  const scores = h("input", { type: "file", class: "scores-input", accept: ".npz,.npy,.csv" });
  const list = h("ul", { class: "files" });
  const draw = () => {
    list.replaceChildren(
      ...(net.activations.length === 0
        ? [h("li", { class: "small", text: "drop one .npy of shape (N, C) per stage, rows in dataset order" })]
        : net.activations.map(([stage, file]) => h("li", { text: `stage ${stage}: ${file}` }))),
    );
  };
  const onFiles = (files: Iterable<File>) => {
    message.clear();
    const bad: string[] = [];
    for (const f of files) {
      const problem = checkFileType(f.name, "activations");
      if (problem) bad.push(problem);
      else net.files.set(f.name, f);
    }
    if (bad.length > 0) message.show(bad.join("\n"));
    net.activations = activationStages(net.files.keys());
    draw();
    changed();
  };
  input.addEventListener("change", () => onFiles(input.files ?? []));
  card.addEventListener("dragover", (e) => e.preventDefault());
  card.addEventListener("drop", (e) => {
    e.preventDefault();
    onFiles(e.dataTransfer?.files ?? []);
  });
  scores.addEventListener("change", () => {
    const f = scores.files?.[0];
    const problem = f ? checkFileType(f.name, "scores") : undefined;
    if (problem) {
      message.show(problem);
      scores.value = "";
      return;
    }
    net.scores = f;
    net.hasScores = f !== undefined;
    changed();
  });
  card.append(
    h("p", {}, "activations, one <stage>.npy per stage (classfit extract writes them): ", input),
    list,
    h("p", {}, "memorization scores (.npz with tr_mem, optional): ", scores),
  );
  draw();
}
