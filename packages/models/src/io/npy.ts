// NumPy `.npy` / `.npz` reading and writing, host-agnostic (bytes in, bytes out; no fs).
//
// Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
//   magic "\x93NUMPY", major, minor, header length (u16 LE for v1, u32 LE for v2/v3),
//   an ASCII (v3: UTF-8) Python dict literal {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), },
//   padded with spaces and a final '\n', then the raw array bytes.
// Supported: little-endian (or byte-sized) bool/int/uint/float of 1, 2, 4, 8 bytes (no float16),
// C order. Big-endian, Fortran order (unless explicitly allowed), object/structured/string dtypes
// are rejected with an error naming the file and the problem.
import { unzipSync, zipSync } from "fflate";

/** The dtypes read and written, as NumPy's `descr` without the byte-order character. */
export type NpyDtype = "f4" | "f8" | "i1" | "i2" | "i4" | "i8" | "u1" | "u2" | "u4" | "u8" | "b1";

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** A parsed array. `data` is a fresh copy (never a view into the input bytes), flat, in file order. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** true only when parsed with `allowFortranOrder`; then `data` is in column-major order. */
  fortranOrder: boolean;
  data: NpyData;
}

/** Any malformed, corrupt or unsupported `.npy`/`.npz` input. */
export class NpyError extends Error {
  override name = "NpyError";
}

