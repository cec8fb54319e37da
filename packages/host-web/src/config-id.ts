// The run id the page derives from a study config, so that running the same config again resumes
// the same run. It keys the runs kept in IndexedDB, so its value must never change: the pipeline's
// 32-bit FNV-1a of the config text (see @classfit/pipeline/hash for why not its 64-bit one).
import { fnv1a32 } from "@classfit/pipeline/hash";

/** "run-" and 8 hex digits: the id of the run a config (as text) resumes. */
export function configId(text: string): string {
  return `run-${fnv1a32(text).toString(16).padStart(8, "0")}`;
}
