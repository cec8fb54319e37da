// The study end to end (METHOD.md §1–§11): for each network, train (or load, or read exported
// activations) → extract stage activations → reduce (SVD) → fit one DP-GMM per class and stage
// → log-densities → complexity (KL) → compactness → memorization → certification, then the
// analysis and the report. Every unit of work is a step folder in the run directory keyed by
// the hash of its inputs and settings (steps/store.ts), so a rerun skips what is done and an
// interrupted run resumes. The host supplies storage, inputs, workers, progress and the clock.
import {
  type ArchConfig,
  computeNormalisation,
  createModel,
  DEFAULT_TRAIN_CONFIG,
  defaultArchConfig,
  deserializeModel,
  encodeNpy,
  extractActivations,
  type ImageDataset,
  type InputSpec,
  MemorySink,
  type ModelManifest,
  NoisyClassifier,
  type Normalisation,
  normalisedExamples,
  npyToFloat64,
  parseNpy,
  SubsetTrainer,
  serializeModel,
  stageNames,
  subsetDataset,
  type TrainConfig,
  trainModel,
  validateArchConfig,
  validateManifest,
} from "@classfit/models";
import { initBackend } from "@classfit/models/backend";
import type { Core } from "@classfit/wasm-core";
import { decodeProjection, encodeProjection, fitProjection, project } from "@classfit/wasm-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { analyzeStudy, type StudyAnalysis } from "../analysis/study.js";
import type {
  ClassCertified,
  ClassScoreTable,
  ClassStageRecord,
  ExampleTable,
  NetworkInfo,
  StudyInput,
} from "../analysis/types.js";
import { groupMeasures } from "../certify/measures.js";
import { type CertifyColumns, certificationProtocol, finalizeCertification } from "../certify/protocol.js";
import { coreStats } from "../certify/stats.js";
import { decodeCertification } from "../certify/summary.js";
import { compactness } from "../compactness.js";
import { type PipelineHost, type ProgressReporter, SILENT_PROGRESS, type WorkerPool } from "../host/index.js";
import { importMemorizationScores } from "../memorization/import.js";
import { decodeMemorization, finalizeMemorization, memorizationProtocol } from "../memorization/memorization.js";
import { type Report, renderReport } from "../report/index.js";
import { ArtifactStore, jsonBytes, parseJsonBytes, type StepEvent, stepKey, utf8 } from "../steps/store.js";
import { type FitOutput, inThreadPool, type TaskInput, type TaskKind, type TaskOutput } from "../steps/tasks.js";
import { fnv1a64, hashArray, hashJson, type Json } from "../units/container.js";
import { runUnits } from "../units/units.js";
import { componentsFor, type NetworkConfig, type StudyConfig } from "./config.js";

export const RUN_MANIFEST = "manifest.json";
export const REPORT_DIR = "report";

/** The run interrupted by the host's abort signal; finished steps are on disk for a rerun. */
export class StudyInterrupted extends Error {
  override name = "StudyInterrupted";
}

export interface RunManifest {
  format: "classfit-run";
  version: 1;
  status: "complete" | "interrupted" | "failed";
  name: string;
  profile: string;
  seed: number;
  versions: Record<string, string>;
  host: string;
  command?: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  config: StudyConfig;
  dataset: { path: string; n: number; numClasses: number; classNames: string[]; hash: string; perClass?: number };
  networks: { name: string; label: string; family: string; stages: string[]; source: string; notes: string[] }[];
  steps: StepEvent[];
  stepsComputed: number;
  stepsReused: number;
  report?: { html: string; hash: string };
  error?: string;
}

export interface RunStudyOptions {
  /** Package versions to record (the host knows them). */
  versions?: Record<string, string>;
  /** The command line that started the run. */
  command?: string;
  /** Extra paragraphs for the report summary (e.g. the demo's scale notes). */
  notes?: string[];
  /** Report title. */
  title?: string;
}

export interface StudyResult {
  manifest: RunManifest;
  analysis: StudyAnalysis;
  report: Report;
}

/** A seed for one purpose: FNV-1a of (seed, parts), cut to 52 bits (same value on every host). */
export function deriveSeed(seed: number, ...parts: (string | number)[]): number {
  return Number.parseInt(hashJson({ seed, parts }).slice(0, 13), 16);
}

/** σ·Φ⁻¹(α^(1/n)) as text, via a bisection on the normal tail (display only). */
function fmtRadius(sigma: number, alpha: number, n: number): string {
  const p = alpha ** (1 / n);
  // Φ⁻¹(p) by bisection on erf-free Φ: a few digits are enough for a sentence.
  let lo = 0;
  let hi = 10;
  const phi = (x: number) => {
    // Abramowitz & Stegun 26.2.17.
    const t = 1 / (1 + 0.2316419 * x);
    const d = Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
    return 1 - d * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  };
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (phi(mid) < p) lo = mid;
    else hi = mid;
  }
  return `${(sigma * lo).toFixed(2)} (${lo.toFixed(2)}σ)`;
}

/** " for N epoch(s)" from a memorization artifact's trainer record, when it has one. */
function epochsOf(config: Record<string, Json>): string {
  const t = config.trainer as { config?: { epochs?: unknown } } | undefined;
  const e = t?.config?.epochs;
  return typeof e === "number" ? ` for ${e} epoch${e === 1 ? "" : "s"}` : "";
}

const CERT_RADII = Array.from({ length: 21 }, (_, i) => i * 0.1);

const pad2 = (i: number) => String(i).padStart(2, "0");

/** Keeps the first `perClass` examples of each class, in dataset order. */
export function firstPerClass(labels: Int32Array, numClasses: number, perClass: number): Int32Array {
  const seen = new Int32Array(numClasses);
  const keep: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    if ((seen[y] as number) < perClass) {
      seen[y] = (seen[y] as number) + 1;
      keep.push(i);
    }
  }
  return Int32Array.from(keep);
}