export interface ParseNpyOptions {
  /** Names the source in error messages (a path, or an archive member). */
  name?: string;
  /** Accept fortran_order: True and return the data untransposed (column-major). Default false. */
  allowFortranOrder?: boolean;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

const DTYPES: Record<NpyDtype, { size: number; make: (buf: ArrayBuffer) => NpyData }> = {
  f4: { size: 4, make: (b) => new Float32Array(b) },
  f8: { size: 8, make: (b) => new Float64Array(b) },
  i1: { size: 1, make: (b) => new Int8Array(b) },
  i2: { size: 2, make: (b) => new Int16Array(b) },
  i4: { size: 4, make: (b) => new Int32Array(b) },
  i8: { size: 8, make: (b) => new BigInt64Array(b) },
  u1: { size: 1, make: (b) => new Uint8Array(b) },
  u2: { size: 2, make: (b) => new Uint16Array(b) },
  u4: { size: 4, make: (b) => new Uint32Array(b) },
  u8: { size: 8, make: (b) => new BigUint64Array(b) },
  b1: { size: 1, make: (b) => new Uint8Array(b) },
};

const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fail(name: string | undefined, msg: string): never {
  throw new NpyError(`${name ?? "<npy>"}: ${msg}`);
}

/** Number of elements of `shape`, checked to be a safe integer. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  if (!Number.isSafeInteger(n)) throw new NpyError(`shape (${shape.join(", ")}) has too many elements`);
  return n;
}

// --- header dict parsing: a tiny tokenizer for the Python literal subset NumPy writes ---------

type PyValue = string | number | boolean | PyValue[] | { tuple: PyValue[] } | { [k: string]: PyValue };

function parseHeaderDict(text: string, name: string | undefined): Record<string, PyValue> {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail(name, `corrupt header: unterminated string at offset ${i}`);
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (c === "(" || c === "[") {
      const close = c === "(" ? ")" : "]";
      i++;
      const items: PyValue[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          break;
        }
        items.push(value());
        ws();
        if (text[i] === ",") i++;
        else if (text[i] !== close) fail(name, `corrupt header: expected ',' or '${close}' at offset ${i}`);
      }
      return c === "(" ? { tuple: items } : items;
    }
    if (c === "{") {
      i++;
      const obj: Record<string, PyValue> = {};
      for (;;) {
        ws();
        if (text[i] === "}") {
          i++;
          break;
        }
        const k = value();
        if (typeof k !== "string") fail(name, "corrupt header: dict key is not a string");
        ws();
        if (text[i] !== ":") fail(name, `corrupt header: expected ':' at offset ${i}`);
        i++;
        obj[k] = value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] !== "}") fail(name, `corrupt header: expected ',' or '}' at offset ${i}`);
      }
      return obj;
    }
    const m = /^(True|False|-?\d+L?)/.exec(text.slice(i));
    if (!m) fail(name, `corrupt header: unexpected ${JSON.stringify(text.slice(i, i + 10))} at offset ${i}`);
    const tok = m[1] as string;
    i += tok.length;
    if (tok === "True") return true;
    if (tok === "False") return false;
    return Number(tok.replace("L", ""));
  };
  const v = value();
  ws();
  if (i !== text.length) fail(name, `corrupt header: trailing text after the dict at offset ${i}`);
  if (typeof v !== "object" || v === null || Array.isArray(v) || "tuple" in v) {
    fail(name, "corrupt header: not a dict");
  }
  return v as Record<string, PyValue>;
}

/** Parses one `.npy` file. Throws NpyError naming `opts.name` on anything malformed or unsupported. */
export function parseNpy(bytes: Uint8Array, opts: ParseNpyOptions = {}): NpyArray {
  const name = opts.name;
  if (bytes.length < 10 || MAGIC.some((b, j) => bytes[j] !== b)) {
    fail(name, "not a .npy file (missing the \\x93NUMPY magic string)");
  }
  const major = bytes[6] as number;
  const minor = bytes[7] as number;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail(name, "truncated header");
    headerLen = dv.getUint32(8, true);
    headerStart = 12;
  } else {
    fail(name, `unsupported .npy format version ${major}.${minor} (supported: 1.x, 2.x, 3.x)`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) fail(name, `truncated header (declares ${headerLen} bytes, file has ${bytes.length})`);
  const headerBytes = bytes.subarray(headerStart, dataStart);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? "utf-8" : "latin1", { fatal: true }).decode(headerBytes);
  } catch {
    fail(name, "corrupt header: not valid text");
  }
  const hdr = parseHeaderDict(text, name);
  const descr = hdr.descr;
  const fortran = hdr.fortran_order;
  const shapeV = hdr.shape;
  if (typeof descr !== "string") {
    fail(name, "unsupported dtype: structured (record) arrays are not supported; save a plain numeric array");
  }
  if (typeof fortran !== "boolean") fail(name, "corrupt header: 'fortran_order' is missing or not True/False");
  if (typeof shapeV !== "object" || shapeV === null || !("tuple" in shapeV)) {
    fail(name, "corrupt header: 'shape' is missing or not a tuple");
  }
  const shape = (shapeV as { tuple: PyValue[] }).tuple.map((s, j) => {
    if (typeof s !== "number" || !Number.isSafeInteger(s) || s < 0) {
      fail(name, `corrupt header: shape[${j}] = ${JSON.stringify(s)} is not a non-negative integer`);
    }
    return s;
  });
  const order = descr[0];
  const code = descr.slice(1);
  if (descr === "|O" || code === "O") {
    fail(name, "unsupported dtype 'object' (pickled Python objects are never loaded); save a numeric array");
  }
  if (!(code in DTYPES) || !"<>|=".includes(order ?? "")) {
    fail(name, `unsupported dtype '${descr}' (supported: float32, float64, bool and (u)int8/16/32/64, little-endian)`);
  }
  const dtype = code as NpyDtype;
  const { size, make } = DTYPES[dtype];
  if (order === ">" && size > 1) {
    fail(name, `big-endian dtype '${descr}' is not supported; convert with arr.astype(arr.dtype.newbyteorder('<'))`);
  }
  if (order === "=" && !hostLittleEndian && size > 1) fail(name, "native byte order on a big-endian host");
  if (!hostLittleEndian && size > 1) fail(name, "reading multi-byte dtypes needs a little-endian host");
  if (fortran && !opts.allowFortranOrder) {
    fail(name, "Fortran-order (column-major) arrays are not supported; save np.ascontiguousarray(arr) instead");
  }
  const count = shapeSize(shape);
  const nbytes = count * size;
  const have = bytes.length - dataStart;
  if (have < nbytes) {
    fail(name, `truncated data: shape (${shape.join(", ")}) of ${descr} needs ${nbytes} bytes, file holds ${have}`);
  }
  if (have > nbytes) {
    fail(name, `corrupt file: ${have - nbytes} unexpected bytes after the data of shape (${shape.join(", ")})`);
  }
  // Copy: the data offset is rarely aligned to the element size in the caller's buffer.
  const buf = new ArrayBuffer(nbytes);
  new Uint8Array(buf).set(bytes.subarray(dataStart, dataStart + nbytes));
  return { dtype, shape, fortranOrder: fortran, data: make(buf) };
}

function dtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Float64Array) return "f8";
  if (data instanceof Float32Array) return "f4";
  if (data instanceof Int32Array) return "i4";
  if (data instanceof Int16Array) return "i2";
  if (data instanceof Int8Array) return "i1";
  if (data instanceof BigInt64Array) return "i8";
  if (data instanceof Uint8Array) return "u1";
  if (data instanceof Uint16Array) return "u2";
  if (data instanceof Uint32Array) return "u4";
  if (data instanceof BigUint64Array) return "u8";
  throw new NpyError("encodeNpy: unsupported typed array");
}

/**
 * Encodes a C-order array as `.npy` (format 1.0, or 2.0 when the header needs it). The header
 * layout (sorted keys, growth padding, 64-byte alignment) matches NumPy ≥ 1.23's `np.save`, so
 * output is byte-identical to it.
 */
export function encodeNpy(data: NpyData, shape: readonly number[]): Uint8Array {
  for (const s of shape) {
    if (!Number.isSafeInteger(s) || s < 0) throw new NpyError(`encodeNpy: bad shape (${shape.join(", ")})`);
  }
  if (shapeSize(shape) !== data.length) {
    throw new NpyError(
      `encodeNpy: shape (${shape.join(", ")}) holds ${shapeSize(shape)} elements, data has ${data.length}`,
    );
  }
  if (!hostLittleEndian) throw new NpyError("encodeNpy needs a little-endian host");
  const dtype = dtypeOf(data);
  const descr = `${DTYPES[dtype].size === 1 ? "|" : "<"}${dtype}`;
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  // numpy.lib.format._write_array_header: room for the first axis to grow in place (21 digits).
  if (shape.length > 0) header += " ".repeat(Math.max(0, 21 - String(shape[0]).length));
  let pre = 10;
  let total = pre + header.length + 1;
  if (total - pre > 0xffff) {
    pre = 12;
    total = pre + header.length + 1;
  }
  const pad = (64 - (total % 64)) % 64;
  header = `${header}${" ".repeat(pad)}\n`;
  const headerLen = header.length;
  const out = new Uint8Array(pre + headerLen + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = pre === 10 ? 1 : 2;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (pre === 10) dv.setUint16(8, headerLen, true);
  else dv.setUint32(8, headerLen, true);
  for (let j = 0; j < headerLen; j++) out[pre + j] = header.charCodeAt(j);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pre + headerLen);
  return out;
}

