import { beforeAll, describe, expect, it } from "vitest";
import type { Core } from "./core.js";
import {
  decodeProjection,
  encodeProjection,
  fitProjection,
  GramAccumulator,
  type Projection,
  project,
  symmetricEigen,
} from "./linalg.js";
import { createCore } from "./node.js";

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

/** Seeded N(0,1) matrix, shape (n, c), from the wasm generator. */
function randn(seed: number, n: number, c: number): Float64Array {
  const r = core.rng(seed, 17);
  const x = r.normal(n * c);
  r.dispose();
  return x;
}

/** Plain cyclic Jacobi (Golub & Van Loan §8.5.2) in TS: the independent reference. Returns
 * eigenvalues descending and the matching eigenvectors as rows, sign-normalised like the
 * solver (largest-magnitude entry positive). */
function jacobiEigen(a0: Float64Array, n: number): { values: number[]; vectors: number[][] } {
  const a = Float64Array.from(a0);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (a[p * n + q] as number) ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q] as number;
        if (apq === 0) continue;
        const theta = ((a[q * n + q] as number) - (a[p * n + p] as number)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p] as number;
          const akq = a[k * n + q] as number;
          a[k * n + p] = cs * akp - sn * akq;
          a[k * n + q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k] as number;
          const aqk = a[q * n + k] as number;
          a[p * n + k] = cs * apk - sn * aqk;
          a[q * n + k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p] as number;
          const vkq = v[k * n + q] as number;
          v[k * n + p] = cs * vkp - sn * vkq;
          v[k * n + q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (i, j) => (a[j * n + j] as number) - (a[i * n + i] as number),
  );
  return {
    values: order.map((i) => a[i * n + i] as number),
    vectors: order.map((i) => {
      const col = Array.from({ length: n }, (_, k) => v[k * n + i] as number);
      let best = 0;
      for (let k = 1; k < n; k++) if (Math.abs(col[k] as number) > Math.abs(col[best] as number)) best = k;
      return (col[best] as number) < 0 ? col.map((x) => -x) : col;
    }),
  };
}

function gram(x: Float64Array, n: number, c: number, center: boolean): { g: Float64Array; mean: Float64Array } {
  const mean = new Float64Array(c);
  if (center) {
    for (let r = 0; r < n; r++)
      for (let j = 0; j < c; j++) mean[j] = (mean[j] as number) + (x[r * c + j] as number) / n;
  }
  const g = new Float64Array(c * c);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < c; i++)
      for (let j = 0; j < c; j++)
        g[i * c + j] =
          (g[i * c + j] as number) +
          ((x[r * c + i] as number) - (mean[i] as number)) * ((x[r * c + j] as number) - (mean[j] as number));
  return { g, mean };
}

function row(a: Float64Array, i: number, len: number): Float64Array {
  return a.subarray(i * len, (i + 1) * len);
}
function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
function expectOrthonormal(v: Float64Array, k: number, c: number, tol: number): void {
  for (let i = 0; i < k; i++)
    for (let j = 0; j <= i; j++)
      expect(Math.abs(dot(row(v, i, c), row(v, j, c)) - (i === j ? 1 : 0))).toBeLessThan(tol);
}
function expectSignConvention(v: Float64Array, k: number, c: number): void {
  for (let i = 0; i < k; i++) {
    const r = row(v, i, c);
    let best = 0;
    for (let j = 1; j < c; j++) if (Math.abs(r[j] as number) > Math.abs(r[best] as number)) best = j;
    expect(r[best] as number).toBeGreaterThan(0);
  }
}

