// A run's files as the artifact list shows them: each checkpoint directory as one row
// (downloaded as a tar), other files one a row; sizes in words; download URLs whose
// nested names keep their slashes.

import { defaultPathSerializer } from "openapi-fetch";
import type { RunArtifact } from "./queries";

export type ArtifactKind = RunArtifact["kind"];

export type ArtifactRow = {
  /** A file's name, or a checkpoint directory's (`checkpoints/60`), relative to the run. */
  name: string;
  kind: ArtifactKind;
  /** Bytes; a directory's is its files' total. */
  size: number;
  /** A file's sha256; null for a directory (its tar is made on the fly) and for a large
   * file the server is still hashing. */
  sha256: string | null;
  modifiedAt: string;
  /** How many files a directory holds; 1 for a file. */
  files: number;
  directory: boolean;
};

const KIND_ORDER: Record<ArtifactKind, number> = { checkpoint: 0, config: 1, log: 2, other: 3 };
const CHECKPOINT_DIR = /^(checkpoints\/[^/]+)\/./;

function byKindThenName(a: ArtifactRow, b: ArtifactRow): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.name.localeCompare(b.name, undefined, { numeric: true });
}

/** The rows of the artifact list: checkpoints first (by step), then config, logs, other. */
export function artifactRows(artifacts: RunArtifact[]): ArtifactRow[] {
  const rows: ArtifactRow[] = [];
  const checkpoints = new Map<string, ArtifactRow>();
  for (const artifact of artifacts) {
    const dir = CHECKPOINT_DIR.exec(artifact.name)?.[1];
    if (dir === undefined) {
      rows.push({
        name: artifact.name,
        kind: artifact.kind,
        size: artifact.size,
        sha256: artifact.sha256,
        modifiedAt: artifact.modified_at,
        files: 1,
        directory: false,
      });
      continue;
    }
    const row = checkpoints.get(dir);
    if (!row) {
      checkpoints.set(dir, { name: dir, kind: "checkpoint", size: artifact.size, sha256: null, modifiedAt: artifact.modified_at, files: 1, directory: true });
    } else {
      row.size += artifact.size;
      row.files += 1;
      if (artifact.modified_at > row.modifiedAt) row.modifiedAt = artifact.modified_at;
    }
  }
  return [...checkpoints.values(), ...rows].sort(byKindThenName);
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** Each segment of a nested name encoded on its own: `checkpoints/60` stays a path. */
export function encodeArtifactName(name: string): string {
  return name.split("/").map(encodeURIComponent).join("/");
}

/** The API path that downloads an artifact (a directory as a tar). */
export function artifactDownloadPath(runId: string, name: string): string {
  return `/api/tunix/runs/${encodeURIComponent(runId)}/artifacts/${encodeArtifactName(name)}/download`;
}

/**
 * The API client's path serializer for the download route: the default one encodes a
 * slash in `filename` as %2F, which proxies may refuse; the route takes a nested path.
 */
export function artifactPathSerializer(pathname: string, params: Record<string, unknown>): string {
  const { filename, ...rest } = params;
  const path = typeof filename === "string" ? pathname.replace("{filename}", encodeArtifactName(filename)) : pathname;
  return defaultPathSerializer(path, rest);
}
