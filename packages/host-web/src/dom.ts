// Every element is built here because the page's Content-Security-Policy forbids inline scripts
// and styles: no innerHTML templates, attributes set one by one.
export type Attrs = Record<string, string | number | boolean | undefined>;

/** An element with `attrs` (`text` sets its text; true is a bare attribute, false or undefined
 * none) and `children` (null and undefined are skipped). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === "text") el.textContent = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}
