// The non-cryptographic hashes that name things (configs, label vectors, runs): they guard against
// mix-ups, not against forgery. Free of imports so a host's page can take them on their own
// (`@classfit/pipeline/hash`).

/** FNV-1a, 64-bit, over bytes; 16 lowercase hex digits. Identifies configs, label vectors and
 * every artifact a step writes or reuses (so it runs over tens of megabytes per study): inputs of
 * WASM_FROM bytes or more go through a 87-byte wasm module with a native 64-bit multiply, smaller
 * ones through the JS form below. Both give the digits of FNV-1a computed in BigInt arithmetic as
 * the specification states it (tested). */
export function fnv1a64(bytes: Uint8Array): string {
  if (bytes.length >= WASM_FROM) {
    const digits = fnv1a64Wasm(bytes);
    if (digits !== undefined) return digits;
  }
  return fnv1a64Js(bytes);
}

/** The 64-bit state kept as two 32-bit halves: the prime is 2^40 + 0x1b3, so
 * h·prime mod 2^64 = h·0x1b3 + (lo << 40), and lo·0x1b3 < 2^41 is exact in a double. */
export function fnv1a64Js(bytes: Uint8Array): string {
  let lo = 0x84222325;
  let hi = 0xcbf29ce4;
  for (let i = 0; i < bytes.length; i++) {
    const x = (lo ^ (bytes[i] as number)) >>> 0;
    const t = x * 0x1b3;
    const carry = Math.floor(t / 4294967296);
    hi = (Math.imul(hi, 0x1b3) + carry + (x << 8)) >>> 0;
    lo = t >>> 0;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

/** Below this many bytes, copying into the module's memory costs more than it saves. */
export const WASM_FROM = 4096;

// The module, hand-assembled (no toolchain needed to rebuild it). In WAT:
//   (module (memory (export "m") 16)
//     (func (export "h") (param $n i32) (param $h i64) (result i64) (local $i i32)
//       (block (loop
//         (br_if 1 (i32.ge_u (local.get $i) (local.get $n)))
//         (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load8_u (local.get $i)))
//                                (i64.const 0x100000001b3)))
//         (local.set $i (i32.add (local.get $i) (i32.const 1)))
//         (br 0)))
//       (local.get $h)))
// h(n, state) continues the hash over memory[0, n): the input goes through in 1 MiB chunks, so
// the module's memory never grows.
const FNV_WASM =
  "AGFzbQEAAAABBwFgAn9+AX4DAgEABQMBABAHCQIBbQIAAWgAAAowAS4BAX8CQANAIAIgAE8NASABIAIxAACFQrODgICAIH4hASACQQFqIQIMAAsLIAEL";
const CHUNK = 1 << 20;
let fnvModule: { memory: WebAssembly.Memory; h: (n: number, state: bigint) => bigint } | null | undefined;

function fnv1a64Wasm(bytes: Uint8Array): string | undefined {
  if (fnvModule === undefined) {
    try {
      const bin = Uint8Array.from(atob(FNV_WASM), (c) => c.charCodeAt(0));
      const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bin));
      fnvModule = { memory: exports.m as WebAssembly.Memory, h: exports.h as (n: number, s: bigint) => bigint };
    } catch {
      fnvModule = null; // no WebAssembly here: the JS form does it
    }
  }
  if (fnvModule === null) return undefined;
  const { memory, h } = fnvModule;
  let state = 0xcbf29ce484222325n;
  for (let at = 0; at < bytes.length; at += CHUNK) {
    const part = bytes.subarray(at, Math.min(at + CHUNK, bytes.length));
    new Uint8Array(memory.buffer, 0, part.length).set(part);
    state = h(part.length, state);
  }
  return BigInt.asUintN(64, state).toString(16).padStart(16, "0");
}

/** FNV-1a, 32-bit, over a string's UTF-16 code units. The browser app's run ids have always been
 * this hash of the config text, and they key the runs it keeps, so it cannot become fnv1a64. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
