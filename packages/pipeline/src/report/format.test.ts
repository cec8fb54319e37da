import { describe, expect, it } from "vitest";
import { fmt, fmtCI, fmtP, toCsv } from "./format.js";

describe("report formatting", () => {
  it("formats with significant digits and a real minus sign", () => {
    expect(fmt(3.14659)).toBe("3.15");
    expect(fmt(-123.456)).toBe("−123");
    expect(fmt(0.012345)).toBe("0.0123");
    expect(fmt(1234567)).toBe("1.23e+6");
    expect(fmt(Number.NaN)).toBe("–");
    expect(fmt(undefined)).toBe("–");
    expect(fmtP(0.00001)).toBe("< 0.0001");
    expect(fmtP(0.0432)).toBe("0.043");
    expect(fmtCI(0.781, 0.412, 0.953)).toBe("0.78 [0.41, 0.95]");
  });

  it("writes RFC 4180 CSV with quoting", () => {
    expect(
      toCsv(
        ["a", "b"],
        [
          ["T-shirt/top", 1.5],
          ['say "hi", ok', null],
        ],
      ),
    ).toBe('a,b\r\nT-shirt/top,1.5\r\n"say ""hi"", ok",\r\n');
  });
});
