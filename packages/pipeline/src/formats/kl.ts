// kl.json: each class's relative entropy to its Gaussian reference (METHOD.md §5), one shape for
// `classfit kl` and the study's complexity step:
//   { "format": "classfit-kl", "formatVersion": 1, "reference": "diag" | "full",
//     "samples": M, "variant": "exact" | "mean-log" | "paper", "seed": s,
//     "classes": [{ "label": 0, "name": "T-shirt/top", "kl": 1.23, "standardError": 0.01 }, …] }
// (label null and name "all" for the single model of an unlabelled fit). Files written before
// it (the study's bare [{ kl, se }] array, the CLI's object without `format`) are still read,
// with a note, for one version.
import { InputError } from "../errors.js";
import { noteLegacyFormat } from "./legacy.js";

export const KL_FORMAT = "classfit-kl";

export interface KlClassRow {
  label: number | null;
  name: string;
  kl: number;
  standardError: number;
}

export interface KlTable {
  format: typeof KL_FORMAT;
  formatVersion: 1;
  reference: string;
  samples: number;
  variant: string;
  seed: number;
  classes: KlClassRow[];
}

/** The table with keys in the documented order; `JSON.stringify` keeps it, so bytes are fixed. */
export function klTable(t: Omit<KlTable, "format" | "formatVersion">): KlTable {
  return {
    format: KL_FORMAT,
    formatVersion: 1,
    reference: t.reference,
    samples: t.samples,
    variant: t.variant,
    seed: t.seed,
    classes: t.classes.map((c) => ({ label: c.label, name: c.name, kl: c.kl, standardError: c.standardError })),
  };
}

export function encodeKlJson(t: KlTable): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(klTable(t), null, 2)}\n`);
}

const num = (v: unknown): number => (typeof v === "number" ? v : Number.NaN);

/** Reads kl.json in the current shape, or an older one (with a note). */
export function readKlJson(bytes: Uint8Array, what: string): KlTable {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new InputError(`${what}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (Array.isArray(raw)) {
    noteLegacyFormat(what, "kl.json (bare array)");
    return klTable({
      reference: "unknown",
      samples: 0,
      variant: "unknown",
      seed: 0,
      classes: raw.map((r: { kl?: unknown; se?: unknown }, i) => ({
        label: i,
        name: String(i),
        kl: num(r?.kl),
        standardError: num(r?.se),
      })),
    });
  }
  const o = raw as Partial<KlTable> & { classes?: unknown };
  if (typeof o !== "object" || o === null || !Array.isArray(o.classes))
    throw new InputError(`${what}: not a classfit kl.json (no classes list)`);
  if (o.format !== KL_FORMAT) noteLegacyFormat(what, "kl.json (without format)");
  return klTable({
    reference: String(o.reference ?? "unknown"),
    samples: num(o.samples),
    variant: String(o.variant ?? "unknown"),
    seed: num(o.seed),
    classes: (o.classes as Partial<KlClassRow>[]).map((c) => ({
      label: typeof c.label === "number" ? c.label : null,
      name: typeof c.name === "string" ? c.name : String(c.label ?? "all"),
      kl: num(c.kl),
      standardError: num(c.standardError),
    })),
  });
}
