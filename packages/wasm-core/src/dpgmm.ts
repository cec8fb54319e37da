// The DP-GMM class model (METHOD.md §3–§5) over the flat wasm ABI: configuration, fitting
// with several independent collapsed-Gibbs chains, split-R̂ diagnostics, posterior
// predictive log-densities, the Monte Carlo relative entropy, and a canonical binary
// encoding. Configuration is immutable and kept apart from the fitted state (ClassModel).
//
// All numerical work happens in wasm (bit-identical in every engine); the TypeScript here
// only moves buffers and computes R̂ with + − × ÷ and sqrt, which IEEE-754 fixes exactly.
import type { Core } from "./core.js";

/** `default`: the textbook Bayesian predictive (exact mixture with the new-cluster term,
 * log of the mean over traces), 32 chains of 40 sweeps whose spread gives each class mean its
 * Monte Carlo error (METHOD.md §12), and two split–merge proposals per burn-in sweep. `paper`: Jamroż & Kurdziel's choices (weights ∝ α + n_k, mean of log p_t over
 * traces, one chain, plain single-site Gibbs). Both use the authors' hyper-parameters
 * (METHOD.md §3: μ0 = mean, κ0 = 0.01, ν0 = d + 2, S0 = diag(var)/K0^(2/d), K0 = 6,
 * α ~ Gamma(1, 1)); they are a reasonable empirical-Bayes choice and keep the two profiles'
 * posteriors identical, so only the predictive summary and the sampler's mixing differ. */
export type Profile = "default" | "paper";
export type PredictiveVariant = "exact" | "paper" | "mean-log";
/** The wasm mixture's variant codes (predictive.ts). */
const VARIANT_CODE: Record<PredictiveVariant, number> = { exact: 0, paper: 1, "mean-log": 2 };
export type KlReference = "diag" | "full";
/** How chains start. `random`: every chain puts each point uniformly in one of K0 clusters
 * (METHOD.md §3). `dispersed`: chain c starts from K0, 1, 4·K0 and ⌈K0/2⌉ clusters in turn,
 * so chains that settle in different partitions disagree visibly in R̂. `bracket`: even chains
 * start from K0 clusters, odd chains from BRACKET_FACTOR·K0 (at most n), i.e. from below and
 * from above the number of clusters a class settles at; on 64-dimensional Fashion-MNIST classes
 * the two halves stay apart for hundreds of sweeps (bench/start-sensitivity.mjs), and
 * samplerSummary's startGap measures how far (METHOD.md §12). */
export type InitScheme = "random" | "dispersed" | "bracket";
export const INIT_SCHEMES: readonly InitScheme[] = ["random", "dispersed", "bracket"];
/** How many times K0 the upper half of a `bracket` fit starts from: 96 at the authors' K0 = 6,
 * above the 8–60 clusters that 1 000-point classes in 64 dimensions settle at from K0. */
export const BRACKET_FACTOR = 16;

export interface DpgmmConfig {
  readonly profile: Profile;
  /** Gibbs sweeps per chain (authors: 400). */
  readonly sweeps: number;
  /** Sweeps discarded before the first kept trace (authors: 320). */
  readonly burnIn: number;
  /** Keep the state after sweeps burnIn + thin, burnIn + 2·thin, … (authors: 4). */
  readonly thin: number;
  /** Independent chains per replicate; chain c draws from the generator stream (seed, c). */
  readonly chains: number;
  /** Independent replicate fits, each of `chains` chains (chains r·chains … r·chains + chains − 1
   * of one run), pooled into one predictive; their spread shows the sampler's share of every
   * number (METHOD.md §12). */
  readonly replicates: number;
  /** K0, the number of random initial clusters; also sets S0 = diag(var)/K0^(2/d). */
  readonly initClusters: number;
  /** Split–merge Metropolis–Hastings proposals (Dahl 2003) after each Gibbs scan during
   * burn-in (kept sweeps are plain Gibbs: each proposal costs about as much as a scan); 0 is
   * the authors' plain single-site sampler. Same posterior; it lets a chain escape merged
   * states that single-site Gibbs cannot split in high dimension. */
  readonly splitMerge: number;
  /** Split–merge proposals after each Gibbs scan once burn-in is over (0: plain Gibbs while
   * traces are kept). Each proposal touches only the two clusters involved, so it costs a
   * small fraction of a scan when K is large. */
  readonly splitMergeKept: number;
  /** Nearest neighbours per point from which half of the split–merge pairs are drawn (0: all
   * pairs uniform). Uniform pairs almost never propose merging two adjacent clusters once K is
   * large; the pair choice ignores the partition, so the acceptance ratio is unchanged. */
  readonly neighbours: number;
  readonly init: InitScheme;
  readonly seed: number;
  /** κ0 of the NIW prior (authors: 0.01). */
  readonly kappa0: number;
  /** ν0 = d + nu0Offset (authors: 2); must be > −1. */
  readonly nu0Offset: number;
  /** α ~ Gamma(alphaShape, alphaRate) (rate parametrisation; authors: 1, 1). */
  readonly alphaShape: number;
  readonly alphaRate: number;
  /** Which predictive logPredictive and relativeEntropy use unless told otherwise: the density
   * of new points. */
  readonly predictive: PredictiveVariant;
  /** How a training point is scored under its own class's model, which is what the class mean
   * log-density and its standard error in the sampler summary are (METHOD.md §4, §12). A
   * training point sits in one of each trace's clusters, so its p_t swings with the sampled
   * partition; `mean-log` averages log p_t, a posterior expectation whose estimate does not
   * climb with the number of traces pooled as the log of their mean does
   * (bench/seed-stability.mjs). */
  readonly classScore: PredictiveVariant;
  /** The reference Gaussian of relativeEntropy. */
  readonly klReference: KlReference;
  /** Monte Carlo samples per trace for relativeEntropy (authors: 100 000). */
  readonly klSamples: number;
}

