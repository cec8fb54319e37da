// The study configuration (study.json): which data, which networks, and the settings of every
// step. Validated with zod: unknown keys are refused and each message names the field's path.
// A profile (profiles.ts) supplies every step setting; the config overrides any of them field
// by field.
import { INIT_SCHEMES, type InitScheme } from "@classfit/wasm-core";
import { z } from "zod";
import { CLASS_DENSITIES, type ClassDensity } from "../analysis/loo.js";
import { InputError } from "../errors.js";
import { STUDY_PROFILES, type StudyProfile } from "../profiles.js";

export { STUDY_PROFILES, type StudyProfile };

const int = (min: number) => z.number().int().min(min);
const positive = z.number().positive();

const archSchema = z
  .object({
    arch: z.enum(["resnet", "convnet", "mixer", "vit"]),
    blocks: z.array(int(1)).min(1).optional(),
    widthMultiplier: positive.optional(),
    patch: int(1).optional(),
    dim: int(1).optional(),
    depth: int(1).optional(),
    tokenHidden: int(1).optional(),
    channelHidden: int(1).optional(),
    heads: int(1).optional(),
    mlpHidden: int(1).optional(),
    stages: int(1).optional(),
  })
  .strict();

const trainSchema = z
  .object({
    epochs: int(1).optional(),
    batchSize: int(1).optional(),
    learningRate: positive.optional(),
    momentum: z.number().min(0).max(0.999).optional(),
    weightDecay: z.number().min(0).optional(),
    schedule: z.enum(["onecycle", "step", "constant"]).optional(),
    cropPadding: int(0).optional(),
    flip: z.boolean().optional(),
    seed: int(0).optional(),
  })
  .strict();

