// A forward pass for noisy copies that runs classfit's own wasm kernels straight on the tfjs-wasm
// heap, with no tfjs op in between: the folded plan of ./folded.ts, compiled once into a fixed
// schedule of kernel calls over buffers allocated up front.
//
// Why not tfjs: on the shipped ResNet (8–64 channels, 28×28) a batch of 64 noisy copies spent
// about a sixth of its time outside the convolutions' arithmetic — tfjs's per-op bookkeeping,
// XNNPACK's operator setup, separate Add and Relu passes over every residual block's output
// (bench/noisy-forward.mjs, profiled in BENCHMARKS.md). Here:
//   - 3×3 stride-1 convolutions run Winograd F(4×4, 3×3) (F(2×2, 3×3) below 4 px) with filters
//     transformed once, at build time;
//   - every other convolution (the stem, stride-2 and 1×1 projections) runs the direct kernel
//     (assembly/direct.ts);
//   - a residual block's Add and the ReLU after it are fused into the second convolution's
//     output pass, writing in place over the skip tensor when nothing else reads it;
//   - the batch runs through the network `chunk` copies at a time, so a chunk's activations stay
//     in cache from one layer to the next;
//   - global average pooling and the dense head run as f64-accumulating kernels (assembly/head.ts).
//
// Determinism: every kernel is a fixed sequence of f32 additions and multiplications (no FMA, no
// threads), and each output value depends only on its own copy's input — not on the chunk or the
// batch — so Node and every browser compute the same bits, whatever the chunk size. The values
// differ from tfjs's folded executor by f32 rounding only (different summation orders; tested).
import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { directGeometry } from "../kernels/direct.js";
import {
  type AfterBatch,
  afterBatch,
  type DirectGeometry,
  type KernelExports,
  kernelsFor,
  type TileGeometry,
  type WasmBackendLike,
} from "../kernels/module.js";
import { BLOCK_TILES_4, blockTiles, tileGeometry } from "../kernels/winograd.js";
import { type FoldedConv, type FoldedPlan, planFolded } from "./folded.js";

/** Copies through the network at a time (default of nativeForward's `chunk`). On the shipped
 * ResNet at batch 64 (10 interleaved rounds, median passes per CPU-second): chunks of 2, 4, 8,
 * 16, 32, 64 gave 6 022, 6 399, 6 429, 5 763, 6 336, 5 995 — flat within this VM's noise from 4
 * up; 8 keeps a chunk's largest activation (8 × 28 × 28 × 8 floats, 200 KiB) in L2. */
export const DEFAULT_CHUNK = 8;

export interface NativeForward {
  /** Values per copy: h·w·c of the model's input. */
  readonly inputSize: number;
  readonly numClasses: number;
  /** Most copies per run. */
  readonly chunk: number;
  /** The input buffer for `count` ≤ chunk copies, NHWC: a view of the wasm heap, valid until
   * the next allocation on the heap (take it right before writing, then call run). */
  input(count: number): Float32Array;
  /** Logits of the `count` copies in input(count), written to logits (count × numClasses). */
  run(count: number, logits: Float32Array): void;
  /** Frees the heap buffers (the model stays the caller's). */
  dispose(): void;
}

interface Spatial {
  /** Index of the heap buffer this value lives in. */
  slot: number;
  h: number;
  w: number;
  c: number;
}

type Call =
  | {
      kind: "winograd";
      tile: 2 | 4;
      x: Spatial;
      out: Spatial;
      res: Spatial | null;
      u: number;
      bias: number;
      /** The kernel's arguments after the batch size (geometry, relu, tiles per block). */
      args: [...AfterBatch<TileGeometry>, relu: number, tb: number];
    }
  | {
      kind: "direct";
      x: Spatial;
      out: Spatial;
      res: Spatial | null;
      w: number;
      bias: number;
      /** The kernel's arguments after the batch size (geometry, relu). */
      args: [...AfterBatch<DirectGeometry>, relu: number];
      simd: boolean;
    }
  | { kind: "gap"; x: Spatial; out: number }
  | { kind: "dense"; x: number; out: number; kernel: number; bias: number; inSize: number; units: number };

/**
 * The native executor of `model` on the wasm backend `backend` (classfit's kernels attached), or
 * undefined when the model's folded plan has a step it does not run: a batch norm or Add that
 * could not be fused, a pooling other than the global average, dense layers before the pooling.
 * The ResNet and ConvNet of ../arch are handled.
 */
