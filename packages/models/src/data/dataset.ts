// In-memory image datasets (NHWC, held once) and everything that turns them into batches:
// per-channel normalisation, seeded augmentation, batch iteration. Host-agnostic.
import type { Rng } from "@classfit/wasm-core";

/**
 * A labelled image set. `images` is NHWC, row-major, shape (n, height, width, channels):
 * Uint8Array pixels in 0…255 (read as x/255) or Float32Array values used as they are.
 */
export interface ImageDataset {
  /** Names the source in messages and manifests, e.g. "fashion-mnist/train". */
  name: string;
  n: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  images: Uint8Array | Float32Array;
  /** Int32Array, shape (n,), values in [0, numClasses). */
  labels: Int32Array;
  classNames?: string[];
}

/** Per-channel normalisation x' = (x·pixelScale − mean[c]) / std[c], recorded with every model. */
export interface Normalisation {
  /** 1/255 for uint8 datasets, 1 for float ones. */
  pixelScale: number;
  mean: number[];
  std: number[];
}

/** Checks shapes and labels, throwing an error that names the dataset and the problem. */
export function validateDataset(ds: ImageDataset): ImageDataset {
  const { name, n, height, width, channels, numClasses, images, labels } = ds;
  for (const [v, what] of [
    [n, "n"],
    [height, "height"],
    [width, "width"],
    [channels, "channels"],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: ${what} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new Error(`${name}: numClasses must be a positive integer, got ${numClasses}`);
  const expected = n * height * width * channels;
  if (images.length !== expected)
    throw new Error(
      `${name}: ${images.length} pixel values, but ${n} images of ${height}×${width}×${channels} need ${expected}`,
    );
  if (labels.length !== n) throw new Error(`${name}: ${labels.length} labels for ${n} images`);
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    if (!(y >= 0 && y < numClasses))
      throw new Error(`${name}: label ${y} of example ${i} is out of range [0, ${numClasses})`);
  }
  if (images instanceof Float32Array) {
    for (let i = 0; i < images.length; i++) {
      if (!Number.isFinite(images[i])) {
        const px = height * width * channels;
        throw new Error(`${name}: non-finite pixel value ${images[i]} in example ${Math.floor(i / px)}`);
      }
    }
  }
  return ds;
}

/** numClasses implied by the labels (max + 1), at least 2. */
export function inferNumClasses(labels: Int32Array): number {
  let max = 1;
  for (const y of labels) if (y > max) max = y;
  return max + 1;
}

/** Per-channel mean and (biased) standard deviation over the whole dataset, in f64. */
export function computeNormalisation(ds: ImageDataset): Normalisation {
  const c = ds.channels;
  const pixelScale = ds.images instanceof Uint8Array ? 1 / 255 : 1;
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  const img = ds.images;
  for (let i = 0; i < img.length; i++) {
    const v = (img[i] as number) * pixelScale;
    const k = i % c;
    sum[k] = (sum[k] as number) + v;
    sumSq[k] = (sumSq[k] as number) + v * v;
  }
  const count = img.length / c;
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sumSq, (s, k) => {
    const m = mean[k] as number;
    const v = s / count - m * m;
    return v > 1e-12 ? Math.sqrt(v) : 1;
  });
  return { pixelScale, mean, std };
}

/** Checks a normalisation against a dataset it is about to be applied to. */
export function checkNormalisation(norm: Normalisation, ds: ImageDataset): void {
  if (norm.mean.length !== ds.channels || norm.std.length !== ds.channels)
    throw new Error(
      `${ds.name}: the model's normalisation is for ${norm.mean.length} channel(s), the data has ${ds.channels}`,
    );
  const scale = ds.images instanceof Uint8Array ? 1 / 255 : 1;
  if (scale !== norm.pixelScale)
    throw new Error(
      `${ds.name}: the model was trained on ${norm.pixelScale === 1 ? "float" : "uint8"} pixels, this data is ${scale === 1 ? "float" : "uint8"}`,
    );
}

/** Seeded augmentation: random crop after zero padding (in raw pixel space) and horizontal flip. */
export interface Augmentation {
  /** Zero padding on each side before a random crop back to the input size; 0 disables. */
  cropPadding: number;
  flip: boolean;
}

