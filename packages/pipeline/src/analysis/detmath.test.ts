import { describe, expect, it } from "vitest";
import { detExp, detLog, detLogSumExp } from "./detmath.js";

/** Distance in units in the last place between two finite doubles of the same sign. */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const scale = Math.abs(b) * Number.EPSILON;
  return Math.abs(a - b) / scale;
}

describe("detExp / detLog", () => {
  it("agree with Math.exp / Math.log to a few ulp over a wide range", () => {
    let worstExp = 0;
    let worstLog = 0;
    for (let i = 0; i <= 20000; i++) {
      const x = -700 + (1400 * i) / 20000 + 1e-3 * Math.sin(i);
      worstExp = Math.max(worstExp, ulps(detExp(x), Math.exp(x)));
      const y = 10 ** (-300 + (600 * i) / 20000) * (1 + 0.37 * Math.cos(i));
      worstLog = Math.max(
        worstLog,
        Math.abs(detLog(y) - Math.log(y)) / Math.max(Number.EPSILON, Math.abs(Math.log(y)) * Number.EPSILON),
      );
    }
    expect(worstExp).toBeLessThan(4);
    expect(worstLog).toBeLessThan(4);
  });

  it("handles the edges: exact values, subnormals, infinities and NaN", () => {
    expect(detExp(0)).toBe(1);
    expect(detLog(1)).toBe(0);
    expect(detLog(2)).toBeCloseTo(Math.LN2, 16);
    expect(detLog(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(detLog(-1)).toBeNaN();
    expect(detLog(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(detLog(5e-324)).toBeCloseTo(Math.log(5e-324), 10);
    expect(detExp(1000)).toBe(Number.POSITIVE_INFINITY);
    expect(detExp(-1000)).toBe(0);
    // Subnormal results keep fewer significant bits, so compare relatively.
    expect(Math.abs(detExp(-740) - Math.exp(-740)) / Math.exp(-740)).toBeLessThan(1e-9);
    expect(detExp(Number.NaN)).toBeNaN();
    for (const x of [1e-10, 0.5, 3, 1e10, 1e300])
      expect(ulps(detExp(detLog(x)), x)).toBeLessThan(2 + Math.abs(Math.log(x)) * 2);
  });

  it("log-sum-exp is stable for large magnitudes", () => {
    expect(detLogSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 10);
    expect(detLogSumExp([-1e4, -1e4 + Math.log(3)])).toBeCloseTo(-1e4 + Math.log(4), 8);
    expect(detLogSumExp([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe(Number.NEGATIVE_INFINITY);
  });
});
