// Shared by the in-process CLI tests: run `main(argv)` with console.log and stderr captured, and
// assert success or a failure with a message. Test-only (imports vitest), so excluded from the build.
import { expect, vi } from "vitest";
import { main } from "./cli.js";

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** The CLI in this process, stdout (console.log lines) and stderr captured. */
export async function classfit(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
    out.push(`${a.join(" ")}\n`);
  });
  const write = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
  try {
    const status = await main(argv);
    return { status, stdout: out.join(""), stderr: err.join("") };
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
}

/** Runs the CLI and returns its stdout; throws with its stderr when it exits non-zero. */
export async function ok(...argv: string[]): Promise<string> {
  const r = await classfit(...argv);
  if (r.status !== 0) throw new Error(`classfit ${argv.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

/** Runs the CLI on bad input: expects exit code 2 (bad input) with stderr matching `re`. */
export async function fails(re: RegExp, ...argv: string[]): Promise<Run> {
  const r = await classfit(...argv);
  expect(r.status, r.stdout + r.stderr).toBe(2);
  expect(r.stderr).toMatch(re);
  return r;
}

/** A tiny seeded, untrained ResNet ([1] × 0.0625, 28×28 grey, 10 classes) written as a classfit
 * model directory: enough network for the protocol tests' certification and evaluation runs. */
export async function writeTinyModelDir(dir: string, createdBy: string): Promise<void> {
  const { computeNormalisation, createModel, serializeModel, stageNames } = await import("@classfit/models");
  const { initBackend } = await import("@classfit/models/backend");
  const { loadDataset, writeModelDir } = await import("@classfit/models/node");
  const { createCore } = await import("@classfit/wasm-core/node");
  await initBackend();
  const core = await createCore();
  const arch = { arch: "resnet" as const, blocks: [1], widthMultiplier: 0.0625 };
  const input = { height: 28, width: 28, channels: 1, numClasses: 10 };
  const { model } = createModel(arch, input, core, 1);
  const ds = await loadDataset({ path: "default", split: "test" });
  await writeModelDir(dir, await serializeModel(model), {
    format: "classfit-model",
    version: 1,
    architecture: arch,
    input,
    stages: stageNames(arch),
    normalisation: computeNormalisation(ds),
    dataset: { name: ds.name, n: ds.n },
    parameters: 0,
    createdBy,
  });
  model.dispose();
}
