// Synthetic but realistic study inputs for tests and report previews. NOT results: every
// number here is drawn from distributions chosen to look like the paper's findings (a
// ResNet-like network whose class means split in two, a ConvNet-like one without a split).
// Reports built from it must say so (ReportMeta.synthetic = true).
import type { Core, Rng } from "@classfit/wasm-core";
import type { ClassScoreTable, ClassStageRecord, ExampleTable, NetworkInfo, StudyInput } from "../types.js";

export const FASHION_MNIST_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

export interface SyntheticOptions {
  seed: number;
  /** Examples per class per stage. */
  perClass: number;
  /** Include per-example tables (log-density, memorization, certification). */
  examples?: boolean;
  /** Include generative-classification score tables. */
  generative?: boolean;
}

/** The ResNet-like network's high-density classes. */
export const SYNTHETIC_HIGH = [1, 5, 7, 8];

function draw(rng: Rng): () => number {
  let buf: Float64Array = new Float64Array(0);
  let k = 0;
  return () => {
    if (k >= buf.length) {
      buf = rng.normal(4096);
      k = 0;
    }
    return buf[k++] as number;
  };
}

function uniformDraw(rng: Rng): () => number {
  let buf: Float64Array = new Float64Array(0);
  let k = 0;
  return () => {
    if (k >= buf.length) {
      buf = rng.uniform(4096);
      k = 0;
    }
    return buf[k++] as number;
  };
}

/** A seeded two-network synthetic study (ResNet-like with a split, ConvNet-like without). */
export function syntheticStudy(core: Core, o: SyntheticOptions): StudyInput {
  const rng = core.rng(o.seed, 0);
  const z = draw(rng);
  const u = uniformDraw(rng);
  const C = FASHION_MNIST_CLASSES.length;
  const networks: NetworkInfo[] = [
    {
      name: "resnet",
      label: "ResNet-18 (synthetic)",
      family: "resnet",
      stages: ["layer1", "layer2", "layer3", "layer4"],
    },
    {
      name: "convnet",
      label: "ConvNet-8 (synthetic)",
      family: "convnet",
      stages: ["conv2", "conv4", "conv6", "conv8"],
    },
  ];
  const classes: ClassStageRecord[] = [];
  const exampleTables: ExampleTable[] = [];
  const generative: ClassScoreTable[] = [];
  for (const net of networks) {
    const resnet = net.family === "resnet";
    // Per-class traits shared across stages.
    const base = Array.from({ length: C }, () => z());
    const memBase = Array.from({ length: C }, (_, c) =>
      resnet ? (SYNTHETIC_HIGH.includes(c) ? 0.16 : 0.05) + 0.02 * z() : 0.08 + 0.03 * z(),
    );
    for (const [si, stage] of net.stages.entries()) {
      const depth = si / (net.stages.length - 1); // 0 … 1
      const idx: number[] = [];
      const lab: number[] = [];
      const ld: number[] = [];
      const mem: number[] = [];
      const rad: number[] = [];
      const cor: number[] = [];
      const abs: number[] = [];
      const scores: number[] = [];
      for (let c = 0; c < C; c++) {
        const high = resnet && SYNTHETIC_HIGH.includes(c);
        // ResNet: the split grows with depth (gap ≈ 35 nats at the last stage); ConvNet: one spread group.
        const mu = resnet ? -20 + (high ? 35 * depth : 0) + 3 * (base[c] as number) : -10 + 6 * (base[c] as number);
        const sd = 4 + (high ? 2 : 0);
        const xs: number[] = [];
        for (let k = 0; k < o.perClass; k++) xs.push(mu + sd * z());
        const m = xs.reduce((a, b) => a + b, 0) / xs.length;
        const v = xs.reduce((a, b) => a + (b - m) * (b - m), 0) / (xs.length - 1);
        const klV = resnet ? (high ? 2 + 7 * depth : 2 + 1.5 * depth) + 0.4 * z() : 2.5 + 0.5 * z();
        const compV = 9 - 2 * depth + 0.6 * z() + (high ? 0.3 : 0);
        const memC: number[] = [];
        const radC: number[] = [];
        const corC: number[] = [];
        const absC: number[] = [];
        for (const x of xs) {
          const mi = (memBase[c] as number) + (resnet ? 0.004 * (x - m) : 0) + 0.08 * z();
          const abstained = u() < (high ? 0.12 : 0.06) ? 1 : 0;
          const correct = abstained ? 0 : u() < (high ? 0.82 : 0.9) ? 1 : 0;
          const r = abstained ? 0 : Math.max(0, (high ? 0.45 : 0.75) - (resnet ? 0.004 * (x - m) : 0) + 0.3 * z());
          memC.push(Math.max(-1, Math.min(1, mi)));
          radC.push(Math.min(r, 1.9));
          corC.push(correct);
          absC.push(abstained);
        }
        for (let k = 0; k < xs.length; k++) {
          idx.push(c * o.perClass + k);
          lab.push(c);
          ld.push(xs[k] as number);
          mem.push(memC[k] as number);
          rad.push(radC[k] as number);
          cor.push(corC[k] as number);
          abs.push(absC[k] as number);
          for (let c2 = 0; c2 < C; c2++)
            scores.push(
              c2 === c ? (xs[k] as number) : (xs[k] as number) - 6 - 5 * Math.abs(z()) + (u() < 0.04 ? 14 : 0),
            );
        }
        const grid = Array.from({ length: 11 }, (_, i) => i * 0.2);
        const n = xs.length;
        const fracCorrect = corC.reduce((a, b) => a + b, 0) / n;
        classes.push({
          network: net.name,
          stage,
          classIndex: c,
          className: FASHION_MNIST_CLASSES[c] as string,
          n,
          meanLogDensity: m,
          varLogDensity: v,
          kl: { value: Math.max(0.1, klV), se: 0.02 + 0.01 * Math.abs(z()) },
          compactness: Math.max(0.5, compV),
          meanMemorization: memC.reduce((a, b) => a + b, 0) / n,
          certified: {
            f1: Math.max(0, Math.min(1, fracCorrect - 0.02 + 0.01 * z())),
            meanRadius: radC.reduce((a, r, k) => a + (corC[k] === 1 ? r : 0), 0) / n,
            fractionNotAbstained: 1 - absC.reduce((a, b) => a + b, 0) / n,
            accuracyAtRadius: grid.map((radius) => ({
              radius,
              accuracy: radC.filter((r, k) => corC[k] === 1 && r >= radius).length / n,
            })),
          },
          meanK: Math.max(1, (high ? 14 : 7) + 2 * z()),
          rhat: { logJoint: 1 + Math.abs(0.02 * z()) + (u() < 0.05 ? 0.15 : 0), k: 1 + Math.abs(0.03 * z()) },
        });
      }
      if (o.examples ?? true)
        exampleTables.push({
          network: net.name,
          stage,
          index: idx,
          label: lab,
          logDensity: ld,
          memorization: mem,
          certifiedRadius: rad,
          correct: cor,
          abstained: abs,
        });
      if (o.generative ?? true) generative.push({ network: net.name, stage, numClasses: C, labels: lab, scores });
    }
  }
  rng.dispose();
  return { networks, classes, exampleTables, generative };
}

