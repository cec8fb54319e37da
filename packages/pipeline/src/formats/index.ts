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
export { type Converted, type ConvertHints, convertedName, convertLegacyBytes } from "./convert.js";
export { encodeKlJson, KL_FORMAT, type KlClassRow, type KlTable, klTable, readKlJson } from "./kl.js";
export {
  type LegacyFormatHandler,
  legacyFormatMessage,
  noteLegacyFormat,
  quietLegacyNote,
  setLegacyFormatHandler,
  stepOutput,
} from "./legacy.js";
export { encodeProjectionNpz, PROJECTION_FILE, PROJECTION_FORMAT, readProjectionFile } from "./projection.js";
