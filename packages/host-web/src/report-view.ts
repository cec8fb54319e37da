// The report in the page, made interactive: the report's own HTML (the same file the CLI
// writes) goes into a shadow root with its stylesheet adopted (constructable stylesheets, so the
// page's CSP needs no 'unsafe-inline'); every figure mark carries Vega-Lite's aria-label, which
// drives a hover tooltip (class name and values) and a linked selection — click a class in any
// figure and its marks stay lit in every figure while the others fade. Escape or a click on
// empty space clears it.

/** Vega items that carry an aria-label but are not marks. */
const NOT_MARKS =
  ':not([aria-roledescription="axis"]):not([aria-roledescription="legend"]):not([aria-roledescription="title"])';

/**
 * The class a mark's label is about, or undefined. Labels are either the figure's own tips
 * ("Coat · stage2: …", "Coat: median …", "true Coat → assigned Shirt: …") or Vega-Lite's
 * default field list ("stage: stage1; …; cls: Coat"). A "Name: …" tip counts only when Name is
 * a class seen elsewhere (`classes`), so field lists like "y: 1.1" never select anything.
 */
export function classKey(label: string, classes?: ReadonlySet<string>): string | undefined {
  const field = /(?:^|; )cls: ([^;]+)/.exec(label);
  if (field) return field[1]?.trim();
  const confusion = /^true (.+?) →/.exec(label);
  if (confusion) return confusion[1];
  const dot = /^(.+?) · /.exec(label);
  if (dot) return dot[1];
  const colon = /^(.+?): /.exec(label);
  if (colon && classes?.has(colon[1] as string)) return colon[1];
  return undefined;
}

/** Every class name the labels name unambiguously. */
export function classesIn(labels: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const l of labels) {
    const k = classKey(l);
    if (k !== undefined) out.add(k);
  }
  return out;
}

const EXTRA_CSS = `
.cf-tip{position:fixed;pointer-events:none;background:#222;color:#fff;font:12px/1.35 system-ui,sans-serif;padding:4px 7px;border-radius:4px;max-width:420px;z-index:10}
.cf-tip[hidden]{display:none}
svg [aria-roledescription][aria-label]:not([aria-roledescription="axis"]):not([aria-roledescription="legend"]):not([aria-roledescription="title"]){cursor:pointer}
svg .cf-dim{opacity:.15}
svg .cf-lit{stroke:#000;stroke-width:1.5px}
.cf-selection{font:13px system-ui,sans-serif;margin:6px 0;color:#333}
`;

export function enhanceReport(container: HTMLElement, html: string): { select(key: string | undefined): void } {
  // Chromium parses with the page's CSP even in a DOMParser document, so the report's <style>
  // element and style attributes are taken out of the text first: the stylesheet is adopted
  // (constructable, allowed), the attributes re-applied through the CSSOM (allowed).
  const css: string[] = [];
  const text = html
    .replace(/<style>([\s\S]*?)<\/style>/g, (_, c: string) => {
      css.push(c);
      return "";
    })
    .replace(/\sstyle="([^"]*)"/g, ' data-cf-style="$1"');
  const doc = new DOMParser().parseFromString(text, "text/html");
  const root = container.shadowRoot ?? container.attachShadow({ mode: "open" });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css.join("\n") + EXTRA_CSS);
  root.adoptedStyleSheets = [sheet];
  const main = doc.querySelector("main") ?? doc.body;
  // Scripts never come from the report (it has none); drop any defensively.
  for (const s of main.querySelectorAll("script")) s.remove();
  const tip = document.createElement("div");
  tip.className = "cf-tip";
  tip.hidden = true;
  const selInfo = document.createElement("p");
  selInfo.className = "cf-selection";
  selInfo.textContent = "Click a mark to follow its class across every figure.";
  const body = document.createElement("main");
  body.append(...[...main.childNodes].map((n) => document.importNode(n, true)));
  for (const el of body.querySelectorAll<HTMLElement | SVGElement>("[data-cf-style]")) {
    el.style.cssText = el.getAttribute("data-cf-style") ?? "";
    el.removeAttribute("data-cf-style");
  }
  const figures = body.querySelector("#figures");
  if (figures) figures.after(selInfo);
  root.replaceChildren(body, tip);

  // Vega describes a mark item as "<type> mark", or as "<type>" when the spec gives it a
  // description (the report's points with their own tip text); axes, legends and titles carry
  // aria-labels too, but are not marks.
  const MARK = `svg [aria-roledescription][aria-label]${NOT_MARKS}`;
  const marks = [...body.querySelectorAll<SVGElement>(MARK)];
  const classes = classesIn(marks.map((m) => m.getAttribute("aria-label") ?? ""));
  const keyOf = (m: Element) => classKey(m.getAttribute("aria-label") ?? "", classes);
  let selected: string | undefined;
  const select = (key: string | undefined) => {
    selected = key;
    for (const m of marks) {
      const k = keyOf(m);
      m.classList.toggle("cf-lit", key !== undefined && k === key);
      m.classList.toggle("cf-dim", key !== undefined && k !== undefined && k !== key);
    }
    const n = key === undefined ? 0 : marks.filter((m) => keyOf(m) === key).length;
    selInfo.textContent =
      key === undefined
        ? "Click a mark to follow its class across every figure."
        : `Selected: ${key} (${n} marks across the figures). Escape or click empty space to clear.`;
    container.dataset.selected = key ?? "";
  };
  body.addEventListener("mouseover", (e) => {
    const t = (e.target as Element).closest?.(MARK);
    if (!t) {
      tip.hidden = true;
      return;
    }
    tip.textContent = t.getAttribute("aria-label");
    tip.hidden = false;
  });
  body.addEventListener("mousemove", (e) => {
    tip.style.left = `${e.clientX + 14}px`;
    tip.style.top = `${e.clientY + 12}px`;
  });
  body.addEventListener("mouseleave", () => {
    tip.hidden = true;
  });
  body.addEventListener("click", (e) => {
    const t = (e.target as Element).closest?.(MARK);
    const key = t ? keyOf(t) : undefined;
    if (t && key === undefined) return;
    select(key === selected ? undefined : key);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") select(undefined);
  });
  // In-report links (#summary, #figures…) scroll within the shadow root.
  body.addEventListener("click", (e) => {
    const a = (e.target as Element).closest?.("a[href^='#']");
    if (!a) return;
    e.preventDefault();
    root.getElementById(a.getAttribute("href")?.slice(1) ?? "")?.scrollIntoView();
  });
  return { select };
}
