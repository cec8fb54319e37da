// Fixture operations: each turns a case's JSON arguments into output bytes. Host-agnostic
// (no Node or DOM APIs), so the very same code runs in vitest and in the Chromium page.
import type { Core } from "@classfit/wasm-core";

export interface FixtureCase {
  name: string;
  op: string;
  args: Record<string, unknown>;
}

export interface FixtureFile {
  description?: string;
  cases: FixtureCase[];
}

type Op = (core: Core, args: Record<string, unknown>) => Promise<Uint8Array> | Uint8Array;

function num(args: Record<string, unknown>, key: string): number {
  const v = args[key];
  if (typeof v !== "number") throw new Error(`fixture argument '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function bytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

function withRng<T>(core: Core, args: Record<string, unknown>, fn: (r: ReturnType<Core["rng"]>) => T): T {
  const rng = core.rng(num(args, "seed"), typeof args.stream === "number" ? args.stream : 0);
  try {
    return fn(rng);
  } finally {
    rng.dispose();
  }
}

export const ops: Record<string, Op> = {
  "rng.u64": (core, a) => withRng(core, a, (r) => bytes(r.u64(num(a, "n")))),
  "rng.uniform": (core, a) => withRng(core, a, (r) => bytes(r.uniform(num(a, "n")))),
  "rng.normal": (core, a) => withRng(core, a, (r) => bytes(r.normal(num(a, "n")))),
  "rng.gamma": (core, a) => withRng(core, a, (r) => bytes(r.gamma(num(a, "n"), num(a, "shape"), num(a, "rate")))),
  "rng.int": (core, a) => withRng(core, a, (r) => bytes(r.int(num(a, "n"), num(a, "bound")))),
  "vec.dot": (core, a) =>
    withRng(core, a, (r) => {
      const n = num(a, "n");
      const x = r.normal(n);
      const y = r.normal(n);
      return bytes(new Float64Array([core.dot(x, y, a.scalar === true)]));
    }),
  "vec.axpy": (core, a) =>
    withRng(core, a, (r) => {
      const n = num(a, "n");
      return bytes(core.axpy(num(a, "alpha"), r.normal(n), r.normal(n)));
    }),
};

export interface FixtureOutput {
  name: string;
  /** Output bytes, base64. */
  base64: string;
  /** sha256 of the output bytes, hex. */
  sha256: string;
}

function toBase64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

async function sha256Hex(b: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b));
  return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Runs every case of a fixture file against `core`, in order. */
export async function runFixtures(core: Core, file: FixtureFile): Promise<FixtureOutput[]> {
  const out: FixtureOutput[] = [];
  for (const c of file.cases) {
    const op = ops[c.op];
    if (!op) throw new Error(`fixture '${c.name}': unknown op '${c.op}'`);
    const b = await op(core, c.args);
    out.push({ name: c.name, base64: toBase64(b), sha256: await sha256Hex(b) });
  }
  return out;
}
