// Loads that read zero where `ok` is false (a tap outside the image, a tile past the output's
// edge): the Winograd transforms (winograd.ts, winograd4.ts) use them for patches that straddle
// a border, so nothing outside a tensor is dereferenced.

/** v128 at p, or zeros when !ok. */
// @ts-ignore: decorator
@inline
export function ld(p: usize, ok: bool): v128 {
  if (ok) return v128.load(p);
  return f32x4.splat(0);
}

/** f32 at p, or 0 when !ok. */
// @ts-ignore: decorator
@inline
export function ldf(p: usize, ok: bool): f32 {
  if (ok) return load<f32>(p);
  return 0;
}