interface StageData {
  stage: string;
  /** Reduced representations, Float64Array (n, k). */
  z: Float64Array;
  k: number;
  zHash: string;
  retainedEnergy: number;
}

interface LoadedNet {
  model: LayersModel;
  hash: string;
  normalisation: Normalisation;
}

interface NetworkRun {
  info: NetworkInfo;
  source: string;
  notes: string[];
  classes: ClassStageRecord[];
  tables: ExampleTable[];
  generative: ClassScoreTable[];
}

class Runner {
  readonly progress: ProgressReporter;
  readonly pool: WorkerPool;
  readonly store: ArtifactStore;
  private backendReady = false;
  ds!: ImageDataset;
  /** Indices into the full training set of the study's examples (after perClass). */
  subset: Int32Array | null = null;
  datasetHash = "";
  classNames: string[] = [];
  /** Rows of each class in the study's example order. */
  rowsOf: Int32Array[] = [];

  constructor(
    readonly host: PipelineHost,
    readonly core: Core,
    readonly config: StudyConfig,
  ) {
    this.progress = host.progress ?? SILENT_PROGRESS;
    this.pool = host.pool ?? inThreadPool(core);
    this.store = new ArtifactStore(host.storage, (m) => this.progress.log(`warning: ${m}`));
  }

  checkAbort(): void {
    if (this.host.signal?.aborted) throw new StudyInterrupted("study interrupted; rerun the same command to resume");
  }

  async tfReady(): Promise<void> {
    if (this.backendReady) return;
    await initBackend(this.host.tfjsWasmPath === undefined ? {} : { wasmPath: this.host.tfjsWasmPath });
    this.backendReady = true;
  }

  async loadData(): Promise<void> {
    const full = await this.host.resources.loadDataset(this.config.dataset.path, "train");
    const per = this.config.dataset.perClass;
    if (per !== undefined) {
      this.subset = firstPerClass(full.labels, full.numClasses, per);
      this.ds = subsetDataset(full, this.subset, `${full.name}[first ${per} per class]`);
    } else this.ds = full;
    const ds = this.ds;
    this.datasetHash = hashJson({
      images: hashArray(ds.images),
      labels: hashArray(ds.labels),
      shape: [ds.n, ds.height, ds.width, ds.channels],
    });
    this.classNames = Array.from({ length: ds.numClasses }, (_, c) => ds.classNames?.[c] ?? `class ${c}`);
    const buckets: number[][] = Array.from({ length: ds.numClasses }, () => []);
    for (let i = 0; i < ds.n; i++) (buckets[ds.labels[i] as number] as number[]).push(i);
    this.rowsOf = buckets.map((b) => Int32Array.from(b));
    for (const [c, rows] of this.rowsOf.entries())
      if (rows.length < 2)
        throw new Error(
          `${ds.name}: class ${c} (${this.classNames[c]}) has ${rows.length} example(s); a density model needs at least 2`,
        );
  }

  /** Runs one step unless a finished one with the same key is on disk. */
  async step(
    dir: string,
    step: string,
    config: Json,
    inputs: Record<string, string>,
    compute: () => Promise<{ files: Record<string, Uint8Array>; info?: Json }>,
  ): Promise<{ files: Map<string, Uint8Array>; info: Json; key: string }> {
    this.checkAbort();
    const key = stepKey(step, config, inputs);
    const found = await this.store.lookup(dir, key);
    if (found) return { files: found.files, info: found.record.info, key };
    const t0 = this.host.clock.now();
    const r = await compute();
    const seconds = (this.host.clock.now() - t0) / 1000;
    await this.store.commit(dir, { step, key, inputs, config, info: r.info ?? {}, seconds }, r.files);
    return { files: new Map(Object.entries(r.files)), info: r.info ?? {}, key };
  }

  async runPool<K extends TaskKind>(
    kind: K,
    inputs: TaskInput<K>[],
    label: (i: number) => string,
    onResult?: (i: number, out: TaskOutput<K>) => Promise<void>,
  ): Promise<TaskOutput<K>[]> {
    const p = this.progress;
    const key = (i: number) => `${kind}:${label(i)}`;
    return this.pool.run(kind, inputs, {
      onStart: (i) => p.start(key(i), 1, label(i)),
      onProgress: (i, done, total) => {
        p.start(key(i), total, label(i));
        p.update(key(i), done);
      },
      onResult: async (i, out) => {
        p.finish(key(i));
        await onResult?.(i, out);
        this.checkAbort();
      },
    });
  }

  // ---- network sources -------------------------------------------------------------------

