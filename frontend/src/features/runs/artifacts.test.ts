import { describe, expect, it } from "vitest";
import { RUN_ID } from "../../test/runs";
import { artifactDownloadPath, artifactPathSerializer, artifactRows, formatBytes } from "./artifacts";

const file = (name: string, size: number, kind: "checkpoint" | "config" | "log" | "other", modified = "2025-03-01T12:00:00Z") => ({
  name,
  size,
  kind,
  sha256: `${name.length}`.padStart(64, "a"),
  modified_at: modified,
});

describe("artifacts", () => {
  it("shows each checkpoint directory as one row (files, total size, newest time), then config, logs, other", () => {
    const rows = artifactRows([
      file("dataset.jsonl", 14_299, "other"),
      file("checkpoints/100/model/a", 1000, "checkpoint", "2025-03-01T12:00:10Z"),
      file("checkpoints/20/model/a", 600, "checkpoint", "2025-03-01T12:00:02Z"),
      file("checkpoints/100/commit_success.txt", 24, "checkpoint", "2025-03-01T12:00:11Z"),
      file("manifest.yaml", 1063, "config"),
      file("metrics/events.log", 10, "log"),
    ]);
    expect(rows.map((row) => [row.name, row.kind, row.size, row.files, row.directory])).toEqual([
      ["checkpoints/20", "checkpoint", 600, 1, true],
      ["checkpoints/100", "checkpoint", 1024, 2, true],
      ["manifest.yaml", "config", 1063, 1, false],
      ["metrics/events.log", "log", 10, 1, false],
      ["dataset.jsonl", "other", 14_299, 1, false],
    ]);
    expect(rows[1]!.modifiedAt).toBe("2025-03-01T12:00:11Z");
    expect(rows[1]!.sha256).toBeNull();
    expect(rows[2]!.sha256).toHaveLength(64);
  });

  it("writes sizes for people", () => {
    expect([0, 512, 1536, 1024 * 1024 * 1.3, 5 * 1024 ** 3, 200 * 1024].map(formatBytes)).toEqual([
      "0 B",
      "512 B",
      "1.5 KiB",
      "1.3 MiB",
      "5.0 GiB",
      "200 KiB",
    ]);
  });

  it("keeps a nested name's slashes in the download path, encoding each segment", () => {
    expect(artifactDownloadPath(RUN_ID, "checkpoints/60")).toBe(`/api/tunix/runs/${RUN_ID}/artifacts/checkpoints/60/download`);
    expect(artifactDownloadPath(RUN_ID, "a b/c#d")).toBe(`/api/tunix/runs/${RUN_ID}/artifacts/a%20b/c%23d/download`);
    expect(
      artifactPathSerializer("/api/tunix/runs/{run_id}/artifacts/{filename}/download", { run_id: RUN_ID, filename: "checkpoints/60" }),
    ).toBe(`/api/tunix/runs/${RUN_ID}/artifacts/checkpoints/60/download`);
  });
});