let CRC_TABLE: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as zip uses it). */
export function crc32(bytes: Uint8Array): number {
  if (CRC_TABLE === undefined) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Member name → CRC-32 from a zip's central directory. fflate extracts without checking CRCs,
 * so a flipped byte in an array would otherwise pass unnoticed (Python's zipfile refuses it).
 * Archives whose directory is in zip64 form are returned without CRCs (nothing checked).
 */
function centralCrcs(bytes: Uint8Array, name: string): Map<string, number> {
  const out = new Map<string, number>();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return out;
  const count = dv.getUint16(eocd + 10, true);
  let p = dv.getUint32(eocd + 16, true);
  if (p === 0xffffffff || count === 0xffff) return out;
  const dec = new TextDecoder();
  for (let e = 0; e < count; e++) {
    if (p + 46 > bytes.length || dv.getUint32(p, true) !== 0x02014b50)
      throw new NpyError(`${name}: not a valid .npz (zip) archive: corrupt central directory`);
    const crc = dv.getUint32(p + 16, true);
    const nlen = dv.getUint16(p + 28, true);
    const xlen = dv.getUint16(p + 30, true);
    const clen = dv.getUint16(p + 32, true);
    out.set(dec.decode(bytes.subarray(p + 46, p + 46 + nlen)), crc);
    p += 46 + nlen + xlen + clen;
  }
  return out;
}

/**
 * Parses an `.npz` archive (np.savez / np.savez_compressed) into its arrays, keyed by member name
 * without the `.npy` suffix. Members that are not `.npy` files are ignored.
 */
export function parseNpz(bytes: Uint8Array, opts: { name?: string } = {}): Record<string, NpyArray> {
  const name = opts.name ?? "<npz>";
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new NpyError(`${name}: not a valid .npz (zip) archive: ${e instanceof Error ? e.message : String(e)}`);
  }
  const crcs = centralCrcs(bytes, name);
  const out: Record<string, NpyArray> = {};
  for (const [member, content] of Object.entries(files)) {
    const want = crcs.get(member);
    if (want !== undefined && crc32(content) !== want)
      throw new NpyError(`${name}: member ${member} fails its CRC-32 check (corrupt archive)`);
    if (!member.endsWith(".npy")) continue;
    out[member.slice(0, -4)] = parseNpy(content, { name: `${name}[${member}]` });
  }
  return out;
}

/** One member of an `.npz` written by `encodeNpz`: its name (without `.npy`), data and shape. */
export type NpzEntry = readonly [name: string, data: NpyData, shape: readonly number[]];

/**
 * Every zip entry's modification time. fflate writes the DOS date from the local-time fields of
 * a Date, so a date built from local fields gives the same bytes in every time zone (and in
 * Node and Chromium alike); 1980-01-01 is the DOS epoch.
 */
const ZIP_TIME = (): Date => new Date(1980, 0, 1, 0, 0, 0);

/**
 * Encodes arrays as an `.npz` that `numpy.load` reads: a zip of `<name>.npy` members in the
 * given order, stored (uncompressed) with a fixed timestamp, so the same arrays always give
 * the same bytes. Names must be unique, non-empty and free of `/`.
 */
export function encodeNpz(entries: readonly NpzEntry[]): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0; mtime: Date }]> = {};
  const mtime = ZIP_TIME();
  for (const [name, data, shape] of entries) {
    if (name === "" || name.includes("/") || name.includes("\\"))
      throw new NpyError(`encodeNpz: bad member name '${name}'`);
    const member = `${name}.npy`;
    if (member in files) throw new NpyError(`encodeNpz: member '${name}' given twice`);
    files[member] = [encodeNpy(data, shape), { level: 0, mtime }];
  }
  return zipSync(files, { level: 0, mtime });
}

/** Whether bytes start like a zip archive (`PK\x03\x04`, or `PK\x05\x06` for an empty one). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    ((bytes[2] === 0x03 && bytes[3] === 0x04) || (bytes[2] === 0x05 && bytes[3] === 0x06))
  );
}

/** Float data as Float64Array (copy). Rejects non-float dtypes, since silently reading labels as data hides mistakes. */
export function npyToFloat64(arr: NpyArray, name = "<npy>"): Float64Array {
  if (arr.dtype === "f8") return arr.data as Float64Array;
  if (arr.dtype === "f4") return Float64Array.from(arr.data as Float32Array);
  throw new NpyError(`${name}: expected float32 or float64 data, got dtype ${arr.dtype}`);
}

/** Integer (or bool) data as Int32Array, checking that every value fits. */
export function npyToInt32(arr: NpyArray, name = "<npy>"): Int32Array {
  if (arr.dtype === "f4" || arr.dtype === "f8") {
    throw new NpyError(`${name}: expected an integer dtype, got ${arr.dtype === "f4" ? "float32" : "float64"}`);
  }
  const out = new Int32Array(arr.data.length);
  for (let j = 0; j < arr.data.length; j++) {
    const v = Number(arr.data[j]);
    if (v < -2147483648 || v > 2147483647) {
      throw new NpyError(`${name}: value ${String(arr.data[j])} at index ${j} does not fit in int32`);
    }
    out[j] = v;
  }
  return out;
}
