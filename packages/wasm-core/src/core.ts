// The one hand-written wrapper over classfit-core.wasm (assembly/index.ts).
//
// It takes a compiled WebAssembly.Module from the host (Node reads the file, a browser
// fetches it) and adds nothing but memory handling and argument checks, so Node and the
// browser run the very same instructions. Readers are named by what they return:
//   read*  → a fresh copy, safe to keep;
//   view*  → a view over linear memory, valid only until the next call into the module
//            (any call may grow memory, which detaches every existing view).

/** The raw exports of classfit-core.wasm; see assembly/index.ts for each one's contract. */
export interface CoreExports {
  readonly memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  rng_create(seed: number, stream: number): number;
  rng_free(ptr: number): void;
  rng_copy(dst: number, src: number): void;
  rng_fill_u64(rng: number, out: number, n: number): void;
  rng_fill_uniform(rng: number, out: number, n: number): void;
  rng_fill_int(rng: number, bound: number, out: number, n: number): void;
  rng_fill_normal(rng: number, out: number, n: number): void;
  rng_fill_ziggurat(rng: number, out: number, n: number): void;
  rng_fill_ziggurat_ref(rng: number, out: number, n: number): void;
  rng_fill_gamma(rng: number, shape: number, rate: number, out: number, n: number): void;
  vec_dot(a: number, b: number, n: number): number;
  vec_dot_scalar(a: number, b: number, n: number): number;
  vec_axpy(alpha: number, x: number, y: number, out: number, n: number): void;
  vec_axpy_scalar(alpha: number, x: number, y: number, out: number, n: number): void;
  special_lgamma(x: number): number;
  stats_norm_cdf(x: number, upper: number): number;
  stats_norm_ppf(p: number): number;
  stats_ibeta(x: number, a: number, b: number, upper: number): number;
  stats_beta_quantile(p: number, a: number, b: number, upper: number): number;
  stats_cp_lower(k: number, n: number, alpha: number): number;
  stats_cp_upper(k: number, n: number, alpha: number): number;
  stats_binom_test(k: number, n: number, p: number): number;
  stats_binom_logpmf(k: number, n: number, p: number): number;
  rng_fill_beta(rng: number, a: number, b: number, out: number, n: number): void;
  rng_fill_chisq(rng: number, df: number, out: number, n: number): void;
  rng_fill_categorical(rng: number, logw: number, k: number, out: number, n: number): void;
  rng_fill_dirichlet(rng: number, alpha: number, k: number, out: number, n: number): void;
  rng_fill_mvt(rng: number, mu: number, chol: number, d: number, df: number, out: number, n: number): void;
  linalg_gram_create(c: number, centred: number, simd: number): number;
  linalg_gram_free(acc: number): void;
  linalg_gram_write_ptr(acc: number): number;
  linalg_gram_capacity(acc: number): number;
  linalg_gram_commit(acc: number, m: number): number;
  linalg_gram_rows(acc: number): number;
  linalg_gram_finish(acc: number, k: number, components: number, singular: number, mean: number, info: number): number;
  linalg_project(
    components: number,
    mean: number,
    k: number,
    c: number,
    rows: number,
    m: number,
    out: number,
    simd: number,
  ): void;
  linalg_sym_eig(a: number, n: number, k: number, vals: number, vecs: number, simd: number): number;
  dpgmm_prior(data: number, n: number, d: number, initClusters: number, mu0: number, s0: number): number;
  gibbs_create(
    data: number,
    n: number,
    d: number,
    mu0: number,
    s0: number,
    kappa0: number,
    nu0: number,
    alphaShape: number,
    alphaRate: number,
    initClusters: number,
    splitMerge: number,
    seed: number,
    chain: number,
  ): number;
  gibbs_sweep(chain: number, count: number): void;
  gibbs_k(chain: number): number;
  gibbs_alpha(chain: number): number;
  gibbs_log_joint(chain: number): number;
  gibbs_rebuilds(chain: number): number;
  gibbs_split_merge_accepted(chain: number): number;
  gibbs_split_merge(chain: number, count: number): void;
  gibbs_set_split_merge(chain: number, count: number): void;
  gibbs_record_cpo(chain: number, on: number): void;
  gibbs_read_cpo(chain: number, out: number): number;
  gibbs_set_neighbours(chain: number, nn: number): void;
  vec_log_mean_exp_rows(v: number, R: number, m: number, out: number): void;
  gibbs_export(chain: number, counts: number, means: number, chol: number): number;
  gibbs_assignments(chain: number, out: number): void;
  gibbs_free(chain: number): void;
  mix_create(
    d: number,
    T: number,
    ks: number,
    alphas: number,
    counts: number,
    means: number,
    chol: number,
    mu0: number,
    s0: number,
    kappa0: number,
    nu0: number,
    variant: number,
  ): number;
  mix_logpdf(mix: number, points: number, m: number, out: number): void;
  mix_kl(mix: number, data: number, n: number, M: number, seed: number, full: number, out: number): void;
  mix_free(mix: number): void;
  clu_create(d: number, mu0: number, s0: number, kappa0: number, nu0: number): number;
  clu_free(h: number): void;
  clu_acquire(h: number): number;
  clu_add(h: number, slot: number, x: number): number;
  clu_remove(h: number, slot: number, x: number, members: number, m: number, force: number): number;
  clu_read(h: number, slot: number, mu: number, chol: number): number;
  clu_read_inverse(h: number, slot: number, out: number): void;
  clu_logt(h: number, slot: number, x: number): number;
  clu_logt_removed(h: number, slot: number, x: number): number;
  clu_logt0(h: number, x: number): number;
  clu_log_marginal(h: number, slot: number): number;
  tri_mahal(w: number, r: number, d: number, simd: number): number;
  tri_prec_rank1(w: number, v: number, d: number, sigma: number, simd: number): number;
  tri_mahal_batch(w: number, rs: number, B: number, d: number, out: number): void;
  tri_matvec(w: number, r: number, d: number, simd: number, out: number): void;
  tri_chol_rank1(l: number, x: number, d: number, sigma: number): number;
  bench_simd_peak(iters: number): number;
}