export function nativeForward(
  model: LayersModel,
  backend: WasmBackendLike,
  opts: { chunk?: number } = {},
): NativeForward | undefined {
  const chunk = opts.chunk ?? DEFAULT_CHUNK;
  if (!Number.isSafeInteger(chunk) || chunk < 1)
    throw new RangeError(`native forward: chunk must be a positive integer, got ${chunk}`);
  let k: KernelExports;
  try {
    k = kernelsFor(backend);
  } catch {
    return undefined;
  }
  const plan = planFolded(model);
  const shape = model.inputs[0]?.shape;
  if (!plan || !shape || shape.length !== 4) return undefined;
  const [, H, W, C] = shape as [unknown, number, number, number];
  if (![H, W, C].every((v) => typeof v === "number" && v > 0)) return undefined;
  const fused = fuseResiduals(plan);
  if (!fused) return undefined;
  const { steps, source, residualOf } = fused;

  // Last step reading each value (by its source name), for buffer reuse.
  const lastUse = new Map<string, number>();
  steps.forEach((s, i) => {
    for (const n of s.inputs) lastUse.set(source(n), i);
    const r = residualOf.get(s.name);
    if (r) lastUse.set(source(r), i);
  });

  // Slots: heap buffers of chunk·size floats; a value takes a free slot (best fit, grown to fit)
  // and gives it back after its last reader.
  const slotSize: number[] = [];
  const slotFree: boolean[] = [];
  const take = (floats: number): number => {
    let best = -1;
    for (let i = 0; i < slotSize.length; i++) {
      if (!slotFree[i]) continue;
      if (best < 0 || Math.abs((slotSize[i] as number) - floats) < Math.abs((slotSize[best] as number) - floats))
        best = i;
    }
    if (best < 0) {
      slotSize.push(floats);
      slotFree.push(false);
      return slotSize.length - 1;
    }
    slotSize[best] = Math.max(slotSize[best] as number, floats);
    slotFree[best] = false;
    return best;
  };
  const spatial = new Map<string, Spatial>();
  // Values after the pooling: (chunk, size) heap buffers of their own (a few KiB).
  const flat = new Map<string, { ptr: number; size: number }>();
  const heapOwned: number[] = [];
  // Every buffer starts on a 64-byte cache line (malloc promises only 8 or 16 bytes), so no
  // aligned v128 row of a buffer straddles two lines.
  // `data` is copied in; a size alone leaves the buffer as malloc returned it.
  const heap = (data: Float32Array | number): number => {
    const floats = typeof data === "number" ? data : data.length;
    const raw = backend.wasm._malloc(floats * 4 + 64);
    if (!raw) throw new Error(`native forward: could not allocate ${floats * 4} bytes on the wasm heap`);
    heapOwned.push(raw);
    const p = (raw + 63) & ~63;
    if (typeof data !== "number") new Float32Array(backend.wasm.asm.memory.buffer, p, floats).set(data);
    return p;
  };
  const freeAll = () => {
    for (const p of heapOwned) backend.wasm._free(p);
    heapOwned.length = 0;
  };
  const calls: Call[] = [];
  let inputSlot = -1;
  let outputFlat = 0;
  let numClasses = 0;
  let maxV = 0;
  let maxM = 0;
  let maxC = 0;
  const release = (i: number) => {
    for (const [name, v] of spatial) {
      if ((lastUse.get(name) ?? -1) === i) {
        slotFree[v.slot] = true;
        spatial.delete(name);
      }
    }
  };
  // Planning gives up (undefined) or throws part-way: free what it allocated either way.
  let planned = false;
  try {
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i] as (typeof steps)[number];
      const op = s.op;
      if (op.kind === "alias") continue;
      if (op.kind === "input") {
        inputSlot = take(H * W * C);
        spatial.set(s.name, { slot: inputSlot, h: H, w: W, c: C });
      } else if (op.kind === "conv") {
        const x = spatial.get(source(s.inputs[0] as string));
        if (!x || s.inputs.length !== 1) return undefined;
        const [, , ci, co] = op.filterShape;
        if (ci !== x.c) return undefined;
        const info = tf.backend_util.computeConv2DInfo([chunk, x.h, x.w, ci], op.filterShape, op.strides, 1, op.pad);
        const resName = residualOf.get(s.name);
        const res = resName ? (spatial.get(source(resName)) ?? null) : null;
        if (resName && !res) return undefined;
        const outSize = info.outHeight * info.outWidth * co;
        // In place over the skip tensor when this convolution is its last reader.
        const inPlace = res && resName && lastUse.get(source(resName)) === i && res.slot !== x.slot;
        const out: Spatial = {
          slot: inPlace ? (res as Spatial).slot : take(outSize),
          h: info.outHeight,
          w: info.outWidth,
          c: co,
        };
        if (inPlace) spatial.delete(source(resName as string));
        const relu = op.relu || fused.reluAfter.has(s.name);
        const bias = heap(op.bias);
        if (winogradFits(op, ci, co)) {
          const tile = info.outHeight >= 4 && info.outWidth >= 4 ? 4 : 2;
          const tb = tile === 4 ? BLOCK_TILES_4 : blockTiles(ci, co);
          const positions = tile === 4 ? 36 : 16;
          const u = heap(positions * ci * co);
          // The filter itself is needed only for its transform.
          const wPtr = heap(op.filter);
          (tile === 4 ? k.winograd4Filter : k.winogradFilter)(wPtr, u, ci, co, 0);
          backend.wasm._free(heapOwned.pop() as number);
          maxV = Math.max(maxV, positions * tb * ci);
          maxM = Math.max(maxM, positions * tb * co);
          calls.push({
            kind: "winograd",
            tile,
            x,
            out,
            res: inPlace ? out : res,
            u,
            bias,
            args: [...afterBatch(tileGeometry(info)), relu ? 1 : 0, tb],
          });
        } else {
          calls.push({
            kind: "direct",
            x,
            out,
            res: inPlace ? out : res,
            w: heap(op.filter),
            bias,
            args: [...afterBatch(directGeometry(info)), relu ? 1 : 0],
            simd: co % 4 === 0,
          });
        }
        spatial.set(s.name, out);
      } else if (op.kind === "gap") {
        const x = spatial.get(source(s.inputs[0] as string));
        if (!x) return undefined;
        const out = heap(chunk * x.c);
        flat.set(s.name, { ptr: out, size: x.c });
        maxC = Math.max(maxC, x.c);
        calls.push({ kind: "gap", x, out });
      } else if (op.kind === "dense") {
        const x = flat.get(source(s.inputs[0] as string));
        const [inSize, units] = op.kernelShape;
        if (!x || x.size !== inSize) return undefined;
        const out = heap(chunk * units);
        flat.set(s.name, { ptr: out, size: units });
        calls.push({
          kind: "dense",
          x: x.ptr,
          out,
          kernel: heap(op.kernel),
          bias: op.bias ? heap(op.bias) : 0,
          inSize,
          units,
        });
      } else {
        return undefined;
      }
      release(i);
    }
    const out = flat.get(source(plan.outputName));
    if (!out || inputSlot < 0) return undefined;
    outputFlat = out.ptr;
    numClasses = out.size;
    planned = true;
  } finally {
    if (!planned) freeAll();
  }

  // The activations and scratch in one allocation, each buffer on its own cache line and shifted
  // by a further 256 bytes per buffer, so that no two start at the same offset modulo 4 KiB
  // (loads and stores 4 KiB apart can falsely alias on x86).
  const sizes = [...slotSize.map((f) => chunk * f), Math.max(maxV, 4), Math.max(maxM, 4), 160, 2 * Math.max(maxC, 1)];
  let arenaBytes = 0;
  const offsets = sizes.map((f, i) => {
    const at = arenaBytes + 256 * i;
    arenaBytes = at + Math.ceil((f * 4) / 64) * 64;
    return at;
  });
  let arena: number;
  try {
    arena = heap(arenaBytes / 4);
  } catch (e) {
    freeAll();
    throw e;
  }
  const at = (i: number) => arena + (offsets[i] as number);
  const slots = slotSize.map((_, i) => at(i));
  const nS = slotSize.length;
  const v = at(nS);
  const m = at(nS + 1);
  const tmp = at(nS + 2);
  const acc = at(nS + 3); // f64 sums of globalAvgPool
  const ptr = (s: Spatial) => slots[s.slot] as number;
  let disposed = false;

  return {
    inputSize: H * W * C,
    numClasses,
    chunk,
    input(count: number): Float32Array {
      if (disposed) throw new Error("native forward: used after dispose()");
      return new Float32Array(backend.wasm.asm.memory.buffer, slots[inputSlot] as number, count * H * W * C);
    },
    run(count: number, logits: Float32Array): void {
      if (disposed) throw new Error("native forward: used after dispose()");
      if (!Number.isSafeInteger(count) || count < 1 || count > chunk)
        throw new RangeError(`native forward: count must be an integer in [1, ${chunk}], got ${count}`);
      for (const c of calls) {
        if (c.kind === "winograd") {
          const res = c.res ? ptr(c.res) : 0;
          if (c.tile === 4) k.winograd4Conv(ptr(c.x), c.u, c.bias, res, ptr(c.out), v, m, tmp, count, ...c.args);
          else k.winogradConv(ptr(c.x), c.u, c.bias, res, ptr(c.out), v, m, count, ...c.args);
        } else if (c.kind === "direct") {
          const res = c.res ? ptr(c.res) : 0;
          (c.simd ? k.directConv : k.directConvScalar)(ptr(c.x), c.w, c.bias, res, ptr(c.out), count, ...c.args);
        } else if (c.kind === "gap") {
          k.globalAvgPool(ptr(c.x), c.out, count, c.x.h * c.x.w, c.x.c, acc);
        } else {
          k.denseForward(c.x, c.kernel, c.bias, c.out, count, c.inSize, c.units);
        }
      }
      logits.set(new Float32Array(backend.wasm.asm.memory.buffer, outputFlat, count * numClasses));
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      freeAll();
    },
  };
}

