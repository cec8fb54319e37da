// Number formatting for the report. toFixed/toPrecision are exactly specified by ECMAScript, so
// the text is identical in every engine.

/** A number with `sig` significant digits (fixed notation for moderate magnitudes); "–" for absent/NaN. */
export function fmt(v: number | null | undefined, sig = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (v === Number.POSITIVE_INFINITY) return "∞";
  if (v === Number.NEGATIVE_INFINITY) return "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  let s: string;
  if (a >= 1e-3 && a < 1e6) {
    // Enough decimals for `sig` significant digits, never fewer than 0.
    let digits = sig - 1;
    let t = a;
    while (t >= 10 && digits > 0) {
      t /= 10;
      digits--;
    }
    while (t < 1) {
      t *= 10;
      digits++;
    }
    s = a.toFixed(digits);
  } else s = a.toPrecision(sig);
  return (v < 0 ? "−" : "") + s;
}

/** A p-value: "< 0.0001" below that, 2 significant digits otherwise. */
export function fmtP(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return "–";
  return p < 1e-4 ? "< 0.0001" : fmt(p, 2);
}

/** An estimate with its interval: "0.78 [0.41, 0.95]". */
export function fmtCI(est: number, lo: number, hi: number, sig = 2): string {
  return `${fmt(est, sig)} [${fmt(lo, sig)}, ${fmt(hi, sig)}]`;
}

/** RFC 4180 CSV from rows of plain values (numbers at full precision). */
export function toCsv(columns: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const cell = (v: string | number | boolean | null | undefined): string => {
    if (v === null || v === undefined) return "";
    if (typeof v === "number") return Number.isNaN(v) ? "NaN" : String(v);
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${[columns.map(cell).join(","), ...rows.map((r) => r.map(cell).join(","))].join("\r\n")}\r\n`;
}