type Arity<F> = F extends (...args: infer A) => unknown ? A["length"] : never;
type CoreFunctions = Omit<CoreExports, "memory">;

/**
 * Every function export's parameter count. CoreExports is written by hand, so it can drift from
 * assembly/index.ts: the compiler holds this table to CoreExports (every name, each arity), and
 * exports.test.ts holds it to the built module's exports.
 */
export const CORE_EXPORT_ARITY = {
  alloc: 1,
  free: 1,
  rng_create: 2,
  rng_free: 1,
  rng_copy: 2,
  rng_fill_u64: 3,
  rng_fill_uniform: 3,
  rng_fill_int: 4,
  rng_fill_normal: 3,
  rng_fill_ziggurat: 3,
  rng_fill_ziggurat_ref: 3,
  rng_fill_gamma: 5,
  vec_dot: 3,
  vec_dot_scalar: 3,
  vec_axpy: 5,
  vec_axpy_scalar: 5,
  special_lgamma: 1,
  stats_norm_cdf: 2,
  stats_norm_ppf: 1,
  stats_ibeta: 4,
  stats_beta_quantile: 4,
  stats_cp_lower: 3,
  stats_cp_upper: 3,
  stats_binom_test: 3,
  stats_binom_logpmf: 3,
  rng_fill_beta: 5,
  rng_fill_chisq: 4,
  rng_fill_categorical: 5,
  rng_fill_dirichlet: 5,
  rng_fill_mvt: 7,
  linalg_gram_create: 3,
  linalg_gram_free: 1,
  linalg_gram_write_ptr: 1,
  linalg_gram_capacity: 1,
  linalg_gram_commit: 2,
  linalg_gram_rows: 1,
  linalg_gram_finish: 6,
  linalg_project: 8,
  linalg_sym_eig: 6,
  dpgmm_prior: 6,
  gibbs_create: 13,
  gibbs_sweep: 2,
  gibbs_k: 1,
  gibbs_alpha: 1,
  gibbs_log_joint: 1,
  gibbs_rebuilds: 1,
  gibbs_split_merge_accepted: 1,
  gibbs_split_merge: 2,
  gibbs_set_split_merge: 2,
  gibbs_record_cpo: 2,
  gibbs_read_cpo: 2,
  gibbs_set_neighbours: 2,
  vec_log_mean_exp_rows: 4,
  gibbs_export: 4,
  gibbs_assignments: 2,
  gibbs_free: 1,
  mix_create: 12,
  mix_logpdf: 4,
  mix_kl: 7,
  mix_free: 1,
  clu_create: 5,
  clu_free: 1,
  clu_acquire: 1,
  clu_add: 3,
  clu_remove: 6,
  clu_read: 4,
  clu_read_inverse: 3,
  clu_logt: 3,
  clu_logt_removed: 3,
  clu_logt0: 2,
  clu_log_marginal: 2,
  tri_mahal: 4,
  tri_prec_rank1: 5,
  tri_mahal_batch: 5,
  tri_matvec: 5,
  tri_chol_rank1: 4,
  bench_simd_peak: 1,
} as const satisfies { [K in keyof CoreFunctions]: Arity<CoreFunctions[K]> };

