import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import react from "@vitejs/plugin-react";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

// The backend serves the built UI at / and the API under /api (and OpenAI's under /v1)
// on the same origin. In development, Vite proxies both to a running backend (override
// with TUNIX_RT_API).
const apiTarget = process.env.TUNIX_RT_API ?? "http://127.0.0.1:8000";
const apiProxy = { "/api": { target: apiTarget }, "/v1": { target: apiTarget } };

/**
 * The API docs (/docs) from a pinned copy of Swagger UI in the build, never from a CDN
 * on the origin that holds the token: its bundle and stylesheet go to dist/api-docs/,
 * beside public/api-docs/init.js (no inline script: the server's CSP allows none).
 */
function swaggerUi(): Plugin {
  const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  return {
    name: "tunix-rt-swagger-ui",
    apply: "build",
    writeBundle(options) {
      const out = join(options.dir ?? "dist", "api-docs");
      mkdirSync(out, { recursive: true });
      for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) copyFileSync(join(dist, file), join(out, file));
    },
  };
}

export default defineConfig({
  plugins: [react(), swaggerUi()],
  server: {
    port: Number(process.env.FRONTEND_PORT ?? 5173),
    strictPort: true,
    proxy: apiProxy,
  },
  preview: { proxy: apiProxy },
  build: { outDir: "dist", emptyOutDir: true },
  test: {
    environment: "jsdom",
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
    // Vitest's default leaves a core idle (one worker on a 2-core machine): the files
    // are independent, and `make test` runs nothing beside them.
    maxWorkers: "100%",
    coverage: {
      provider: "v8",
      include: ["src/**/*.{ts,tsx}"],
      exclude: ["src/api/schema.d.ts", "src/main.tsx", "src/test/**", "src/**/*.test.{ts,tsx}"],
      reporter: ["text", "html"],
      thresholds: { lines: 60 },
    },
  },
});
