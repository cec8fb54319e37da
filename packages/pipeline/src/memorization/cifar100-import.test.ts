// Published Feldman–Zhang scores at CIFAR-100 scale, imported the way a user does it: a study
// config whose network names exported activations and `memorizationScores: <file>.npz`, run by
// runStudy on a dataset directory. The scores are synthetic but shaped like the authors' file
// (50 000 examples in dataset order, 100 classes of 500, labels shuffled), so a join that
// reordered, shifted or regrouped examples would show up in the per-example column and in the
// class means the report prints.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeNpy, encodeNpz, type NpyData, npyToFloat64, parseNpy } from "@classfit/models/npy";
import type { Core } from "@classfit/wasm-core";
import { createCore } from "@classfit/wasm-core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isInputError } from "../errors.js";
import { resolveStudyConfig } from "../study/config.js";
import { runStudy } from "../study/run.js";
import { memoryHost } from "../study/testing.js";
import { importMemorizationScores, scoresInStudyOrder } from "./import.js";
import { memorizationByClass } from "./memorization.js";

const N = 50_000;
const CLASSES = 100;
const PER_CLASS = N / CLASSES;
const DIM = 4;

/** A seeded 32-bit LCG (Numerical Recipes constants): uniform in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

interface Published {
  trMem: Float64Array;
  trLabels: Int32Array;
}

/** Labels 500 per class in a seeded shuffled order; class c's scores are c/100 ± 0.004. */
function published(seed: number): Published {
  const rand = lcg(seed);
  const trLabels = Int32Array.from({ length: N }, (_, i) => i % CLASSES);
  for (let i = N - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = trLabels[i] as number;
    trLabels[i] = trLabels[j] as number;
    trLabels[j] = t;
  }
  const trMem = Float64Array.from(trLabels, (c) => c / CLASSES + (rand() - 0.5) * 0.008);
  return { trMem, trLabels };
}

/** Class-separated activations in dataset order: class c's rows around a point on a helix. */
function activations(labels: Int32Array, seed: number): Float32Array {
  const rand = lcg(seed);
  const x = new Float32Array(labels.length * DIM);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    const a = (2 * Math.PI * c) / CLASSES;
    const centre = [4 * Math.cos(a), 4 * Math.sin(a), c / 20, (c % 7) - 3];
    for (let k = 0; k < DIM; k++) x[i * DIM + k] = (centre[k] as number) + (rand() - 0.5) * 0.6;
  }
  return x;
}

const asInt64 = (v: Int32Array) => BigInt64Array.from(v, (y) => BigInt(y));

function writeScores(file: string, mem: NpyData, labels: NpyData): string {
  writeFileSync(
    file,
    encodeNpz([
      ["tr_mem", mem, [mem.length]],
      ["tr_labels", labels, [labels.length]],
    ]),
  );
  return file;
}

/** Each class's mean of `scores`, summed in dataset order straight from the arrays. */
function directClassMeans(scores: ArrayLike<number>, labels: Int32Array): number[] {
  const sum = new Float64Array(CLASSES);
  const count = new Int32Array(CLASSES);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    sum[c] = (sum[c] as number) + (scores[i] as number);
    count[c] = (count[c] as number) + 1;
  }
  return Array.from(sum, (s, c) => s / (count[c] as number));
}

let dir: string;
let core: Core;
const pub = published(2024);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "classfit-cifar100-mem-"));
  core = await createCore();
  // A dataset directory the study reads as CIFAR-100's training split: only the labels matter
  // here, so each image is a single pixel.
  const data = join(dir, "cifar100");
  mkdirSync(data);
  writeFileSync(join(data, "train_images.npy"), encodeNpy(new Uint8Array(N), [N, 1, 1]));
  writeFileSync(join(data, "train_labels.npy"), encodeNpy(asInt64(pub.trLabels), [N]));
  writeFileSync(join(dir, "penultimate.npy"), encodeNpy(activations(pub.trLabels, 7), [N, DIM]));
  // As published: float64 scores, int64 labels.
  writeScores(join(dir, "cifar100_infl_matrix.npz"), pub.trMem, asInt64(pub.trLabels));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function studyConfig(scores: string) {
  return resolveStudyConfig(
    {
      name: "cifar-100 memorization import",
      seed: 1,
      dataset: { path: join(dir, "cifar100") },
      networks: [
        {
          name: "exported",
          activations: { penultimate: join(dir, "penultimate.npy") },
          memorizationScores: join(dir, scores),
        },
      ],
    },
    { profile: "quick" },
  );
}