const BASE: Omit<DpgmmConfig, "profile" | "chains" | "predictive" | "classScore" | "splitMerge"> = {
  sweeps: 400,
  burnIn: 320,
  thin: 4,
  initClusters: 6,
  seed: 0,
  kappa0: 0.01,
  nu0Offset: 2,
  alphaShape: 1,
  alphaRate: 1,
  klReference: "diag",
  klSamples: 100_000,
  splitMergeKept: 0,
  neighbours: 0,
  init: "random",
  replicates: 1,
};

const PROFILES: Record<Profile, DpgmmConfig> = {
  // Many short chains (bench/seed-stability.mjs): in 64 dimensions every chain settles early in
  // a partition of its own and stays there, so sweeps past that buy little, while each further
  // chain adds a partition to the pooled predictive and to the average the class mean is. On
  // ten Fashion-MNIST classes 32 chains × 40 sweeps gave the class means half the seed spread of
  // 16 × 80 (mean SD 0.26 against 0.44 nats) and a better held-out density, for the same CPU.
  default: {
    ...BASE,
    profile: "default",
    sweeps: 40,
    burnIn: 24,
    // Two traces per chain: traces of one chain share its partition, so more of them add little
    // to the predictive while every scored point pays for each (64 traces in all, against the
    // old default's 40).
    thin: 8,
    chains: 32,
    predictive: "exact",
    classScore: "mean-log",
    // Two proposals per burn-in sweep: with 24 burn-in sweeps, one left chains on a known
    // 12-component mixture in 64 dimensions at K ≈ 9, 0.56 nats per point below the predictive at
    // the true partition; two bring them to K ≈ 10.4 and 0.23 nats (bench/known-mixture.mjs).
    splitMerge: 2,
  },
  paper: { ...BASE, profile: "paper", chains: 1, predictive: "paper", classScore: "paper", splitMerge: 0 },
};

function checkInt(v: number, name: string, min: number): void {
  if (!Number.isSafeInteger(v) || v < min)
    throw new RangeError(`dpgmm config: ${name} must be an integer >= ${min}, got ${v}`);
}
function checkPos(v: number, name: string): void {
  if (!(Number.isFinite(v) && v > 0))
    throw new RangeError(`dpgmm config: ${name} must be a finite number > 0, got ${v}`);
}

/** A validated, frozen configuration: the profile's defaults with `overrides` applied. */
export function dpgmmConfig(overrides: Partial<DpgmmConfig> = {}): DpgmmConfig {
  const profile = overrides.profile ?? "default";
  const base = PROFILES[profile];
  if (!base) throw new RangeError(`dpgmm config: unknown profile '${String(profile)}' (default | paper)`);
  const known = new Set(Object.keys(base));
  for (const k of Object.keys(overrides)) {
    if (!known.has(k)) throw new RangeError(`dpgmm config: unknown option '${k}'`);
  }
  const c: DpgmmConfig = { ...base, ...overrides, profile };
  checkInt(c.sweeps, "sweeps", 1);
  checkInt(c.burnIn, "burnIn", 0);
  checkInt(c.thin, "thin", 1);
  if (c.burnIn + c.thin > c.sweeps) {
    throw new RangeError(
      `dpgmm config: burnIn + thin (${c.burnIn} + ${c.thin}) exceeds sweeps (${c.sweeps}); no trace would be kept`,
    );
  }
  checkInt(c.chains, "chains", 1);
  checkInt(c.replicates, "replicates", 1);
  checkInt(c.initClusters, "initClusters", 1);
  checkInt(c.splitMerge, "splitMerge", 0);
  checkInt(c.splitMergeKept, "splitMergeKept", 0);
  checkInt(c.neighbours, "neighbours", 0);
  if (!INIT_SCHEMES.includes(c.init))
    throw new RangeError(`dpgmm config: init must be one of ${INIT_SCHEMES.join(", ")}, got '${String(c.init)}'`);
  checkInt(c.seed, "seed", 0);
  checkPos(c.kappa0, "kappa0");
  if (!(Number.isFinite(c.nu0Offset) && c.nu0Offset > -1))
    throw new RangeError(`dpgmm config: nu0Offset must be > -1 (nu0 > d - 1), got ${c.nu0Offset}`);
  checkPos(c.alphaShape, "alphaShape");
  checkPos(c.alphaRate, "alphaRate");
  for (const key of ["predictive", "classScore"] as const) {
    if (!Object.hasOwn(VARIANT_CODE, c[key]))
      throw new RangeError(`dpgmm config: ${key} must be 'exact', 'paper' or 'mean-log', got '${String(c[key])}'`);
  }
  if (c.klReference !== "diag" && c.klReference !== "full")
    throw new RangeError(`dpgmm config: klReference must be 'diag' or 'full', got '${String(c.klReference)}'`);
  checkInt(c.klSamples, "klSamples", 1);
  return Object.freeze(c);
}

