// The page's form as a study config (the same JSON `classfit study --config` reads). Dropped
// files are named by the paths the web host's resources resolve: "data" for the dataset,
// "models/<network>" for a model directory, "scores/<network>.npz" for memorization scores.
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
}): Record<string, unknown> {
  return {
    name: "classfit study (browser)",
    seed: o.seed,
    profile: o.profile,
    dataset: {
      path: o.data.kind === "default" ? "default" : "data",
      ...(o.data.perClass !== undefined ? { perClass: o.data.perClass } : {}),
    },
    networks: o.networks.map((n) =>
      n.kind === "model"
        ? {
            name: n.name,
            model: `models/${n.name}`,
            ...(n.stages && n.stages.length > 0 ? { stages: n.stages } : {}),
            ...(n.hasScores ? { memorizationScores: `scores/${n.name}.npz` } : {}),
          }
        : {
            name: n.name,
            family: n.arch,
            arch: { arch: n.arch, blocks: n.blocks, widthMultiplier: n.widthMultiplier },
            train: { epochs: n.epochs },
          },
    ),
  };
}
