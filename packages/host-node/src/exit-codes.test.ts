// The README's exit-code table, run row by row: each row's example command runs (in process, in
// a folder holding the files it names) and must end with the row's code and print the row's
// message. The rows come from the README itself, so the table and the tests cannot drift apart;
// the two rows without a plain command (a failure of classfit itself, an interruption) have
// their own tests below, which also check that their rows are there.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeNpy, NpyError } from "@classfit/models/npy";
import { encodeContainer } from "@classfit/pipeline";
import { InputError } from "@classfit/pipeline/errors";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildProgram, main } from "./cli.js";
import { EXIT } from "./exit.js";

const readme = fileURLToPath(new URL("../../../README.md", import.meta.url));
const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

interface Row {
  code: number;
  case: string;
  /** The example's command line without "classfit", split on spaces; null when the row has none. */
  argv: string[] | null;
  message: string;
}

/** The rows of the table under "### Exit codes" in README.md. */
function exitCodeTable(markdown: string): Row[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.trim() === "### Exit codes");
  if (start < 0) throw new Error("README.md has no '### Exit codes' section");
  const rows: Row[] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("#")) break;
    if (!line.startsWith("|")) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    const cells = line
      .slice(1, -1)
      .split("|")
      .map((c) => c.trim());
    if (cells[0] === "code" || /^-+$/.test(cells[0] ?? "")) continue;
    const [code, what, example, message] = cells as [string, string, string, string];
    const command = /`classfit ([^`]*)`/.exec(example)?.[1];
    rows.push({
      code: Number(code),
      case: what,
      argv: command === undefined ? null : command.split(" "),
      message: /^`(.*)`/.exec(message)?.[1] ?? message,
    });
  }
  return rows;
}

const rows = exitCodeTable(readFileSync(readme, "utf8"));
/** Rows whose example is a command to run as it stands. */
const plain = rows.filter((r) => r.code !== EXIT.failed && r.code !== EXIT.interrupted);

/** The CLI in this process with stdout and stderr captured (console.log and direct writes). */
async function run(argv: string[], program = buildProgram()): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
    out.push(`${a.join(" ")}\n`);
  });
  const so = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => {
    out.push(String(c));
    return true;
  });
  const se = vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => {
    err.push(String(c));
    return true;
  });
  try {
    const status = await main(argv, program);
    return { status, out: out.join(""), err: err.join("") };
  } finally {
    log.mockRestore();
    so.mockRestore();
    se.mockRestore();
  }
}

let dir: string;
const cwd = process.cwd();

/** The files the table's examples name. */
function writeFixtures(): void {
  const n = 12;
  const d = 3;
  const z = Float64Array.from({ length: n * d }, (_, i) => Math.sin(1.7 * i) + (i < (n / 2) * d ? 0 : 4));
  const npy = (name: string, data: Float64Array | Float32Array | Int32Array | Uint8Array, shape: number[]) =>
    writeFileSync(name, encodeNpy(data, shape));
  npy("Z.npy", z, [n, d]);
  npy("Z3d.npy", z, [2, n / 2, d]);
  const nan = z.slice();
  nan[3 * d + 1] = Number.NaN;
  npy("nan.npy", nan, [n, d]);
  const y = Int32Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : 1));
  npy("y.npy", y, [n]);
  npy("y-column.npy", y, [n, 1]);
  const negative = y.slice();
  negative[5] = -1;
  npy("y-negative.npy", negative, [n]);
  npy("y-float.npy", Float64Array.from(y), [n]);
  npy("y-short.npy", y.subarray(0, 5), [5]);
  npy(
    "wide.npy",
    Float64Array.from({ length: 4 * 10 }, (_, i) => Math.cos(i)),
    [4, 10],
  );
  writeFileSync("corrupt.npy", "not an array at all");
  // A zip's first bytes, then nothing a zip reader can use.
  writeFileSync("corrupt.npz", Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5, 6, 7, 8));
  // A projection of 3-column data to 2 directions whose components are (2, 2), not (2, 3).
  writeFileSync(
    "bad-shape.npz",
    encodeContainer(
      { format: "classfit-projection", formatVersion: 1, c: 3, k: 2, centered: false, rows: 12, retainedEnergy: 0.5 },
      [
        ["mean", new Float64Array(3), [3]],
        ["components", new Float64Array(4), [2, 2]],
        ["singular_values", new Float64Array(3), [3]],
      ],
    ),
  );
  mkdirSync("corrupt-idx");
  writeFileSync(join("corrupt-idx", "train-images-idx3-ubyte"), Uint8Array.of(0, 0, 8, 3, 0, 0));
  writeFileSync(join("corrupt-idx", "train-labels-idx1-ubyte"), Uint8Array.of(0, 0, 8, 1, 0, 0));
  // A dataset whose labels skip class 1: the study refuses a class it cannot fit.
  mkdirSync("gap");
  npy(
    join("gap", "train_images.npy"),
    Uint8Array.from({ length: 5 * 28 * 28 }, (_, i) => i % 251),
    [5, 28, 28],
  );
  npy(join("gap", "train_labels.npy"), Int32Array.of(0, 0, 0, 2, 2), [5]);
  npy(
    "gap-s1.npy",
    Float32Array.from({ length: 10 }, (_, i) => 0.3 * i),
    [5, 2],
  );
  const study = (extra: Record<string, unknown>) => ({
    name: "exit codes",
    dataset: { path: "gap" },
    networks: [{ name: "x", activations: { s1: "gap-s1.npy" } }],
    ...extra,
  });
  writeFileSync("gap.json", JSON.stringify(study({})));
  writeFileSync("typo.json", JSON.stringify(study({ steps: { fit: { sweps: 10 } } })));
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} missing: run \`npm run build\` first`);
  dir = mkdtempSync(join(tmpdir(), "classfit-exit-"));
  process.chdir(dir);
  writeFixtures();
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