  /** Trains `net.arch` on the study's examples; returns the model bytes' hash and the model. */
  async trainNetwork(
    net: NetworkConfig,
  ): Promise<{ model: LayersModel; hash: string; normalisation: Normalisation; stages: string[] }> {
    const ds = this.ds;
    const arch = this.archOf(net);
    const trainConfig = this.trainSettings(net);
    const spec: InputSpec = { height: ds.height, width: ds.width, channels: ds.channels, numClasses: ds.numClasses };
    const normalisation = computeNormalisation(ds);
    const stages = net.stages ?? stageNames(arch);
    const dir = `${net.name}/train`;
    const r = await this.step(
      dir,
      "train",
      { arch, train: trainConfig, spec } as unknown as Json,
      { dataset: this.datasetHash },
      async () => {
        await this.tfReady();
        const built = createModel(arch, spec, this.core, trainConfig.seed);
        const steps = Math.ceil(ds.n / Math.min(trainConfig.batchSize, ds.n)) * trainConfig.epochs;
        const key = `train:${net.name}`;
        this.progress.start(key, steps, `${net.name} train`);
        let done = 0;
        const result = await trainModel({
          core: this.core,
          model: built.model,
          train: ds,
          normalisation,
          config: trainConfig,
          onStep: () => this.progress.update(key, ++done),
          ...(this.host.signal ? { signal: this.host.signal } : {}),
        });
        this.checkAbort();
        this.progress.finish(key);
        const bytes = await serializeModel(built.model);
        built.model.dispose();
        const manifest: ModelManifest = {
          format: "classfit-model",
          version: 1,
          architecture: arch,
          input: spec,
          stages,
          normalisation,
          dataset: { name: ds.name, n: ds.n },
          parameters: 0,
          training: { ...trainConfig, schedule: trainConfig.schedule.name },
          epochs: trainConfig.epochs,
          metrics: {
            ...(result.final ? { trainLoss: result.final.trainLoss, trainAccuracy: result.final.trainAccuracy } : {}),
          },
          createdBy: "classfit study",
        };
        return {
          files: {
            "model.json": utf8(bytes.modelJson),
            "weights.bin": bytes.weights,
            "manifest.json": jsonBytes(manifest),
          },
          info: { trainAccuracy: result.final?.trainAccuracy ?? null, trainLoss: result.final?.trainLoss ?? null },
        };
      },
    );
    await this.tfReady();
    const modelJson = new TextDecoder().decode(r.files.get("model.json"));
    const model = await deserializeModel(modelJson, r.files.get("weights.bin") as Uint8Array, `${dir}/model.json`);
    return { model, hash: r.key, normalisation, stages };
  }

  async loadNetwork(net: NetworkConfig): Promise<{
    model: LayersModel;
    hash: string;
    normalisation: Normalisation;
    stages: string[];
    manifest: ModelManifest | null;
  }> {
    const path = net.model as string;
    const m = await this.host.resources.readModel(path);
    let manifest: ModelManifest | null = null;
    if (m.manifestJson !== undefined) manifest = validateManifest(JSON.parse(m.manifestJson), `${path}/manifest.json`);
    await this.tfReady();
    const model = await deserializeModel(m.modelJson, m.weights, `${path}/model.json`);
    const stages = net.stages ?? manifest?.stages;
    if (!stages || stages.length === 0)
      throw new Error(
        `network '${net.name}': ${path} has no classfit manifest naming its stage layers; list them in "stages"`,
      );
    // A model without classfit's manifest: normalise with the study data's own statistics.
    const normalisation = manifest?.normalisation ?? computeNormalisation(this.ds);
    const hash = hashJson({ json: fnv1a64(utf8(m.modelJson)), weights: fnv1a64(m.weights), normalisation });
    return { model, hash, normalisation, stages, manifest };
  }

  /** Stage activations: Float32Array (n, C) per stage, from a model or from exported .npy files. */
  async activations(
    net: NetworkConfig,
    notes: string[],
  ): Promise<{ stages: string[]; acts: Float32Array[]; channels: number[]; hashes: string[]; model?: LoadedNet }> {
    const ds = this.ds;
    if (net.activations !== undefined) {
      const stages = net.stages ?? Object.keys(net.activations);
      const acts: Float32Array[] = [];
      const channels: number[] = [];
      const hashes: string[] = [];
      for (const s of stages) {
        const path = net.activations[s];
        if (path === undefined) throw new Error(`network '${net.name}': no activations file for stage '${s}'`);
        const bytes = await this.host.resources.readFile(path);
        const arr = parseNpy(bytes, { name: path });
        if (arr.shape.length !== 2)
          throw new Error(`${path}: expected activations of shape (N, C), got (${arr.shape.join(", ")})`);
        const [rows, c] = arr.shape as [number, number];
        const full = this.subset === null ? ds.n : undefined;
        const x = npyToFloat64(arr, path);
        let out: Float32Array;
        if (full !== undefined) {
          if (rows !== ds.n)
            throw new Error(
              `${path}: ${rows} rows, but the dataset has ${ds.n} training examples (rows must follow dataset order)`,
            );
          out = Float32Array.from(x);
        } else {
          const sub = this.subset as Int32Array;
          out = new Float32Array(sub.length * c);
          for (let j = 0; j < sub.length; j++) {
            const i = sub[j] as number;
            if (i >= rows)
              throw new Error(
                `${path}: ${rows} rows, but the dataset example ${i} is needed (rows must follow dataset order)`,
              );
            for (let k = 0; k < c; k++) out[j * c + k] = x[i * c + k] as number;
          }
        }
        for (let i = 0; i < out.length; i++)
          if (!Number.isFinite(out[i] as number))
            throw new Error(`${path}: value at row ${Math.floor(i / c)}, column ${i % c} is ${out[i]}`);
        acts.push(out);
        channels.push(c);
        hashes.push(hashArray(out));
      }
      notes.push("activations imported from .npy files");
      return { stages, acts, channels, hashes };
    }
    const src = net.model !== undefined ? await this.loadNetwork(net) : await this.trainNetwork(net);
    const { model, stages, normalisation } = src;
    const pool = this.config.steps.extract.pool;
    const dir = `${net.name}/extract`;
    const r = await this.step(
      dir,
      "extract",
      { stages, pool } as Json,
      { model: src.hash, dataset: this.datasetHash },
      async () => {
        const sink = new MemorySink();
        const key = `extract:${net.name}`;
        this.progress.start(key, ds.n, `${net.name} extract`);
        await extractActivations({
          model,
          stages,
          dataset: ds,
          normalisation,
          pool,
          batchSize: this.config.steps.extract.batchSize,
          sink,
          onProgress: (done) => this.progress.update(key, done),
          where: net.name,
        });
        this.progress.finish(key);
        const files: Record<string, Uint8Array> = {};
        stages.forEach((s, i) => {
          files[`${s}.npy`] = encodeNpy(sink.data[i] as Float32Array, [ds.n, sink.channels[i] as number]);
        });
        return { files, info: { channels: sink.channels } };
      },
    );
    const acts: Float32Array[] = [];
    const channels: number[] = [];
    const hashes: string[] = [];
    for (const s of stages) {
      const bytes = r.files.get(`${s}.npy`) as Uint8Array;
      const arr = parseNpy(bytes, { name: `${dir}/${s}.npy` });
      acts.push(arr.data as Float32Array);
      channels.push(arr.shape[1] as number);
      hashes.push(fnv1a64(bytes));
    }
    return { stages, acts, channels, hashes, model: { model, hash: src.hash, normalisation } };
  }