/**
 * Fills `out` (shape (indices.length, h, w, c), NHWC) with the normalised images `indices`,
 * augmented when `aug` and `rng` are given (random offsets and flips drawn from `rng`).
 */
export function fillBatch(
  ds: ImageDataset,
  indices: ArrayLike<number>,
  norm: Normalisation,
  out: Float32Array,
  aug?: { aug: Augmentation; rng: Rng },
): void {
  const { height: h, width: w, channels: c } = ds;
  const px = h * w * c;
  const b = indices.length;
  if (out.length < b * px) throw new Error(`fillBatch: output holds ${out.length} values, needs ${b * px}`);
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    scale[k] = norm.pixelScale / (norm.std[k] as number);
    shift[k] = (norm.mean[k] as number) / (norm.std[k] as number);
  }
  const pad = aug && aug.aug.cropPadding > 0 ? aug.aug.cropPadding : 0;
  const dy = pad > 0 && aug ? aug.rng.int(b, 2 * pad + 1) : undefined;
  const dx = pad > 0 && aug ? aug.rng.int(b, 2 * pad + 1) : undefined;
  const flips = aug?.aug.flip ? aug.rng.int(b, 2) : undefined;
  const img = ds.images;
  for (let j = 0; j < b; j++) {
    const idx = indices[j] as number;
    if (!(idx >= 0 && idx < ds.n)) throw new Error(`${ds.name}: index ${idx} out of range [0, ${ds.n})`);
    const src = idx * px;
    const dst = j * px;
    const oy = dy ? (dy[j] as number) - pad : 0;
    const ox = dx ? (dx[j] as number) - pad : 0;
    const flip = flips ? flips[j] === 1 : false;
    for (let y = 0; y < h; y++) {
      const sy = y + oy;
      for (let x = 0; x < w; x++) {
        const xx = flip ? w - 1 - x : x;
        const sx = xx + ox;
        const o = dst + (y * w + x) * c;
        if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
          // Zero padding in raw pixel space, as torchvision's RandomCrop(padding) before Normalize.
          for (let k = 0; k < c; k++) out[o + k] = -(shift[k] as number);
        } else {
          const s = src + (sy * w + sx) * c;
          for (let k = 0; k < c; k++) out[o + k] = (img[s + k] as number) * (scale[k] as number) - (shift[k] as number);
        }
      }
    }
  }
}

/** A seeded permutation of 0…n−1 (Fisher–Yates driven by `rng`). */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  if (n < 2) return p;
  const u = rng.uniform(n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor((u[i] as number) * (i + 1));
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}

/** A view of `ds` restricted to `indices` (copies those images once). */
/**
 * The dataset with its images and labels moved to SharedArrayBuffers, so worker threads (or
 * Web Workers of a cross-origin isolated page) handed it read the one copy instead of each
 * receiving their own. Returns `ds` itself when it is already shared or the host has no
 * SharedArrayBuffer. Nothing may write to the arrays afterwards.
 */
export function shareDataset(ds: ImageDataset): ImageDataset {
  if (typeof SharedArrayBuffer === "undefined" || ds.images.buffer instanceof SharedArrayBuffer) return ds;
  const images =
    ds.images instanceof Uint8Array
      ? new Uint8Array(new SharedArrayBuffer(ds.images.byteLength))
      : new Float32Array(new SharedArrayBuffer(ds.images.byteLength));
  images.set(ds.images);
  const labels = new Int32Array(new SharedArrayBuffer(ds.labels.byteLength));
  labels.set(ds.labels);
  return { ...ds, images, labels };
}

export function subsetDataset(ds: ImageDataset, indices: ArrayLike<number>, name = `${ds.name}[subset]`): ImageDataset {
  const px = ds.height * ds.width * ds.channels;
  const images =
    ds.images instanceof Uint8Array ? new Uint8Array(indices.length * px) : new Float32Array(indices.length * px);
  const labels = new Int32Array(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j] as number;
    if (!(i >= 0 && i < ds.n)) throw new Error(`${ds.name}: index ${i} out of range [0, ${ds.n})`);
    images.set(ds.images.subarray(i * px, (i + 1) * px), j * px);
    labels[j] = ds.labels[i] as number;
  }
  return { ...ds, name, n: indices.length, images, labels };
}
