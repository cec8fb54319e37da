export { finalizeArtifact, mergeShareFiles, runSingle } from "./finalize.js";
export {
  checkShard,
  configDifferences,
  decodeShare,
  encodeShare,
  type MergedUnits,
  MergeError,
  mergeShares,
  parseShardSpec,
  runShard,
  type ShardSpec,
  type Share,
  unitsOfShard,
} from "./shard.js";