/** One kept state of a chain. K clusters, in the sampler's canonical order. */
export interface FitTrace {
  /** 1-based sweep after which the state was kept. */
  readonly sweep: number;
  readonly alpha: number;
  readonly logJoint: number;
  /** Int32Array, shape (K): points per cluster. */
  readonly counts: Int32Array;
  /** Float64Array, shape (K, d), row-major: posterior means μ_n. */
  readonly means: Float64Array;
  /** Float64Array, shape (K, d, d), row-major: lower Cholesky factors L with S_n = L Lᵀ. */
  readonly chol: Float64Array;
  /** Float64Array, shape (K): κ_n = κ0 + n_k. */
  readonly kappa: Float64Array;
  /** Float64Array, shape (K): ν_n = ν0 + n_k. */
  readonly nu: Float64Array;
}

export interface ChainState {
  /** Int32Array, shape (n): final cluster of each point (index into the last state's clusters). */
  readonly assignments: Int32Array;
  /** Float64Array, shape (sweeps): log joint after each sweep. */
  readonly logJointTrace: Float64Array;
  /** Int32Array, shape (sweeps): number of clusters after each sweep. */
  readonly kTrace: Int32Array;
  /** Float64Array, shape (sweeps): α after each sweep. */
  readonly alphaTrace: Float64Array;
  readonly traces: FitTrace[];
  /** Cluster factors rebuilt from their points after a failed downdate. */
  readonly rebuilds: number;
  /** Accepted split–merge proposals. */
  readonly splitMergeAccepted: number;
  /** Float64Array, shape (n): log of the mean over the kept sweeps of p(x_i | z_−i, X_−i), the
   * leave-one-out (CPO) predictive of each training point (METHOD.md §12); absent in models
   * encoded before it was recorded. */
  readonly looLogDensity?: Float64Array;
}

export interface NiwPrior {
  /** Float64Array, shape (d). */
  readonly mu0: Float64Array;
  /** Float64Array, shape (d): the diagonal of S0. */
  readonly s0: Float64Array;
  readonly kappa0: number;
  readonly nu0: number;
  /** Dimensions whose variance was floored (see dpgmm_prior). */
  readonly flooredDims: number;
}

export interface ClassModel {
  readonly n: number;
  readonly d: number;
  readonly config: DpgmmConfig;
  readonly prior: NiwPrior;
  readonly chains: ChainState[];
  /** Split-R̂ over the post-burn-in sweeps of all chains; NaN when undefined. */
  readonly rhat: { readonly logJoint: number; readonly k: number };
  /** Mean number of clusters over the kept traces. */
  readonly meanK: number;
  readonly warnings: string[];
}

