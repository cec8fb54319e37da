// A small, deterministic container for unit results, shares and artifacts: a NumPy `.npz`.
//
// Layout: a zip (stored entries, fixed timestamps: encodeNpz) of
//   meta.npy      uint8, shape (L,): canonical JSON (UTF-8, keys sorted) of the caller's
//                 metadata (`json.loads(z["meta"].tobytes())` in Python)
//   <name>.npy    one member per array, in the caller's order, with the caller's shape
//                 (1-D by default); dtypes uint8, int32, uint32, float64, little-endian.
// The same metadata and arrays always give the same bytes (canonical JSON, fixed order, no
// timestamps), which is what lets sharded runs merge into a file identical to a single run.
//
// Files written before this layout are CFA1 containers ("CFA1", u32 header length, canonical
// JSON header with `arrays: [{ name, dtype, length }]`, then each array padded to 8 bytes);
// decodeContainer still reads them (isLegacyContainer tells them apart) for one version.

import { fnv1a64 } from "../hash.js";

export { fnv1a64 };

import { encodeNpz, looksLikeZip, type NpyArray, NpyError, parseNpz } from "@classfit/models/npy";
import { InputError } from "../errors.js";

/** Element types a container stores. */
export type ArrayDtype = "u8" | "i32" | "u32" | "f64";
export type StoredArray = Uint8Array | Int32Array | Uint32Array | Float64Array;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MAGIC = [0x43, 0x46, 0x41, 0x31]; // "CFA1"
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A malformed or unexpected container: a file that is not what it was named as. */
export class ContainerError extends InputError {
  override name = "ContainerError";
}

/**
 * JSON with object keys sorted (recursively) and no whitespace. Numbers use ECMAScript's
 * Number-to-String, which is specified exactly (shortest round-trip), so every engine writes
 * the same text. Non-finite numbers and `undefined` are refused (JSON cannot hold them).
 */
export function canonicalJson(value: unknown, path = "$"): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new ContainerError(`${path}: non-finite number ${value} cannot be stored`);
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(",")}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k], `${path}.${k}`)}`).join(",")}}`;
    }
    default:
      throw new ContainerError(`${path}: a ${typeof value} cannot be stored as JSON`);
  }
}

/** FNV-1a 64 of a value's canonical JSON. */
export function hashJson(value: unknown): string {
  return fnv1a64(new TextEncoder().encode(canonicalJson(value)));
}

