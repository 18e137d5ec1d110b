import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";

// A real server on a database of its own: a fresh SQLite file per run.
const PORT = Number(process.env.E2E_PORT ?? 8799);
export const DATA_DIR = process.env.E2E_DATA_DIR ?? mkdtempSync(join(tmpdir(), "tunix-rt-e2e-"));
process.env.E2E_DATA_DIR = DATA_DIR; // the workers read the same directory

export default defineConfig({
  testDir: "./tests",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  timeout: 30_000,
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's Chromium (installed by scripts/ensure-chromium.sh); no browser download.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "open", testIgnore: /auth\.spec\.ts/ },
    // Creating a token turns auth on for the whole server, so this project runs last.
    { name: "auth", testMatch: /auth\.spec\.ts/, dependencies: ["open"] },
  ],
  webServer: {
    command: `../.venv/bin/tunix-rt serve --port ${PORT}`,
    url: `http://127.0.0.1:${PORT}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: { DATA_DIR, REDIAI_MODE: "mock", DATABASE_URL: "" },
    stdout: "ignore",
    stderr: "pipe",
  },
});