/** Checks a row-major (n, d) matrix: shape, and every value finite (naming row and column). */
export function validateMatrix(data: Float64Array, n: number, d: number, what = "data"): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${what}: n must be an integer >= 1, got ${n}`);
  if (!Number.isSafeInteger(d) || d < 1) throw new RangeError(`${what}: d must be an integer >= 1, got ${d}`);
  if (data.length !== n * d)
    throw new RangeError(`${what}: expected n·d = ${n}·${d} = ${n * d} values, got ${data.length}`);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (!Number.isFinite(v)) {
      throw new RangeError(`${what}: non-finite value ${v} at row ${Math.floor(i / d)}, column ${i % d}`);
    }
  }
}

function i32Copy(core: Core, ptr: number, n: number): Int32Array {
  return new Int32Array(core.exports.memory.buffer, ptr, n).slice();
}

/**
 * Split-R̂ (Gelman et al., BDA3 §11.4): every chain's draws are cut into halves, and
 * R̂ = sqrt(((N−1)/N · W + B/N) / W) over the 2·chains half-chains of N draws. Uses only
 * + − × ÷ and sqrt so the value is identical in every engine. Returns 1 when every draw is
 * identical (no variation anywhere) and NaN when the chains vary between but not within, or
 * there are fewer than 2 draws per half.
 * (The rank-normalised version of Vehtari et al. 2021 needs Φ⁻¹ and is left out.)
 */
export function splitRhat(chains: ArrayLike<number>[]): number {
  const halves: number[][] = [];
  for (const c of chains) {
    const N = Math.floor(c.length / 2);
    const off = c.length - 2 * N; // drop the first draw of an odd-length chain
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < N; i++) {
      a.push(c[off + i] as number);
      b.push(c[off + N + i] as number);
    }
    halves.push(a, b);
  }
  const N = halves[0]?.length ?? 0;
  if (N < 2 || halves.some((h) => h.length !== N)) return Number.NaN;
  const M = halves.length;
  const means = halves.map((h) => h.reduce((s, v) => s + v, 0) / N);
  const grand = means.reduce((s, v) => s + v, 0) / M;
  let B = 0;
  for (const m of means) B += (m - grand) * (m - grand);
  B = (B * N) / (M - 1);
  let W = 0;
  halves.forEach((h, j) => {
    const m = means[j] as number;
    let s = 0;
    for (const v of h) s += (v - m) * (v - m);
    W += s / (N - 1);
  });
  W /= M;
  if (W === 0) return B === 0 ? 1 : Number.NaN;
  const varPlus = ((N - 1) / N) * W + B / N;
  return Math.sqrt(varPlus / W);
}

/**
 * Fits the DP-GMM of one class. data: Float64Array, shape (n, d), row-major (finite).
 * Runs config.chains × config.replicates chains of config.sweeps sweeps; `onSweep(chain, sweep)` is called after
 * each sweep (1-based) for progress. n = 1 and d > n are allowed (with a warning for d > n).
 */
export function fitClassModel(
  core: Core,
  data: Float64Array,
  n: number,
  d: number,
  config: DpgmmConfig,
  onSweep?: (chain: number, sweep: number) => void,
): ClassModel {
  validateMatrix(data, n, d);
  const cfg = dpgmmConfig(config);
  const warnings: string[] = [];
  if (d > n) {
    warnings.push(
      `d = ${d} exceeds n = ${n}: the cluster covariances are driven by the prior scale S0; interpret densities with care`,
    );
  }
  if (n === 1) warnings.push("n = 1: a single example; the model is essentially the prior centred on it");
  const e = core.exports;
  const nu0 = d + cfg.nu0Offset;
  const prior = core.scope((s) => {
    const pd = s.f64(data);
    const pm = s.f64Out(d);
    const ps = s.f64Out(d);
    const floored = e.dpgmm_prior(pd, n, d, cfg.initClusters, pm, ps);
    return {
      mu0: core.readF64(pm, d),
      s0: core.readF64(ps, d),
      kappa0: cfg.kappa0,
      nu0,
      flooredDims: floored,
    } satisfies NiwPrior;
  });
  if (prior.flooredDims > 0) {
    warnings.push(
      `${prior.flooredDims} of ${d} dimensions have (near-)zero variance; their prior variance was floored to 1e-12 × the largest variance (or 1 if all are zero)`,
    );
  }
  const chains: ChainState[] = [];
  for (let c = 0; c < cfg.chains * cfg.replicates; c++) {
    chains.push(
      core.scope((s) => {
        const pd = s.f64(data);
        const pm = s.f64(prior.mu0);
        const ps = s.f64(prior.s0);
        const ch = e.gibbs_create(
          pd,
          n,
          d,
          pm,
          ps,
          cfg.kappa0,
          nu0,
          cfg.alphaShape,
          cfg.alphaRate,
          initialClusters(cfg, c),
          cfg.splitMerge,
          cfg.seed,
          c,
        );
        try {
          return runChain(core, ch, n, d, cfg, prior, (sweep) => onSweep?.(c, sweep));
        } finally {
          e.gibbs_free(ch);
        }
      }),
    );
  }
  const post = (arr: ArrayLike<number>): number[] => Array.from(arr).slice(cfg.burnIn);
  const rhat = {
    logJoint: splitRhat(chains.map((ch) => post(ch.logJointTrace))),
    k: splitRhat(chains.map((ch) => post(ch.kTrace))),
  };
  let kSum = 0;
  let tCount = 0;
  for (const ch of chains) {
    for (const t of ch.traces) {
      kSum += t.counts.length;
      tCount++;
    }
  }
  // No R̂ warning here: in high dimension chains routinely settle in different partitions, and
  // more sweeps do not change that. samplerSummary measures what it costs the class mean (its
  // MCSE across chains) and the rank-normalised R̂/ESS, and the study reports them per fit.
  return { n, d, config: cfg, prior, chains, rhat, meanK: kSum / tCount, warnings };
}

/** K of chain c's random start (see InitScheme). */
export function initialClusters(cfg: DpgmmConfig, c: number): number {
  if (cfg.init === "random") return cfg.initClusters;
  const k0 = cfg.initClusters;
  if (cfg.init === "bracket") return c % 2 === 0 ? k0 : BRACKET_FACTOR * k0;
  return [k0, 1, 4 * k0, Math.ceil(k0 / 2)][c % 4] as number;
}

function runChain(
  core: Core,
  ch: number,
  n: number,
  d: number,
  cfg: DpgmmConfig,
  prior: NiwPrior,
  onSweep: (sweep: number) => void,
): ChainState {
  const e = core.exports;
  const logJointTrace = new Float64Array(cfg.sweeps);
  const kTrace = new Int32Array(cfg.sweeps);
  const alphaTrace = new Float64Array(cfg.sweeps);
  const traces: FitTrace[] = [];
  if (cfg.neighbours > 0) e.gibbs_set_neighbours(ch, cfg.neighbours);
  for (let sweep = 1; sweep <= cfg.sweeps; sweep++) {
    if (sweep === cfg.burnIn + 1) e.gibbs_set_split_merge(ch, cfg.splitMergeKept);
    const keep = sweep > cfg.burnIn && (sweep - cfg.burnIn) % cfg.thin === 0;
    e.gibbs_record_cpo(ch, keep ? 1 : 0);
    e.gibbs_sweep(ch, 1);
    logJointTrace[sweep - 1] = e.gibbs_log_joint(ch);
    kTrace[sweep - 1] = e.gibbs_k(ch);
    alphaTrace[sweep - 1] = e.gibbs_alpha(ch);
    if (keep) traces.push(exportTrace(core, ch, d, sweep, prior));
    onSweep(sweep);
  }
  const assignments = core.scope((s) => {
    const p = s.alloc(n * 4);
    e.gibbs_assignments(ch, p);
    return i32Copy(core, p, n);
  });
  const looLogDensity = core.scope((s) => {
    const p = s.f64Out(n);
    e.gibbs_read_cpo(ch, p);
    return core.readF64(p, n);
  });
  return {
    assignments,
    logJointTrace,
    kTrace,
    alphaTrace,
    traces,
    rebuilds: e.gibbs_rebuilds(ch),
    splitMergeAccepted: e.gibbs_split_merge_accepted(ch),
    looLogDensity,
  };
}

function exportTrace(core: Core, ch: number, d: number, sweep: number, prior: NiwPrior): FitTrace {
  const e = core.exports;
  const K = e.gibbs_k(ch);
  return core.scope((s) => {
    const pc = s.alloc(K * 4);
    const pm = s.alloc(K * d * 8);
    const pl = s.alloc(K * d * d * 8);
    e.gibbs_export(ch, pc, pm, pl);
    const counts = i32Copy(core, pc, K);
    return {
      sweep,
      alpha: e.gibbs_alpha(ch),
      logJoint: e.gibbs_log_joint(ch),
      counts,
      means: core.readF64(pm, K * d),
      chol: core.readF64(pl, K * d * d),
      kappa: Float64Array.from(counts, (c) => prior.kappa0 + c),
      nu: Float64Array.from(counts, (c) => prior.nu0 + c),
    };
  });
}

/** All kept traces of a model, chain by chain. */
export function allTraces(model: ClassModel): FitTrace[] {
  return model.chains.flatMap((c) => c.traces);
}

function withMixture<T>(core: Core, model: ClassModel, variant: PredictiveVariant, fn: (mix: number) => T): T {
  const traces = allTraces(model);
  if (traces.length === 0) throw new RangeError("class model has no kept traces");
  const d = model.d;
  const total = traces.reduce((s, t) => s + t.counts.length, 0);
  const counts = new Int32Array(total);
  const means = new Float64Array(total * d);
  const chol = new Float64Array(total * d * d);
  let k = 0;
  for (const t of traces) {
    counts.set(t.counts, k);
    means.set(t.means, k * d);
    chol.set(t.chol, k * d * d);
    k += t.counts.length;
  }
  const e = core.exports;
  const mix = core.scope((s) => {
    const pks = s.alloc(traces.length * 4);
    new Int32Array(e.memory.buffer, pks, traces.length).set(traces.map((t) => t.counts.length));
    const pcounts = s.alloc(Math.max(1, total) * 4);
    new Int32Array(e.memory.buffer, pcounts, total).set(counts);
    return e.mix_create(
      d,
      traces.length,
      pks,
      s.f64(traces.map((t) => t.alpha)),
      pcounts,
      s.f64(means),
      s.f64(chol),
      s.f64(model.prior.mu0),
      s.f64(model.prior.s0),
      model.prior.kappa0,
      model.prior.nu0,
      VARIANT_CODE[variant],
    );
  });
  try {
    return fn(mix);
  } finally {
    e.mix_free(mix);
  }
}

/**
 * Log posterior predictive density (METHOD.md §4) of each row of points: Float64Array,
 * shape (m, d), row-major. Returns Float64Array, shape (m). `exact`: log of the mean over
 * all kept traces of the full mixture (with the new-cluster term); `paper`: the mean over
 * traces of log p_t with weights ∝ α + n_k.
 */
export function logPredictive(
  core: Core,
  model: ClassModel,
  points: Float64Array,
  m: number,
  variant: PredictiveVariant = model.config.predictive,
): Float64Array {
  if (m === 0) return new Float64Array(0);
  validateMatrix(points, m, model.d, "points");
  return withMixture(core, model, variant, (mix) =>
    core.scope((s) => {
      const pp = s.f64(points);
      const out = s.f64Out(m);
      core.exports.mix_logpdf(mix, pp, m, out);
      return core.readF64(out, m);
    }),
  );
}

/** The same model with only chains [from, to): a replicate of the pooled fit (METHOD.md §12). */
export function chainSubset(model: ClassModel, from: number, to: number): ClassModel {
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && 0 <= from && from < to && to <= model.chains.length))
    throw new RangeError(`chainSubset: need 0 <= from < to <= ${model.chains.length}, got [${from}, ${to})`);
  return { ...model, chains: model.chains.slice(from, to) };
}

/** Each training point's leave-one-out log-density (Float64Array, shape (n)); undefined when
 * some chain did not record it. A chain's value is the log of the mean over its kept sweeps;
 * chains are combined as config.classScore combines traces (METHOD.md §12.3): `exact` takes the
 * log of the mean over chains (every chain keeps the same number of sweeps, so the log of the
 * mean over all of them), `mean-log` and `paper` the mean of the chains' logs, whose level does
 * not climb with the number of chains pooled. */
export function looLogDensity(core: Core, model: ClassModel): Float64Array | undefined {
  const per = model.chains.map((c) => c.looLogDensity);
  if (per.length === 0 || per.some((v) => v === undefined || v.some((x) => Number.isNaN(x)))) return undefined;
  const n = model.n;
  const R = per.length;
  if (R === 1) return (per[0] as Float64Array).slice();
  const flat = new Float64Array(R * n);
  per.forEach((v, r) => {
    flat.set(v as Float64Array, r * n);
  });
  return model.config.classScore === "exact" ? logMeanExpRows(core, flat, R, n) : meanRows(flat, R, n);
}

/** Per column of v (Float64Array, shape (R, m), row-major): the mean over the R rows, summed in
 * row order (the same bytes in every engine). Float64Array, shape (m). */
export function meanRows(v: Float64Array, R: number, m: number): Float64Array {
  const out = new Float64Array(m);
  for (let r = 0; r < R; r++) for (let i = 0; i < m; i++) out[i] = (out[i] as number) + (v[r * m + i] as number) / R;
  return out;
}

/** Per column of v (Float64Array, shape (R, m), row-major): log of the mean over the R rows of
 * exp(v), in wasm (exp and log must agree bit for bit across engines). Float64Array, shape (m). */
export function logMeanExpRows(core: Core, v: Float64Array, R: number, m: number): Float64Array {
  return core.scope((s) => {
    const out = s.f64Out(m);
    core.exports.vec_log_mean_exp_rows(s.f64(v), R, m, out);
    return core.readF64(out, m);
  });
}

export interface RelativeEntropyOptions {
  /** Float64Array, shape (n, d): the class data that defines the reference Gaussian q. */
  readonly classData: Float64Array;
  readonly n: number;
  /** Monte Carlo samples per trace (default config.klSamples). */
  readonly samples?: number;
  /** Diagonal (default config.klReference) or full-covariance reference. */
  readonly reference?: KlReference;
  /** Seed of the sampling streams (trace t uses stream t); default config.seed. */
  readonly seed?: number;
  /** Which predictive p is (default config.predictive). */
  readonly variant?: PredictiveVariant;
}

/** Monte Carlo D_KL(p ‖ q) (METHOD.md §5) with its standard error. */
export function relativeEntropy(
  core: Core,
  model: ClassModel,
  opts: RelativeEntropyOptions,
): { kl: number; standardError: number } {
  const samples = opts.samples ?? model.config.klSamples;
  const reference = opts.reference ?? model.config.klReference;
  const seed = opts.seed ?? model.config.seed;
  checkInt(samples, "samples", 1);
  checkInt(seed, "seed", 0);
  if (reference !== "diag" && reference !== "full") throw new RangeError(`reference must be 'diag' or 'full'`);
  validateMatrix(opts.classData, opts.n, model.d, "classData");
  return withMixture(core, model, opts.variant ?? model.config.predictive, (mix) =>
    core.scope((s) => {
      const pd = s.f64(opts.classData);
      const out = s.f64Out(2);
      core.exports.mix_kl(mix, pd, opts.n, samples, seed, reference === "full" ? 1 : 0, out);
      const r = core.readF64(out, 2);
      return { kl: r[0] as number, standardError: r[1] as number };
    }),
  );
}

// ---------------------------------------------------------------------------------------
// Canonical binary encoding (little-endian), version 1:
//   "CFDPGMM\0" magic, u32 version, u32 header byte length, UTF-8 JSON header
//   {config, warnings} (keys in a fixed order), then n, d (u32); prior: μ0, s0 (d f64),
//   κ0, ν0 (f64), flooredDims (u32); R̂ logJoint, k, meanK (f64); chain count (u32); per chain:
//   sweeps (u32), rebuilds (u32), accepted split–merge moves (u32), assignments (n i32), logJointTrace (f64), kTrace (i32),
//   alphaTrace (f64), trace count (u32); per trace: sweep, K (u32), α, logJoint (f64),
//   counts (K i32), means (K·d f64), chol lower triangles packed row by row (K·d(d+1)/2 f64).
// κ_n and ν_n are not stored (κ0 + n_k, ν0 + n_k).

const MAGIC = [0x43, 0x46, 0x44, 0x50, 0x47, 0x4d, 0x4d, 0x00]; // "CFDPGMM\0"
// Version 2 added the split–merge/neighbour/init settings to the header and, after each chain's
// traces, its leave-one-out log-densities (n f64). Version 3 added classScore to the header
// (older models scored training points with their predictive). Versions 1 and 2 are still read.
const VERSION = 3;
/** What a version-1 header leaves out: the sampler as it was before those settings existed. */
const V1_DEFAULTS: Partial<DpgmmConfig> = { splitMergeKept: 0, neighbours: 0, init: "random", replicates: 1 };

class Writer {
  #buf = new ArrayBuffer(1 << 16);
  #view = new DataView(this.#buf);
  #pos = 0;
  #ensure(extra: number): void {
    if (this.#pos + extra <= this.#buf.byteLength) return;
    let size = this.#buf.byteLength * 2;
    while (size < this.#pos + extra) size *= 2;
    const nb = new ArrayBuffer(size);
    new Uint8Array(nb).set(new Uint8Array(this.#buf, 0, this.#pos));
    this.#buf = nb;
    this.#view = new DataView(nb);
  }
  u32(v: number): void {
    this.#ensure(4);
    this.#view.setUint32(this.#pos, v, true);
    this.#pos += 4;
  }
  i32(v: number): void {
    this.#ensure(4);
    this.#view.setInt32(this.#pos, v, true);
    this.#pos += 4;
  }
  f64(v: number): void {
    this.#ensure(8);
    this.#view.setFloat64(this.#pos, v, true);
    this.#pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    new Uint8Array(this.#buf, this.#pos, b.length).set(b);
    this.#pos += b.length;
  }
  f64s(a: ArrayLike<number>): void {
    for (let i = 0; i < a.length; i++) this.f64(a[i] as number);
  }
  i32s(a: ArrayLike<number>): void {
    for (let i = 0; i < a.length; i++) this.i32(a[i] as number);
  }
  result(): Uint8Array {
    return new Uint8Array(this.#buf, 0, this.#pos).slice();
  }
}

class Reader {
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  #pos = 0;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  #need(k: number): void {
    if (this.#pos + k > this.#bytes.length) {
      throw new RangeError(`class model encoding is truncated (need ${k} bytes at offset ${this.#pos})`);
    }
  }
  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#pos, true);
    this.#pos += 4;
    return v;
  }
  i32(): number {
    this.#need(4);
    const v = this.#view.getInt32(this.#pos, true);
    this.#pos += 4;
    return v;
  }
  f64(): number {
    this.#need(8);
    const v = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return v;
  }
  bytes(k: number): Uint8Array {
    this.#need(k);
    const b = this.#bytes.subarray(this.#pos, this.#pos + k);
    this.#pos += k;
    return b;
  }
  f64s(k: number): Float64Array {
    this.#need(8 * k);
    const a = new Float64Array(k);
    for (let i = 0; i < k; i++) a[i] = this.f64();
    return a;
  }
  i32s(k: number): Int32Array {
    this.#need(4 * k);
    const a = new Int32Array(k);
    for (let i = 0; i < k; i++) a[i] = this.i32();
    return a;
  }
  get done(): boolean {
    return this.#pos === this.#bytes.length;
  }
}

