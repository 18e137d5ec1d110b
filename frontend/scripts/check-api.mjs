// Fails when src/api/schema.d.ts is not what openapi-typescript generates from
// openapi.json today, i.e. the committed client has drifted from the backend's API.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const committedPath = join(root, "src/api/schema.d.ts");
const tempDir = mkdtempSync(join(tmpdir(), "tunix-rt-api-"));
const freshPath = join(tempDir, "schema.d.ts");

try {
  execFileSync(
    process.execPath,
    [join(root, "node_modules/openapi-typescript/bin/cli.js"), "openapi.json", "--output", freshPath],
    { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
  );
  let committed = "";
  try {
    committed = readFileSync(committedPath, "utf8");
  } catch {
    // A missing file is reported as drift below.
  }
  if (committed !== readFileSync(freshPath, "utf8")) {
    console.error(
      "api:check FAILED: src/api/schema.d.ts does not match openapi.json.\n" +
        "The backend's API changed (or the generated file was edited by hand).\n" +
        "Fix: cd frontend && npm run api:generate, review the diff, and commit it.",
    );
    process.exitCode = 1;
  } else {
    console.log("api:check OK: src/api/schema.d.ts matches openapi.json.");
  }
} finally {
  rmSync(tempDir, { recursive: true, force: true });
}