const networkSchema = z
  .object({
    /** Key of the network in tables and file names. */
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, '_', '.', '-' only"),
    label: z.string().optional(),
    family: z.string().optional(),
    /** A trained tfjs layers model directory (model.json + weights [+ classfit manifest.json]). */
    model: z.string().min(1).optional(),
    /** An architecture to train first (with `train` settings). */
    arch: archSchema.optional(),
    train: trainSchema.optional(),
    /** Pre-computed activations: stage name → .npy of shape (N, C) in dataset order (PyTorch/JAX export). */
    activations: z.record(z.string(), z.string().min(1)).optional(),
    /** Stage layers to read (default: the model manifest's stages, or the activations' keys). */
    stages: z.array(z.string().min(1)).min(1).optional(),
    /** Published or earlier memorization scores for this network (.npz with tr_mem, .npy or CSV), dataset order. */
    memorizationScores: z.string().min(1).optional(),
    /** How the memorization scores were made (shown in the report). */
    memorizationNote: z.string().optional(),
    /** A certification of this network made earlier (`classfit certify` or merged shares), used
     * instead of certifying in the run; its examples are dataset indices. */
    certificationResults: z.string().min(1).optional(),
    /** The density-bin protocol's artifact for this network (`classfit bins`, or merged shares):
     * each certified example certified by a network trained without its density bin. */
    densityBinsResults: z.string().min(1).optional(),
    /** Each training example's loss summed over this network's training (`classfit train`'s
     * training-loss.npy, dataset order): a memorization proxy. Networks the study trains have it. */
    trainingLoss: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((n, ctx) => {
    const sources = [n.model, n.arch, n.activations].filter((s) => s !== undefined).length;
    if (sources !== 1)
      ctx.addIssue({
        code: "custom",
        message: `network '${n.name}' needs exactly one of "model", "arch" or "activations" (got ${sources})`,
      });
    if (n.train !== undefined && n.arch === undefined)
      ctx.addIssue({ code: "custom", path: ["train"], message: `"train" settings need an "arch" to train` });
  });

const stepsSchema = z
  .object({
    extract: z
      .object({ pool: z.enum(["avg", "max"]).optional(), batchSize: int(1).optional() })
      .strict()
      .optional(),
    reduce: z
      .object({
        /** Components per stage: one number for all stages, or one per stage (the last repeats). */
        k: z.union([int(1), z.array(int(1)).min(1)]).optional(),
        center: z.boolean().optional(),
      })
      .strict()
      .optional(),
    fit: z
      .object({
        profile: z.enum(["default", "paper"]).optional(),
        sweeps: int(1).optional(),
        burnIn: int(0).optional(),
        thin: int(1).optional(),
        chains: int(1).optional(),
        replicates: int(1).optional(),
        initClusters: int(1).optional(),
        /** How chains start (wasm-core InitScheme); `bracket` measures each class mean's start gap. */
        init: z.enum(INIT_SCHEMES as [InitScheme, ...InitScheme[]]).optional(),
        splitMerge: int(0).optional(),
      })
      .strict()
      .optional(),
    density: z
      .object({
        variant: z.enum(["exact", "paper", "mean-log"]).optional(),
        /** Log-density of every example under every class (generative classification): "none", "last" stage or "all". */
        generative: z.enum(["none", "last", "all"]).optional(),
      })
      .strict()
      .optional(),
    complexity: z
      .object({ samples: int(1).optional(), reference: z.enum(["diag", "full"]).optional() })
      .strict()
      .optional(),
    compactness: z
      .object({
        method: z.enum(["exact", "sampled", "auto"]).optional(),
        pairs: int(1).optional(),
        excludeZero: z.boolean().optional(),
      })
      .strict()
      .optional(),
    memorization: z
      .object({
        /** Models m trained on random subsets (networks with "arch"); 0 = off. */
        models: int(0).optional(),
        fraction: z.number().gt(0).lt(1).optional(),
        epochs: int(1).optional(),
      })
      .strict()
      .optional(),
    certify: z
      .object({
        /** Training examples certified per class (the first ones of each class); 0 = off. */
        perClass: int(0).optional(),
        sigma: positive.optional(),
        n0: int(1).optional(),
        n: int(1).optional(),
        alpha: z.number().gt(0).lt(1).optional(),
        batchSize: int(1).optional(),
        method: z.enum(["cohen", "adaptive"]).optional(),
      })
      .strict()
      .optional(),
    analysis: z
      .object({
        bootstrap: int(10).optional(),
        level: z.number().gt(0).lt(1).optional(),
        bins: int(2).optional(),
        dipSimulations: int(100).optional(),
        splitStage: z.record(z.string(), z.string()).optional(),
        density: z.enum(CLASS_DENSITIES).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const studyConfigSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().optional(),
    seed: int(0).optional(),
    profile: z.enum(STUDY_PROFILES).optional(),
    dataset: z
      .object({
        /** "default" (the embedded Fashion-MNIST subset) or a dataset directory / images .npy. */
        path: z.string().min(1),
        /** Use only the first perClass training examples of each class. */
        perClass: int(1).optional(),
      })
      .strict(),
    networks: z
      .array(networkSchema)
      .min(1)
      .superRefine((nets, ctx) => {
        const seen = new Set<string>();
        nets.forEach((n, i) => {
          if (seen.has(n.name))
            ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate network name '${n.name}'` });
          seen.add(n.name);
        });
      }),
    steps: stepsSchema.optional(),
  })
  .strict();

export type StudyConfigInput = z.input<typeof studyConfigSchema>;
export type NetworkConfig = z.output<typeof networkSchema>;

/** Every step setting, resolved (profile + overrides). */
export interface StepSettings {
  extract: { pool: "avg" | "max"; batchSize: number };
  reduce: { k: number[]; center: boolean };
  fit: {
    profile: "default" | "paper";
    sweeps: number;
    burnIn: number;
    thin: number;
    chains: number;
    /** Independent replicate fits of `chains` chains each, pooled (METHOD.md §12). */
    replicates: number;
    initClusters: number;
    /** How chains start; absent: every chain from K0 random clusters (wasm-core's `random`). */
    init?: InitScheme;
    splitMerge: number;
  };
  density: { variant: "exact" | "paper" | "mean-log"; generative: "none" | "last" | "all" };
  complexity: { samples: number; reference: "diag" | "full" };
  compactness: { method: "exact" | "sampled" | "auto"; pairs: number; excludeZero: boolean };
  memorization: { models: number; fraction: number; epochs: number };
  certify: {
    perClass: number;
    sigma: number;
    n0: number;
    n: number;
    alpha: number;
    batchSize: number;
    method: "cohen" | "adaptive";
  };
  analysis: {
    bootstrap: number;
    level: number;
    bins: number;
    dipSimulations: number;
    splitStage?: Record<string, string>;
    /** The class density every finding is read on (METHOD.md §12.3, §12.6); the other one is
     * analysed beside it. Not a step key: changing it recomputes nothing but the analysis. */
    density: ClassDensity;
  };
}

export interface StudyConfig {
  name: string;
  seed: number;
  profile: StudyProfile;
  dataset: { path: string; perClass?: number };
  networks: NetworkConfig[];
  steps: StepSettings;
}

const PAPER: StepSettings = {
  extract: { pool: "avg", batchSize: 128 },
  reduce: { k: [16, 16, 64], center: false },
  fit: {
    profile: "paper",
    sweeps: 400,
    burnIn: 320,
    thin: 4,
    chains: 1,
    replicates: 1,
    initClusters: 6,
    splitMerge: 0,
  },
  density: { variant: "paper", generative: "last" },
  complexity: { samples: 100_000, reference: "diag" },
  compactness: { method: "auto", pairs: 1_000_000, excludeZero: true },
  memorization: { models: 0, fraction: 0.7, epochs: 30 },
  certify: { perClass: 0, sigma: 0.5, n0: 100, n: 100_000, alpha: 0.001, batchSize: 1000, method: "cohen" },
  analysis: { bootstrap: 1000, level: 0.95, bins: 10, dipSimulations: 10_000, density: "in-sample" },
};

export const PROFILE_SETTINGS: Record<StudyProfile, StepSettings> = {
  paper: PAPER,
  default: {
    ...PAPER,
    // wasm-core's default sampler: 32 chains of 40 sweeps (bench/seed-stability.mjs).
    fit: {
      profile: "default",
      sweeps: 40,
      burnIn: 24,
      thin: 8,
      chains: 32,
      replicates: 1,
      initClusters: 6,
      splitMerge: 2,
    },
    // A training point scored under its own class: the mean over traces of log p_t, whose estimate
    // is stable across seeds where the log of the mean over traces climbs with every partition
    // pooled (METHOD.md §4, §12; bench/seed-stability.mjs).
    density: { variant: "mean-log", generative: "last" },
    // Per kept trace: 64 traces × 12 000 draws, about the 800 000 that two 20-trace chains used.
    complexity: { samples: 12_000, reference: "diag" },
    // The leave-one-out class means: at d = 64 the in-sample ones depend on where the chains
    // start (METHOD.md §12.6), the leave-one-out ones far less (bench/seed-stability.mjs).
    analysis: { ...PAPER.analysis, density: "leave-one-out" },
  },
  quick: {
    extract: { pool: "avg", batchSize: 64 },
    reduce: { k: [4, 4, 6], center: false },
    fit: {
      profile: "default",
      sweeps: 16,
      burnIn: 8,
      thin: 4,
      chains: 2,
      replicates: 1,
      initClusters: 3,
      splitMerge: 1,
    },
    density: { variant: "mean-log", generative: "last" },
    complexity: { samples: 200, reference: "diag" },
    compactness: { method: "auto", pairs: 20_000, excludeZero: true },
    memorization: { models: 0, fraction: 0.7, epochs: 1 },
    certify: { perClass: 0, sigma: 0.5, n0: 8, n: 64, alpha: 0.01, batchSize: 64, method: "cohen" },
    analysis: { bootstrap: 100, level: 0.95, bins: 4, dipSimulations: 500, density: "leave-one-out" },
  },
  demo: {
    extract: { pool: "avg", batchSize: 128 },
    reduce: { k: [16, 16, 32], center: false },
    // Four chains: the fewest that give the class means a standard error and R̂ (METHOD.md §12).
    fit: {
      profile: "default",
      sweeps: 60,
      burnIn: 40,
      thin: 4,
      chains: 4,
      replicates: 1,
      initClusters: 6,
      splitMerge: 1,
    },
    density: { variant: "mean-log", generative: "last" },
    // Per kept trace: 4 chains × 5 traces × 500 draws, as many as one chain's 5 × 2 000 before.
    complexity: { samples: 500, reference: "diag" },
    compactness: { method: "auto", pairs: 1_000_000, excludeZero: true },
    memorization: { models: 0, fraction: 0.7, epochs: 1 },
    certify: { perClass: 0, sigma: 0.5, n0: 20, n: 200, alpha: 0.001, batchSize: 220, method: "cohen" },
    analysis: { bootstrap: 1000, level: 0.95, bins: 10, dipSimulations: 5000, density: "leave-one-out" },
  },
};

/** Bad study config: the message lists each problem with its path in the file. */
export class StudyConfigError extends InputError {
  override name = "StudyConfigError";
}

function formatIssues(error: z.ZodError, where: string): string {
  const lines = error.issues.map((i) => {
    const path =
      i.path.length === 0
        ? "(top level)"
        : i.path
            .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
            .join("")
            .replace(/^\./, "");
    let msg = i.message;
    if (i.code === "unrecognized_keys") msg = `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(", ")}`;
    return `  ${path}: ${msg}`;
  });
  return `${where}: invalid study config\n${lines.join("\n")}`;
}

/** Validates raw JSON and resolves every setting. `profile` (e.g. from --profile) beats the config's own. */
export function resolveStudyConfig(
  raw: unknown,
  opts: { profile?: StudyProfile; where?: string; replicates?: number } = {},
): StudyConfig {
  const where = opts.where ?? "study config";
  const parsed = studyConfigSchema.safeParse(raw);
  if (!parsed.success) throw new StudyConfigError(formatIssues(parsed.error, where));
  const c = parsed.data;
  const profile = opts.profile ?? c.profile ?? "default";
  if (!STUDY_PROFILES.includes(profile))
    throw new StudyConfigError(`${where}: unknown profile '${profile}' (${STUDY_PROFILES.join(" | ")})`);
  const base = PROFILE_SETTINGS[profile];
  const o = c.steps ?? {};
  const pick = <T extends object>(b: T, over: Partial<T> | undefined): T => {
    const out = { ...b };
    for (const [k, v] of Object.entries(over ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
    return out;
  };
  const reduce = pick(base.reduce, { center: o.reduce?.center });
  if (o.reduce?.k !== undefined) reduce.k = typeof o.reduce.k === "number" ? [o.reduce.k] : [...o.reduce.k];
  const steps: StepSettings = {
    extract: pick(base.extract, o.extract),
    reduce,
    fit: pick(base.fit, { ...o.fit, ...(opts.replicates !== undefined ? { replicates: opts.replicates } : {}) }),
    density: pick(base.density, o.density),
    complexity: pick(base.complexity, o.complexity),
    compactness: pick(base.compactness, o.compactness),
    memorization: pick(base.memorization, o.memorization),
    certify: pick(base.certify, o.certify),
    analysis: pick(base.analysis, o.analysis),
  };
  if (steps.fit.burnIn + steps.fit.thin > steps.fit.sweeps)
    throw new StudyConfigError(
      `${where}: steps.fit: burnIn + thin (${steps.fit.burnIn} + ${steps.fit.thin}) exceeds sweeps (${steps.fit.sweeps}); no trace would be kept`,
    );
  if (steps.certify.n0 > steps.certify.n)
    throw new StudyConfigError(`${where}: steps.certify: n0 (${steps.certify.n0}) exceeds n (${steps.certify.n})`);
  return {
    name: c.name ?? "classfit study",
    seed: c.seed ?? 0,
    profile,
    dataset:
      c.dataset.perClass === undefined
        ? { path: c.dataset.path }
        : { path: c.dataset.path, perClass: c.dataset.perClass },
    networks: c.networks,
    steps,
  };
}

/** Components k of stage s (0-based): the per-stage list, its last entry repeating. */
export function componentsFor(k: readonly number[], stage: number): number {
  return (k[Math.min(stage, k.length - 1)] ?? 16) as number;
}
