import { hashJson } from "../units/container.js";

/** A seed for one purpose: FNV-1a of (seed, parts), cut to 52 bits (same value on every host). */
export function deriveSeed(seed: number, ...parts: (string | number)[]): number {
  return Number.parseInt(hashJson({ seed, parts }).slice(0, 13), 16);
}
