export {
  CLASS_MODEL_FILE,
  CLASS_MODEL_FORMAT,
  CLASS_MODEL_FORMAT_VERSION,
  classDirName,
  encodeClassModelNpz,
  isLegacyClassModel,
  POOLING,
  type ReadClassModel,
  readClassModelFile,
} from "./class-model.js";
export {
  type LegacyFormatHandler,
  legacyFormatMessage,
  noteLegacyFormat,
  setLegacyFormatHandler,
  stepOutput,
} from "./legacy.js";