  // ---- per stage ------------------------------------------------------------------------

  async reduce(
    net: string,
    stage: string,
    s: number,
    act: Float32Array,
    c: number,
    actHash: string,
  ): Promise<StageData> {
    const n = this.ds.n;
    const k = Math.min(componentsFor(this.config.steps.reduce.k, s), c, n);
    const center = this.config.steps.reduce.center;
    const dir = `${net}/${stage}/reduce`;
    const r = await this.step(dir, "reduce", { k, center }, { activations: actHash }, async () => {
      const projection = fitProjection(this.core, act, n, c, { k, center });
      const z = project(this.core, projection, act, n);
      return {
        files: { "Z.npy": encodeNpy(z, [n, k]), "projection.bin": encodeProjection(projection) },
        info: { k, c, retainedEnergy: projection.retainedEnergy },
      };
    });
    const zBytes = r.files.get("Z.npy") as Uint8Array;
    const z = npyToFloat64(parseNpy(zBytes, { name: `${dir}/Z.npy` }));
    const retainedEnergy = decodeProjection(r.files.get("projection.bin") as Uint8Array).retainedEnergy;
    return { stage, z, k, zHash: fnv1a64(zBytes), retainedEnergy };
  }

  classData(sd: StageData, c: number): Float64Array {
    const rows = this.rowsOf[c] as Int32Array;
    const x = new Float64Array(rows.length * sd.k);
    rows.forEach((r, j) => {
      x.set(sd.z.subarray(r * sd.k, (r + 1) * sd.k), j * sd.k);
    });
    return x;
  }

  /** One DP-GMM per (stage, class); pending fits of all stages go to the pool together. */
  async fitAll(
    net: string,
    stages: StageData[],
  ): Promise<{ bytes: Uint8Array[][]; keys: string[][]; info: FitOutput[][] }> {
    const f = this.config.steps.fit;
    const C = this.ds.numClasses;
    const bytes: Uint8Array[][] = stages.map(() => new Array<Uint8Array>(C));
    const keys: string[][] = stages.map(() => new Array<string>(C));
    const info: FitOutput[][] = stages.map(() => new Array<FitOutput>(C));
    const pending: { s: number; c: number; dir: string; key: string; cfg: Json; inputs: Record<string, string> }[] = [];
    const inputs: TaskInput<"fit">[] = [];
    for (const [s, sd] of stages.entries()) {
      for (let c = 0; c < C; c++) {
        this.checkAbort();
        const dir = `${net}/${sd.stage}/fit/class-${pad2(c)}`;
        const seed = deriveSeed(this.config.seed, "fit", net, sd.stage, c);
        const cfg = { ...f, seed } as unknown as Json;
        const rowsHash = hashArray(this.rowsOf[c] as Int32Array);
        const ins = { Z: sd.zHash, rows: rowsHash };
        const key = stepKey("fit", cfg, ins);
        const found = await this.store.lookup(dir, key);
        if (found) {
          (bytes[s] as Uint8Array[])[c] = found.files.get("model.dpgmm") as Uint8Array;
          (keys[s] as string[])[c] = key;
          (info[s] as FitOutput[])[c] = found.record.info as unknown as FitOutput;
          continue;
        }
        const data = this.classData(sd, c);
        pending.push({ s, c, dir, key, cfg, inputs: ins });
        inputs.push({
          data,
          n: (this.rowsOf[c] as Int32Array).length,
          d: sd.k,
          config: { ...f, seed } as TaskInput<"fit">["config"],
        });
      }
    }
    const t0 = this.host.clock.now();
    let last = t0;
    await this.runPool(
      "fit",
      inputs,
      (i) => {
        const p = pending[i] as (typeof pending)[number];
        return `${net} ${stages[p.s]?.stage} ${this.classNames[p.c]}`;
      },
      async (i, out) => {
        const p = pending[i] as (typeof pending)[number];
        const now = this.host.clock.now();
        const { modelBytes, ...rest } = out;
        await this.store.commit(
          p.dir,
          {
            step: "fit",
            key: p.key,
            inputs: p.inputs,
            config: p.cfg,
            info: rest as unknown as Json,
            seconds: (now - last) / 1000,
          },
          { "model.dpgmm": modelBytes },
        );
        last = now;
        (bytes[p.s] as Uint8Array[])[p.c] = modelBytes;
        (keys[p.s] as string[])[p.c] = p.key;
        (info[p.s] as FitOutput[])[p.c] = out;
      },
    );
    return { bytes, keys, info };
  }

