// Vega-Lite → SVG through vega's headless View (no DOM, no canvas), identical in Node and the
// browser: text widths come from vega's size-based estimate, never from a canvas, because a
// canvas would measure with whatever fonts the host has installed.

import * as vega from "vega";
import type { TopLevelSpec } from "vega-lite";
import * as vl from "vega-lite";

let metricsFixed = false;
function useEstimatedTextWidths(): void {
  if (metricsFixed) return;
  // vega-scenegraph: textMetrics.canvas(false) selects estimateWidth in every host.
  const tm = (vega as unknown as { textMetrics?: { canvas?: (use: boolean) => void } }).textMetrics;
  tm?.canvas?.(false);
  metricsFixed = true;
}

/** Escapes text for XML/HTML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;",
  );
}

/**
 * Makes an SVG from vega safe to inline next to others and readable on hover:
 * - every id (clip paths, gradients) and its references become `prefix-1`, `prefix-2`, … so two
 *   figures on one page never resolve each other's `url(#clip1)`, and re-rendering is byte-stable;
 * - each mark item with an aria-label (Vega-Lite's `description` channel) gets a `<title>`
 *   child, which browsers show as a tooltip without any script.
 */
export function postProcessSvg(svg: string, prefix: string): string {
  // Renumbered in order of appearance: vega draws gradient/clip ids from process-wide counters,
  // so the same figure rendered twice would otherwise differ in its ids.
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\bid="([^"]+)"/g)) {
    const id = m[1] as string;
    if (!ids.has(id)) ids.set(id, `${prefix}-${ids.size + 1}`);
  }
  let out = svg;
  if (ids.size > 0) {
    out = out.replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${ids.get(id)}"`);
    out = out.replace(/url\(#([^)]+)\)/g, (all, id: string) => (ids.has(id) ? `url(#${ids.get(id)})` : all));
    out = out.replace(/href="#([^"]+)"/g, (all, id: string) => (ids.has(id) ? `href="#${ids.get(id)}"` : all));
  }
  out = out.replace(
    /<(path|rect|line|circle|text)\b([^>]*?\baria-label="([^"]*)"[^>]*?)\/>/g,
    (_, tag: string, attrs: string, label: string) => `<${tag}${attrs}><title>${label}</title></${tag}>`,
  );
  return out;
}

/** Compiles a Vega-Lite spec and renders it to an SVG string (post-processed, see above). */
export async function renderSvg(spec: TopLevelSpec, prefix: string): Promise<string> {
  useEstimatedTextWidths();
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    return postProcessSvg(svg, prefix);
  } finally {
    view.finalize();
  }
}
