// host-web's build: a static single-page app with relative asset paths (served from any folder
// of any static host), workspace packages bundled from their TypeScript sources, module Web
// Workers, and every asset emitted as a file (never inlined as a data: URL, which the page's
// Content-Security-Policy would refuse).
import { defineConfig } from "vite";

const ISOLATION = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
};

export default defineConfig({
  base: "./",
  resolve: { conditions: ["source", "browser", "module", "import", "default"] },
  worker: { format: "es" },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: true,
    chunkSizeWarningLimit: 8000,
    modulePreload: { polyfill: false },
  },
  // Cross-origin isolation, so the page has SharedArrayBuffer and the unit workers share one copy
  // of the study's data (without it each worker gets its own copy; the bytes are the same).
  server: { headers: ISOLATION },
  preview: { headers: ISOLATION },
});
