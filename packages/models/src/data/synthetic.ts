// A small deterministic labelled image set for tests, demos and parity fixtures: each class
// is a bright band at its own position plus a fixed texture, so a network can learn it in a
// few steps. Pure integer arithmetic: the same bytes in every engine.
import type { ImageDataset } from "./dataset.js";

export interface SyntheticSpec {
  n: number;
  height?: number;
  width?: number;
  channels?: number;
  numClasses?: number;
  /** Varies the texture. */
  variant?: number;
}

export function syntheticDataset(s: SyntheticSpec): ImageDataset {
  const h = s.height ?? 28;
  const w = s.width ?? 28;
  const c = s.channels ?? 1;
  const k = s.numClasses ?? 3;
  const v = s.variant ?? 0;
  const images = new Uint8Array(s.n * h * w * c);
  const labels = new Int32Array(s.n);
  const band = Math.max(1, Math.floor(w / k));
  for (let i = 0; i < s.n; i++) {
    const y = i % k;
    labels[i] = y;
    for (let r = 0; r < h; r++) {
      for (let col = 0; col < w; col++) {
        const inBand = col >= y * band && col < (y + 1) * band;
        for (let ch = 0; ch < c; ch++) {
          const texture = (r * 31 + col * 17 + i * 7 + ch * 13 + v * 101) % 40;
          images[((i * h + r) * w + col) * c + ch] = (inBand ? 180 : 30) + texture;
        }
      }
    }
  }
  return { name: `synthetic-${s.n}`, n: s.n, height: h, width: w, channels: c, numClasses: k, images, labels };
}
