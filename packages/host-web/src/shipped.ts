// The shipped networks served with the app: the narrow ResNet and plain ConvNet the demo uses
// and their full-scale memorization, certification and density-bin runs and training-loss proxies, under the same paths the demo's config names them by from the
// repository root (pipeline's study/demo.ts). A preset's config therefore runs unchanged here,
// and with `classfit study --config` from the repository root, to the same bytes.
import { DEMO_NETWORKS, type DemoNetwork, SHIPPED_PATHS } from "@classfit/pipeline/demo";
import convnetCertification from "../../host-node/assets/demo/certification-convnet.npz?url";
import resnetCertification from "../../host-node/assets/demo/certification-resnet.npz?url";
import convnetDensityBins from "../../host-node/assets/demo/density-bins-convnet.npz?url";
import resnetDensityBins from "../../host-node/assets/demo/density-bins-resnet.npz?url";
import convnetMemorization from "../../host-node/assets/demo/memorization-convnet.npz?url";
import resnetMemorization from "../../host-node/assets/demo/memorization-resnet.npz?url";
import convnetTrainingLoss from "../../host-node/assets/demo/training-loss-convnet.npy?url";
import resnetTrainingLoss from "../../host-node/assets/demo/training-loss-resnet.npy?url";
import convnetManifestJson from "../../models/assets/models/convnet-narrow/manifest.json?url";
import convnetModelJson from "../../models/assets/models/convnet-narrow/model.json?url";
import convnetWeights from "../../models/assets/models/convnet-narrow/weights.bin?url";
import resnetManifestJson from "../../models/assets/models/resnet-narrow/manifest.json?url";
import resnetModelJson from "../../models/assets/models/resnet-narrow/model.json?url";
import resnetWeights from "../../models/assets/models/resnet-narrow/weights.bin?url";

type Name = DemoNetwork["name"];

/** A shipped model folder's files by name → asset URL. */
const MODEL_FILES: Record<Name, Record<string, string>> = {
  resnet: { "model.json": resnetModelJson, "weights.bin": resnetWeights, "manifest.json": resnetManifestJson },
  convnet: { "model.json": convnetModelJson, "weights.bin": convnetWeights, "manifest.json": convnetManifestJson },
};
const RUNS: Record<Name, { memorization: string; certification: string; trainingLoss: string; densityBins: string }> = {
  resnet: {
    memorization: resnetMemorization,
    certification: resnetCertification,
    trainingLoss: resnetTrainingLoss,
    densityBins: resnetDensityBins,
  },
  convnet: {
    memorization: convnetMemorization,
    certification: convnetCertification,
    trainingLoss: convnetTrainingLoss,
    densityBins: convnetDensityBins,
  },
};

const MODELS = new Map(DEMO_NETWORKS.map((n) => [SHIPPED_PATHS.model(n), MODEL_FILES[n.name]]));
const FILES = new Map(
  DEMO_NETWORKS.flatMap((n) => [
    [SHIPPED_PATHS.memorization(n), RUNS[n.name].memorization],
    [SHIPPED_PATHS.certification(n), RUNS[n.name].certification],
    [SHIPPED_PATHS.trainingLoss(n), RUNS[n.name].trainingLoss],
    [SHIPPED_PATHS.densityBins(n), RUNS[n.name].densityBins],
  ]),
);

/** A shipped model folder's files (name → URL), or undefined for any other path. */
export function shippedModel(path: string): Record<string, string> | undefined {
  return MODELS.get(path);
}

/** A shipped file's URL (memorization, certification, density bins, training loss), or undefined for any other path. */
export function shippedFile(path: string): string | undefined {
  return FILES.get(path);
}
