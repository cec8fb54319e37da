export {
  type ArrayDtype,
  ContainerError,
  canonicalJson,
  type DecodedContainer,
  decodeContainer,
  encodeContainer,
  fnv1a64,
  hashArray,
  hashJson,
  type Json,
  requireArray,
  type StoredArray,
} from "./container.js";
export { STREAM_TAG, streamOf } from "./streams.js";
export {
  configHash,
  decodeUnitFile,
  directoryUnitStore,
  encodeUnitFile,
  MemoryUnitStore,
  type RunUnitsOptions,
  runUnits,
  type UnitFileSystem,
  type UnitProtocol,
  type UnitStore,
  unitKey,
} from "./units.js";
