// The study's examples: the training split, cut to the first `perClass` of each class when the
// config asks, with the hash every step keys on and the rows of each class.
import { type ImageDataset, subsetDataset } from "@classfit/models";
import { InputError, readingInput } from "../errors.js";
import type { PipelineHost } from "../host/index.js";
import { hashArray, hashJson } from "../units/container.js";
import type { StudyConfig } from "./config.js";

export interface StudyData {
  ds: ImageDataset;
  /** Indices into the full training set of the study's examples (after perClass). */
  subset: Int32Array | null;
  hash: string;
  classNames: string[];
  /** Rows of each class in the study's example order. */
  rowsOf: Int32Array[];
}

/** Keeps the first `perClass` examples of each class, in dataset order. */
export function firstPerClass(labels: Int32Array, numClasses: number, perClass: number): Int32Array {
  const seen = new Int32Array(numClasses);
  const keep: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    if ((seen[y] as number) < perClass) {
      seen[y] = (seen[y] as number) + 1;
      keep.push(i);
    }
  }
  return Int32Array.from(keep);
}

export async function loadStudyData(host: PipelineHost, config: StudyConfig): Promise<StudyData> {
  const full = await readingInput(() => host.resources.loadDataset(config.dataset.path, "train"));
  const per = config.dataset.perClass;
  let subset: Int32Array | null = null;
  let ds = full;
  if (per !== undefined) {
    subset = firstPerClass(full.labels, full.numClasses, per);
    ds = subsetDataset(full, subset, `${full.name}[first ${per} per class]`);
  }
  const hash = hashJson({
    images: hashArray(ds.images),
    labels: hashArray(ds.labels),
    shape: [ds.n, ds.height, ds.width, ds.channels],
  });
  const classNames = Array.from({ length: ds.numClasses }, (_, c) => ds.classNames?.[c] ?? `class ${c}`);
  const buckets: number[][] = Array.from({ length: ds.numClasses }, () => []);
  for (let i = 0; i < ds.n; i++) (buckets[ds.labels[i] as number] as number[]).push(i);
  const rowsOf = buckets.map((b) => Int32Array.from(b));
  return { ds, subset, hash, classNames, rowsOf };
}

/** Refuses a class too small to fit (after the data is recorded, so a failed run's manifest names it). */
export function requireTwoPerClass(data: StudyData): void {
  for (const [c, rows] of data.rowsOf.entries())
    if (rows.length < 2)
      throw new InputError(
        `${data.ds.name}: class ${c} (${data.classNames[c]}) has ${rows.length} example(s); a density model needs at least 2`,
      );
}