describe("symmetric eigensolver", () => {
  it("matches Jacobi on random symmetric (indefinite) matrices", () => {
    for (const n of [1, 2, 3, 5, 8, 13]) {
      const b = randn(100 + n, n, n);
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) a[i * n + j] = (b[i * n + j] as number) + (b[j * n + i] as number);
      const ref = jacobiEigen(a, n);
      const got = symmetricEigen(core, a, n, n);
      const scale = Math.max(...ref.values.map(Math.abs));
      expect(maxAbsDiff(got.values, ref.values)).toBeLessThan(1e-13 * scale * n);
      for (let i = 0; i < n; i++) {
        // Random matrices have well-separated eigenvalues; vectors agree to ~eps/gap.
        expect(maxAbsDiff(row(got.vectors, i, n), ref.vectors[i] as number[])).toBeLessThan(1e-10);
      }
      expectOrthonormal(got.vectors, n, n, 1e-13);
    }
  });
  it("returns an orthonormal basis of a repeated eigenvalue's eigenspace", () => {
    // A = Q diag(5, 5, 5, 2, 2, -1, 0) Qᵀ with Q from Jacobi on a random symmetric matrix.
    const n = 7;
    const b = randn(5, n, n);
    const s = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) s[i * n + j] = (b[i * n + j] as number) + (b[j * n + i] as number);
    const q = jacobiEigen(s, n).vectors;
    const lam = [5, 5, 5, 2, 2, -1, 0];
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let t = 0; t < n; t++)
          v += (lam[t] as number) * ((q[t] as number[])[i] as number) * ((q[t] as number[])[j] as number);
        a[i * n + j] = v;
      }
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i] as number; // exact symmetry
    const got = symmetricEigen(core, a, n, 5);
    expect(maxAbsDiff(got.values, [5, 5, 5, 2, 2, 0, -1])).toBeLessThan(1e-13);
    expectOrthonormal(got.vectors, 5, n, 1e-12);
    for (let i = 0; i < 5; i++) {
      const v = row(got.vectors, i, n);
      const av = Array.from({ length: n }, (_, r) => dot(row(a, r, n), v));
      expect(
        maxAbsDiff(
          av,
          Array.from(v, (x) => x * (got.values[i] as number)),
        ),
      ).toBeLessThan(1e-12);
    }
  });
});

