// What both hosts do to hand the study a tfjs layers model (StudyResources.readModel): list the
// weight files model.json names and join their bytes in manifest order. Only reading the files
// differs between hosts (disk paths in Node, dropped files in a tab), so that is the callback.
import { parseModelJson } from "@classfit/models";
import { InputError } from "../errors.js";

/**
 * The weight bytes of the model whose model.json text is `modelJson` (`where` names it in
 * messages): `readWeights` gets the paths model.json lists and returns their bytes in that
 * order. A model.json that is not a tfjs layers model is InputError.
 */
export async function readModelWeights(
  modelJson: string,
  where: string,
  readWeights: (paths: string[]) => Promise<Uint8Array[]>,
): Promise<Uint8Array> {
  let paths: string[];
  try {
    paths = parseModelJson(modelJson, where).weightPaths;
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const parts = await readWeights(paths);
  const weights = new Uint8Array(parts.reduce((s, x) => s + x.length, 0));
  let off = 0;
  for (const x of parts) {
    weights.set(x, off);
    off += x.length;
  }
  return weights;
}