  async density(
    net: string,
    sd: StageData,
    models: Uint8Array[],
    fitKeys: string[],
    generative: boolean,
  ): Promise<{ own: Float64Array; scores: Float64Array | null }> {
    const variant = this.config.steps.density.variant;
    const n = this.ds.n;
    const C = this.ds.numClasses;
    const dir = `${net}/${sd.stage}/density`;
    const r = await this.step(
      dir,
      "density",
      { variant, generative },
      { Z: sd.zHash, models: hashJson(fitKeys) },
      async () => {
        const own = new Float64Array(n);
        let scores: Float64Array | null = null;
        if (generative) {
          const outs = await this.runPool(
            "density",
            models.map((m) => ({ modelBytes: m, points: sd.z.slice(), m: n, variant })),
            (c) => `${net} ${sd.stage} density ${this.classNames[c]}`,
          );
          const sc = new Float64Array(n * C);
          outs.forEach((o, c) => {
            for (let i = 0; i < n; i++) sc[i * C + c] = o.logDensity[i] as number;
          });
          for (let i = 0; i < n; i++) own[i] = sc[i * C + (this.ds.labels[i] as number)] as number;
          scores = sc;
        } else {
          const outs = await this.runPool(
            "density",
            models.map((m, c) => ({
              modelBytes: m,
              points: this.classData(sd, c),
              m: (this.rowsOf[c] as Int32Array).length,
              variant,
            })),
            (c) => `${net} ${sd.stage} density ${this.classNames[c]}`,
          );
          outs.forEach((o, c) => {
            (this.rowsOf[c] as Int32Array).forEach((row, j) => {
              own[row] = o.logDensity[j] as number;
            });
          });
        }
        const files: Record<string, Uint8Array> = { "log_density.npy": encodeNpy(own, [n]) };
        if (scores) files["class_scores.npy"] = encodeNpy(scores, [n, C]);
        return { files };
      },
    );
    const own = npyToFloat64(parseNpy(r.files.get("log_density.npy") as Uint8Array));
    const sb = r.files.get("class_scores.npy");
    return { own, scores: sb ? npyToFloat64(parseNpy(sb)) : null };
  }

  async complexity(
    net: string,
    sd: StageData,
    models: Uint8Array[],
    fitKeys: string[],
  ): Promise<{ kl: number; se: number }[]> {
    const { samples, reference } = this.config.steps.complexity;
    const variant = this.config.steps.density.variant;
    const dir = `${net}/${sd.stage}/complexity`;
    const seed = deriveSeed(this.config.seed, "kl", net, sd.stage);
    const r = await this.step(
      dir,
      "complexity",
      { samples, reference, variant, seed },
      { Z: sd.zHash, models: hashJson(fitKeys) },
      async () => {
        const outs = await this.runPool(
          "kl",
          models.map((m, c) => ({
            modelBytes: m,
            classData: this.classData(sd, c),
            n: (this.rowsOf[c] as Int32Array).length,
            samples,
            reference,
            variant,
            seed: deriveSeed(seed, c),
          })),
          (c) => `${net} ${sd.stage} KL ${this.classNames[c]}`,
        );
        return { files: { "kl.json": jsonBytes(outs.map((o) => ({ kl: o.kl, se: o.standardError }))) } };
      },
    );
    return parseJsonBytes(r.files.get("kl.json"), `${dir}/kl.json`);
  }

  async compactnessStep(net: string, sd: StageData): Promise<number[]> {
    const cfg = this.config.steps.compactness;
    const dir = `${net}/${sd.stage}/compactness`;
    const seed = deriveSeed(this.config.seed, "compactness", net, sd.stage);
    const r = await this.step(
      dir,
      "compactness",
      { ...cfg, seed },
      { Z: sd.zHash, rows: hashJson(this.rowsOf.map((r) => hashArray(r))) },
      async () => {
        const out: { value: number; method: string; pairs: number; standardError: number }[] = [];
        for (let c = 0; c < this.ds.numClasses; c++) {
          const rng = this.core.rng(seed, c);
          try {
            const x = this.classData(sd, c);
            const v = compactness(x, (this.rowsOf[c] as Int32Array).length, sd.k, {
              method: cfg.method,
              pairs: cfg.pairs,
              excludeZero: cfg.excludeZero,
              rng,
            });
            out.push({ value: v.value, method: v.method, pairs: v.pairs, standardError: v.standardError });
          } finally {
            rng.dispose();
          }
        }
        return { files: { "compactness.json": jsonBytes(out) } };
      },
    );
    return parseJsonBytes<{ value: number }[]>(r.files.get("compactness.json"), dir).map((x) => x.value);
  }

  /** Feldman & Zhang scores from `models` networks trained on random subsets (METHOD.md §8). */
  async memorizationRun(net: NetworkConfig, notes: string[]): Promise<Float64Array | null> {
    const ms = this.config.steps.memorization;
    const ds = this.ds;
    const arch = this.archOf(net);
    const normalisation = computeNormalisation(ds);
    const config = { models: ms.models, fraction: ms.fraction, epochs: ms.epochs, arch } as unknown as Json;
    const dir = `${net.name}/memorization`;
    const r = await this.step(dir, "memorization", config, { dataset: this.datasetHash }, async () => {
      await this.tfReady();
      const t = this.trainSettings(net);
      const trainer = new SubsetTrainer({
        core: this.core,
        arch,
        train: ds,
        normalisation,
        config: { ...t, epochs: ms.epochs },
      });
      const protocol = memorizationProtocol({
        core: this.core,
        trainer,
        labels: ds.labels,
        numClasses: ds.numClasses,
        datasetId: this.datasetHash,
        settings: {
          models: ms.models,
          fraction: ms.fraction,
          seed: deriveSeed(this.config.seed, "memorization", net.name),
        },
      });
      const key = `memorization:${net.name}`;
      this.progress.start(key, ms.models, `${net.name} memorization`);
      const store = {
        read: (k: string) => this.host.storage.read(`${dir}/units/${k}`),
        write: (k: string, b: Uint8Array) => this.host.storage.write(`${dir}/units/${k}`, b),
      };
      const units = await runUnits(
        protocol,
        Array.from({ length: ms.models }, (_, i) => i),
        {
          store,
          onUnit: (e) => {
            this.progress.update(key, e.done);
            this.checkAbort();
          },
          onWarning: (m) => this.progress.log(`warning: ${m}`),
        },
      );
      this.progress.finish(key);
      return { files: { "memorization.cfm": finalizeMemorization(protocol.config, units) } };
    });
    const res = decodeMemorization(r.files.get("memorization.cfm") as Uint8Array, `${dir}/memorization.cfm`);
    notes.push(
      `memorization from ${ms.models} networks of the same architecture, each trained ${ms.epochs} epoch(s) on a random ${Math.round(ms.fraction * 100)}% of the ${ds.n} study examples`,
    );
    return res.score;
  }

