// Web Worker entry of the study's unit executor (./unit-pool.ts): builds the protocol of a study
// step's job (memorization's subset networks, certification's chunks) once, with this worker's
// own tfjs-wasm backend and wasm-core, checks it has the study's config hash, then runs every
// unit it is sent. Node's worker_threads build the same protocol with the same function
// (@classfit/pipeline's protocolOfJob), so a unit's bytes never depend on where it ran.
import { initBackend } from "@classfit/models/backend";
import { configHash, protocolOfJob, type UnitProtocol } from "@classfit/pipeline";
import { Core } from "@classfit/wasm-core";
import type { UnitEvent, UnitRequest, WorkerScope } from "./protocol.js";

const scope = self as unknown as WorkerScope;
let ready: Promise<UnitProtocol> | undefined;

const post = (e: UnitEvent, t: Transferable[] = []) => scope.postMessage(e, t);

async function build(msg: Extract<UnitRequest, { type: "init" }>): Promise<UnitProtocol> {
  await initBackend({ wasmPath: msg.tfjsWasmPath });
  const { protocol } = await protocolOfJob(msg.job, await Core.instantiate(msg.module));
  const hash = configHash(protocol.kind, protocol.config);
  if (hash !== msg.configHash)
    throw new Error(`the worker's ${protocol.kind} protocol has config ${hash}, the study's ${msg.configHash}`);
  return protocol;
}

scope.addEventListener("message", async (ev: MessageEvent) => {
  const msg = ev.data as UnitRequest;
  if (msg.type === "init") {
    ready = build(msg);
    // Reported with the first unit.
    ready.catch(() => {});
    return;
  }
  try {
    if (!ready) throw new Error("unit worker: no job (init was not sent)");
    const payload = await (await ready).runUnit(msg.index);
    post({ type: "result", id: msg.id, payload }, [payload.buffer as ArrayBuffer]);
  } catch (e) {
    post({ type: "error", id: msg.id, message: e instanceof Error ? e.message : String(e) });
  }
});
