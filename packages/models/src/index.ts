// @classfit/models: TensorFlow.js (WASM backend) architectures, datasets, training, stage
// activations and noisy forward passes.
export * from "./arch/index.js";
export * from "./data/index.js";
export * from "./evaluate-adapters.js";
export * from "./extract/index.js";
export {
  encodeNpy,
  type NpyArray,
  type NpyData,
  type NpyDtype,
  NpyError,
  npyToFloat64,
  npyToInt32,
  type ParseNpyOptions,
  parseNpy,
  parseNpz,
  shapeSize,
} from "./io/npy.js";
export * from "./model/index.js";
export * from "./noisy/index.js";
export * from "./train/index.js";
