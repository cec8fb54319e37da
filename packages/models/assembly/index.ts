// classfit's tfjs kernels: one flat ABI over byte offsets into the imported memory, which is the
// heap of tfjs-backend-wasm (see src/kernels/module.ts). Called only by src/kernels/*.ts; every
// buffer belongs to tfjs (tensors, or scratch the caller mallocs from tfjs's heap and frees). No
// data segments, no allocator: the module writes only through the pointers it is given.
export {
  conv2dBackpropFilterScalar,
  conv2dBackpropFilterSimd,
  conv2dBackpropInputScalar,
  conv2dBackpropInputSimd,
} from "./conv";
export { directConv, directConvScalar } from "./direct";
export {
  winogradConv,
  winogradConvScalar,
  winogradFilter,
  winogradFilterGrad,
  winogradFilterGradScalar,
} from "./winograd";
export { winograd4Conv, winograd4ConvScalar, winograd4Filter, winograd4FilterGrad, winograd4FilterGradScalar } from "./winograd4";
export { batchNormForward, batchNormForwardScalar, batchNormGrad, broadcastMiddle, reduceMiddle, subLastAxis } from "./norm";
export { denseForward, globalAvgPool } from "./head";
