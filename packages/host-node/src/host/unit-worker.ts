// worker_threads entry of the protocol commands' unit executor (../workers/unit-executor.ts):
// rebuilds the command's protocol once from the spec in workerData, over the parent's shared
// dataset, with this thread's own tfjs-wasm backend and wasm-core, checks that it has the
// parent's config hash, then runs every unit index it is sent. Protocol: see ../workers/pool.ts.
import { parentPort, workerData } from "node:worker_threads";
import { configHash, type UnitProtocol } from "@classfit/pipeline";
import { binsFromSpec } from "../protocols/bins.js";
import { certifyFromSpec } from "../protocols/certify.js";
import { memorizationFromSpec } from "../protocols/memorization.js";
import type { BuildOptions, BuiltProtocol } from "../protocols/run.js";
import type { UnitWorkerData } from "../workers/unit-executor.js";

if (!parentPort) throw new Error("unit-worker must run as a worker thread");
const port = parentPort;
const data = workerData as UnitWorkerData;
let current = -1;
const log = (line: string) => port.postMessage({ type: "progress", id: current, data: { log: line } });

function build(o: BuildOptions): Promise<BuiltProtocol> {
  const { job } = data;
  switch (job.command) {
    case "memorization":
      return memorizationFromSpec(job.spec, log, o);
    case "certify":
      return certifyFromSpec(job.spec, log, o);
    case "bins":
      return binsFromSpec(job.spec, log, o);
  }
}

const ready: Promise<UnitProtocol> = build({ dataset: data.dataset }).then(({ protocol }) => {
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
