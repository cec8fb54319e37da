// Rewrites a file in an old classfit format (CFA1 containers: .cfa/.cfc/.cfm/.cfs/.cfu; CFPJ
// projections; raw CFDPGMM class models; the older kl.json shapes) in the current open format,
// bytes in, bytes out: what `classfit convert` does to each file. The result is what this
// version would have written (same metadata and arrays, same order).
import { decodeClassModel, decodeProjection } from "@classfit/wasm-core";
import { InputError } from "../errors.js";
import { decodeContainer, encodeContainer, isLegacyContainer, type StoredArray } from "../units/container.js";
import { encodeClassModelNpz, isLegacyClassModel } from "./class-model.js";
import { encodeKlJson, KL_FORMAT, klTable, readKlJson } from "./kl.js";
import { encodeProjectionNpz } from "./projection.js";

export interface Converted {
  /** The new bytes. */
  bytes: Uint8Array;
  /** The new file name (the old name with its new extension). */
  name: string;
  /** What the file is, for messages. */
  format: string;
}

const isCfpj = (b: Uint8Array) => b.length >= 4 && b[0] === 0x43 && b[1] === 0x46 && b[2] === 0x50 && b[3] === 0x4a;

/** `x.cfa` → `x.npz` (likewise .cfc, .cfm, .cfs, .cfu, .bin, .dpgmm); `model.dpgmm` → `model.npz`. */
export function convertedName(name: string): string {
  const m = /^(.*)\.(cfa|cfc|cfm|cfs|cfu|bin|dpgmm)$/i.exec(name);
  return m ? `${m[1]}.npz` : `${name}.npz`;
}

function convertContainer(bytes: Uint8Array, what: string): Uint8Array {
  const c = decodeContainer(bytes, what);
  const arrays: [string, StoredArray, number[]][] = [];
  for (const [name, a] of c.arrays) {
    // Unit payloads nested in unit and share files are containers too.
    const nested = (name === "payload" || name.startsWith("unit:")) && a instanceof Uint8Array && isLegacyContainer(a);
    const data = nested ? convertContainer(a as Uint8Array, `${what}[${name}]`) : a;
    arrays.push([name, data, nested ? [data.length] : (c.shapes.get(name) ?? [a.length])]);
  }
  return encodeContainer(c.meta, arrays);
}

/** What a file does not record but its surroundings do: for a study's old bare-array kl.json,
 * the complexity step's settings (its step.json config) and the run's class names. */
export interface ConvertHints {
  kl?: { reference?: string; samples?: number; variant?: string; seed?: number; classNames?: readonly string[] };
}

/**
 * The file in the current format, or undefined when it is not in an old one (already current,
 * or not a classfit file). `name` is the file's base name; `what` names it in errors. Corrupt
 * old files are InputError.
 */
export function convertLegacyBytes(
  bytes: Uint8Array,
  name: string,
  what = name,
  hints: ConvertHints = {},
): Converted | undefined {
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  if (isLegacyContainer(bytes))
    return { bytes: convertContainer(bytes, what), name: convertedName(name), format: "CFA1 container" };
  if (isLegacyClassModel(bytes))
    return {
      bytes: wrap(() => encodeClassModelNpz(decodeClassModel(bytes), bytes)),
      name: convertedName(name),
      format: "CFDPGMM class model",
    };
  if (isCfpj(bytes))
    return {
      bytes: wrap(() => encodeProjectionNpz(decodeProjection(bytes))),
      name: convertedName(name),
      format: "CFPJ projection",
    };
  if (/\.json$/i.test(name) && bytes[0] !== undefined && (bytes[0] === 0x5b || bytes[0] === 0x7b)) {
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return undefined;
    }
    const oldKl =
      (Array.isArray(raw) &&
        raw.length > 0 &&
        raw.every((r) => typeof r === "object" && r !== null && "kl" in r && "se" in r)) ||
      (typeof raw === "object" &&
        raw !== null &&
        !Array.isArray(raw) &&
        (raw as { format?: unknown }).format === undefined &&
        Array.isArray((raw as { classes?: unknown }).classes) &&
        "reference" in raw);
    if (oldKl && (raw as { format?: unknown }).format !== KL_FORMAT) {
      const t = readKlJson(bytes, what);
      const h = hints.kl ?? {};
      const table = Array.isArray(raw)
        ? klTable({
            reference: h.reference ?? t.reference,
            samples: h.samples ?? t.samples,
            variant: h.variant ?? t.variant,
            seed: h.seed ?? t.seed,
            classes: t.classes.map((c) => ({ ...c, name: h.classNames?.[c.label ?? -1] ?? c.name })),
          })
        : t;
      return { bytes: encodeKlJson(table), name, format: "kl.json" };
    }
  }
  return undefined;
}