  archOf(net: NetworkConfig): ArchConfig {
    const base = defaultArchConfig(net.arch?.arch ?? "resnet") as unknown as Record<string, unknown>;
    return validateArchConfig({
      ...base,
      ...Object.fromEntries(Object.entries(net.arch ?? {}).filter(([, v]) => v !== undefined)),
    });
  }

  trainSettings(net: NetworkConfig): TrainConfig {
    const ds = this.ds;
    const t = net.train ?? {};
    return {
      ...DEFAULT_TRAIN_CONFIG,
      epochs: t.epochs ?? DEFAULT_TRAIN_CONFIG.epochs,
      batchSize: t.batchSize ?? DEFAULT_TRAIN_CONFIG.batchSize,
      learningRate: t.learningRate ?? DEFAULT_TRAIN_CONFIG.learningRate,
      momentum: t.momentum ?? DEFAULT_TRAIN_CONFIG.momentum,
      weightDecay: t.weightDecay ?? DEFAULT_TRAIN_CONFIG.weightDecay,
      schedule: { name: t.schedule ?? "onecycle" },
      augmentation: { cropPadding: t.cropPadding ?? (ds.height >= 32 ? 4 : 2), flip: t.flip ?? ds.channels === 3 },
      seed: t.seed ?? deriveSeed(this.config.seed, "train", net.name),
    };
  }

  /** CERTIFY (METHOD.md §9) of the first `perClass` examples of each class with the network itself. */
  async certifyRun(
    net: NetworkConfig,
    loaded: LoadedNet,
    notes: string[],
  ): Promise<{ rows: Int32Array; columns: CertifyColumns } | null> {
    const c = this.config.steps.certify;
    if (c.perClass <= 0) return null;
    const ds = this.ds;
    const rows = firstPerClass(ds.labels, ds.numClasses, c.perClass);
    const { perClass: _p, ...settings } = c;
    const dir = `${net.name}/certify`;
    const seed = deriveSeed(this.config.seed, "certify", net.name);
    const r = await this.step(
      dir,
      "certify",
      { ...settings, seed, examples: rows.length } as Json,
      { model: loaded.hash, dataset: this.datasetHash, rows: hashArray(rows) },
      async () => {
        await this.tfReady();
        // Its folded weights and heap buffers are freed when the step ends, however it ends.
        const backend = new NoisyClassifier(loaded.model);
        try {
          const protocol = certificationProtocol({
            core: this.core,
            backend,
            stats: coreStats(this.core),
            dataset: normalisedExamples(ds, loaded.normalisation),
            datasetId: this.datasetHash,
            settings: { ...settings, seed },
            examples: rows,
            unitSize: 20,
          });
          const key = `certify:${net.name}`;
          this.progress.start(key, protocol.numUnits, `${net.name} certify`);
          const units = await runUnits(
            protocol,
            Array.from({ length: protocol.numUnits }, (_, i) => i),
            {
              store: {
                read: (k: string) => this.host.storage.read(`${dir}/units/${k}`),
                write: (k: string, b: Uint8Array) => this.host.storage.write(`${dir}/units/${k}`, b),
              },
              onUnit: (e) => {
                this.progress.update(key, e.done);
                this.checkAbort();
              },
            },
          );
          this.progress.finish(key);
          return { files: { "certification.cfc": finalizeCertification("certification", protocol.config, units) } };
        } finally {
          backend.dispose();
        }
      },
    );
    const art = decodeCertification(r.files.get("certification.cfc") as Uint8Array, `${dir}/certification.cfc`);
    notes.push(
      `certified robustness (Cohen et al. CERTIFY, σ = ${c.sigma}, n0 = ${c.n0}, n = ${c.n}, α = ${c.alpha}) on the first ${c.perClass} study examples of each class (${rows.length} in all)` +
        (c.n < 100_000
          ? `; n is reduced from the paper's 100 000, so the largest certifiable radius is ${fmtRadius(c.sigma, c.alpha, c.n)}`
          : ""),
    );
    return { rows, columns: art.columns };
  }

  /** Per class: F1 (one-vs-rest within the certified examples), mean radius, non-abstained share, curve. */
  certifiedByClass(cert: { rows: Int32Array; columns: CertifyColumns }): ClassCertified[] {
    const { label, prediction, radius } = cert.columns;
    const C = this.ds.numClasses;
    const all = groupMeasures(label, prediction, radius, C, { radiusList: CERT_RADII });
    return Array.from({ length: C }, (_, c) => {
      const members: number[] = [];
      label.forEach((y, j) => {
        if (y === c) members.push(j);
      });
      const g = groupMeasures(label, prediction, radius, C, { members, radiusList: CERT_RADII });
      return {
        f1: all.perClass.find((p) => p.cls === c)?.f1 ?? 0,
        meanRadius: g.meanRadius,
        fractionNotAbstained: g.notAbstained,
        accuracyAtRadius: g.certifiedAccuracy,
      };
    });
  }

