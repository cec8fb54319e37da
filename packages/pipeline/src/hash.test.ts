import { describe, expect, it } from "vitest";
import { fnv1a32, fnv1a64, fnv1a64Js, WASM_FROM } from "./hash.js";

/** FNV-1a, 64-bit, in BigInt arithmetic as the FNV specification states it: the reference. */
function fnv1a64Reference(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (const b of bytes) h = ((h ^ BigInt(b)) * prime) & mask;
  return h.toString(16).padStart(16, "0");
}

const text = (s: string) => new TextEncoder().encode(s);

describe("fnv1a64", () => {
  it("gives the published FNV-1a 64-bit test vectors", () => {
    // Fowler–Noll–Vo reference test vectors (fnv test suite, FNV1A_64).
    expect(fnv1a64(text(""))).toBe("cbf29ce484222325");
    expect(fnv1a64(text("a"))).toBe("af63dc4c8601ec8c");
    expect(fnv1a64(text("foobar"))).toBe("85944171f73967e8");
  });

  it("equals the BigInt reference on seeded random bytes of every length up to 300, and on 64 kB", () => {
    let s = 12345;
    const next = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s >>> 24;
    };
    for (let n = 0; n <= 300; n++) {
      const b = Uint8Array.from({ length: n }, next);
      expect(fnv1a64(b), `length ${n}`).toBe(fnv1a64Reference(b));
    }
    const big = Uint8Array.from({ length: 65536 }, next);
    expect(fnv1a64(big)).toBe(fnv1a64Reference(big));
    expect(fnv1a64Js(big)).toBe(fnv1a64Reference(big));
    // Bytes that drive the low half through every carry: all 0xff, and all 0x00.
    expect(fnv1a64(new Uint8Array(1000).fill(255))).toBe(fnv1a64Reference(new Uint8Array(1000).fill(255)));
    expect(fnv1a64(new Uint8Array(1000))).toBe(fnv1a64Reference(new Uint8Array(1000)));
  });

  it("gives the same digits through the wasm module, across its threshold and its 1 MiB chunks", () => {
    let s = 777;
    const next = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s >>> 24;
    };
    const data = Uint8Array.from({ length: (5 << 20) / 2 + 3 }, next);
    for (const n of [WASM_FROM - 1, WASM_FROM, WASM_FROM + 1, 1 << 20, (1 << 20) + 1, data.length]) {
      const b = data.subarray(0, n);
      expect(fnv1a64(b), `length ${n}`).toBe(fnv1a64Reference(b));
    }
    // A view that starts inside its buffer.
    expect(fnv1a64(data.subarray(5, 5 + 70_000))).toBe(fnv1a64Js(data.subarray(5, 5 + 70_000)));
  });

  it("hashes a view, not its whole buffer", () => {
    const buf = text("xxfoobaryy");
    expect(fnv1a64(buf.subarray(2, 8))).toBe("85944171f73967e8");
  });
});

describe("fnv1a32", () => {
  it("gives the published FNV-1a 32-bit test vectors", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });
});
