// certification-import — a certification the config names for a network (the artifact of
// `classfit certify`, or of `classfit shard run --protocol certification` + merge), used instead of
// certifying in the run: CERTIFY at the paper's n = 100 000 takes hours, which a cluster or an
// earlier run may already have spent. density-bins-import — the same for the density-bin
// protocol's artifact (`classfit bins`), whose rows were certified by networks trained without
// their bin; its rows keep their bin.
// Consumes: the artifact's bytes, the study dataset. Config: the file as the host describes it.
// Produces: certification.npz (the artifact's columns, unchanged) and rows.npy, int32 (k): the study
// row of each certified example; step.json's info holds the artifact's settings and identity.
import { encodeNpy, parseNpy } from "@classfit/models";
import type { CertifyColumns } from "../../certify/protocol.js";
import { decodeCertification } from "../../certify/summary.js";
import { InputError } from "../../errors.js";
import { fnv1a64, type Json } from "../../units/container.js";
import type { Certified } from "./certify.js";
import type { Step, StepPlan } from "./step.js";

export interface CertificationFileUnit {
  net: string;
  path: string;
  bytes: Uint8Array;
}

type ArtifactKind = "certification" | "density-bins";

export interface ImportedCertification extends Certified {
  /** The artifact's config: its CERTIFY settings, examples and the model's identity. */
  runConfig: Record<string, Json>;
  /** Examples in the artifact (those outside a subset study are left out of `rows`). */
  certified: number;
  /** Density bin of each kept row (density-bin artifacts), else null. */
  bin: Int32Array | null;
}

/** Which of the artifact's rows (`keep`) fall in the study, and their study rows. A study of a
 * subset (the first k of each class) keeps the certified examples it holds and leaves the rest
 * out, counted; a study of the whole set refuses an example beyond it. Labels must agree. */
export function certifiedRows(
  index: Int32Array,
  label: Int32Array,
  studyLabels: Int32Array,
  subset: Int32Array | null,
  path: string,
): { keep: Int32Array; rows: Int32Array } {
  const rowOf = new Map<number, number>();
  if (subset === null) for (let j = 0; j < studyLabels.length; j++) rowOf.set(j, j);
  else
    subset.forEach((i, j) => {
      rowOf.set(i, j);
    });
  const seen = new Set<number>();
  const keep: number[] = [];
  const rows: number[] = [];
  index.forEach((i, r) => {
    if (seen.has(i)) throw new InputError(`${path}: example ${i} is certified twice`);
    seen.add(i);
    const row = rowOf.get(i);
    if (row === undefined) {
      if (subset === null)
        throw new InputError(
          `${path}: certified example ${i} is not in this study's dataset (${studyLabels.length} examples); the certification is for another dataset or split`,
        );
      return;
    }
    if (label[r] !== studyLabels[row])
      throw new InputError(
        `${path}: certified example ${i} has label ${label[r]}, the dataset says ${studyLabels[row]}; the certification is for another dataset or order`,
      );
    keep.push(r);
    rows.push(row);
  });
  if (rows.length === 0)
    throw new InputError(`${path}: none of the ${index.length} certified examples is among this study's examples`);
  return { keep: Int32Array.from(keep), rows: Int32Array.from(rows) };
}

/** The columns' rows `keep`, in that order. */
function selectRows(columns: CertifyColumns, keep: Int32Array): CertifyColumns {
  const out: Record<string, Int32Array | Float64Array> = {};
  for (const [k, v] of Object.entries(columns) as [string, Int32Array | Float64Array][])
    out[k] =
      v instanceof Int32Array
        ? Int32Array.from(keep, (r) => v[r] as number)
        : Float64Array.from(keep, (r) => v[r] as number);
  return out as unknown as CertifyColumns;
}

/** The import step of one artifact kind: `classfit certify`'s for a network's certification,
 * `classfit bins`'s for its density-bin protocol (the rows keep their bin, in `bin`). */
function importStep(kind: ArtifactKind): Step<CertificationFileUnit, StepPlan, ImportedCertification> {
  const source = kind === "certification" ? "`classfit certify`" : "`classfit bins`";
  const what = kind === "certification" ? "certification" : "density-bin protocol";
  const name = kind === "certification" ? "certification-import" : "density-bins-import";
  return {
    name,
    plan(ctx, u) {
      return {
        dir: kind === "certification" ? `${u.net}/certify` : `${u.net}/density-bins`,
        config: { file: ctx.describe(u.path) },
        inputs: { certification: fnv1a64(u.bytes), dataset: ctx.study.hash },
      };
    },
    async compute(ctx, { path, bytes }) {
      let art: ReturnType<typeof decodeCertification>;
      try {
        art = decodeCertification(bytes, path);
      } catch (e) {
        throw new InputError((e as Error).message);
      }
      if (art.kind !== kind)
        throw new InputError(`${path}: a ${art.kind} artifact; a network's ${what} must come from ${source}`);
      const { ds, subset } = ctx.study;
      const { keep, rows } = certifiedRows(art.columns.index, art.columns.label, ds.labels, subset, path);
      return {
        files: {
          "certification.npz": bytes,
          "rows.npy": encodeNpy(rows, [rows.length]),
          "keep.npy": encodeNpy(keep, [keep.length]),
        },
        info: { config: art.config, certified: art.columns.index.length, inStudy: rows.length },
      };
    },
    read(_ctx, _u, _p, done) {
      const art = decodeCertification(done.files.get("certification.npz") as Uint8Array);
      const rows = parseNpy(done.files.get("rows.npy") as Uint8Array).data;
      const keep = parseNpy(done.files.get("keep.npy") as Uint8Array).data;
      if (!(rows instanceof Int32Array) || !(keep instanceof Int32Array))
        throw new RangeError(`${name}: rows.npy / keep.npy are not int32`);
      const info = done.info as { config: Record<string, Json>; certified: number };
      return {
        rows,
        columns: selectRows(art.columns, keep),
        runConfig: info.config,
        certified: info.certified,
        bin: art.bin ? Int32Array.from(keep, (r) => art.bin?.[r] as number) : null,
      };
    },
  };
}

export const certificationImport = importStep("certification");
export const densityBinsImport = importStep("density-bins");
