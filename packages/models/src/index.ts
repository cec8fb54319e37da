// @classfit/models: TensorFlow.js (WASM backend) architectures, datasets, training, stage
// activations and noisy forward passes. Filled in by the models issue.
export const PACKAGE = "@classfit/models";
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