export interface SyntheticSamplerOptions {
  seed: number;
  /** MCSE of every class mean (nats). */
  mcse: number;
  /** Replicate means per class, drawn around the class mean with sd mcse·√replicates. */
  replicates?: number;
  /** Give each class a leave-one-out mean this far below its in-sample mean (plus noise); none when undefined. */
  looOffset?: number;
  /** Classes (by index into `classes`) whose fit did not converge. */
  notConverged?: number[];
}

/**
 * The input with a synthetic `sampler` block on every class record, drawn from a stream of its
 * own so the rest of the synthetic study is unchanged. For tests and previews only.
 */
export function withSyntheticSampler(core: Core, input: StudyInput, o: SyntheticSamplerOptions): StudyInput {
  const rng = core.rng(o.seed, 1);
  const z = draw(rng);
  const reps = o.replicates ?? 4;
  const fig = (rhat: number, ess: number) => ({ rhat, essBulk: ess, essTail: ess });
  const classes = input.classes.map((c, i) => {
    const bad = o.notConverged?.includes(i) ?? false;
    const spread = o.mcse * Math.sqrt(reps);
    const replicateMeans = Array.from({ length: reps }, () => c.meanLogDensity + spread * z());
    const looMean = o.looOffset === undefined ? null : c.meanLogDensity - o.looOffset + 0.2 * z();
    return {
      ...c,
      sampler: {
        mcse: o.mcse,
        replicateMeans,
        looMean,
        looMcse: looMean === null ? null : o.mcse,
        looReplicateMeans: looMean === null ? [] : replicateMeans.map((m) => m - (c.meanLogDensity - looMean)),
        convergence: {
          logJoint: fig(bad ? 1.12 : 1.01, bad ? 150 : 900),
          k: fig(1.01, 800),
          alpha: fig(1.0, 1000),
          classMean: fig(bad ? 1.08 : 1.0, bad ? 210 : 1200),
        },
        converged: !bad,
      },
    };
  });
  rng.dispose();
  return { ...input, classes };
}