  async memorization(net: NetworkConfig, notes: string[]): Promise<Float64Array | null> {
    if (net.memorizationScores === undefined) {
      if (this.config.steps.memorization.models > 0 && net.arch !== undefined) return this.memorizationRun(net, notes);
      return null;
    }
    const path = net.memorizationScores;
    const bytes = await this.host.resources.readFile(path);
    const dir = `${net.name}/memorization`;
    const r = await this.step(
      dir,
      "memorization-import",
      { file: this.describe(path) },
      { scores: fnv1a64(bytes), dataset: this.datasetHash },
      async () => {
        // classfit's own memorization artifact (CFA container, from `classfit memorization` or a
        // merged cluster run) or a published score file (.npz with tr_mem, .npy, CSV).
        const isArtifact = bytes[0] === 0x43 && bytes[1] === 0x46 && bytes[2] === 0x41 && bytes[3] === 0x31;
        let imported: { scores: Float64Array; labels: Int32Array | null; format: string; config: Json };
        if (isArtifact) {
          const a = decodeMemorization(bytes, path);
          imported = { scores: a.score, labels: null, format: "classfit-memorization", config: a.config };
        } else imported = { ...importMemorizationScores(bytes, path), config: null };
        const all = imported.scores;
        const sub = this.subset;
        const n = this.ds.n;
        const scores = new Float64Array(n);
        for (let j = 0; j < n; j++) {
          const i = sub === null ? j : (sub[j] as number);
          if (i >= all.length)
            throw new Error(
              `${path}: ${all.length} scores, but dataset example ${i} needs one (scores follow dataset order)`,
            );
          scores[j] = all[i] as number;
        }
        if (imported.labels !== null) {
          for (let j = 0; j < n; j++) {
            const i = sub === null ? j : (sub[j] as number);
            if (imported.labels[i] !== this.ds.labels[j])
              throw new Error(
                `${path}: label of example ${i} is ${imported.labels[i]}, the dataset says ${this.ds.labels[j]}; the scores are for another dataset or order`,
              );
          }
        }
        return {
          files: { "memorization.npy": encodeNpy(scores, [n]) },
          info: { format: imported.format, config: imported.config },
        };
      },
    );
    const mc = (r.info as { config?: Record<string, Json> | null }).config;
    const scale =
      mc && typeof mc.models === "number"
        ? ` (${mc.models} networks, each trained${epochsOf(mc)} on a random ${Math.round(100 * Number(mc.fraction))}% of the ${mc.numExamples} training examples, seed ${mc.seed})`
        : "";
    notes.push(net.memorizationNote ?? `memorization scores imported from ${this.describe(path)}${scale}`);
    return npyToFloat64(parseNpy(r.files.get("memorization.npy") as Uint8Array));
  }

  describe(path: string): string {
    return this.host.resources.describe?.(path) ?? path;
  }

  // ---- one network ----------------------------------------------------------------------

  async network(net: NetworkConfig): Promise<NetworkRun> {
    const notes: string[] = [];
    const { stages, acts, channels, hashes, model: loaded } = await this.activations(net, notes);
    try {
      return await this.networkStages(net, notes, stages, acts, channels, hashes, loaded);
    } finally {
      loaded?.model.dispose();
    }
  }

  async networkStages(
    net: NetworkConfig,
    notes: string[],
    stages: string[],
    acts: Float32Array[],
    channels: number[],
    hashes: string[],
    loaded: LoadedNet | undefined,
  ): Promise<NetworkRun> {
    const ds = this.ds;
    const C = ds.numClasses;
    const stageData: StageData[] = [];
    for (const [s, stage] of stages.entries())
      stageData.push(
        await this.reduce(net.name, stage, s, acts[s] as Float32Array, channels[s] as number, hashes[s] as string),
      );
    const fits = await this.fitAll(net.name, stageData);
    const mem = await this.memorization(net, notes);
    const cert = loaded ? await this.certifyRun(net, loaded, notes) : null;
    if (!loaded && this.config.steps.certify.perClass > 0)
      notes.push("not certified: robustness needs the network itself, and only its activations were given");
    const certByClass = cert ? this.certifiedByClass(cert) : null;
    const certAll = cert !== null && cert.rows.length === ds.n;
    const memAll = mem?.every((v) => Number.isFinite(v)) === true;
    if (mem && !memAll)
      notes.push(
        "some examples were in every (or no) memorization subset, so their score is undefined; class means use the defined scores and per-example correlations are left out",
      );
    const classes: ClassStageRecord[] = [];
    const tables: ExampleTable[] = [];
    const generative: ClassScoreTable[] = [];
    const gen = this.config.steps.density.generative;
    for (const [s, sd] of stageData.entries()) {
      const models = fits.bytes[s] as Uint8Array[];
      const keys = fits.keys[s] as string[];
      const wantScores = gen === "all" || (gen === "last" && s === stageData.length - 1);
      const dens = await this.density(net.name, sd, models, keys, wantScores);
      const kl = await this.complexity(net.name, sd, models, keys);
      const comp = await this.compactnessStep(net.name, sd);
      for (let c = 0; c < C; c++) {
        const rows = this.rowsOf[c] as Int32Array;
        let m = 0;
        rows.forEach((r) => {
          m += dens.own[r] as number;
        });
        m /= rows.length;
        let v = 0;
        rows.forEach((r) => {
          const t = (dens.own[r] as number) - m;
          v += t * t;
        });
        v = rows.length > 1 ? v / (rows.length - 1) : 0;
        const fi = fits.info[s]?.[c] as FitOutput;
        const rec: ClassStageRecord = {
          network: net.name,
          stage: sd.stage,
          classIndex: c,
          className: this.classNames[c] as string,
          n: rows.length,
          meanLogDensity: m,
          varLogDensity: v,
          kl: { value: kl[c]?.kl as number, se: kl[c]?.se as number },
          meanK: fi.meanK,
        };
        const cv = comp[c];
        if (cv !== undefined && Number.isFinite(cv)) rec.compactness = cv;
        if (fi.rhatLogJoint !== null && fi.rhatK !== null) rec.rhat = { logJoint: fi.rhatLogJoint, k: fi.rhatK };
        if (mem) {
          let mm = 0;
          let k = 0;
          rows.forEach((r) => {
            const v = mem[r] as number;
            if (Number.isFinite(v)) {
              mm += v;
              k++;
            }
          });
          if (k > 0) rec.meanMemorization = mm / k;
        }
        const cc = certByClass?.[c];
        if (cc) rec.certified = cc;
        classes.push(rec);
      }
      const table: ExampleTable = {
        network: net.name,
        stage: sd.stage,
        index: Float64Array.from(this.subset ?? Int32Array.from({ length: ds.n }, (_, i) => i)),
        label: Float64Array.from(ds.labels),
        logDensity: dens.own,
      };
      if (mem && memAll) table.memorization = mem;
      if (cert && certAll) {
        // Rows of the certification follow `rows` (the first perClass of each class = all here).
        const radius = new Float64Array(ds.n);
        const correct = new Float64Array(ds.n);
        const abstained = new Float64Array(ds.n);
        cert.rows.forEach((row, j) => {
          const pred = cert.columns.prediction[j] as number;
          const ok = pred === (ds.labels[row] as number);
          radius[row] = ok ? (cert.columns.radius[j] as number) : 0;
          correct[row] = ok ? 1 : 0;
          abstained[row] = pred < 0 ? 1 : 0;
        });
        table.certifiedRadius = radius;
        table.correct = correct;
        table.abstained = abstained;
      }
      tables.push(table);
      if (dens.scores)
        generative.push({ network: net.name, stage: sd.stage, numClasses: C, labels: ds.labels, scores: dens.scores });
    }
    const info: NetworkInfo = {
      name: net.name,
      label: net.label ?? net.name,
      family: net.family ?? net.arch?.arch ?? "",
      stages,
    };
    const source =
      net.model !== undefined
        ? this.describe(net.model)
        : net.arch !== undefined
          ? `trained: ${JSON.stringify(net.arch)}`
          : "activations";
    return { info, source, notes, classes, tables, generative };
  }
}

