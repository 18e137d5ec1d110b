import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The backend serves the built UI at / and the API under /api on the same origin.
// In development, Vite proxies /api to a running backend (override with TUNIX_RT_API).
const apiTarget = process.env.TUNIX_RT_API ?? "http://127.0.0.1:8000";
const apiProxy = { "/api": { target: apiTarget } };

export default defineConfig({
  plugins: [react()],
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
    coverage: {
      provider: "v8",
      include: ["src/**/*.{ts,tsx}"],
      exclude: ["src/api/schema.d.ts", "src/main.tsx", "src/test/**", "src/**/*.test.{ts,tsx}"],
      reporter: ["text", "html"],
      thresholds: { lines: 60 },
    },
  },
});
