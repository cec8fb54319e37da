// Reading a certification or density-bin artifact back and summarising it per group.
import { noteLegacyFormat } from "../formats/legacy.js";
import { decodeContainer, isLegacyContainer, type Json } from "../units/container.js";
import { type GroupMeasures, groupMeasures } from "./measures.js";
import { type CertifyColumns, decodeColumns } from "./protocol.js";

export interface CertificationArtifact {
  kind: "certification" | "density-bins";
  config: Record<string, Json>;
  columns: CertifyColumns;
  /** Bin of each row (density-bin artifacts only). */
  bin: Int32Array | null;
}

export function decodeCertification(bytes: Uint8Array, what = "certification artifact"): CertificationArtifact {
  const c = decodeContainer(bytes, what);
  if (isLegacyContainer(bytes)) noteLegacyFormat(what, "CFA1");
  const kind = c.meta.kind;
  if (
    (kind !== "certification" && kind !== "density-bins") ||
    c.meta.format !== `classfit-${kind}` ||
    typeof c.meta.config !== "object"
  )
    throw new RangeError(`${what}: not a certification or density-bin artifact`);
  const bin = c.arrays.get("bin");
  return {
    kind,
    config: c.meta.config as Record<string, Json>,
    columns: decodeColumns(bytes, what).columns,
    bin: bin instanceof Int32Array ? bin : null,
  };
}

export interface CertificationSummary {
  overall: GroupMeasures;
  /** Per named group of dataset example indices (examples not in the artifact are refused). */
  groups: Record<string, GroupMeasures>;
  /** Per density bin (density-bin artifacts only). */
  bins: GroupMeasures[];
}

/** Group measures (METHOD.md §9) of an artifact: overall, per given group, per density bin. */
export function summarizeCertification(
  a: CertificationArtifact,
  numClasses: number,
  options: { groups?: Record<string, ArrayLike<number>>; radiusList?: readonly number[] } = {},
): CertificationSummary {
  const { label, prediction, radius, index } = a.columns;
  const rowOf = new Map<number, number>();
  index.forEach((i, r) => {
    rowOf.set(i, r);
  });
  const measure = (members?: ArrayLike<number>) =>
    groupMeasures(label, prediction, radius, numClasses, {
      ...(members !== undefined && { members }),
      ...(options.radiusList !== undefined && { radiusList: options.radiusList }),
    });
  const groups: Record<string, GroupMeasures> = {};
  for (const [name, examples] of Object.entries(options.groups ?? {})) {
    const rows = Int32Array.from(examples, (i) => {
      const r = rowOf.get(i);
      if (r === undefined) throw new RangeError(`summary: group '${name}' holds example ${i}, which was not certified`);
      return r;
    });
    groups[name] = measure(rows);
  }
  const bins: GroupMeasures[] = [];
  if (a.bin) {
    const nb = a.bin.reduce((m, b) => Math.max(m, b + 1), 0);
    for (let b = 0; b < nb; b++) bins.push(measure(Int32Array.from(a.bin.keys()).filter((r) => a.bin?.[r] === b)));
  }
  return { overall: measure(), groups, bins };
}