/** An error raised inside the wasm module (an AssemblyScript `throw` or failed assert). */
export class WasmCoreError extends Error {
  override name = "WasmCoreError";
}

function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return "";
  // AssemblyScript strings are UTF-16 with their byte length in the header word before them.
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0] ?? 0;
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

/** Tracks the blocks allocated inside one `Core.scope` call and frees them on exit. */
export class Scope {
  readonly #core: Core;
  readonly #ptrs: number[] = [];
  constructor(core: Core) {
    this.#core = core;
  }
  /** Allocates `bytes` bytes, freed when the scope ends. */
  alloc(bytes: number): number {
    const p = this.#core.alloc(bytes);
    this.#ptrs.push(p);
    return p;
  }
  /** Copies `data` into a new f64 block; returns its pointer. */
  f64(data: ArrayLike<number>): number {
    const p = this.alloc(data.length * 8);
    this.#core.viewF64(p, data.length).set(data);
    return p;
  }
  /** A zeroed f64 block of n elements (an out-parameter). */
  f64Out(n: number): number {
    const p = this.alloc(n * 8);
    this.#core.viewF64(p, n).fill(0);
    return p;
  }
  /** @internal */
  release(): void {
    for (const p of this.#ptrs.splice(0)) this.#core.free(p);
  }
}

export class Core {
  readonly exports: CoreExports;

  private constructor(exports: CoreExports) {
    this.exports = exports;
  }

  /** Instantiates the module. The host supplies the compiled module; nothing else. */
  static async instantiate(module: WebAssembly.Module): Promise<Core> {
    let memory: WebAssembly.Memory | undefined;
    const imports = {
      env: {
        abort(msg: number, file: number, line: number, col: number): never {
          const m = memory ? readAsString(memory, msg) : "";
          const f = memory ? readAsString(memory, file) : "";
          throw new WasmCoreError(`${m} (${f}:${line}:${col})`);
        },
      },
    };
    const instance = await WebAssembly.instantiate(module, imports);
    const exports = instance.exports as unknown as CoreExports;
    memory = exports.memory;
    return new Core(exports);
  }

  alloc(bytes: number): number {
    const p = this.exports.alloc(bytes);
    if (p === 0) throw new WasmCoreError(`allocation of ${bytes} bytes failed`);
    return p;
  }

  free(ptr: number): void {
    this.exports.free(ptr);
  }

  /** Runs `fn` with a Scope whose allocations are freed when it returns or throws. */
  scope<T>(fn: (s: Scope) => T): T {
    const s = new Scope(this);
    try {
      return fn(s);
    } finally {
      s.release();
    }
  }

  /** View over n f64s at ptr; invalid after the next call into the module. */
  viewF64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.exports.memory.buffer, ptr, n);
  }
  /** Copy of n f64s at ptr. */
  readF64(ptr: number, n: number): Float64Array {
    return this.viewF64(ptr, n).slice();
  }
  /** View over n u32s at ptr; invalid after the next call into the module. */
  viewU32(ptr: number, n: number): Uint32Array {
    return new Uint32Array(this.exports.memory.buffer, ptr, n);
  }
  /** Copy of n u32s at ptr. */
  readU32(ptr: number, n: number): Uint32Array {
    return this.viewU32(ptr, n).slice();
  }

  /** A seeded generator; see Rng. */
  rng(seed: number, stream = 0): Rng {
    return new Rng(this, seed, stream);
  }

  /** Σ a[i]·b[i] with the SIMD kernel (or its scalar twin when `scalar` is set). */
  dot(a: Float64Array, b: Float64Array, scalar = false): number {
    if (a.length !== b.length) throw new RangeError(`dot: lengths differ (${a.length} vs ${b.length})`);
    return this.scope((s) => {
      const pa = s.f64(a);
      const pb = s.f64(b);
      return scalar ? this.exports.vec_dot_scalar(pa, pb, a.length) : this.exports.vec_dot(pa, pb, a.length);
    });
  }

  /** alpha·x + y with the SIMD kernel (or its scalar twin). */
  axpy(alpha: number, x: Float64Array, y: Float64Array, scalar = false): Float64Array {
    if (x.length !== y.length) throw new RangeError(`axpy: lengths differ (${x.length} vs ${y.length})`);
    return this.scope((s) => {
      const px = s.f64(x);
      const py = s.f64(y);
      const po = s.f64Out(x.length);
      (scalar ? this.exports.vec_axpy_scalar : this.exports.vec_axpy)(alpha, px, py, po, x.length);
      return this.readF64(po, x.length);
    });
  }
}