describe("fitProjection", () => {
  const n = 300; // more than two 128-row blocks
  const c = 9; // not a multiple of the 4-column register block
  // Columns with different scales so singular values are distinct.
  let x: Float64Array;
  beforeAll(() => {
    x = randn(1, n, c).map((v, i) => v * (1 + (i % c)) + 0.3 * (i % 3));
  });

  it("equals a direct eigendecomposition of RᵀR (uncentred, the authors' choice)", () => {
    const p = fitProjection(core, x, n, c, { k: 4 });
    const ref = jacobiEigen(gram(x, n, c, false).g, c);
    expect(p.rows).toBe(n);
    expect(p.centered).toBe(false);
    expect(Array.from(p.mean)).toEqual(new Array(c).fill(0));
    for (let i = 0; i < c; i++) {
      const want = Math.sqrt(Math.max(0, ref.values[i] as number));
      expect(Math.abs((p.singularValues[i] as number) - want)).toBeLessThan(1e-10 * (ref.values[0] as number) ** 0.5);
    }
    for (let i = 0; i < 4; i++)
      expect(maxAbsDiff(row(p.components, i, c), ref.vectors[i] as number[])).toBeLessThan(1e-9);
    const total = ref.values.reduce((s, v) => s + v, 0);
    const kept = ref.values.slice(0, 4).reduce((s, v) => s + v, 0);
    expect(Math.abs(p.retainedEnergy - kept / total)).toBeLessThan(1e-12);
    expectOrthonormal(p.components, 4, c, 1e-13);
    expectSignConvention(p.components, 4, c);
  });

  it("centred equals PCA: the uncentred fit of the explicitly centred data", () => {
    const p = fitProjection(core, x, n, c, { k: 5, center: true });
    const { mean } = gram(x, n, c, true);
    const xc = x.map((v, i) => v - (mean[i % c] as number));
    const q = fitProjection(core, xc, n, c, { k: 5, center: false });
    expect(p.centered).toBe(true);
    expect(maxAbsDiff(p.mean, mean)).toBeLessThan(1e-13);
    expect(maxAbsDiff(p.singularValues, q.singularValues)).toBeLessThan(1e-10 * (q.singularValues[0] as number));
    expect(maxAbsDiff(p.components, q.components)).toBeLessThan(1e-9);
    expect(Math.abs(p.retainedEnergy - q.retainedEnergy)).toBeLessThan(1e-12);
  });

  it("centred accumulation survives a large common offset (no n·μμᵀ cancellation)", () => {
    const off = x.map((v) => v + 1e6);
    const p = fitProjection(core, off, n, c, { k: 3, center: true });
    const q = fitProjection(core, x, n, c, { k: 3, center: true });
    // The offset costs the ~1e-10 relative precision with which x itself is stored in off.
    expect(maxAbsDiff(p.singularValues, q.singularValues)).toBeLessThan(1e-6 * (q.singularValues[0] as number));
    expect(maxAbsDiff(p.components, q.components)).toBeLessThan(1e-6);
  });

  it("retained energy is 1 when k equals the rank", () => {
    const rank = 3;
    const a = randn(2, n, rank);
    const b = randn(3, rank, c);
    const low = new Float64Array(n * c);
    for (let r = 0; r < n; r++)
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let t = 0; t < rank; t++) s += (a[r * rank + t] as number) * (b[t * c + j] as number);
        low[r * c + j] = s;
      }
    const p = fitProjection(core, low, n, c, { k: rank });
    expect(Math.abs(p.retainedEnergy - 1)).toBeLessThan(1e-12);
    expect(p.singularValues[rank] as number).toBeLessThan(1e-6 * (p.singularValues[0] as number));
    // Projecting and mapping back reproduces the data.
    const z = project(core, p, low, n);
    let err = 0;
    for (let r = 0; r < n; r++)
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let t = 0; t < rank; t++) s += (z[r * rank + t] as number) * (p.components[t * c + j] as number);
        err = Math.max(err, Math.abs(s - (low[r * c + j] as number)));
      }
    expect(err).toBeLessThan(1e-10);
  });

  it("chunked accumulation is bit-identical to one chunk, and Float32 input works", () => {
    const whole = fitProjection(core, x, n, c, { k: 4, center: true });
    for (const step of [1, 7, 128, 129]) {
      const acc = new GramAccumulator(core, c, { center: true });
      for (let r = 0; r < n; r += step) {
        const m = Math.min(step, n - r);
        acc.add(x.subarray(r * c, (r + m) * c), m);
      }
      expect(acc.rows).toBe(n);
      expect(acc.finish(4)).toEqual(whole);
      acc.dispose();
    }
    // An intermediate finish() (here after 200 rows: mid-block) does not shift later blocks.
    const acc = new GramAccumulator(core, c, { center: true });
    acc.add(x.subarray(0, 200 * c), 200);
    const early = acc.finish(4);
    expect(early.rows).toBe(200);
    expect(acc.rows).toBe(200);
    acc.add(x.subarray(200 * c), n - 200);
    expect(acc.finish(4)).toEqual(whole);
    expect(early).toEqual(fitProjection(core, x.subarray(0, 200 * c), 200, c, { k: 4, center: true }));
    acc.dispose();
    const x32 = Float32Array.from(x);
    const p32 = fitProjection(core, x32, n, c, { k: 2 });
    const p64 = fitProjection(core, Float64Array.from(x32), n, c, { k: 2 });
    expect(p32).toEqual(p64);
  });

  it("sign convention is deterministic: −R gives the same components", () => {
    const p = fitProjection(core, x, n, c, { k: 4 });
    const q = fitProjection(
      core,
      x.map((v) => -v),
      n,
      c,
      { k: 4 },
    );
    expect(q.components).toEqual(p.components);
    expectSignConvention(p.components, 4, c);
  });

  it("project equals (x − mean)·componentsᵀ, whatever the chunking", () => {
    const p = fitProjection(core, x, n, c, { k: 3, center: true });
    const z = project(core, p, x, n);
    for (const chunkRows of [1, 7, 128, 1000]) expect(project(core, p, x, n, { chunkRows })).toEqual(z);
    for (let r = 0; r < n; r++)
      for (let t = 0; t < 3; t++) {
        let s = 0;
        for (let j = 0; j < c; j++)
          s += ((x[r * c + j] as number) - (p.mean[j] as number)) * (p.components[t * c + j] as number);
        expect(Math.abs((z[r * 3 + t] as number) - s)).toBeLessThan(1e-12 * (1 + Math.abs(s)));
      }
  });

  it("handles a wider matrix with a decaying spectrum (C = 200)", () => {
    const cc = 200;
    const nn = 400;
    const w = randn(9, nn, cc).map((v, i) => v * 0.97 ** (i % cc));
    const p = fitProjection(core, w, nn, cc, { k: 12 });
    expectOrthonormal(p.components, 12, cc, 1e-12);
    // Residual ‖G v − s² v‖ against a Gram matrix formed directly.
    const g = gram(w, nn, cc, false).g;
    for (let i = 0; i < 12; i++) {
      const v = row(p.components, i, cc);
      const lam = (p.singularValues[i] as number) ** 2;
      let res = 0;
      for (let r = 0; r < cc; r++) res = Math.max(res, Math.abs(dot(row(g, r, cc), v) - lam * (v[r] as number)));
      expect(res).toBeLessThan(1e-11 * (p.singularValues[0] as number) ** 2);
    }
    for (let i = 1; i < cc; i++)
      expect(p.singularValues[i] as number).toBeLessThanOrEqual(p.singularValues[i - 1] as number);
  });

  it("dead (all-zero) and duplicated columns: k reaching into the zero eigenvalues stays orthonormal", () => {
    // Activations often have dead ReLU channels; here columns 2, 5, 11 are 0 and columns 7, 9
    // copy columns 1, 4, so RᵀR (12×12) has rank 7 and a 5-fold zero eigenvalue.
    const cc = 12;
    const base = randn(6, n, cc);
    const dead = new Set([2, 5, 11]);
    const copyOf = new Map([
      [7, 1],
      [9, 4],
    ]);
    const y = new Float64Array(n * cc);
    for (let r = 0; r < n; r++)
      for (let j = 0; j < cc; j++) y[r * cc + j] = dead.has(j) ? 0 : (base[r * cc + (copyOf.get(j) ?? j)] as number);
    const p = fitProjection(core, y, n, cc, { k: cc });
    expectOrthonormal(p.components, cc, cc, 1e-12);
    expectSignConvention(p.components, cc, cc);
    expect(Math.abs(p.retainedEnergy - 1)).toBeLessThan(1e-14);
    const top = fitProjection(core, y, n, cc, { k: 7 });
    expect(Math.abs(top.retainedEnergy - 1)).toBeLessThan(1e-12);
    expect(top.singularValues[7] as number).toBeLessThan(1e-6 * (top.singularValues[0] as number));
    // The leading components never load on the dead columns, and load equally on copies.
    for (let i = 0; i < 7; i++) {
      for (const j of dead) expect(Math.abs(top.components[i * cc + j] as number)).toBeLessThan(1e-12);
      for (const [j, src] of copyOf)
        expect(
          Math.abs((top.components[i * cc + j] as number) - (top.components[i * cc + src] as number)),
        ).toBeLessThan(1e-10);
    }
    // A single column is the trivial case: one component (+1), s = ‖column‖.
    const one = fitProjection(
      core,
      x.filter((_, i) => i % c === 0),
      n,
      1,
      { k: 1 },
    );
    expect(Array.from(one.components)).toEqual([1]);
    let ss = 0;
    for (let r = 0; r < n; r++) ss += (x[r * c] as number) ** 2;
    expect(Math.abs((one.singularValues[0] as number) - Math.sqrt(ss))).toBeLessThan(1e-12 * Math.sqrt(ss));
  });

  it("SIMD kernels agree with their scalar twins", () => {
    for (const center of [false, true]) {
      const a = fitProjection(core, x, n, c, { k: 5, center });
      const b = fitProjection(core, x, n, c, { k: 5, center, simd: false });
      expect(maxAbsDiff(a.singularValues, b.singularValues)).toBeLessThan(1e-12 * (a.singularValues[0] as number));
      expect(maxAbsDiff(a.components, b.components)).toBeLessThan(1e-10);
      expect(maxAbsDiff(a.mean, b.mean)).toBe(0); // the mean is not touched by the kernels
      const za = project(core, a, x, n);
      const zb = project(core, a, x, n, { simd: false });
      expect(maxAbsDiff(za, zb)).toBeLessThan(1e-12 * Math.max(...Array.from(za, Math.abs)));
    }
    const m = 37;
    const r = randn(77, m, m);
    const sym = new Float64Array(m * m);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++) sym[i * m + j] = (r[i * m + j] as number) + (r[j * m + i] as number);
    const e1 = symmetricEigen(core, sym, m, 6);
    const e2 = symmetricEigen(core, sym, m, 6, { simd: false });
    expect(maxAbsDiff(e1.values, e2.values)).toBeLessThan(1e-12 * Math.abs(e1.values[0] as number));
    expect(maxAbsDiff(e1.vectors, e2.vectors)).toBeLessThan(1e-10);
  });

  it("rejects bad input with messages naming what and where", () => {
    expect(() => fitProjection(core, x, n, c, { k: 10 })).toThrow(
      /k must be an integer in \[1, min\(N=300, C=9\) = 9\]/,
    );
    expect(() => fitProjection(core, x.subarray(0, 2 * c), 2, c, { k: 3 })).toThrow(/min\(N=2, C=9\) = 2/);
    const bad = x.slice();
    bad[130 * c + 4] = Number.NaN;
    expect(() => fitProjection(core, bad, n, c, { k: 2 })).toThrow(/row 130 .*column 4 is NaN/);
    const acc = new GramAccumulator(core, c, { center: false });
    acc.add(x.subarray(0, 10 * c), 10);
    const inf = x.slice(0, 5 * c);
    inf[2 * c + 8] = Number.POSITIVE_INFINITY;
    expect(() => acc.add(inf, 5)).toThrow(/row 12 \(row 2 of this chunk\), column 8 is Infinity/);
    expect(acc.rows).toBe(10); // nothing of the bad chunk was added
    expect(() => acc.add(x.subarray(0, 5), 1)).toThrow(/expected 1 rows × 9 columns/);
    acc.dispose();
    expect(() => fitProjection(core, new Float64Array(4 * c), 4, c, { k: 1 })).toThrow(/zero energy/);
  });
});

describe("encode / decode", () => {
  it("round-trips exactly and rejects corrupt bytes", () => {
    const n = 50;
    const c = 6;
    const p: Projection = fitProjection(core, randn(4, n, c), n, c, { k: 2, center: true });
    const bytes = encodeProjection(p);
    expect(bytes.length).toBe(40 + 8 * (2 * c + 2 * c));
    expect(decodeProjection(bytes)).toEqual(p);
    expect(() => decodeProjection(bytes.subarray(0, bytes.length - 8))).toThrow(/expected \d+ bytes/);
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => decodeProjection(bad)).toThrow(/bad magic/);
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat64(40 + 8 * 3, Number.NaN, true);
    expect(() => decodeProjection(nan)).toThrow(/mean\[3\] is NaN/);
  });
});