/** FNV-1a 64 of a typed array's raw bytes (e.g. a label vector). */
export function hashArray(a: ArrayBufferView): string {
  return fnv1a64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

function dtypeOf(a: StoredArray): ArrayDtype {
  if (a instanceof Uint8Array) return "u8";
  if (a instanceof Int32Array) return "i32";
  if (a instanceof Uint32Array) return "u32";
  return "f64";
}

const SIZE: Record<ArrayDtype, number> = { u8: 1, i32: 4, u32: 4, f64: 8 };

function pad8(n: number): number {
  return (n + 7) & ~7;
}

/** One array of a container: name, data and (optionally) its shape; 1-D when omitted. */
export type ContainerArray = readonly [name: string, data: StoredArray, shape?: readonly number[]];

/** Encodes metadata plus named arrays (in the given order) as an `.npz`. No array may be
 * named `meta` (the metadata's member). */
export function encodeContainer(meta: Record<string, Json>, arrays: ReadonlyArray<ContainerArray>): Uint8Array {
  if (!LITTLE_ENDIAN) throw new ContainerError("containers are little-endian; this host is big-endian");
  const names = new Set<string>(["meta"]);
  for (const [name] of arrays) {
    if (names.has(name)) throw new ContainerError(`container array '${name}' given twice (or named 'meta')`);
    names.add(name);
  }
  const header = new TextEncoder().encode(canonicalJson(meta));
  return encodeNpz([
    ["meta", header, [header.length]],
    ...arrays.map(([name, a, shape]) => [name, a, shape ?? [a.length]] as const),
  ]);
}

/** Whether bytes are an old CFA1 container (read this version, refused by the next). */
export function isLegacyContainer(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && MAGIC.every((m, i) => bytes[i] === m);
}

/** Encodes in the old CFA1 layout: only for tests of the old-format reader and `convert`. */
export function encodeLegacyContainer(
  meta: Record<string, Json>,
  arrays: ReadonlyArray<[string, StoredArray]>,
): Uint8Array {
  if (!LITTLE_ENDIAN) throw new ContainerError("containers are little-endian; this host is big-endian");
  if ("arrays" in meta) throw new ContainerError("container metadata must not contain a key named 'arrays'");
  const names = new Set<string>();
  for (const [name] of arrays) {
    if (names.has(name)) throw new ContainerError(`container array '${name}' given twice`);
    names.add(name);
  }
  const header = new TextEncoder().encode(
    canonicalJson({ ...meta, arrays: arrays.map(([name, a]) => ({ name, dtype: dtypeOf(a), length: a.length })) }),
  );
  let total = pad8(8 + header.length);
  for (const [, a] of arrays) total += pad8(a.byteLength);
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  let off = pad8(8 + header.length);
  for (const [, a] of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    off += pad8(a.byteLength);
  }
  return out;
}

export interface DecodedContainer {
  meta: Record<string, Json>;
  arrays: Map<string, StoredArray>;
  /** Array shapes (1-D: [length]). */
  shapes: Map<string, number[]>;
}

function storedOf(a: NpyArray, name: string, what: string): StoredArray {
  const d = a.data;
  if (a.dtype === "u1" || a.dtype === "b1") return d as Uint8Array;
  if (a.dtype === "i4" || a.dtype === "u4" || a.dtype === "f8") return d as Int32Array | Uint32Array | Float64Array;
  throw new ContainerError(
    `${what}: array '${name}' has dtype ${a.dtype}; classfit stores uint8, int32, uint32 or float64`,
  );
}

/** Decodes a container (an `.npz`, or an old CFA1 file); `what` names the source (a file, a
 * unit) in errors. Arrays are copies. */
export function decodeContainer(bytes: Uint8Array, what: string): DecodedContainer {
  if (!LITTLE_ENDIAN) throw new ContainerError("containers are little-endian; this host is big-endian");
  if (isLegacyContainer(bytes)) return decodeLegacyContainer(bytes, what);
  if (!looksLikeZip(bytes)) throw new ContainerError(`${what}: not a classfit artifact (neither .npz nor CFA1)`);
  let members: Record<string, NpyArray>;
  try {
    members = parseNpz(bytes, { name: what });
  } catch (e) {
    if (e instanceof NpyError) throw new ContainerError(e.message);
    throw e;
  }
  const metaArr = members.meta;
  if (metaArr === undefined || metaArr.dtype !== "u1" || metaArr.shape.length !== 1)
    throw new ContainerError(`${what}: not a classfit artifact (no uint8 'meta' member)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(metaArr.data as Uint8Array));
  } catch (e) {
    throw new ContainerError(`${what}: corrupt metadata (${String(e)})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new ContainerError(`${what}: metadata is not a JSON object`);
  const arrays = new Map<string, StoredArray>();
  const shapes = new Map<string, number[]>();
  for (const [name, a] of Object.entries(members)) {
    if (name === "meta") continue;
    arrays.set(name, storedOf(a, name, what));
    shapes.set(name, a.shape);
  }
  return { meta: parsed as Record<string, Json>, arrays, shapes };
}

function decodeLegacyContainer(bytes: Uint8Array, what: string): DecodedContainer {
  if (bytes.length < 8) throw new ContainerError(`${what}: truncated CFA1 header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = view.getUint32(4, true);
  if (8 + hlen > bytes.length) throw new ContainerError(`${what}: truncated header (${hlen} bytes declared)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + hlen)));
  } catch (e) {
    throw new ContainerError(`${what}: corrupt header (${String(e)})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new ContainerError(`${what}: header is not an object`);
  const { arrays: specs, ...meta } = parsed as Record<string, Json>;
  if (!Array.isArray(specs)) throw new ContainerError(`${what}: header lacks its array list`);
  const arrays = new Map<string, StoredArray>();
  const shapes = new Map<string, number[]>();
  let off = pad8(8 + hlen);
  for (const spec of specs) {
    const s = spec as { name?: unknown; dtype?: unknown; length?: unknown };
    if (typeof s.name !== "string" || typeof s.dtype !== "string" || !(s.dtype in SIZE))
      throw new ContainerError(`${what}: bad array entry ${JSON.stringify(spec)}`);
    const len = s.length;
    if (typeof len !== "number" || !Number.isSafeInteger(len) || len < 0)
      throw new ContainerError(`${what}: array '${s.name}' has a bad length`);
    const dtype = s.dtype as ArrayDtype;
    const nbytes = len * SIZE[dtype];
    if (off + nbytes > bytes.length)
      throw new ContainerError(`${what}: array '${s.name}' runs past the end (truncated file?)`);
    const raw = bytes.slice(off, off + nbytes).buffer;
    const arr =
      dtype === "u8"
        ? new Uint8Array(raw)
        : dtype === "i32"
          ? new Int32Array(raw)
          : dtype === "u32"
            ? new Uint32Array(raw)
            : new Float64Array(raw);
    arrays.set(s.name, arr);
    shapes.set(s.name, [len]);
    off += pad8(nbytes);
  }
  return { meta, arrays, shapes };
}

/** The named array with the expected type, or a ContainerError naming what is missing. */
export function requireArray<T extends StoredArray>(
  c: DecodedContainer,
  name: string,
  ctor: new (...args: never[]) => T,
  what: string,
): T {
  const a = c.arrays.get(name);
  if (!(a instanceof ctor)) throw new ContainerError(`${what}: missing array '${name}' (${ctor.name})`);
  return a;
}