const CONFIG_KEYS: (keyof DpgmmConfig)[] = [
  "profile",
  "sweeps",
  "burnIn",
  "thin",
  "chains",
  "replicates",
  "initClusters",
  "splitMerge",
  "splitMergeKept",
  "neighbours",
  "init",
  "seed",
  "kappa0",
  "nu0Offset",
  "alphaShape",
  "alphaRate",
  "predictive",
  "classScore",
  "klReference",
  "klSamples",
];

/** Canonical, versioned binary encoding of a class model (for files and parity hashes). */
export function encodeClassModel(model: ClassModel): Uint8Array {
  const w = new Writer();
  w.bytes(Uint8Array.from(MAGIC));
  w.u32(VERSION);
  const config = Object.fromEntries(CONFIG_KEYS.map((k) => [k, model.config[k]]));
  const header = new TextEncoder().encode(JSON.stringify({ config, warnings: model.warnings }));
  w.u32(header.length);
  w.bytes(header);
  const { n, d } = model;
  w.u32(n);
  w.u32(d);
  w.f64s(model.prior.mu0);
  w.f64s(model.prior.s0);
  w.f64(model.prior.kappa0);
  w.f64(model.prior.nu0);
  w.u32(model.prior.flooredDims);
  w.f64(model.rhat.logJoint);
  w.f64(model.rhat.k);
  w.f64(model.meanK);
  w.u32(model.chains.length);
  for (const ch of model.chains) {
    w.u32(ch.logJointTrace.length);
    w.u32(ch.rebuilds);
    w.u32(ch.splitMergeAccepted);
    w.i32s(ch.assignments);
    w.f64s(ch.logJointTrace);
    w.i32s(ch.kTrace);
    w.f64s(ch.alphaTrace);
    w.u32(ch.traces.length);
    for (const t of ch.traces) {
      const K = t.counts.length;
      w.u32(t.sweep);
      w.u32(K);
      w.f64(t.alpha);
      w.f64(t.logJoint);
      w.i32s(t.counts);
      w.f64s(t.means);
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < d; i++) {
          for (let j = 0; j <= i; j++) w.f64(t.chol[k * d * d + i * d + j] as number);
        }
      }
    }
    w.f64s(ch.looLogDensity ?? new Float64Array(n).fill(Number.NaN));
  }
  return w.result();
}

