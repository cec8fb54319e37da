// SVD projection (METHOD.md §2) over the wasm kernels in assembly/linalg.ts: the top-k right
// singular vectors of an N×C representation matrix R, found from the C×C Gram matrix RᵀR
// accumulated row block by row block (or the scatter matrix about the mean, for centred PCA),
// so N can be far larger than what fits in wasm memory at once. The authors project without
// centring (plain svd(R)); centred PCA is the alternative.
import type { Core } from "./core.js";

/** A fitted projection. Immutable by convention; all arrays are copies owned by the caller. */
export interface Projection {
  /** Columns of the input (representation width C). */
  readonly c: number;
  /** Components kept. */
  readonly k: number;
  /** Whether the column means were subtracted (PCA) before the SVD. */
  readonly centered: boolean;
  /** Float64Array, shape (c): column means when centred, zeros otherwise. */
  readonly mean: Float64Array;
  /** Float64Array, shape (k, c), row-major: the top-k right singular vectors, each with its
   * largest-magnitude entry positive (ties: the first such entry). */
  readonly components: Float64Array;
  /** Float64Array, shape (c): all singular values of R (or of the centred R), descending. */
  readonly singularValues: Float64Array;
  /** Σ_{i<k} s_i² / Σ_i s_i². */
  readonly retainedEnergy: number;
  /** N, the number of rows the projection was fitted on. */
  readonly rows: number;
}

export interface ProjectionOptions {
  /** Components to keep, 1 ≤ k ≤ min(N, C). */
  readonly k: number;
  /** Subtract column means first (PCA). The authors do not (default false). */
  readonly center?: boolean;
  /** Use the SIMD kernels (default) or their scalar twins (for tests and benchmarks). */
  readonly simd?: boolean;
}

type Rows = Float32Array | Float64Array;

function checkRows(data: Rows, m: number, c: number, fn: string, rowOffset = 0): void {
  if (!(data instanceof Float32Array || data instanceof Float64Array))
    throw new TypeError(`${fn}: rows must be a Float32Array or Float64Array`);
  if (!Number.isSafeInteger(m) || m < 0)
    throw new RangeError(`${fn}: row count must be a non-negative integer, got ${m}`);
  if (data.length !== m * c)
    throw new RangeError(`${fn}: expected ${m} rows × ${c} columns = ${m * c} values, got ${data.length}`);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (!Number.isFinite(v)) {
      const r = Math.floor(i / c);
      throw new RangeError(
        `${fn}: value at row ${rowOffset + r} (row ${r} of this chunk), column ${i % c} is ${v}; rows must be finite`,
      );
    }
  }
}

/**
 * Streams rows into the Gram (or centred scatter) matrix of a C-column matrix. Rows are
 * accumulated in fixed blocks of 128, so the result does not depend on how the caller
 * splits its rows into `add` calls. Holds about 8·C² bytes of wasm memory until `dispose()`.
 */
export class GramAccumulator {
  readonly #core: Core;
  readonly c: number;
  readonly centered: boolean;
  #ptr: number;

  /** `simd: false` selects the scalar twins of every kernel (for tests and benchmarks). */
  constructor(core: Core, c: number, opts: { center: boolean; simd?: boolean }) {
    if (!Number.isSafeInteger(c) || c < 1) throw new RangeError(`GramAccumulator: c must be an integer >= 1, got ${c}`);
    this.#core = core;
    this.c = c;
    this.centered = opts.center;
    this.#ptr = core.exports.linalg_gram_create(c, opts.center ? 1 : 0, opts.simd === false ? 0 : 1);
  }

  get #acc(): number {
    if (this.#ptr === 0) throw new Error("GramAccumulator used after dispose()");
    return this.#ptr;
  }

  /** Rows accumulated so far. */
  get rows(): number {
    return this.#core.exports.linalg_gram_rows(this.#acc);
  }

  /** Adds m rows: `rows` is Float32Array or Float64Array, shape (m, c), row-major. NaN or
   * infinite values are rejected (naming the row and column) before anything is added. */
  add(rows: Rows, m: number): void {
    const acc = this.#acc;
    const c = this.c;
    checkRows(rows, m, c, "GramAccumulator.add", this.rows);
    const ex = this.#core.exports;
    let done = 0;
    while (done < m) {
      const take = Math.min(ex.linalg_gram_capacity(acc), m - done);
      this.#core.viewF64(ex.linalg_gram_write_ptr(acc), take * c).set(rows.subarray(done * c, (done + take) * c));
      const bad = ex.linalg_gram_commit(acc, take);
      if (bad >= 0) throw new Error(`GramAccumulator.add: wasm rejected value ${bad} of a checked block`);
      done += take;
    }
  }

