// The study's unit protocols (memorization's subset networks, certification's chunks of
// examples) described as plain structured-cloneable jobs, and the one function that builds a
// protocol from a job. The step builds its protocol with it in the calling thread; a host's
// unit executor hands the same job to its workers (worker_threads, Web Workers), each of which
// builds the same protocol with its own tfjs-wasm backend and wasm-core. Since a unit is a pure
// function of (config, index), where it runs never changes its bytes.
import {
  type ArchConfig,
  deserializeModel,
  type ImageDataset,
  NoisyClassifier,
  type Normalisation,
  normalisedExamples,
  SubsetTrainer,
  type TrainConfig,
} from "@classfit/models";
import type { Core } from "@classfit/wasm-core";
import { type CertifySettings, certificationProtocol } from "../certify/protocol.js";
import { coreStats } from "../certify/stats.js";
import { type MemorizationSettings, memorizationProtocol } from "../memorization/memorization.js";
import type { UnitProtocol } from "../units/units.js";

export interface MemorizationJob {
  kind: "memorization";
  /** The study's examples (hosts share its arrays with workers rather than copy them). */
  dataset: ImageDataset;
  datasetId: string;
  arch: ArchConfig;
  normalisation: Normalisation;
  train: Omit<TrainConfig, "seed">;
  settings: MemorizationSettings;
}

export interface CertificationJob {
  kind: "certification";
  dataset: ImageDataset;
  datasetId: string;
  /** The network as its model.json text and weight bytes. */
  model: { modelJson: string; weights: Uint8Array };
  normalisation: Normalisation;
  settings: CertifySettings;
  /** Study rows to certify. */
  examples: Int32Array;
  unitSize: number;
}

export type StudyUnitJob = MemorizationJob | CertificationJob;

/** A job's protocol and what releases the networks it holds. */
export interface JobProtocol {
  protocol: UnitProtocol;
  dispose(): void;
}

/** Builds the protocol of a job (tfjs's backend must be ready). */
export async function protocolOfJob(job: StudyUnitJob, core: Core): Promise<JobProtocol> {
  switch (job.kind) {
    case "memorization": {
      const trainer = new SubsetTrainer({
        core,
        arch: job.arch,
        train: job.dataset,
        normalisation: job.normalisation,
        config: job.train,
      });
      const protocol = memorizationProtocol({
        core,
        trainer,
        labels: job.dataset.labels,
        numClasses: job.dataset.numClasses,
        datasetId: job.datasetId,
        settings: job.settings,
      });
      return { protocol, dispose: () => trainer.dispose() };
    }
    case "certification": {
      const model = await deserializeModel(job.model.modelJson, job.model.weights, "certified network");
      // Its folded weights and heap buffers are freed with the protocol, however the step ends.
      const backend = new NoisyClassifier(model);
      try {
        const protocol = certificationProtocol({
          core,
          backend,
          stats: coreStats(core),
          dataset: normalisedExamples(job.dataset, job.normalisation),
          datasetId: job.datasetId,
          settings: job.settings,
          examples: job.examples,
          unitSize: job.unitSize,
        });
        return {
          protocol,
          dispose: () => {
            backend.dispose();
            model.dispose();
          },
        };
      } catch (e) {
        backend.dispose();
        model.dispose();
        throw e;
      }
    }
  }
}
