// worker_threads entry of the unit executor (../workers/unit-executor.ts): rebuilds the
// protocol once, from a command's spec over the parent's shared dataset or from a study step's
// job, with this thread's own tfjs-wasm backend and wasm-core; checks that it has the parent's
// config hash, then runs every unit index it is sent. Protocol: see ../workers/pool.ts.
import { parentPort, workerData } from "node:worker_threads";
import { initBackend } from "@classfit/models/backend";
import { configHash, protocolOfJob, type UnitProtocol } from "@classfit/pipeline";
import { createCore } from "@classfit/wasm-core/node";
import { binsFromSpec } from "../protocols/bins.js";
import { certifyFromSpec } from "../protocols/certify.js";
import { evaluateFromSpec } from "../protocols/evaluate.js";
import { extractFromSpec } from "../protocols/extract.js";
import { memorizationFromSpec } from "../protocols/memorization.js";
import type { BuildOptions, BuiltProtocol } from "../protocols/run.js";
import type { UnitWorkerData } from "../workers/unit-executor.js";

if (!parentPort) throw new Error("unit-worker must run as a worker thread");
const port = parentPort;
const data = workerData as UnitWorkerData;
let current = -1;
const log = (line: string) => port.postMessage({ type: "progress", id: current, data: { log: line } });

function fromSpec(o: BuildOptions): Promise<BuiltProtocol> {
  if (!("dataset" in data)) throw new Error("a command's job comes with its dataset");
  const { job } = data;
  switch (job.command) {
    case "memorization":
      return memorizationFromSpec(job.spec, log, o);
    case "certify":
      return certifyFromSpec(job.spec, log, o);
    case "bins":
      return binsFromSpec(job.spec, log, o);
    case "extract":
      return extractFromSpec(job.spec, log, o);
    case "evaluate":
      return evaluateFromSpec(job.spec, log, o);
  }
}

async function build(): Promise<{ protocol: UnitProtocol }> {
  if ("dataset" in data) return fromSpec({ dataset: data.dataset });
  await initBackend();
  return protocolOfJob(data.job, await createCore());
}

const ready: Promise<UnitProtocol> = build().then(({ protocol }) => {
  const hash = configHash(protocol.kind, protocol.config);
  if (hash !== data.configHash)
    throw new Error(
      `the worker's ${protocol.kind} protocol has config ${hash}, the command's ${data.configHash} (inputs changed on disk while starting?)`,
    );
  return protocol;
});
// Reported with the first unit; until then nothing may crash the thread unanswered.
ready.catch(() => {});

port.on("message", async (msg: { type: "task"; id: number; input: number }) => {
  current = msg.id;
  try {
    const protocol = await ready;
    const payload = await protocol.runUnit(msg.input);
    port.postMessage({ type: "done", id: msg.id, result: payload }, [payload.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ type: "error", id: msg.id, message: e instanceof Error ? e.message : String(e) });
  }
});