describe("README exit-code table", () => {
  it("has a row for every code the CLI uses, and every row a code the CLI uses", () => {
    const used = new Set<number>(Object.values(EXIT));
    expect(new Set(rows.map((r) => r.code))).toEqual(used);
    expect(plain.length).toBeGreaterThan(10);
    for (const r of plain) expect(r.argv, `row '${r.case}' has no example command`).not.toBeNull();
  });

  it.each(plain.map((r) => [r.case, r] as const))(
    "%s: exit code and message",
    async (_name, r) => {
      const res = await run(r.argv as string[]);
      expect(res.status, res.out + res.err).toBe(r.code);
      expect(r.code === EXIT.ok ? res.out : res.err).toContain(r.message);
      // Bad input says so in one line (commander adds a hint line after its own errors).
      if (r.code === EXIT.badInput) expect(res.err.split("\n")[0]).toMatch(/^classfit: /);
    },
    60_000,
  );
});

describe("not bad input", () => {
  it("a failure of classfit itself exits 1 with its message; the same error raised as bad input exits 2", async () => {
    const row = rows.find((r) => r.code === EXIT.failed);
    expect(row?.message).toContain("classfit: ");
    const program = buildProgram();
    program.command("boom").action(() => {
      throw new Error("sampler state is inconsistent");
    });
    program.command("overflow").action(() => {
      throw new RangeError("Array buffer allocation failed");
    });
    program.command("bad-npy").action(() => {
      throw new NpyError("x.npy: truncated data");
    });
    program.command("bad-input").action(() => {
      throw new InputError("x.npy: row 2 is NaN");
    });
    let r = await run(["boom"], program);
    expect(r.status).toBe(EXIT.failed);
    expect(r.err).toBe("classfit: sampler state is inconsistent\n");
    r = await run(["overflow"], program);
    expect(r.status).toBe(EXIT.failed);
    r = await run(["bad-npy"], program);
    expect(r.status).toBe(EXIT.badInput);
    expect(r.err).toBe("classfit: x.npy: truncated data\n");
    r = await run(["bad-input"], program);
    expect(r.status).toBe(EXIT.badInput);
  });

  it("an interrupted command exits 130 and says what was not written", async () => {
    const row = rows.find((r) => r.code === EXIT.interrupted);
    const argv = row?.argv;
    expect(argv).toBeDefined();
    // The row-0 run wrote fit/ already; the interrupted run must leave it as it was.
    const manifest = join(dir, "fit", "manifest.json");
    const before = existsSync(manifest) ? readFileSync(manifest) : null;
    const child = spawn(process.execPath, [cli, ...(argv as string[])], {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (b) => {
      err += String(b);
    });
    const t0 = Date.now();
    // The fit has started once its staging folder holds its pid.
    while (!existsSync(join(dir, ".fit.partial", ".pid")) && Date.now() - t0 < 30_000)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code, err).toBe(EXIT.interrupted);
    expect(err).toContain(row?.message);
    expect(existsSync(manifest) ? readFileSync(manifest) : null).toEqual(before);
    expect(existsSync(join(dir, ".fit.partial"))).toBe(false);
  }, 60_000);
});
