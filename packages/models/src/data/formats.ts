// Readers for the image dataset formats classfit accepts, bytes in (host-agnostic):
// IDX (MNIST, Fashion-MNIST; gzipped or not), the CIFAR-10/100 binary format, and `.npy`.
import { gunzipSync } from "fflate";
import { npyToInt32, parseNpy } from "../io/npy.js";
import { type ImageDataset, inferNumClasses, validateDataset } from "./dataset.js";

/** Undoes gzip when the bytes start with its magic number; otherwise returns them as they are. */
export function maybeGunzip(bytes: Uint8Array, name: string): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${name}: corrupt gzip stream (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  return bytes;
}

export interface IdxArray {
  dims: number[];
  /** A view into the (decompressed) input: unsigned bytes. */
  data: Uint8Array;
}

/**
 * Parses an IDX file (LeCun et al.; http://yann.lecun.com/exdb/mnist/): two zero bytes, a type
 * byte (only 0x08, unsigned byte, is used by (Fashion-)MNIST and accepted here), the number of
 * dimensions, then big-endian u32 sizes and the data.
 */
export function parseIdx(raw: Uint8Array, name = "<idx>"): IdxArray {
  const bytes = maybeGunzip(raw, name);
  if (bytes.length < 4) throw new Error(`${name}: not an IDX file (only ${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0)
    throw new Error(
      `${name}: not an IDX file (bad magic ${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ")})`,
    );
  if (bytes[2] !== 0x08)
    throw new Error(
      `${name}: IDX element type 0x${(bytes[2] ?? 0).toString(16)} is not supported (only 0x08, unsigned byte)`,
    );
  const nd = bytes[3] as number;
  if (nd < 1) throw new Error(`${name}: IDX file with ${nd} dimensions`);
  const headerLen = 4 + 4 * nd;
  if (bytes.length < headerLen) throw new Error(`${name}: truncated IDX header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < nd; i++) {
    const d = dv.getUint32(4 + 4 * i, false);
    dims.push(d);
    size *= d;
  }
  if (bytes.length !== headerLen + size)
    throw new Error(
      `${name}: IDX header says ${dims.join("×")} = ${size} bytes of data, the file holds ${bytes.length - headerLen}${bytes.length < headerLen + size ? " (truncated)" : ""}`,
    );
  return { dims, data: bytes.subarray(headerLen) };
}

/** An image set from an IDX images file (n × h × w) and an IDX labels file (n). */
export function datasetFromIdx(
  imagesBytes: Uint8Array,
  labelsBytes: Uint8Array,
  opts: { name: string; numClasses?: number; imagesName?: string; labelsName?: string },
): ImageDataset {
  const img = parseIdx(imagesBytes, opts.imagesName ?? `${opts.name} images`);
  const lab = parseIdx(labelsBytes, opts.labelsName ?? `${opts.name} labels`);
  if (img.dims.length !== 3 && img.dims.length !== 4)
    throw new Error(`${opts.imagesName ?? opts.name}: expected n×h×w (or n×h×w×c) images, got ${img.dims.join("×")}`);
  if (lab.dims.length !== 1)
    throw new Error(`${opts.labelsName ?? opts.name}: expected a 1-d label file, got ${lab.dims.join("×")}`);
  const [n, h, w, c] = [img.dims[0] as number, img.dims[1] as number, img.dims[2] as number, img.dims[3] ?? 1];
  if (lab.dims[0] !== n) throw new Error(`${opts.name}: ${n} images but ${lab.dims[0]} labels`);
  const labels = Int32Array.from(lab.data);
  return validateDataset({
    name: opts.name,
    n,
    height: h,
    width: w,
    channels: c,
    numClasses: opts.numClasses ?? inferNumClasses(labels),
    images: img.data,
    labels,
  });
}

/**
 * Reads CIFAR binary batches (https://www.cs.toronto.edu/~kriz/cifar.html): per record a label
 * byte (CIFAR-100: coarse then fine label) and 3072 pixel bytes, channel-planar 32×32 R, G, B.
 * Pixels are returned NHWC. `variant` 100 uses the fine labels unless `coarse`.
 */
export function datasetFromCifar(
  files: { name: string; bytes: Uint8Array }[],
  opts: { name: string; variant: 10 | 100; coarse?: boolean },
): ImageDataset {
  const labelBytes = opts.variant === 10 ? 1 : 2;
  const rec = labelBytes + 3072;
  let n = 0;
  for (const f of files) {
    if (f.bytes.length === 0 || f.bytes.length % rec !== 0)
      throw new Error(
        `${f.name}: ${f.bytes.length} bytes is not a whole number of CIFAR-${opts.variant} records (${rec} bytes each)`,
      );
    n += f.bytes.length / rec;
  }
  const images = new Uint8Array(n * 3072);
  const labels = new Int32Array(n);
  const numClasses = opts.variant === 10 ? 10 : opts.coarse ? 20 : 100;
  let i = 0;
  for (const f of files) {
    for (let off = 0; off < f.bytes.length; off += rec, i++) {
      const y = f.bytes[off + (opts.variant === 100 && !opts.coarse ? 1 : 0)] as number;
      if (y >= numClasses)
        throw new Error(
          `${f.name}: record ${off / rec} has label ${y}, out of range for CIFAR-${opts.variant} (${numClasses} classes)`,
        );
      labels[i] = y;
      const src = off + labelBytes;
      const dst = i * 3072;
      for (let p = 0; p < 1024; p++) {
        images[dst + 3 * p] = f.bytes[src + p] as number;
        images[dst + 3 * p + 1] = f.bytes[src + 1024 + p] as number;
        images[dst + 3 * p + 2] = f.bytes[src + 2048 + p] as number;
      }
    }
  }
  return validateDataset({ name: opts.name, n, height: 32, width: 32, channels: 3, numClasses, images, labels });
}

/**
 * Images from `.npy` of shape (n, h, w) or (n, h, w, c) — uint8 (0…255) or float32/float64
 * (used as given) — and integer labels of shape (n,).
 */
export function datasetFromNpy(
  imagesBytes: Uint8Array,
  labelsBytes: Uint8Array,
  opts: { name: string; numClasses?: number; imagesName?: string; labelsName?: string },
): ImageDataset {
  const imagesName = opts.imagesName ?? `${opts.name} images`;
  const labelsName = opts.labelsName ?? `${opts.name} labels`;
  const arr = parseNpy(imagesBytes, { name: imagesName });
  if (arr.shape.length !== 3 && arr.shape.length !== 4)
    throw new Error(`${imagesName}: expected shape (n, h, w) or (n, h, w, c), got (${arr.shape.join(", ")})`);
  let images: Uint8Array | Float32Array;
  if (arr.dtype === "u1") images = arr.data as Uint8Array;
  else if (arr.dtype === "f4") images = arr.data as Float32Array;
  else if (arr.dtype === "f8") images = Float32Array.from(arr.data as Float64Array);
  else throw new Error(`${imagesName}: image dtype ${arr.dtype} is not supported (uint8, float32 or float64)`);
  const lab = parseNpy(labelsBytes, { name: labelsName });
  if (lab.shape.length !== 1) throw new Error(`${labelsName}: expected shape (n,), got (${lab.shape.join(", ")})`);
  const labels = npyToInt32(lab, labelsName);
  const [n, h, w, c] = [arr.shape[0] as number, arr.shape[1] as number, arr.shape[2] as number, arr.shape[3] ?? 1];
  if (labels.length !== n)
    throw new Error(`${opts.name}: ${n} images (${imagesName}) but ${labels.length} labels (${labelsName})`);
  return validateDataset({
    name: opts.name,
    n,
    height: h,
    width: w,
    channels: c,
    numClasses: opts.numClasses ?? inferNumClasses(labels),
    images,
    labels,
  });
}