/** Inverse of encodeClassModel; rejects other formats, versions and truncated input. */
export function decodeClassModel(bytes: Uint8Array): ClassModel {
  const r = new Reader(bytes);
  const magic = r.bytes(MAGIC.length);
  if (!MAGIC.every((b, i) => magic[i] === b)) throw new RangeError("not a classfit DP-GMM class model (bad magic)");
  const version = r.u32();
  if (version < 1 || version > VERSION)
    throw new RangeError(`unsupported class model encoding version ${version} (expected 1 to ${VERSION})`);
  const header = JSON.parse(new TextDecoder().decode(r.bytes(r.u32()))) as {
    config: Partial<DpgmmConfig>;
    warnings: string[];
  };
  // Before version 3 a training point was scored with the predictive of new points.
  const legacy: Partial<DpgmmConfig> = version < 3 ? { classScore: header.config.predictive ?? "exact" } : {};
  const config = dpgmmConfig(
    version === 1 ? { ...V1_DEFAULTS, ...legacy, ...header.config } : { ...legacy, ...header.config },
  );
  const n = r.u32();
  const d = r.u32();
  const mu0 = r.f64s(d);
  const s0 = r.f64s(d);
  const kappa0 = r.f64();
  const nu0 = r.f64();
  const flooredDims = r.u32();
  const rhat = { logJoint: r.f64(), k: r.f64() };
  const meanK = r.f64();
  const nChains = r.u32();
  const chains: ChainState[] = [];
  for (let c = 0; c < nChains; c++) {
    const sweeps = r.u32();
    const rebuilds = r.u32();
    const splitMergeAccepted = r.u32();
    const assignments = r.i32s(n);
    const logJointTrace = r.f64s(sweeps);
    const kTrace = r.i32s(sweeps);
    const alphaTrace = r.f64s(sweeps);
    const nt = r.u32();
    const traces: FitTrace[] = [];
    for (let t = 0; t < nt; t++) {
      const sweep = r.u32();
      const K = r.u32();
      const alpha = r.f64();
      const logJoint = r.f64();
      const counts = r.i32s(K);
      const means = r.f64s(K * d);
      const chol = new Float64Array(K * d * d);
      for (let k = 0; k < K; k++) {
        for (let i = 0; i < d; i++) {
          for (let j = 0; j <= i; j++) chol[k * d * d + i * d + j] = r.f64();
        }
      }
      traces.push({
        sweep,
        alpha,
        logJoint,
        counts,
        means,
        chol,
        kappa: Float64Array.from(counts, (x) => kappa0 + x),
        nu: Float64Array.from(counts, (x) => nu0 + x),
      });
    }
    const chain: ChainState = { assignments, logJointTrace, kTrace, alphaTrace, traces, rebuilds, splitMergeAccepted };
    chains.push(version === 1 ? chain : { ...chain, looLogDensity: r.f64s(n) });
  }
  if (!r.done) throw new RangeError("class model encoding has trailing bytes");
  return {
    n,
    d,
    config,
    prior: { mu0, s0, kappa0, nu0, flooredDims },
    chains,
    rhat,
    meanK,
    warnings: header.warnings,
  };
}