function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what}: n must be a non-negative integer, got ${n}`);
}

/**
 * A xoshiro256** generator living in wasm memory, seeded from (seed, stream).
 * Same (seed, stream) → the same stream of draws in every engine. Call `dispose()` (or use
 * `using`) when done; the state is a few dozen bytes of wasm memory.
 */
export class Rng {
  readonly #core: Core;
  #ptr: number;

  constructor(core: Core, seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new RangeError(`seed must be an integer in [0, 2^53), got ${seed}`);
    if (!Number.isSafeInteger(stream) || stream < 0)
      throw new RangeError(`stream must be an integer in [0, 2^53), got ${stream}`);
    this.#core = core;
    this.#ptr = core.exports.rng_create(seed, stream);
  }

  /** Pointer to the state, for exports that take a generator. */
  get ptr(): number {
    if (this.#ptr === 0) throw new Error("Rng used after dispose()");
    return this.#ptr;
  }

  #fill(n: number, what: string, bytesPer: number, run: (out: number) => void): number {
    checkCount(n, what);
    const out = this.#core.alloc(Math.max(1, n) * bytesPer);
    try {
      run(out);
    } catch (e) {
      this.#core.free(out);
      throw e;
    }
    return out;
  }

  #takeF64(out: number, n: number): Float64Array {
    const r = this.#core.readF64(out, n);
    this.#core.free(out);
    return r;
  }

  /** n raw 64-bit outputs as BigInts (for reference-vector tests). */
  u64(n: number): BigUint64Array {
    const out = this.#fill(n, "u64", 8, (o) => this.#core.exports.rng_fill_u64(this.ptr, o, n));
    const r = new BigUint64Array(this.#core.exports.memory.buffer, out, n).slice();
    this.#core.free(out);
    return r;
  }

  /** n uniforms on [0, 1). */
  uniform(n: number): Float64Array {
    const out = this.#fill(n, "uniform", 8, (o) => this.#core.exports.rng_fill_uniform(this.ptr, o, n));
    return this.#takeF64(out, n);
  }

  /** n uniform integers in [0, bound). */
  int(n: number, bound: number): Uint32Array {
    if (!Number.isInteger(bound) || bound < 1 || bound > 0xffffffff)
      throw new RangeError(`bound must be an integer in [1, 2^32), got ${bound}`);
    const out = this.#fill(n, "int", 4, (o) => this.#core.exports.rng_fill_int(this.ptr, bound, o, n));
    const r = this.#core.readU32(out, n);
    this.#core.free(out);
    return r;
  }

  /** n standard normals. */
  normal(n: number): Float64Array {
    const out = this.#fill(n, "normal", 8, (o) => this.#core.exports.rng_fill_normal(this.ptr, o, n));
    return this.#takeF64(out, n);
  }

  /** n standard normals by the ziggurat (Marsaglia & Tsang 2000): the noise stream of noisy
   * forward passes, several times faster than `normal` (a different stream of the same
   * generator; the two may be interleaved on one Rng). */
  zigguratNormal(n: number): Float64Array {
    return this.zigguratNormalInto(new Float64Array(n));
  }

  /** `zigguratNormal(out.length)` written into `out` (returned), so a caller drawing the same
   * amount again and again reuses one buffer. */
  zigguratNormalInto(out: Float64Array): Float64Array {
    const n = out.length;
    const p = this.#fill(n, "zigguratNormal", 8, (o) => this.#core.exports.rng_fill_ziggurat(this.ptr, o, n));
    out.set(this.#core.viewF64(p, n));
    this.#core.free(p);
    return out;
  }

  /** The same draws as `zigguratNormal`, one at a time through the plain reference; for tests. */
  zigguratNormalReference(n: number): Float64Array {
    const out = this.#fill(n, "zigguratNormalReference", 8, (o) =>
      this.#core.exports.rng_fill_ziggurat_ref(this.ptr, o, n),
    );
    return this.#takeF64(out, n);
  }

  /** n Gamma(shape, rate) draws (mean shape/rate). */
  gamma(n: number, shape: number, rate = 1): Float64Array {
    const out = this.#fill(n, "gamma", 8, (o) => this.#core.exports.rng_fill_gamma(this.ptr, shape, rate, o, n));
    return this.#takeF64(out, n);
  }

  dispose(): void {
    if (this.#ptr !== 0) {
      this.#core.exports.rng_free(this.#ptr);
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
