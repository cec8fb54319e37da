// host-web's build: a static single-page app with relative asset paths (served from any folder
// of any static host), workspace packages bundled from their TypeScript sources, module Web
// Workers, and every asset emitted as a file (never inlined as a data: URL, which the page's
// Content-Security-Policy would refuse).
import { defineConfig } from "vite";

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
  server: { headers: { "cross-origin-opener-policy": "same-origin" } },
});
