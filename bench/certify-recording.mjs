// Recordings of noisy votes for the real-network CERTIFY benchmark (adaptive-certify-real.mjs):
// for each example, the base classifier's prediction on each of its n0 selection and n estimation
// noisy copies, drawn from the example's own stream exactly as certifyExamples draws them (stream
// (certifyExample, index); the n0 selection copies first, then the n estimation copies, consumed
// sequentially). From one recording, Cohen's fixed-n CERTIFY and the adaptive procedure at any
// (ε, η, looks) are replayed without running the network again: the adaptive run with the same
// seed would have seen exactly the prefixes of the same vote sequence.
//
// File: JSON lines. Line 1: the header (model, seed, σ, n0, n, dataset); then one line per example
// { index, label, selection, estimation } with the predicted classes as base64 bytes. Written line
// by line, so an interrupted recording keeps its finished examples and a rerun with the same
// header resumes after them.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { STREAM_TAG, streamOf } from "@classfit/pipeline";

const toB64 = (a) => Buffer.from(Uint8Array.from(a)).toString("base64");
const fromB64 = (s) => new Uint8Array(Buffer.from(s, "base64"));

/** Reads a recording: { header, examples: [{ index, label, selection, estimation }] }. */
export function readRecording(path) {
  const lines = readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.length > 0);
  if (lines.length === 0) throw new Error(`${path}: empty recording`);
  const header = JSON.parse(lines[0]);
  const examples = [];
  for (const [i, l] of lines.slice(1).entries()) {
    let e;
    try {
      e = JSON.parse(l);
    } catch {
      // A line cut by an interrupted run: keep what came before it.
      if (i === lines.length - 2) break;
      throw new Error(`${path}: line ${i + 2} is not JSON`);
    }
    const ex = { index: e.index, label: e.label, selection: fromB64(e.selection), estimation: fromB64(e.estimation) };
    if (ex.selection.length !== header.n0 || ex.estimation.length !== header.n)
      throw new Error(`${path}: example ${e.index} has ${ex.selection.length}/${ex.estimation.length} votes, not n0/n`);
    examples.push(ex);
  }
  return { header, examples };
}

/**
 * Records the votes of `indices` (resuming a recording at `path` with the same header) and
 * returns the recording. `log` gets one line per example.
 */
export async function record({ path, header, core, classifier, dataset, indices, batchSize, log }) {
  let done = [];
  if (existsSync(path)) {
    const prev = readRecording(path);
    if (JSON.stringify(prev.header) !== JSON.stringify(header))
      throw new Error(
        `${path}: a recording with another header exists (${JSON.stringify(prev.header)}); remove it or pass another --record`,
      );
    done = prev.examples;
    // Rewrite without a possibly cut last line.
    writeFileSync(path, `${[header, ...done.map(encode)].map((o) => JSON.stringify(o)).join("\n")}\n`);
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(header)}\n`);
  }
  const have = new Set(done.map((e) => e.index));
  for (const i of indices) {
    if (have.has(i)) continue;
    const t0 = performance.now();
    const input = await dataset.input(i);
    const rng = core.rng(header.seed, streamOf(STREAM_TAG.certifyExample, i));
    let ex;
    try {
      const selection = await classifier.predictNoisy(input, header.sigma, header.n0, rng, batchSize);
      const estimation = await classifier.predictNoisy(input, header.sigma, header.n, rng, batchSize);
      ex = {
        index: i,
        label: dataset.labels[i],
        selection: Uint8Array.from(selection),
        estimation: Uint8Array.from(estimation),
      };
    } finally {
      rng.dispose();
    }
    appendFileSync(path, `${JSON.stringify(encode(ex))}\n`);
    done.push(ex);
    log?.(`recorded example ${i} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const byIndex = new Map(done.map((e) => [e.index, e]));
  return { header, examples: indices.map((i) => byIndex.get(i)) };
}

function encode(e) {
  return { index: e.index, label: e.label, selection: toB64(e.selection), estimation: toB64(e.estimation) };
}
