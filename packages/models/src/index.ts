// @classfit/models: TensorFlow.js (WASM backend) architectures, datasets, training, stage
// activations and noisy forward passes. Filled in by the models issue.
export const PACKAGE = "@classfit/models";
