export {
  type ImportedScores,
  importMemorizationScores,
  readScoreFile,
  type ScoreFile,
  ScoreImportError,
} from "./import.js";
export {
  type ClassMemorization,
  decodeMemorization,
  finalizeMemorization,
  type MemorizationOptions,
  type MemorizationResult,
  type MemorizationSettings,
  memorizationByClass,
  memorizationFoldSubset,
  memorizationProtocol,
  memorizationSubset,
  subsetSize,
  type TrainerBackend,
} from "./memorization.js";