describe("Feldman–Zhang scores at CIFAR-100 shape", () => {
  it("generates a file of the published shape", () => {
    expect(pub.trMem.length).toBe(N);
    expect(pub.trLabels.length).toBe(N);
    const counts = new Int32Array(CLASSES);
    for (const y of pub.trLabels) counts[y] = (counts[y] as number) + 1;
    expect(Array.from(counts).every((k) => k === PER_CLASS)).toBe(true);
    // Shuffled: not blocked by class, not a plain i mod 100 cycle.
    expect(pub.trLabels.slice(0, 200).some((y, i) => y !== i % CLASSES)).toBe(true);
    expect(new Set(pub.trLabels.slice(0, 500)).size).toBeGreaterThan(90);
  });

  describe("imported by a quick study", () => {
    // One storage for every run: the refused imports below reuse the first run's fits, so each
    // costs only the import.
    const host = memoryHost();

    beforeAll(async () => {
      const r = await runStudy(host, core, studyConfig("cifar100_infl_matrix.npz"));
      expect(r.manifest.status).toBe("complete");
    }, 120_000);

    it("puts every example's score on that example", () => {
      const mem = npyToFloat64(
        parseNpy(host.storage.files.get("exported/memorization/memorization.npy") as Uint8Array),
      );
      expect(mem.length).toBe(N);
      let mismatches = 0;
      for (let i = 0; i < N; i++) if (mem[i] !== pub.trMem[i]) mismatches++;
      expect(mismatches).toBe(0);
      const input = JSON.parse(new TextDecoder().decode(host.storage.files.get("report/study-input.json"))) as {
        exampleTables: { index: number[]; label: number[]; memorization: number[] }[];
      };
      const t = input.exampleTables[0];
      expect(t?.index.length).toBe(N);
      for (let j = 0; j < N; j++) {
        const i = t?.index[j] as number;
        if (t?.memorization[j] !== pub.trMem[i] || t?.label[j] !== pub.trLabels[i]) mismatches++;
      }
      expect(mismatches).toBe(0);
    });

    it("gives the class means of the arrays themselves", () => {
      const direct = directClassMeans(pub.trMem, pub.trLabels);
      const rows = JSON.parse(new TextDecoder().decode(host.storage.files.get("report/tables/class-stage.json"))) as {
        classIndex: number;
        n: number;
        meanMemorization: number;
      }[];
      expect(rows.length).toBe(CLASSES);
      for (const r of rows) {
        expect(r.n).toBe(PER_CLASS);
        expect(Math.abs(r.meanMemorization - (direct[r.classIndex] as number))).toBeLessThan(1e-12);
        // The known structure: class c is centred at c/100.
        expect(Math.abs(r.meanMemorization - r.classIndex / CLASSES)).toBeLessThan(0.001);
      }
      const byClass = memorizationByClass(pub.trMem, pub.trLabels, CLASSES);
      for (const [c, m] of byClass.entries()) expect(Math.abs(m.mean - (direct[c] as number))).toBeLessThan(1e-12);
    });

    it("refuses labels that disagree at one index, naming the file and the index", async () => {
      const labels = pub.trLabels.slice();
      const bad = 31_337;
      labels[bad] = ((labels[bad] as number) + 1) % CLASSES;
      writeScores(join(dir, "relabelled.npz"), pub.trMem, asInt64(labels));
      const err = await runStudy(host, core, studyConfig("relabelled.npz")).catch((e: unknown) => e);
      expect(isInputError(err)).toBe(true);
      expect(String(err)).toContain(join(dir, "relabelled.npz"));
      expect(String(err)).toMatch(
        new RegExp(`example ${bad} is \\d+, the dataset says \\d+ \\(1 of ${N} labels disagree\\)`),
      );
    });

    it("refuses a file one example short, naming the file and the first example without a score", async () => {
      writeScores(join(dir, "short.npz"), pub.trMem.slice(0, N - 1), asInt64(pub.trLabels.slice(0, N - 1)));
      const err = await runStudy(host, core, studyConfig("short.npz")).catch((e: unknown) => e);
      expect(isInputError(err)).toBe(true);
      expect(String(err)).toContain(join(dir, "short.npz"));
      expect(String(err)).toMatch(new RegExp(`${N - 1} scores.*example ${N - 1}\\b`));
    });

    it("refuses a file one example long, naming the file and the index with no example", async () => {
      const mem = new Float64Array(N + 1);
      mem.set(pub.trMem);
      const labels = new Int32Array(N + 1);
      labels.set(pub.trLabels);
      writeScores(join(dir, "long.npz"), mem, asInt64(labels));
      const err = await runStudy(host, core, studyConfig("long.npz")).catch((e: unknown) => e);
      expect(isInputError(err)).toBe(true);
      expect(String(err)).toContain(join(dir, "long.npz"));
      expect(String(err)).toMatch(new RegExp(`${N + 1} scores, but the dataset has ${N} .*index ${N}\\)`));
    });
  });

  it("joins float32 scores with int32 labels as well, through the study's join", () => {
    const f32 = Float32Array.from(pub.trMem);
    const bytes = encodeNpz([
      ["tr_mem", f32, [N]],
      ["tr_labels", pub.trLabels, [N]],
    ]);
    const r = importMemorizationScores(bytes, "f32.npz", pub.trLabels);
    expect(r.labels).not.toBeNull();
    const joined = scoresInStudyOrder(r, "f32.npz", pub.trLabels, null);
    expect(joined.length).toBe(N);
    let mismatches = 0;
    for (let i = 0; i < N; i++) if (joined[i] !== f32[i]) mismatches++;
    expect(mismatches).toBe(0);
    const direct = directClassMeans(f32, pub.trLabels);
    for (const m of memorizationByClass(joined, pub.trLabels, CLASSES))
      expect(Math.abs(m.mean - (direct[m.cls] as number))).toBeLessThan(1e-12);
  });
});
