// The page's form as a study config (the same JSON `classfit study --config` reads). Dropped
// files are named by the paths the web host's resources resolve: "data" for the dataset,
// "models/<network>" for a model directory, "scores/<network>.npz" for memorization scores,
// "activations/<network>/<file>.npy" for exported activations. Presets fill the form with the
// shipped networks exactly as `classfit demo` configures them (pipeline's study/demo.ts).
import { DEMO_NETWORKS, type DemoNetwork, demoStudyInput, SHIPPED_PATHS } from "@classfit/pipeline/demo";
import { STUDY_PROFILES_BY_COST } from "@classfit/pipeline/profiles";

export const PROFILES = STUDY_PROFILES_BY_COST;

export interface DataChoice {
  kind: "default" | "files";
  perClass?: number | undefined;
}

export type NetworkChoice =
  | {
      kind: "model";
      name: string;
      /** Layer names read from the dropped model.json (for the stage checkboxes). */
      layers?: string[] | undefined;
      stages?: string[] | undefined;
      hasScores?: boolean;
    }
  | {
      /** A network shipped with the app (a preset), by the path the demo names it with. */
      kind: "shipped";
      name: string;
      label: string;
      family: string;
      model: string;
      memorizationScores?: string | undefined;
      certificationResults?: string | undefined;
      trainingLoss?: string | undefined;
      densityBinsResults?: string | undefined;
    }
  | {
      /** Exported activations: one (N, C) .npy per stage, as `classfit extract` writes them. */
      kind: "activations";
      name: string;
      /** Stage name → file name under activations/<network>/, in stage order. */
      activations: [stage: string, file: string][];
      hasScores?: boolean;
    }
  | {
      kind: "arch";
      name: string;
      arch: "resnet" | "convnet" | "mixer" | "vit";
      widthMultiplier: number;
      blocks: number[];
      epochs: number;
    };

export function buildConfig(o: {
  data: DataChoice;
  networks: NetworkChoice[];
  profile: (typeof PROFILES)[number];
  seed: number;
  /** A preset's study name and step settings. */
  name?: string | undefined;
  steps?: Record<string, unknown> | undefined;
}): Record<string, unknown> {
  return {
    name: o.name ?? "classfit study (browser)",
    seed: o.seed,
    profile: o.profile,
    dataset: {
      path: o.data.kind === "default" ? "default" : "data",
      ...(o.data.perClass !== undefined ? { perClass: o.data.perClass } : {}),
    },
    networks: o.networks.map((n) => {
      switch (n.kind) {
        case "model":
          return {
            name: n.name,
            model: `models/${n.name}`,
            ...(n.stages && n.stages.length > 0 ? { stages: n.stages } : {}),
            ...(n.hasScores ? { memorizationScores: `scores/${n.name}.npz` } : {}),
          };
        case "shipped":
          return {
            name: n.name,
            label: n.label,
            family: n.family,
            model: n.model,
            ...(n.memorizationScores !== undefined ? { memorizationScores: n.memorizationScores } : {}),
            ...(n.certificationResults !== undefined ? { certificationResults: n.certificationResults } : {}),
            ...(n.trainingLoss !== undefined ? { trainingLoss: n.trainingLoss } : {}),
            ...(n.densityBinsResults !== undefined ? { densityBinsResults: n.densityBinsResults } : {}),
          };
        case "activations":
          return {
            name: n.name,
            activations: Object.fromEntries(
              n.activations.map(([stage, file]) => [stage, `activations/${n.name}/${file}`]),
            ),
            ...(n.hasScores ? { memorizationScores: `scores/${n.name}.npz` } : {}),
          };
        default:
          return {
            name: n.name,
            family: n.arch,
            arch: { arch: n.arch, blocks: n.blocks, widthMultiplier: n.widthMultiplier },
            train: { epochs: n.epochs },
          };
      }
    }),
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
  };
}

/** Stage names of dropped activation files ("stage1.npy" → "stage1"), in natural order. */
export function activationStages(files: Iterable<string>): [stage: string, file: string][] {
  return [...files]
    .filter((f) => f.endsWith(".npy"))
    .map((f): [string, string] => [f.slice(0, -".npy".length), f])
    .sort((a, b) => a[0].localeCompare(b[0], "en", { numeric: true }));
}

export interface Preset {
  id: "demo" | DemoNetwork["name"];
  label: string;
  networks: readonly DemoNetwork[];
}

/** The shipped models as presets: the demo itself, and each network alone. */
export const PRESETS: readonly Preset[] = [
  { id: "demo", label: "the demo: shipped narrow ResNet + plain ConvNet", networks: DEMO_NETWORKS },
  ...DEMO_NETWORKS.map((n) => ({ id: n.name, label: `shipped ${n.label}`, networks: [n] })),
];

/** What a preset puts in the form: the demo's config for its networks, choice by choice. */
export function presetChoices(p: Preset): {
  data: DataChoice;
  networks: Extract<NetworkChoice, { kind: "shipped" }>[];
  profile: (typeof PROFILES)[number];
  seed: number;
  name: string;
  steps: Record<string, unknown>;
} {
  const c = demoStudyInput({ networks: p.networks });
  return {
    data: { kind: "default", perClass: c.dataset.perClass },
    networks: p.networks.map((n) => ({
      kind: "shipped",
      name: n.name,
      label: n.label,
      family: n.family,
      model: SHIPPED_PATHS.model(n),
      memorizationScores: SHIPPED_PATHS.memorization(n),
      certificationResults: SHIPPED_PATHS.certification(n),
      trainingLoss: SHIPPED_PATHS.trainingLoss(n),
      densityBinsResults: SHIPPED_PATHS.densityBins(n),
    })),
    profile: c.profile ?? "demo",
    seed: c.seed ?? 0,
    name: c.name ?? "",
    steps: (c.steps ?? {}) as Record<string, unknown>,
  };
}