/** Runs (or resumes) the whole study; writes every artifact, the report and manifest.json. */
export async function runStudy(
  host: PipelineHost,
  core: Core,
  config: StudyConfig,
  options: RunStudyOptions = {},
): Promise<StudyResult> {
  const runner = new Runner(host, core, config);
  const startedAt = host.clock.isoNow();
  const t0 = host.clock.now();
  const networks: NetworkRun[] = [];
  const manifest = (status: RunManifest["status"], extra: Partial<RunManifest> = {}): RunManifest => {
    const steps = runner.store.events;
    return {
      format: "classfit-run",
      version: 1,
      status,
      name: config.name,
      profile: config.profile,
      seed: config.seed,
      versions: options.versions ?? {},
      host: host.hostName ?? "unknown",
      ...(options.command !== undefined ? { command: options.command } : {}),
      startedAt,
      finishedAt: host.clock.isoNow(),
      seconds: Math.round(host.clock.now() - t0) / 1000,
      config,
      dataset: {
        path: runner.describe(config.dataset.path),
        n: runner.ds?.n ?? 0,
        numClasses: runner.ds?.numClasses ?? 0,
        classNames: runner.classNames,
        hash: runner.datasetHash,
        ...(config.dataset.perClass !== undefined ? { perClass: config.dataset.perClass } : {}),
      },
      networks: networks.map((n) => ({
        ...n.info,
        label: n.info.label ?? n.info.name,
        family: n.info.family ?? "",
        source: n.source,
        notes: n.notes,
      })),
      steps,
      stepsComputed: steps.filter((s) => s.status === "computed").length,
      stepsReused: steps.filter((s) => s.status === "reused").length,
      ...extra,
    };
  };
  try {
    await runner.loadData();
    for (const net of config.networks) networks.push(await runner.network(net));
    runner.checkAbort();
    const input: StudyInput = {
      networks: networks.map((n) => n.info),
      classes: networks.flatMap((n) => n.classes),
      exampleTables: networks.flatMap((n) => n.tables),
      generative: networks.flatMap((n) => n.generative),
    };
    const a = config.steps.analysis;
    const analysis = analyzeStudy(core, input, {
      seed: deriveSeed(config.seed, "analysis"),
      bootstrap: a.bootstrap,
      level: a.level,
      bins: a.bins,
      dipSimulations: a.dipSimulations,
      ...(a.splitStage ? { splitStage: a.splitStage } : {}),
    });
    const notes = [
      ...(options.notes ?? []),
      ...networks.flatMap((n) => n.notes.map((x) => `${n.info.label ?? n.info.name}: ${x}.`)),
    ];
    const report = await renderReport(analysis, {
      title: options.title ?? config.name,
      subtitle: `${runner.ds.name} · ${runner.ds.n} training examples · profile ${config.profile} · seed ${config.seed}`,
      notes,
    });
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
    for (const [p, b] of files) await host.storage.write(p, b);
    const m = manifest("complete", { report: { html: `${REPORT_DIR}/report.html`, hash: fnv1a64(utf8(report.html)) } });
    await host.storage.write(RUN_MANIFEST, jsonBytes(m));
    return { manifest: m, analysis, report };
  } catch (e) {
    const interrupted = e instanceof StudyInterrupted || host.signal?.aborted === true;
    const m = manifest(interrupted ? "interrupted" : "failed", { error: e instanceof Error ? e.message : String(e) });
    try {
      await host.storage.write(RUN_MANIFEST, jsonBytes(m));
    } catch {
      // The original error matters more than a manifest we could not write.
    }
    if (interrupted && !(e instanceof StudyInterrupted))
      throw new StudyInterrupted("study interrupted; rerun the same command to resume");
    throw e;
  }
}

/** The analysis input as JSON (typed arrays as plain lists), so the tables can be rechecked. */
function studyInputJson(input: StudyInput): unknown {
  return JSON.parse(
    JSON.stringify(input, (_k, v) =>
      ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v,
    ),
  );
}