  /** The top-k projection of the rows so far (the accumulator stays usable). */
  finish(k: number): Projection {
    const acc = this.#acc;
    const c = this.c;
    const n = this.rows;
    if (n === 0) throw new RangeError("GramAccumulator.finish: no rows were added");
    const kMax = Math.min(n, c);
    if (!Number.isSafeInteger(k) || k < 1 || k > kMax)
      throw new RangeError(
        `GramAccumulator.finish: k must be an integer in [1, min(N=${n}, C=${c}) = ${kMax}], got ${k}`,
      );
    const core = this.#core;
    return core.scope((s) => {
      const comps = s.alloc(k * c * 8);
      const sv = s.alloc(c * 8);
      const mean = s.alloc(c * 8);
      const info = s.alloc(16);
      const status = core.exports.linalg_gram_finish(acc, k, comps, sv, mean, info);
      if (status === -2)
        throw new RangeError(
          `GramAccumulator.finish: the ${this.centered ? "centred " : ""}data has zero energy (every value is ${this.centered ? "equal to its column mean" : "0"}); nothing to project`,
        );
      if (status !== 0) throw new Error(`GramAccumulator.finish: eigensolver failed (status ${status})`);
      const infoV = core.readF64(info, 2);
      return {
        c,
        k,
        centered: this.centered,
        mean: core.readF64(mean, c),
        components: core.readF64(comps, k * c),
        singularValues: core.readF64(sv, c),
        retainedEnergy: infoV[0] as number,
        rows: infoV[1] as number,
      };
    });
  }

  dispose(): void {
    if (this.#ptr !== 0) {
      this.#core.exports.linalg_gram_free(this.#ptr);
      this.#ptr = 0;
    }
  }

