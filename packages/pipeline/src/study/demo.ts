// The demo study (`classfit demo`, `npm start`): the shipped narrow ResNet and plain ConvNet on
// the embedded Fashion-MNIST subset with the `demo` profile, their shipped full-scale memorization,
// certification and density-bin runs and training-loss proxies, and the report's notes on the
// scale of each. One definition for the CLI and for the web app's presets, so that the same
// choices give the same config and the same report in both. Free of runtime imports: the web
// page loads it without the pipeline.
import type { StudyConfig, StudyConfigInput } from "./config.js";

/** The shipped networks: run name, report label, family, and their folder names. */
export const DEMO_NETWORKS = [
  { name: "resnet", label: "narrow ResNet", family: "resnet", modelDir: "resnet-narrow" },
  { name: "convnet", label: "narrow plain ConvNet", family: "convnet", modelDir: "convnet-narrow" },
] as const;

export type DemoNetwork = (typeof DEMO_NETWORKS)[number];

/** Where the shipped files lie, from the repository root (the CLI's working directory for `npm start`). */
export const SHIPPED_PATHS = {
  model: (n: DemoNetwork) => `packages/models/assets/models/${n.modelDir}`,
  memorization: (n: DemoNetwork) => `packages/host-node/assets/demo/memorization-${n.name}.npz`,
  certification: (n: DemoNetwork) => `packages/host-node/assets/demo/certification-${n.name}.npz`,
  trainingLoss: (n: DemoNetwork) => `packages/host-node/assets/demo/training-loss-${n.name}.npy`,
  densityBins: (n: DemoNetwork) => `packages/host-node/assets/demo/density-bins-${n.name}.npz`,
} as const;

export const DEMO_NAME = "classfit demo: how a narrow ResNet and a plain ConvNet fit the classes of Fashion-MNIST";
export const DEMO_TITLE = "classfit demo — how networks fit each class of Fashion-MNIST";
export const DEMO_CERTIFY_PER_CLASS = 10;

export interface DemoChoices {
  /** The networks to include (default: both). */
  networks?: readonly DemoNetwork[];
  /** A network's model folder (default: the shipped one, from the repository root). */
  model?: (n: DemoNetwork) => string;
  /** A network's memorization scores, or undefined where there are none. */
  memorization?: (n: DemoNetwork) => string | undefined;
  /** A network's certification made earlier (used instead of certifying in the run), or undefined. */
  certification?: (n: DemoNetwork) => string | undefined;
  /** A network's memorization proxy (training-loss.npy), or undefined. */
  trainingLoss?: (n: DemoNetwork) => string | undefined;
  /** A network's density-bin protocol (`classfit bins`), or undefined. */
  densityBins?: (n: DemoNetwork) => string | undefined;
  /** Training examples certified per class in the run, for networks without a certification (0 = skip). */
  certify?: number;
  /** "demo" (the default: minutes on two cores) or "default", the stable sampler of `--full`. */
  profile?: "demo" | "default";
}

/** The demo's study config, before `resolveStudyConfig`. */
export function demoStudyInput(o: DemoChoices = {}): StudyConfigInput {
  const nets = o.networks ?? DEMO_NETWORKS;
  const model = o.model ?? SHIPPED_PATHS.model;
  const memorization = o.memorization ?? SHIPPED_PATHS.memorization;
  const certification = o.certification ?? SHIPPED_PATHS.certification;
  const trainingLoss = o.trainingLoss ?? SHIPPED_PATHS.trainingLoss;
  const densityBins = o.densityBins ?? SHIPPED_PATHS.densityBins;
  return {
    name:
      nets.length === DEMO_NETWORKS.length
        ? DEMO_NAME
        : `classfit demo: how the ${nets.map((n) => n.label).join(" and the ")} fits the classes of Fashion-MNIST`,
    seed: 0,
    profile: o.profile ?? "demo",
    dataset: { path: "default" },
    networks: nets.map((n) => {
      const scores = memorization(n);
      const cert = certification(n);
      const loss = trainingLoss(n);
      const bins = densityBins(n);
      return {
        name: n.name,
        label: n.label,
        family: n.family,
        model: model(n),
        ...(scores !== undefined ? { memorizationScores: scores } : {}),
        ...(cert !== undefined ? { certificationResults: cert } : {}),
        ...(loss !== undefined ? { trainingLoss: loss } : {}),
        ...(bins !== undefined ? { densityBinsResults: bins } : {}),
      };
    }),
    steps: { certify: { perClass: o.certify ?? DEMO_CERTIFY_PER_CLASS } },
  };
}

/** The report's paragraphs on the demo's scale, from the resolved config (so an edited config stays truthful). */
export function demoNotes(config: StudyConfig): string[] {
  const s = config.steps;
  const certify = s.certify.perClass;
  const memorization = config.networks.some((n) => n.memorizationScores !== undefined);
  const imported = config.networks.filter((n) => n.certificationResults !== undefined).length;
  return [
    `${config.profile === "demo" ? 'Demo scale (profile "demo")' : `Full scale (profile "${config.profile}")`}: ${s.fit.sweeps} Gibbs sweeps per class (burn-in ${s.fit.burnIn}, every ${s.fit.thin}th kept: ${Math.floor((s.fit.sweeps - s.fit.burnIn) / s.fit.thin)} traces per chain; the paper uses 400/320/4 and one chain), ${s.fit.chains} chain${s.fit.chains === 1 ? "" : "s"}, whose spread gives each class mean its Monte Carlo standard error; k = ${s.reduce.k.join("/")} components (capped by each stage's width); KL from M = ${s.complexity.samples} samples per trace (paper 100 000).`,
    imported === config.networks.length
      ? "Certification comes from shipped full-scale runs (packages/host-node/assets/demo, whose README has the exact commands), not recomputed here; each network's settings are in the notes below."
      : certify > 0
        ? `Certification: CERTIFY with n = ${s.certify.n} (paper 100 000), n0 = ${s.certify.n0}, α = ${s.certify.alpha}, σ = ${s.certify.sigma}, on the first ${certify} training images of each class${imported > 0 ? " (for the networks without a shipped certification)" : ""}.`
        : "Certification skipped (--certify 0).",
    memorization
      ? "Memorization scores come from shipped runs of `classfit memorization` (packages/host-node/assets/demo, whose README has the exact commands), not recomputed here; their scale is in the notes below."
      : "No shipped memorization runs were found in packages/host-node/assets/demo, so memorization is not part of this demo (run `classfit study` with steps.memorization.models ≥ 2 to compute it).",
    "The shipped models were trained by `classfit train` (not recomputed here); the exact command is in each model's manifest.json.",
  ];
}
