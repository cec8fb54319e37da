// A fitted SVD/PCA projection (METHOD.md §2) as an `.npz`: `projection.npz` in a study's reduce
// folder, `<out>.projection.npz` beside `classfit reduce`'s output.
//
// Members:
//   meta             uint8 (L,)  canonical JSON: format, c, k, centered, rows, retainedEnergy
//   mean             f8 (c,)     column means subtracted first (zeros when uncentred)
//   components       f8 (k, c)   the top-k right singular vectors, one per row
//   singular_values  f8 (c,)     all singular values, descending
// so Z = (R − mean) @ components.T. Every value is stored exactly (float64 arrays, shortest
// round-trip JSON), so reading it back gives the projection that was fitted.
import { looksLikeZip } from "@classfit/models/npy";
import { decodeProjection, type Projection } from "@classfit/wasm-core";
import { InputError } from "../errors.js";
import { decodeContainer, encodeContainer } from "../units/container.js";
import { noteLegacyFormat } from "./legacy.js";

export const PROJECTION_FORMAT = "classfit-projection";
/** The file name of a study's projection (reduce step). */
export const PROJECTION_FILE = "projection.npz";

export function encodeProjectionNpz(p: Projection): Uint8Array {
  return encodeContainer(
    {
      format: PROJECTION_FORMAT,
      formatVersion: 1,
      c: p.c,
      k: p.k,
      centered: p.centered,
      rows: p.rows,
      retainedEnergy: p.retainedEnergy,
    },
    [
      ["mean", p.mean, [p.c]],
      ["components", p.components, [p.k, p.c]],
      ["singular_values", p.singularValues, [p.c]],
    ],
  );
}

const isLegacyProjection = (b: Uint8Array) =>
  b.length >= 4 && b[0] === 0x43 && b[1] === 0x46 && b[2] === 0x50 && b[3] === 0x4a; // "CFPJ"

/** Reads a projection file: the `.npz`, or for one version an old CFPJ file (with a note). */
export function readProjectionFile(bytes: Uint8Array, what: string): Projection {
  if (isLegacyProjection(bytes)) {
    noteLegacyFormat(what, "CFPJ");
    try {
      return decodeProjection(bytes);
    } catch (e) {
      throw new InputError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (!looksLikeZip(bytes)) throw new InputError(`${what}: not a classfit projection (neither .npz nor CFPJ)`);
  const z = decodeContainer(bytes, what);
  const m = z.meta;
  if (m.format !== PROJECTION_FORMAT)
    throw new InputError(`${what}: not a classfit projection (format ${JSON.stringify(m.format ?? null)})`);
  const { c, k, centered, rows, retainedEnergy } = m;
  if (
    typeof c !== "number" ||
    typeof k !== "number" ||
    !Number.isSafeInteger(c) ||
    !Number.isSafeInteger(k) ||
    c < 1 ||
    k < 1 ||
    k > c ||
    typeof centered !== "boolean" ||
    typeof rows !== "number" ||
    typeof retainedEnergy !== "number"
  )
    throw new InputError(`${what}: projection metadata is incomplete or invalid`);
  const get = (name: string, shape: number[]): Float64Array => {
    const a = z.arrays.get(name);
    const s = z.shapes.get(name) ?? [];
    if (!(a instanceof Float64Array)) throw new InputError(`${what}: missing float64 member '${name}'`);
    if (s.length !== shape.length || s.some((v, i) => v !== shape[i]))
      throw new InputError(`${what}: member '${name}' has shape (${s.join(", ")}), expected (${shape.join(", ")})`);
    return a;
  };
  return {
    c,
    k,
    centered,
    rows,
    retainedEnergy,
    mean: get("mean", [c]),
    components: get("components", [k, c]),
    singularValues: get("singular_values", [c]),
  };
}