  // Lets `using` free it. Kept out of the published declarations (stripInternal): naming
  // Symbol.dispose there breaks a consumer's tsc unless its lib has esnext.disposable.
  /** @internal */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Fits a projection to all n rows of `data` (shape (n, c), row-major) in one call. */
export function fitProjection(core: Core, data: Rows, n: number, c: number, opts: ProjectionOptions): Projection {
  const acc = new GramAccumulator(core, c, { center: opts.center ?? false, simd: opts.simd ?? true });
  try {
    acc.add(data, n);
    return acc.finish(opts.k);
  } finally {
    acc.dispose();
  }
}

/** Projects n rows (shape (n, c)) onto the components: Float64Array, shape (n, k), row-major,
 * (x − mean)·componentsᵀ. Works through wasm memory in chunks of `chunkRows` rows (default:
 * about 4 MB of input per trip); the result does not depend on the chunking. */
export function project(
  core: Core,
  projection: Projection,
  data: Rows,
  n: number,
  opts: { simd?: boolean; chunkRows?: number } = {},
): Float64Array {
  const { c, k } = projection;
  checkRows(data, n, c, "project");
  if (opts.chunkRows !== undefined && !(Number.isSafeInteger(opts.chunkRows) && opts.chunkRows >= 1))
    throw new RangeError(`project: chunkRows must be an integer >= 1, got ${opts.chunkRows}`);
  const out = new Float64Array(n * k);
  const chunk = Math.max(1, Math.min(n, opts.chunkRows ?? Math.floor((4 << 20) / (8 * c))));
  core.scope((s) => {
    const comps = s.f64(projection.components);
    const mean = s.f64(projection.mean);
    const rows = s.alloc(chunk * c * 8);
    const res = s.alloc(chunk * k * 8);
    for (let r0 = 0; r0 < n; r0 += chunk) {
      const m = Math.min(chunk, n - r0);
      core.viewF64(rows, m * c).set(data.subarray(r0 * c, (r0 + m) * c));
      core.exports.linalg_project(comps, mean, k, c, rows, m, res, opts.simd === false ? 0 : 1);
      out.set(core.viewF64(res, m * k), r0 * k);
    }
  });
  return out;
}

/**
 * Eigen-decomposition of a symmetric matrix with the solver the projection uses (Householder
 * tridiagonalisation, implicit QL eigenvalues, inverse iteration for the top k vectors):
 * `values` (n) all eigenvalues descending, `vectors` (k, n) row-major. For tests and tools.
 */
export function symmetricEigen(
  core: Core,
  a: Float64Array,
  n: number,
  k: number,
  opts: { simd?: boolean } = {},
): { values: Float64Array; vectors: Float64Array } {
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: expected ${n}×${n} values, got ${a.length}`);
  if (!Number.isSafeInteger(k) || k < 0 || k > n)
    throw new RangeError(`symmetricEigen: k must be in [0, ${n}], got ${k}`);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++)
      if (a[i * n + j] !== a[j * n + i])
        throw new RangeError(`symmetricEigen: matrix is not symmetric at (${i}, ${j})`);
  return core.scope((s) => {
    const pa = s.f64(a);
    const vals = s.alloc(Math.max(1, n) * 8);
    const vecs = s.alloc(Math.max(1, k * n) * 8);
    const status = core.exports.linalg_sym_eig(pa, n, k, vals, vecs, opts.simd === false ? 0 : 1);
    if (status !== 0) throw new Error(`symmetricEigen: eigensolver failed (status ${status})`);
    return { values: core.readF64(vals, n), vectors: core.readF64(vecs, k * n) };
  });
}

// ---------------------------------------------------------------------------------------
// Canonical binary form: little-endian, for files and parity checks.
//   0  magic "CFPJ"   4 u32 version = 1   8 u32 c   12 u32 k   16 u32 centred (0/1)
//  20 u32 reserved 0  24 f64 rows  32 f64 retained energy
//  40 mean (c f64)  then singular values (c f64)  then components (k·c f64)

const MAGIC = [0x43, 0x46, 0x50, 0x4a]; // "CFPJ"
const HEADER = 40;

export function encodeProjection(p: Projection): Uint8Array {
  const { c, k } = p;
  if (p.mean.length !== c || p.singularValues.length !== c || p.components.length !== k * c)
    throw new RangeError("encodeProjection: array lengths do not match c and k");
  const bytes = new Uint8Array(HEADER + 8 * (2 * c + k * c));
  const dv = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  dv.setUint32(4, 1, true);
  dv.setUint32(8, c, true);
  dv.setUint32(12, k, true);
  dv.setUint32(16, p.centered ? 1 : 0, true);
  dv.setUint32(20, 0, true);
  dv.setFloat64(24, p.rows, true);
  dv.setFloat64(32, p.retainedEnergy, true);
  let o = HEADER;
  for (const arr of [p.mean, p.singularValues, p.components]) {
    for (const v of arr) {
      dv.setFloat64(o, v, true);
      o += 8;
    }
  }
  return bytes;
}

export function decodeProjection(bytes: Uint8Array): Projection {
  const fail = (why: string): never => {
    throw new RangeError(`decodeProjection: ${why}`);
  };
  if (bytes.length < HEADER) fail(`${bytes.length} bytes is shorter than the ${HEADER}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < 4; i++) if (dv.getUint8(i) !== MAGIC[i]) fail("bad magic (not a classfit projection)");
  const version = dv.getUint32(4, true);
  if (version !== 1) fail(`unsupported version ${version}`);
  const c = dv.getUint32(8, true);
  const k = dv.getUint32(12, true);
  const centredFlag = dv.getUint32(16, true);
  if (c < 1 || k < 1 || k > c) fail(`invalid shape c = ${c}, k = ${k}`);
  if (centredFlag > 1) fail(`invalid centred flag ${centredFlag}`);
  const want = HEADER + 8 * (2 * c + k * c);
  if (bytes.length !== want) fail(`expected ${want} bytes for c = ${c}, k = ${k}, got ${bytes.length}`);
  const rows = dv.getFloat64(24, true);
  const retainedEnergy = dv.getFloat64(32, true);
  if (!Number.isSafeInteger(rows) || rows < k) fail(`invalid row count ${rows}`);
  if (!(retainedEnergy >= 0 && retainedEnergy <= 1 + 1e-12)) fail(`invalid retained energy ${retainedEnergy}`);
  let o = HEADER;
  const read = (len: number, what: string): Float64Array => {
    const a = new Float64Array(len);
    for (let i = 0; i < len; i++) {
      const v = dv.getFloat64(o, true);
      if (!Number.isFinite(v)) fail(`${what}[${i}] is ${v}`);
      a[i] = v;
      o += 8;
    }
    return a;
  };
  const mean = read(c, "mean");
  const singularValues = read(c, "singularValues");
  const components = read(k * c, "components");
  return { c, k, centered: centredFlag === 1, mean, components, singularValues, retainedEnergy, rows };
}