/** 3×3, stride 1, channel counts the Winograd kernels take (multiples of 4). */
function winogradFits(op: FoldedConv, ci: number, co: number): boolean {
  const [kh, kw] = op.filterShape;
  return kh === 3 && kw === 3 && op.strides[0] === 1 && op.strides[1] === 1 && ci % 4 === 0 && co % 4 === 0;
}

/**
 * The plan with each fusable Add (and the ReLU after it) folded into a convolution: an Add of
 * two values, one of them the output of a convolution without ReLU that nothing else reads and
 * that runs after the other value exists, becomes that convolution's residual; a ReLU that is
 * the Add's only reader becomes that convolution's ReLU. Returns undefined if an Add or ReLU is
 * left over (the native executor has no separate pass for them).
 */
function fuseResiduals(plan: FoldedPlan):
  | {
      steps: FoldedPlan["steps"];
      source: (name: string) => string;
      residualOf: Map<string, string>;
      reluAfter: Set<string>;
    }
  | undefined {
  const steps = plan.steps.map((s) => ({ ...s }));
  const byName = new Map(steps.map((s) => [s.name, s]));
  const index = new Map(steps.map((s, i) => [s.name, i]));
  const alias = new Map<string, string>();
  const source = (name: string): string => {
    let n = name;
    for (let guard = 0; guard < steps.length; guard++) {
      const a = alias.get(n);
      if (a === undefined) {
        const s = byName.get(n);
        if (s?.op.kind === "alias" && s.inputs.length === 1) n = s.inputs[0] as string;
        else return n;
      } else n = a;
    }
    return n;
  };
  const readers = (name: string): string[] =>
    steps.filter((s) => s.op.kind !== "alias" && s.inputs.some((i) => source(i) === name)).map((s) => s.name);
  const residualOf = new Map<string, string>();
  const reluAfter = new Set<string>();
  for (const s of steps) {
    if (s.op.kind !== "add") continue;
    if (s.inputs.length !== 2) return undefined;
    const [a, b] = s.inputs.map(source) as [string, string];
    const pick = [a, b].find((c) => {
      const other = c === a ? b : a;
      const conv = byName.get(c);
      return (
        conv?.op.kind === "conv" &&
        !conv.op.relu &&
        !residualOf.has(c) &&
        readers(c).length === 1 &&
        (index.get(other) ?? Infinity) < (index.get(c) ?? -1)
      );
    });
    if (!pick) return undefined;
    residualOf.set(pick, pick === a ? b : a);
    alias.set(s.name, pick);
    s.op = { kind: "alias" };
    s.inputs = [pick];
    const after = readers(pick);
    const relu = after.length === 1 ? byName.get(after[0] as string) : undefined;
    if (relu && relu.op.kind === "relu") {
      reluAfter.add(pick);
      alias.set(relu.name, pick);
      relu.op = { kind: "alias" };
      relu.inputs = [pick];
    }
  }
  if (steps.some((s) => s.op.kind === "add" || s.op.kind === "relu")) return undefined;
  return { steps, source, residualOf, reluAfter };
}
